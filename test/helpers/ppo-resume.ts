import { makeVec } from '../../src/registry/make-vec.js';
import type { VectorEnv } from '../../src/core/vector-env.js';
import { PPO, type PpoTrainingState, type PpoOptions } from '../../agents/algos/ppo/ppo.js';
import type { ResolvedPpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import type { NamedTensor } from '../../agents/policies/actor-critic.js';

/** Each tensor's raw bytes, for bit-for-bit comparisons of weights. */
export function tensorBytes(tensors: readonly NamedTensor[]): Buffer[] {
  return tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/**
 * Runs PPO on Pendulum-v1 (`config.numEnvs` sub-envs): a new run of `policy`, or the run
 * restored from `from` (with `options`); stops after the update that reaches `stopAt`
 * steps, else at the config's end. Returns the training state; the env is closed.
 */
export async function trainPendulum(config: ResolvedPpoConfig, policy: Record<string, unknown>, from: PpoTrainingState | null, stopAt?: number, options: PpoOptions = {}): Promise<PpoTrainingState> {
  return trainOn(await makeVec('Pendulum-v1', { numEnvs: config.numEnvs }), config, policy, from, stopAt, options);
}

/** {@link trainPendulum} on any vector env (closed at the end). */
export async function trainOn(vec: VectorEnv, config: ResolvedPpoConfig, policy: Record<string, unknown>, from: PpoTrainingState | null, stopAt?: number, options: PpoOptions = {}): Promise<PpoTrainingState> {
  const ppo = from ? await PPO.restore(vec, from, options) : await PPO.create(vec, config, { policy });
  try {
    await ppo.learn({ stop: () => stopAt !== undefined && ppo.step >= stopAt });
    return ppo.trainingState();
  } finally {
    ppo.dispose();
    await vec.close();
  }
}
