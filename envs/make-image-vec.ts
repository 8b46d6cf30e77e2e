import type { Env } from '../src/core/env.js';
import { InvalidArgument, formatError, describeValue } from '../src/core/errors.js';
import { make, prepare, type MakeOptions } from '../src/registry/registry.js';
import { SyncVectorEnv } from '../src/vector/sync-vector-env.js';
import type { VectorEnvOptions } from '../src/vector/base-vector-env.js';
import { AddImageObservation } from '../src/vector/add-image-observation.js';
import { BatchedSceneRenderer } from '../sim/render/batched-scene-renderer.js';
import { worldsImageSource } from '../sim/render/worlds-image-source.js';
import type { CameraSpec, RenderSource } from '../sim/render/scene-renderer.js';

/** Options of {@link makeImageVec}. */
export interface MakeImageVecOptions extends VectorEnvOptions {
  /** Image size in pixels; default 64 x 64. */
  width?: number;
  height?: number;
  /** Camera; default the task's `imageCamera` (LangReach-v0: `overview`), else MuJoCo's free camera. */
  camera?: CameraSpec;
  /** Passed to `make` for every sub-env (`kwargs`, ...). */
  make?: MakeOptions;
  /**
   * Chromium instances the renderer splits each batch over
   * (`BatchedSceneRenderer`'s `shards`); default 1. Same images at any
   * value; 2 uses both cores of a 2-core machine (docs/benchmarks.md, "Batched rendering").
   */
  renderShards?: number;
}

/**
 * A vector env of a registered MuJoCo task whose observations carry a camera
 * image: `numEnvs` sub-envs in this thread (`SyncVectorEnv`: the renderer
 * reads their worlds), drawn together after every step by one
 * `BatchedSceneRenderer`, added as `image` (`Box(0, 255, [H, W, 3], uint8)`)
 * by `AddImageObservation`. Close it to close the renderer page.
 *
 * ```ts
 * const vec = await makeImageVec('LangReach-v0', 8);
 * const { obs, images, text } = await vec.reset({ seed: 0 }); // images.image: [8 x 64 x 64 x 3]
 * ```
 */
export async function makeImageVec(id: string, numEnvs: number, options: MakeImageVecOptions = {}): Promise<AddImageObservation> {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new InvalidArgument(formatError('makeImageVec.numEnvs', 'a positive integer', describeValue(numEnvs), 'Pass e.g. 8'));
  }
  await prepare(id);
  const { width = 64, height = 64, camera, make: makeOptions, renderShards, ...vectorOptions } = options;
  const inner = new SyncVectorEnv(Array.from({ length: numEnvs }, () => () => make(id, makeOptions)), vectorOptions);
  const worlds = inner.envs.map((e) => (e.unwrapped as unknown as { world?: RenderSource }).world);
  if (worlds.some((w) => !w)) {
    await inner.close();
    throw new InvalidArgument(formatError('makeImageVec.id', 'a MuJoCo task (its env has a world to draw)', describeValue(id), 'Pass e.g. LangReach-v0'));
  }
  let renderer: BatchedSceneRenderer;
  try {
    renderer = await BatchedSceneRenderer.create({ numEnvs, width, height, shards: renderShards });
  } catch (err) {
    await inner.close();
    throw err;
  }
  const taskCamera = (inner.envs[0].unwrapped as Env<unknown, unknown> & { imageCamera?: CameraSpec }).imageCamera;
  return new AddImageObservation(inner, worldsImageSource(renderer, () => worlds as RenderSource[], camera ?? taskCamera), { width, height });
}
