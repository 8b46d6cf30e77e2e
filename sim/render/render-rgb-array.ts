import type { Env } from '../../src/core/env.js';
import { Wrapper } from '../../src/core/wrapper.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { LazySceneRenderer } from './lazy-scene-renderer.js';
import type { CameraSpec, RenderSource, RgbImage, SceneRendererOptions } from './scene-renderer.js';

/** Options of {@link RenderRgbArray}. */
export interface RenderRgbArrayOptions extends SceneRendererOptions {
  /** Default camera of `renderAsync()` (default: MuJoCo's free camera for the model). */
  camera?: CameraSpec;
}

/**
 * Adds `rgb_array` images to any MuJoCo task (an env whose `unwrapped.world`
 * is a `MujocoWorld`): `await env.renderAsync()` returns an {@link RgbImage}
 * (`Uint8Array [height x width x 3]`) of the current state, drawn by three.js
 * in headless Chromium.
 *
 * Why a separate, asynchronous method: `Env.render()` is synchronous (as in
 * Gymnasium) and Chromium answers asynchronously, so the synchronous
 * `render()` throws, naming `renderAsync()`. Chromium starts on the first
 * `renderAsync()` (seconds), not at construction; `close()` also closes this
 * env's renderer page (the shared browser closes with its last user).
 *
 * ```ts
 * const env = new RenderRgbArray(await makeAsync('ArmReach-v0'), { width: 84, height: 84 });
 * env.reset({ seed: 0 });
 * const { width, height, data } = await env.renderAsync();
 * await env.closeAsync();
 * ```
 */
export class RenderRgbArray<Obs = unknown, Act = unknown> extends Wrapper<Obs, Act> {
  private readonly images: LazySceneRenderer;
  private readonly camera: CameraSpec;
  private readonly world: RenderSource;

  constructor(env: Env<Obs, Act>, options: RenderRgbArrayOptions = {}) {
    super(env);
    const world = (env.unwrapped as unknown as { world?: RenderSource }).world;
    if (!world || typeof world !== 'object' || !world.model || !world.data) {
      throw new InvalidArgument(formatError('RenderRgbArray.env', 'a MuJoCo task (env.unwrapped.world is a MujocoWorld)', env.spec?.id ? describeValue(env.spec.id) : describeValue(env.unwrapped), 'Wrap a MuJoCo task such as ArmReach-v0 or Reacher-v5'));
    }
    this.world = world;
    this.camera = options.camera;
    const { camera: _camera, ...rendererOptions } = options;
    this.images = new LazySceneRenderer(rendererOptions);
  }

  override get renderMode(): string {
    return 'rgb_array';
  }

  /** Always throws: images come from `await renderAsync()`. */
  override render(): never {
    throw new InvalidArgument(formatError('RenderRgbArray.render', 'await env.renderAsync() (Chromium renders asynchronously)', 'a synchronous render() call', 'Call await env.renderAsync(camera?)'));
  }

  /** An RGB image of the current simulation state from `camera` (default: the wrapper's). */
  renderAsync(camera: CameraSpec = this.camera): Promise<RgbImage> {
    return this.images.render(this.world, camera);
  }

  /** Closes the renderer page (in the background) and the env. Safe to call twice. */
  override close(): void {
    void this.images.close();
    this.env.close();
  }

  /** Like `close()`, resolving once the renderer page is closed. */
  async closeAsync(): Promise<void> {
    const closing = this.images.close();
    this.env.close();
    await closing;
  }
}
