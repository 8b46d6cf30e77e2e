import type { Space } from '../../src/core/spaces/space.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';

/** What an inference policy needs besides the network (what a checkpoint holds about the task and normalization). */
export interface PolicyParts {
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  /** Frozen observation statistics, or null when training did not normalize. */
  obsStats: RunningMeanStdState | null;
  clipObs: number;
  /** Seed of the sampling stream for stochastic actions (default 0). */
  seed?: number;
}
