import type { Page } from 'playwright-core';
import { ClosedError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { describeModel } from '../scene/scene-description.js';
import type { ModelLike, SceneDescription } from '../scene/scene-description.js';
import { writeGeomPoses, POSE_STRIDE } from '../scene/geom-poses.js';
import type { CameraPose } from '../scene/camera-pose.js';
import { resolveCameraPose } from './resolve-camera-pose.js';
import { openRenderPage, closeRenderPage } from './open-render-page.js';

/** An RGB image: `data` is `Uint8Array [height x width x 3]`, rows top to bottom (Gymnasium's `rgb_array`). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Which camera to render from:
 * - `undefined`: MuJoCo's default free camera for the model;
 * - `{ name }`: a camera defined in the MJCF (follows its body);
 * - `{ position, lookAt, fovyDeg? }`: metres in MuJoCo's Z-up world frame;
 * - a {@link CameraPose}.
 */
export type CameraSpec = undefined | { name: string } | { position: readonly number[]; lookAt: readonly number[]; fovyDeg?: number } | CameraPose;

/** What {@link SceneRenderer.render} reads: a `MujocoWorld` (or raw `{ model, data }`) after a step. */
export interface RenderSource {
  model: ModelLike;
  data: { geom_xpos: ArrayLike<number>; geom_xmat: ArrayLike<number>; cam_xpos: ArrayLike<number>; cam_xmat: ArrayLike<number> };
}

/** Options of {@link SceneRenderer.create}. */
export interface SceneRendererOptions {
  /** Image width in pixels (1-4096); default 84 (a common vision-RL size). */
  width?: number;
  /** Image height in pixels (1-4096); default 84. */
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
}

/**
 * Renders MuJoCo scenes to RGB images with three.js in headless Chromium
 * (WebGL2 on SwiftShader: no GPU, no display).
 *
 * Each renderer owns one page in the process's shared browser
 * (`acquireBrowser`, launched lazily); its modules are served from memory
 * through `page.route`, so no port is opened. Rendering is asynchronous (a
 * round trip to the browser: poses in, base64 pixels out), which is why the
 * synchronous `Env.render()` cannot call it; tasks expose
 * `renderAsync()`-style methods on top of it instead (see `renderRgbArray`).
 *
 * Cost (2-core machine, SwiftShader): see docs/benchmarks.md, "Rendering";
 * `bench/render-cost.ts` measures it.
 */
export class SceneRenderer {
  readonly width: number;
  readonly height: number;
  private readonly background: number;
  private readonly radialSegments: number;
  private page: Page | null;
  private description: SceneDescription | null = null;
  private model: ModelLike | null = null;
  private poses = new Float32Array(0);
  private closing: Promise<void> | null = null;

  private constructor(page: Page, width: number, height: number, background: number, radialSegments: number) {
    this.radialSegments = radialSegments;
    this.page = page;
    this.width = width;
    this.height = height;
    this.background = background;
  }

  /** Opens a renderer page (launching Chromium if this process has none yet). */
  static async create(options: SceneRendererOptions = {}): Promise<SceneRenderer> {
    const width = options.width ?? 84;
    const height = options.height ?? 84;
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 4096) {
        throw new InvalidArgument(formatError(`SceneRenderer.${name}`, 'an integer number of pixels in [1, 4096]', describeValue(v), 'Pass e.g. { width: 84, height: 84 }'));
      }
    }
    const radialSegments = checkRadialSegments('SceneRenderer.radialSegments', options.radialSegments);
    const page = await openRenderPage(width, height);
    return new SceneRenderer(page, width, height, options.background ?? 0x1d2330, radialSegments);
  }

  /**
   * Renders the current state of `source` (a `MujocoWorld` after `step`/`forward`)
   * from `camera`. The scene is sent to the page once per model.
   */
  async render(source: RenderSource, camera?: CameraSpec): Promise<RgbImage> {
    const page = this.page;
    if (!page) throw new ClosedError(formatError('SceneRenderer.render', 'an open renderer', 'a closed one', 'Create a new SceneRenderer'));
    if (source.model !== this.model) {
      const description = describeModel(source.model);
      await page.evaluate(([d, w, h, bg, seg]) => (window as unknown as { lamkitRender: { setScene(...a: unknown[]): void } }).lamkitRender.setScene(d, w, h, bg, seg), [description, this.width, this.height, this.background, this.radialSegments] as const);
      this.description = description;
      this.model = source.model;
      this.poses = new Float32Array(description.ngeom * POSE_STRIDE);
    }
    const description = this.description!;
    writeGeomPoses(source.data.geom_xpos, source.data.geom_xmat, description.ngeom, this.poses);
    const pose = resolveCameraPose('SceneRenderer.render.camera', description, source, camera);
    const base64 = await page.evaluate(([p, c]) => (window as unknown as { lamkitRender: { render(...a: unknown[]): string } }).lamkitRender.render(p, c), [Array.from(this.poses), pose] as const);
    const bytes = Buffer.from(base64, 'base64');
    return { width: this.width, height: this.height, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /** Closes this renderer's page; the shared browser closes with its last user. Safe to call twice. */
  close(): Promise<void> {
    const page = this.page;
    this.page = null;
    this.closing ??= closeRenderPage(page);
    return this.closing;
  }
}

/** Validates a renderer's `radialSegments` option (default 24); shared with the batched renderer. */
export function checkRadialSegments(where: string, value: unknown): number {
  if (value === undefined) return 24;
  if (!Number.isInteger(value) || (value as number) < 3 || (value as number) > 64) {
    throw new InvalidArgument(formatError(where, 'an integer number of segments in [3, 64]', describeValue(value), 'Pass e.g. 8 for small images, or leave it out for 24'));
  }
  return value as number;
}
