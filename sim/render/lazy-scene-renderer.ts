import type { CameraSpec, RenderSource, RgbImage, SceneRendererOptions } from './scene-renderer.js';
import { SceneRenderer } from './scene-renderer.js';
import { ClosedError, formatError } from '../../src/core/errors.js';

/**
 * A {@link SceneRenderer} created on the first `render` call, for tasks that
 * offer `rgb_array` images: constructing it costs nothing and imports no
 * browser code, so a task can hold one from its constructor and only vision
 * users pay for Chromium. `close()` is synchronous-safe (fire and forget from
 * a synchronous `Env.close()`), idempotent, and returns a promise for callers
 * that can await it.
 *
 * ```ts
 * // in a MuJoCo task
 * private readonly images = new LazySceneRenderer({ width: 84, height: 84 });
 * renderAsync(camera?: CameraSpec) { return this.images.render(this.world, camera); }
 * close() { void this.images.close(); this.world.close(); }
 * ```
 */
export class LazySceneRenderer {
  private renderer: Promise<SceneRenderer> | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: SceneRendererOptions = {}) {}

  /** Renders `source` (a `MujocoWorld`) from `camera`; the first call starts the renderer (seconds). */
  async render(source: RenderSource, camera?: CameraSpec): Promise<RgbImage> {
    if (this.closing) {
      throw new ClosedError(formatError('LazySceneRenderer.render', 'an open renderer', 'a closed one', 'Create a new LazySceneRenderer'));
    }
    this.renderer ??= SceneRenderer.create(this.options);
    this.renderer.catch(() => {
      this.renderer = null;
    });
    return (await this.renderer).render(source, camera);
  }

  /** Whether a renderer was started. */
  get started(): boolean {
    return this.renderer !== null;
  }

  /** Closes the renderer if one was started. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.renderer ? this.renderer.then((r) => r.close(), () => undefined) : Promise.resolve();
    return this.closing;
  }
}
