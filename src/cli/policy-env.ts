import type { Space } from '../core/spaces/space.js';

type Lib = typeof import('../index.js');

/**
 * The env a policy of `observationSpace` acts in, for evaluation: the task's
 * camera env (`makeImageEnv` at the image's size) when the observations
 * hold an image, else `makeAsync(envId)`; `kwargs`: task options (`make`'s). `lib` is the lazily imported
 * library (nothing heavy at CLI start).
 */
export async function makePolicyEnv(lib: Lib, envId: string, observationSpace: Space<unknown>, kwargs?: Record<string, unknown>): Promise<Awaited<ReturnType<Lib['makeAsync']>> | Awaited<ReturnType<Lib['makeImageEnv']>>> {
  const camera = lib.imageParts(observationSpace)[0];
  const make = kwargs !== undefined ? { kwargs } : {};
  return camera ? await lib.makeImageEnv(envId, { height: camera.shape[0], width: camera.shape[1], make }) : await lib.makeAsync(envId, make);
}
