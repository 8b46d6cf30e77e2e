import type { Space } from '../../src/core/spaces/space.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';
import type { PolicyState } from '../policies/policy-state.js';
import type { OptimizerState } from '../optim/adamw-options.js';

/** What a checkpoint records about the task besides the training state. */
export interface CheckpointMeta {
  envId: string;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  /** The tfjs backend that trained it (resume is bit-exact on the same backend). */
  backend: string;
  /** Task options the training envs were made with (`lamkit train --env-kwargs`); absent: the registration's. */
  envKwargs?: Record<string, unknown>;
}

/** Observation normalization and reward scaling statistics (SB3's VecNormalize), frozen in the policy at load time. */
export interface CheckpointNormalization {
  /** Observation statistics, or null when training did not normalize observations. */
  obs: RunningMeanStdState | null;
  /** Discounted-return statistics of reward scaling, or null. */
  ret: RunningMeanStdState | null;
  /** Normalized observations are clipped to +-clipObs. */
  clipObs: number;
}

/** The algorithm's part of a checkpoint: what continues the run. */
export interface CheckpointAlgo {
  /** Registered trainer name (`ppo`, later `bc`, `gail`, ...). */
  name: string;
  /** The algorithm's resolved config. */
  config: Record<string, unknown>;
  /** Counters and RNG state (JSON). */
  state: Record<string, unknown>;
  /** Optimizer moments per parameter group, or null (nothing to continue). */
  optimizer: OptimizerState | null;
  /** Large float32 state by name (e.g. GAIL/AIRL's replay buffer), kept out of the JSON in `arrays.bin`; absent: none. */
  arrays?: Record<string, Float32Array>;
}

/** Everything a checkpoint holds (format v2). */
export interface CheckpointData {
  meta: CheckpointMeta;
  policy: PolicyState;
  normalization: CheckpointNormalization;
  algo: CheckpointAlgo;
}
