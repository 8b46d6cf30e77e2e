import { inflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ClosedError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { describeModel } from '../scene/scene-description.js';
import type { ModelLike, SceneDescription } from '../scene/scene-description.js';
import { writeGeomPoses, POSE_STRIDE } from '../scene/geom-poses.js';
import type { CameraPose } from '../scene/camera-pose.js';
import { resolveCameraPose } from './resolve-camera-pose.js';
import { openRenderPage, closeRenderPage } from './open-render-page.js';
import { checkRadialSegments } from './scene-renderer.js';
import type { CameraSpec, RenderSource } from './scene-renderer.js';
import { CAMERA_STRIDE, packCamera } from './page/batch-packing.js';

/** Options of {@link BatchedSceneRenderer.create}. */
export interface BatchedSceneRendererOptions {
  /** Sub-envs drawn per call (1-1024). */
  numEnvs: number;
  /** Image width in pixels; default 64. The tile grid (`ceil(sqrt(numEnvs))` columns) must fit in 4096 x 4096. */
  width?: number;
  /** Image height in pixels; default 64. */
  height?: number;
  /** Background colour `0xRRGGBB`; default the viewer's dark blue-grey. */
  background?: number;
  /**
   * Segments around curved geoms (spheres, capsules, cylinders), 3-64;
   * default 24 (the viewer's). SwiftShader's cost grows with triangles more
   * than with pixels: 8 draws a 64x64 batch in ~60% of the CPU time
   * (docs/benchmarks.md, "Batched rendering"); images then differ from the default's.
   */
  radialSegments?: number;
  /**
   * Chromium instances the batch is split over, 1-8 (at most `numEnvs`);
   * default 1. Shard k draws a contiguous run of sub-envs on browser slot k
   * (`acquireBrowser(k)`: its own GPU process, i.e. its own SwiftShader),
   * all shards in flight at once, tiles reassembled in order; each tile is
   * drawn where it lies in the unsharded canvas, so the images are those
   * of one shard, bit for bit. One Chromium keeps one GPU process
   * busy while the renderer process waits for it and vice versa; two use
   * both cores of a 2-core machine (docs/benchmarks.md, "Batched
   * rendering"). Each extra shard costs a Chromium (~100-200 MB) and its
   * start-up.
   */
  shards?: number;
}

/** See {@link BatchedSceneRenderer.lastBatchStats}. */
export interface BatchStats {
  drawMs: number;
  readMs: number;
  packMs: number;
  drawCalls: number;
  triangles: number;
  bytesOut: number;
}

/** Largest `shards` of {@link BatchedSceneRendererOptions}. */
const MAX_SHARDS = 8;

/** One Chromium page drawing sub-envs `[start, start + count)` at their tiles of the batch's grid. */
interface Shard {
  page: Page;
  slot: number;
  start: number;
  count: number;
}

/** Largest canvas side the tile grid may take (WebGL on SwiftShader allows 8192; this keeps readPixels small). */
const MAX_CANVAS = 4096;

/**
 * Renders the states of many sub-envs of one task (same MJCF model) in one
 * round trip to headless Chromium: each sub-env is drawn into its own tile
 * of one canvas (viewport + scissor), the canvas is read back with one
 * `readPixels`, and the tiles come back as one
 * `Uint8Array [numEnvs x height x width x 3]` (rows top to bottom, like
 * {@link SceneRenderer}'s images, and the same pixels except, rarely, a
 * few at triangle edges: SwiftShader's rasterisation depends slightly on
 * where in the canvas a tile lies; ArmReach-v0 at 64x64: 5 of 384 tiles
 * differed, 13 bytes in all. Any `shards` gives the one-shard pixels
 * bit for bit).
 *
 * Why: a single-frame round trip costs ~5 ms of fixed overhead
 * (`page.evaluate`, base64) beside the draw; batching pays it once per
 * vector step. Figures: docs/benchmarks.md, "Rendering" (`npm run bench:render`).
 *
 * ```ts
 * const renderer = await BatchedSceneRenderer.create({ numEnvs: 8, width: 64, height: 64 });
 * const images = await renderer.render(worlds, { name: 'overview' }); // [8 x 64 x 64 x 3]
 * await renderer.close();
 * ```
 */
export class BatchedSceneRenderer {
  readonly numEnvs: number;
  readonly width: number;
  readonly height: number;
  /** Chromium pages (one per browser slot) the batch is split over. */
  readonly shards: number;
  /** Tiles per canvas row. */
  readonly columns: number;
  private readonly background: number;
  private readonly radialSegments: number;
  private pages: Shard[] | null;
  private description: SceneDescription | null = null;
  private model: ModelLike | null = null;
  /** `[numEnvs x ngeom x 7]`, sent packed. */
  private poses = new Float32Array(0);
  /** `[numEnvs x CAMERA_STRIDE]`, sent packed. */
  private readonly cameras: Float64Array;
  private closing: Promise<void> | null = null;

  private constructor(pages: Shard[], numEnvs: number, width: number, height: number, columns: number, background: number, radialSegments: number) {
    this.radialSegments = radialSegments;
    this.columns = columns;
    this.pages = pages;
    this.shards = pages.length;
    this.numEnvs = numEnvs;
    this.width = width;
    this.height = height;
    this.background = background;
    this.cameras = new Float64Array(numEnvs * CAMERA_STRIDE);
  }

  /** Opens one renderer page per shard (launching Chromium on each browser slot that has none yet). */
  static async create(options: BatchedSceneRendererOptions): Promise<BatchedSceneRenderer> {
    const where = 'BatchedSceneRenderer.create';
    const numEnvs = options?.numEnvs;
    if (!Number.isInteger(numEnvs) || numEnvs < 1 || numEnvs > 1024) {
      throw new InvalidArgument(formatError(`${where}.numEnvs`, 'an integer in [1, 1024]', describeValue(numEnvs), 'Pass the vector env\'s numEnvs'));
    }
    const width = options.width ?? 64;
    const height = options.height ?? 64;
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_CANVAS) {
        throw new InvalidArgument(formatError(`${where}.${name}`, `an integer number of pixels in [1, ${MAX_CANVAS}]`, describeValue(v), 'Pass e.g. { width: 64, height: 64 }'));
      }
    }
    const columns = Math.ceil(Math.sqrt(numEnvs));
    const rows = Math.ceil(numEnvs / columns);
    if (columns * width > MAX_CANVAS || rows * height > MAX_CANVAS) {
      throw new InvalidArgument(formatError(where, `a tile grid within ${MAX_CANVAS} x ${MAX_CANVAS} pixels`, `${columns * width} x ${rows * height} (${numEnvs} images of ${width} x ${height})`, 'Render fewer or smaller images per call'));
    }
    const shards = options.shards ?? 1;
    if (!Number.isInteger(shards) || shards < 1 || shards > Math.min(MAX_SHARDS, numEnvs)) {
      throw new InvalidArgument(formatError(`${where}.shards`, `an integer in [1, ${Math.min(MAX_SHARDS, numEnvs)}] (at most ${MAX_SHARDS} and numEnvs)`, describeValue(shards), 'Pass 2 on a 2-core machine, or leave it out for 1'));
    }
    const radialSegments = checkRadialSegments(`${where}.radialSegments`, options.radialSegments);
    // Contiguous runs of sub-envs, as equal as possible; every shard's canvas is the whole grid (it draws and reads only its tiles' rows).
    const opened = await Promise.allSettled(
      Array.from({ length: shards }, async (_, slot): Promise<Shard> => {
        const start = Math.floor((slot * numEnvs) / shards);
        const count = Math.floor(((slot + 1) * numEnvs) / shards) - start;
        return { page: await openRenderPage(columns * width, rows * height, slot), slot, start, count };
      }),
    );
    const pages = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(pages.map((p) => closeRenderPage(p.page, p.slot)));
      throw failed.reason;
    }
    return new BatchedSceneRenderer(pages, numEnvs, width, height, columns, options.background ?? 0x1d2330, radialSegments);
  }

  /**
   * Renders the current state of each of `sources` (one `MujocoWorld` per
   * sub-env, all of the same model, after `step`/`forward`) from `camera`
   * (one for all, or one per sub-env). The scene is sent to the page once
   * per model. Writes into `out` when given (`Uint8Array [numEnvs x height x width x 3]`).
   */
  async render(sources: readonly RenderSource[], camera?: CameraSpec | readonly CameraSpec[], out?: Uint8Array): Promise<Uint8Array> {
    const where = 'BatchedSceneRenderer.render';
    const pages = this.pages;
    if (!pages) throw new ClosedError(formatError(where, 'an open renderer', 'a closed one', 'Create a new BatchedSceneRenderer'));
    const n = this.numEnvs;
    if (!Array.isArray(sources) || sources.length !== n) {
      throw new InvalidArgument(formatError(`${where}.sources`, `${n} worlds (numEnvs)`, Array.isArray(sources) ? `${sources.length}` : describeValue(sources), 'Pass one MujocoWorld per sub-env'));
    }
    const bytes = n * this.height * this.width * 3;
    if (out !== undefined && (!(out instanceof Uint8Array) || out.length !== bytes)) {
      throw new InvalidArgument(formatError(`${where}.out`, `Uint8Array [${n} x ${this.height} x ${this.width} x 3] (${bytes} bytes)`, describeValue(out), 'Allocate new Uint8Array(numEnvs * height * width * 3)'));
    }
    if (Array.isArray(camera) && camera.length !== n) {
      throw new InvalidArgument(formatError(`${where}.camera`, `one camera or ${n} (numEnvs)`, `${camera.length}`, 'Pass one CameraSpec for all sub-envs, or one per sub-env'));
    }
    if (sources[0].model !== this.model) {
      const description = describeModel(sources[0].model);
      await Promise.all(
        pages.map(({ page }) =>
          page.evaluate(([d, w, h, bg, seg]) => (window as unknown as { lamkitRender: { setScene(...a: unknown[]): void } }).lamkitRender.setScene(d, w, h, bg, seg), [description, this.columns * this.width, Math.ceil(n / this.columns) * this.height, this.background, this.radialSegments] as const),
        ),
      );
      this.description = description;
      this.model = sources[0].model;
      this.poses = new Float32Array(n * description.ngeom * POSE_STRIDE);
    }
    const description = this.description!;
    const poses = this.poses;
    const cameras = this.cameras;
    const stride = description.ngeom * POSE_STRIDE;
    for (let i = 0; i < n; i++) {
      const s = sources[i];
      if ((s.model as { ngeom: number }).ngeom !== description.ngeom) {
        throw new InvalidArgument(formatError(`${where}.sources[${i}]`, `a world of the same model as sources[0] (${description.ngeom} geoms)`, `${(s.model as { ngeom: number }).ngeom} geoms`, 'Batch only sub-envs of one task'));
      }
      writeGeomPoses(s.data.geom_xpos, s.data.geom_xmat, description.ngeom, poses.subarray(i * stride, (i + 1) * stride));
      const pose = resolveCameraPose(`${where}.camera`, description, s, Array.isArray(camera) ? (camera as readonly CameraSpec[])[i] : (camera as CameraSpec));
      packCamera(pose, cameras, i * CAMERA_STRIDE);
    }
    const target = out ?? new Uint8Array(bytes);
    const tileBytes = this.height * this.width * 3;
    // All shards in flight at once, each on its own Chromium; tiles land in order.
    await Promise.all(
      pages.map(async ({ page, start, count }) => {
        // Packed as base64 strings: Playwright would serialise each number of an array argument as an object.
        const base64 = await page.evaluate(
          ([p, c, w, h, cols, first]) => (window as unknown as { lamkitRender: { renderBatch(...a: unknown[]): Promise<string> } }).lamkitRender.renderBatch(p, c, w, h, cols, first),
          [toBase64(poses.subarray(start * stride, (start + count) * stride)), toBase64(cameras.subarray(start * CAMERA_STRIDE, (start + count) * CAMERA_STRIDE)), this.width, this.height, this.columns, start] as const,
        );
        // The page deflates the pixels (the transfer, not the draw, dominates a batch); inflate straight into `target`.
        inflateSync(Buffer.from(base64, 'base64'), { info: false }).copy(target, start * tileBytes);
      }),
    );
    return target;
  }

  /**
   * What the pages spent on the last {@link render} (for benchmarks): ms by
   * phase (issuing draws, `readPixels` waiting for the GPU process, copy +
   * deflate + base64), draw calls, triangles, base64 characters returned;
   * each summed over the shards.
   */
  async lastBatchStats(): Promise<BatchStats> {
    const pages = this.pages;
    if (!pages) throw new ClosedError(formatError('BatchedSceneRenderer.lastBatchStats', 'an open renderer', 'a closed one', 'Create a new BatchedSceneRenderer'));
    const all = await Promise.all(pages.map(({ page }) => page.evaluate(() => ({ ...(window as unknown as { lamkitRender: { lastBatch: BatchStats } }).lamkitRender.lastBatch }))));
    const sum: BatchStats = { drawMs: 0, readMs: 0, packMs: 0, drawCalls: 0, triangles: 0, bytesOut: 0 };
    for (const stats of all) for (const k of Object.keys(sum) as (keyof BatchStats)[]) sum[k] += stats[k];
    return sum;
  }

  /** Closes this renderer's pages; each browser closes with its last user. Safe to call twice. */
  close(): Promise<void> {
    const pages = this.pages;
    this.pages = null;
    this.closing ??= Promise.all((pages ?? []).map((p) => closeRenderPage(p.page, p.slot))).then(() => undefined);
    return this.closing;
  }
}

/** Base64 of a typed array's bytes (no copy). */
function toBase64(a: Float32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
