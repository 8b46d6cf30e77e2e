import type { Env } from '../core/env.js';
import { ObservationWrapper } from '../core/wrapper.js';
import { Box, type BoxArray } from '../core/spaces/box.js';
import { Space } from '../core/spaces/space.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import { InvalidArgument, InvalidSpace, formatError, describeValue } from '../core/errors.js';

/** Saved state of a {@link NormalizeObservation} (store it with a checkpoint). */
export interface NormalizeObservationState {
  obsRms: RunningMeanStdState;
}

/**
 * Normalizes observations to roughly zero mean and unit variance with a
 * running estimate (Gymnasium's `NormalizeObservation`):
 * `(obs - mean) / sqrt(var + epsilon)`, as `Float32Array`. Every reset and
 * step first updates the statistics with the new observation unless
 * `updateRunningMean` is false (freeze it for evaluation). The observation
 * space becomes `Box(-inf, inf, shape, float32)`.
 *
 * The normalization depends on everything seen so far: save the statistics
 * with `getState()` next to a policy checkpoint and restore them with
 * `setState()` before evaluating.
 */
export class NormalizeObservation<Act> extends ObservationWrapper<Float32Array, Act, BoxArray> {
  /** Running statistics of the raw observations (shape of the observation). */
  readonly obsRms: RunningMeanStd;
  readonly epsilon: number;
  /** When false the statistics are used but no longer updated (evaluation). */
  updateRunningMean = true;

  constructor(env: Env<BoxArray, Act>, options: { epsilon?: number } = {}) {
    super(env);
    const inner = env.observationSpace as Space<unknown>;
    if (!(inner instanceof Box)) {
      throw new InvalidSpace(
        formatError('NormalizeObservation.env.observationSpace', 'a Box', inner?.toString(), 'Wrap with FlattenObservation first for Dict/Tuple/Discrete observations'),
      );
    }
    const epsilon = options.epsilon ?? 1e-8;
    if (typeof epsilon !== 'number' || !(epsilon >= 0)) {
      throw new InvalidArgument(formatError('NormalizeObservation.epsilon', 'a number >= 0', describeValue(epsilon), 'Omit it for 1e-8'));
    }
    this.epsilon = epsilon;
    this.obsRms = new RunningMeanStd(inner.shape);
    this.observationSpace = new Box<Float32Array>(-Infinity, Infinity, inner.shape, 'float32');
  }

  observation(obs: BoxArray): Float32Array {
    if (this.updateRunningMean) this.obsRms.update(obs, 1);
    return this.obsRms.normalize(obs, new Float32Array(this.obsRms.size), this.epsilon);
  }

  /** The statistics, JSON-serializable. */
  getState(): NormalizeObservationState {
    return { obsRms: this.obsRms.getState() };
  }

  /** Restores statistics saved by {@link getState}. */
  setState(state: NormalizeObservationState): void {
    this.obsRms.setState(state?.obsRms);
  }
}
