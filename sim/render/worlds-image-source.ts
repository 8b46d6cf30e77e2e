import type { ImageBatch, ImageBatchSource } from '../../src/vector/add-image-observation.js';
import type { BatchedSceneRenderer } from './batched-scene-renderer.js';
import type { CameraSpec, RenderSource } from './scene-renderer.js';

/**
 * An `ImageBatchSource` (for `AddImageObservation`) drawing `worlds` (one
 * MuJoCo world per sub-env, read at each call) with a
 * {@link BatchedSceneRenderer}, from `camera`, in one round trip per
 * vector step. Closing it closes the renderer.
 */
export function worldsImageSource(renderer: BatchedSceneRenderer, worlds: () => readonly RenderSource[], camera?: CameraSpec | readonly CameraSpec[]): ImageBatchSource {
  const data = new Uint8Array(renderer.numEnvs * renderer.height * renderer.width * 3);
  const batch: ImageBatch = { data, shape: [renderer.numEnvs, renderer.height, renderer.width, 3] };
  return {
    async render() {
      await renderer.render(worlds(), camera, data);
      return batch;
    },
    close: () => renderer.close(),
  };
}
