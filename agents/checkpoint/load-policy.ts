import type { Policy } from '../../src/core/policy.js';
import { initBackend } from '../backend.js';
import { policyKind } from '../policies/policy-kinds.js';
import { restorePolicy } from '../policies/policy-state.js';
import { NetworkPolicy } from '../policies/network-policy.js';
import { readCheckpoint } from './read-checkpoint.js';
import { FileFormatError } from '../../src/core/errors.js';

/** Options of {@link loadPolicy}. */
export interface LoadPolicyOptions {
  /** Seed of the sampling stream for stochastic actions (default 0). */
  seed?: number;
}

/** A policy loaded from a checkpoint, with what it was trained on. */
export type LoadedPolicy = Policy & {
  /** The task id the checkpoint was trained on (e.g. `CartPole-v1`). */
  readonly envId: string;
  /** The checkpoint directory read. */
  readonly checkpointDir: string;
  /** Env steps of training behind it (0 when the algorithm does not count them). */
  readonly globalStep: number;
  /** The network kind (`mlp`, `window-mlp`, ...). */
  readonly kind: string;
  /** Critic value of each (raw) observation row, `Float64Array [rows]`. */
  value(obs: Float32Array): Float64Array;
};

/**
 * Loads the policy of any checkpoint (format v2 of any registered kind, or
 * v1 from lamkit 0.1; path: a run's `--out` directory or its `checkpoint/`
 * subdirectory) as a `Policy` usable by `lamkit eval`, `lamkit view
 * --policy`, `lamkit serve --checkpoint` and `evaluatePolicy`. Kinds with a
 * plain-JS forward (the MLP) start no tfjs backend; others start it and
 * wrap the network in a {@link NetworkPolicy}. Observations are normalized
 * with the statistics frozen at save time.
 *
 * Stable signature: `loadPolicy(dir: string, options?: { seed?: number }): Promise<LoadedPolicy>`.
 */
export async function loadPolicy(dir: string, options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  const { dir: checkpointDir, data } = readCheckpoint(dir);
  const parts = {
    observationSpace: data.meta.observationSpace,
    actionSpace: data.meta.actionSpace,
    obsStats: data.normalization.obs,
    clipObs: data.normalization.clipObs,
    seed: options.seed ?? 0,
  };
  const where = `loadCheckpoint(${checkpointDir}).checkpoint.json.policy`;
  const kind = policyKind(data.policy.kind, `${where}.kind`, FileFormatError);
  let policy: Policy & { value(obs: Float32Array): Float64Array };
  if (kind.jsPolicy) {
    policy = kind.jsPolicy(data.policy.spec, data.policy.tensors, parts) as typeof policy;
  } else {
    await initBackend();
    policy = new NetworkPolicy(restorePolicy(data.policy, where), parts);
  }
  const globalStep = typeof data.algo.state.globalStep === 'number' ? data.algo.state.globalStep : 0;
  return Object.assign(policy, { envId: data.meta.envId, checkpointDir, globalStep, kind: kind.kind });
}
