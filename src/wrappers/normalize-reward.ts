import type { Env, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** Saved state of a {@link NormalizeReward} (store it with a checkpoint). */
export interface NormalizeRewardState {
  returnRms: RunningMeanStdState;
  /** The running discounted return. */
  discountedReward: number;
}

/**
 * Scales rewards so that their exponential moving average has an
 * approximately fixed variance (Gymnasium's `NormalizeReward`, from
 * OpenAI baselines' `VecNormalize`): keeps the discounted return
 * `G <- G * gamma * (1 - terminated) + r`, tracks its running variance, and
 * returns `r / sqrt(var(G) + epsilon)`. Like Gymnasium, the mean is not
 * subtracted (openai/baselines#538) and `G` is reset only by termination,
 * not by truncation or `reset()`.
 *
 * `updateRunningMean = false` freezes the statistics (evaluation);
 * `getState`/`setState` save and restore them with a checkpoint.
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  readonly returnRms = new RunningMeanStd([]);
  readonly gamma: number;
  readonly epsilon: number;
  /** When false the statistics are used but no longer updated (evaluation). */
  updateRunningMean = true;
  /** Running discounted return `G`. */
  discountedReward = 0;
  private readonly one = new Float64Array(1);

  constructor(env: Env<Obs, Act>, options: { gamma?: number; epsilon?: number } = {}) {
    super(env);
    const gamma = options.gamma ?? 0.99;
    const epsilon = options.epsilon ?? 1e-8;
    if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1)) {
      throw new InvalidArgument(formatError('NormalizeReward.gamma', 'a number in [0, 1]', describeValue(gamma), 'Use the agent discount, e.g. 0.99'));
    }
    if (typeof epsilon !== 'number' || !(epsilon >= 0)) {
      throw new InvalidArgument(formatError('NormalizeReward.epsilon', 'a number >= 0', describeValue(epsilon), 'Omit it for 1e-8'));
    }
    this.gamma = gamma;
    this.epsilon = epsilon;
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.discountedReward = this.discountedReward * this.gamma * (r.terminated ? 0 : 1) + r.reward;
    if (this.updateRunningMean) {
      this.one[0] = this.discountedReward;
      this.returnRms.update(this.one, 1);
    }
    r.reward = r.reward / Math.sqrt(this.returnRms.var[0] + this.epsilon);
    return r;
  }

  /** The statistics and running return, JSON-serializable. */
  getState(): NormalizeRewardState {
    return { returnRms: this.returnRms.getState(), discountedReward: this.discountedReward };
  }

  /** Restores a state saved by {@link getState}. */
  setState(state: NormalizeRewardState): void {
    if (state === null || typeof state !== 'object' || typeof state.discountedReward !== 'number' || !Number.isFinite(state.discountedReward)) {
      throw new InvalidArgument(
        formatError('NormalizeReward.setState', '{ returnRms, discountedReward: finite number }', describeValue(state), 'Pass a value from getState()'),
      );
    }
    this.returnRms.setState(state.returnRms);
    this.discountedReward = state.discountedReward;
  }
}
