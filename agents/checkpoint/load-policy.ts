import { MlpPolicy } from '../policies/mlp-policy.js';
import { readCheckpoint } from './read-checkpoint.js';

/** Options of {@link loadPolicy}. */
export interface LoadPolicyOptions {
  /** Seed of the sampling stream for stochastic actions (default 0). */
  seed?: number;
}

/** A policy loaded from a checkpoint, with what it was trained on. */
export interface LoadedPolicy extends MlpPolicy {
  /** The task id the checkpoint was trained on (e.g. `CartPole-v1`). */
  readonly envId: string;
  /** The checkpoint directory read. */
  readonly checkpointDir: string;
  /** Env steps of training behind it. */
  readonly globalStep: number;
}

/**
 * Loads the policy of a checkpoint written by `lamkit train` (path: the run's
 * `--out` directory or its `checkpoint/` subdirectory) as a `Policy` usable by
 * `lamkit eval`, `lamkit view --policy` and `lamkit serve --checkpoint`.
 * Plain JS: no tfjs backend is started. Observations are normalized with the
 * statistics frozen at save time.
 *
 * Stable signature: `loadPolicy(dir: string, options?: { seed?: number }): Promise<LoadedPolicy>`.
 */
export async function loadPolicy(dir: string, options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  const { dir: checkpointDir, meta, state } = readCheckpoint(dir);
  const policy = new MlpPolicy({
    spec: state.spec,
    theta: state.theta,
    observationSpace: meta.observationSpace,
    actionSpace: meta.actionSpace,
    obsStats: state.config.normalizeObs ? state.normalizer.obs : null,
    clipObs: state.config.clipObs,
    seed: options.seed ?? 0,
  });
  return Object.assign(policy, { envId: meta.envId, checkpointDir, globalStep: state.globalStep });
}
