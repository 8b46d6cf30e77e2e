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
   * Draw all tiles with one instanced draw per geom when every sub-env has
   * the same camera (page/instanced-tiles.ts) instead of one draw per geom
   * per tile; default `false`. On SwiftShader it saves no CPU time (the
   * cost follows triangles and pixels, not draw calls: docs/benchmarks.md,
   * "Batched rendering"), and on LangReach-v0 9 of 65,536 pixels differed
   * from the single renderer's (edges of the floor where a tile clips it),
   * so the exact per-tile path is the default; kept for GPUs, where draw
   * calls dominate.
   */
  instanced?: boolean;
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

/** Largest canvas side the tile grid may take (WebGL on SwiftShader allows 8192; this keeps readPixels small). */
const MAX_CANVAS = 4096;

/**
 * Renders the states of many sub-envs of one task (same MJCF model) in one
 * round trip to headless Chromium: each sub-env is drawn into its own tile
 * of one canvas (viewport + scissor), the canvas is read back with one
 * `readPixels`, and the tiles come back as one
 * `Uint8Array [numEnvs x height x width x 3]` (rows top to bottom, like
 * {@link SceneRenderer}'s images, and bit for bit the same pixels).
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
  /** Tiles per canvas row. */
  readonly columns: number;
  private readonly background: number;
  private readonly radialSegments: number;
  private readonly instanced: boolean;
  private page: Page | null;
  private description: SceneDescription | null = null;
  private model: ModelLike | null = null;
  /** `[numEnvs x ngeom x 7]`, sent packed. */
  private poses = new Float32Array(0);
  /** `[numEnvs x CAMERA_STRIDE]`, sent packed. */
  private readonly cameras: Float64Array;
  private closing: Promise<void> | null = null;

  private constructor(page: Page, numEnvs: number, width: number, height: number, columns: number, background: number, instanced: boolean, radialSegments: number) {
    this.radialSegments = radialSegments;
    this.instanced = instanced;
    this.page = page;
    this.numEnvs = numEnvs;
    this.width = width;
    this.height = height;
    this.columns = columns;
    this.background = background;
    this.cameras = new Float64Array(numEnvs * CAMERA_STRIDE);
  }

  /** Opens a renderer page (launching Chromium if this process has none yet). */
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
    const radialSegments = checkRadialSegments(`${where}.radialSegments`, options.radialSegments);
    const page = await openRenderPage(columns * width, rows * height);
    return new BatchedSceneRenderer(page, numEnvs, width, height, columns, options.background ?? 0x1d2330, options.instanced ?? false, radialSegments);
  }

  /**
   * Renders the current state of each of `sources` (one `MujocoWorld` per
   * sub-env, all of the same model, after `step`/`forward`) from `camera`
   * (one for all, or one per sub-env). The scene is sent to the page once
   * per model. Writes into `out` when given (`Uint8Array [numEnvs x height x width x 3]`).
   */
  async render(sources: readonly RenderSource[], camera?: CameraSpec | readonly CameraSpec[], out?: Uint8Array): Promise<Uint8Array> {
    const where = 'BatchedSceneRenderer.render';
    const page = this.page;
    if (!page) throw new ClosedError(formatError(where, 'an open renderer', 'a closed one', 'Create a new BatchedSceneRenderer'));
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
      await page.evaluate(([d, w, h, bg, seg]) => (window as unknown as { lamkitRender: { setScene(...a: unknown[]): void } }).lamkitRender.setScene(d, w, h, bg, seg), [description, this.columns * this.width, Math.ceil(n / this.columns) * this.height, this.background, this.radialSegments] as const);
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
    // Packed as base64 strings: Playwright would serialise each number of an array argument as an object.
    const base64 = await page.evaluate(
      ([p, c, w, h, cols, inst]) => (window as unknown as { lamkitRender: { renderBatch(...a: unknown[]): Promise<string> } }).lamkitRender.renderBatch(p, c, w, h, cols, inst),
      [toBase64(poses), toBase64(cameras), this.width, this.height, this.columns, this.instanced] as const,
    );
    const target = out ?? new Uint8Array(bytes);
    // The page deflates the pixels (the transfer, not the draw, dominates a batch); inflate straight into `target`.
    inflateSync(Buffer.from(base64, 'base64'), { info: false }).copy(target);
    return target;
  }

  /**
   * What the page spent on the last {@link render} (for benchmarks): ms by
   * phase (issuing draws, `readPixels` waiting for the GPU process, copy +
   * deflate + base64), draw calls, triangles, base64 characters returned.
   */
  async lastBatchStats(): Promise<BatchStats> {
    const page = this.page;
    if (!page) throw new ClosedError(formatError('BatchedSceneRenderer.lastBatchStats', 'an open renderer', 'a closed one', 'Create a new BatchedSceneRenderer'));
    return page.evaluate(() => ({ ...(window as unknown as { lamkitRender: { lastBatch: BatchStats } }).lamkitRender.lastBatch }));
  }

  /** Closes this renderer's page; the shared browser closes with its last user. Safe to call twice. */
  close(): Promise<void> {
    const page = this.page;
    this.page = null;
    this.closing ??= closeRenderPage(page);
    return this.closing;
  }
}

/** Base64 of a typed array's bytes (no copy). */
function toBase64(a: Float32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
