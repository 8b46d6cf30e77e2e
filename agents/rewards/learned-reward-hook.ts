import { RunningMeanStd } from '../../src/core/running-mean-std.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { RolloutBuffer } from '../buffers/rollout-buffer.js';
import type { RewardHook } from '../algos/ppo/ppo.js';
import { rolloutTransitions } from '../algos/gail/adversarial-imitation.js';
import { absorbingRows } from './transitions.js';
import type { LearnedReward } from './learned-reward.js';

/** Options of {@link learnedRewardHook}. */
export interface LearnedRewardHookOptions {
  /** Divide by a running std of the reward, as during GAIL/AIRL training. Default true. */
  normalize?: boolean;
  /** Measure the reward from the absorbing state's (terminations enter an absorbing state), as during training. Default true. */
  absorbing?: boolean;
  /**
   * Pessimism outside the demonstrations' range (`LearnedReward.clipToSupport`):
   * a state beyond it is scored as its nearest state inside, minus this many
   * (normalized) reward units per input std beyond. 0: off (the networks'
   * own extrapolation). Default: {@link DEFAULT_SUPPORT_PENALTY} for a reward
   * whose spec holds the range, 0 for one written before lamkit stored it
   * (an explicit positive value then is an error).
   */
  supportPenalty?: number;
}

/**
 * Writes learned rewards into a rollout: `rewards[j]` for its j-th valid
 * row, measured from the absorbing state's reward (`r - rAbsorbing`) and
 * divided by `div`; invalid rows get 0.
 *
 * Why the shift: an episode that terminates enters the absorbing state and
 * earns `rAbsorbing` forever after (Kostrikov et al. 2019). Adding that tail
 * `gamma/(1-gamma) rAbsorbing` at the terminal step, as this code did
 * before, changes every return by the same constant as subtracting
 * `rAbsorbing` from every step (sum_t<T gamma^t (r_t - rA) = sum_t<T gamma^t r_t
 * + gamma^T rA/(1-gamma) - rA/(1-gamma)), so the optimal policy is the same;
 * but the tail is a single reward of ~50-100 times the per-step scale
 * (gamma 0.98-0.99), which PPO's critic fits badly, while after the shift
 * the reward is 0 in the absorbing state and its sign says whether staying
 * alive in a state beats ending the episode, as in the task's own rewards.
 */
export function writeLearnedRewards(b: RolloutBuffer, rewards: ArrayLike<number>, rAbsorbing: number, div: number): void {
  let j = 0;
  for (let k = 0; k < b.valid.length; k++) b.rewards[k] = b.valid[k] ? (rewards[j++] - rAbsorbing) / div : 0;
}

/**
 * The support penalty a reused reward gets by default: 1 (one normalized
 * reward unit per input std beyond the demonstrations' range). Measured on
 * ArmReach-v0 -> ArmReach-reversed-v0 (docs/benchmarks.md, Imitation): without
 * it PPO found the states 50-80 cm from the target where AIRL's g rose and
 * scored below random on all three seeds (returns about -44, random -13.4).
 */
export const DEFAULT_SUPPORT_PENALTY = 1;

/** {@link LearnedRewardHookOptions.supportPenalty}'s default for `reward`: {@link DEFAULT_SUPPORT_PENALTY} where its spec holds the demonstrations' range, else 0. */
export function defaultSupportPenalty(reward: LearnedReward): number {
  return reward.spec.supportLow && reward.spec.supportHigh ? DEFAULT_SUPPORT_PENALTY : 0;
}

/**
 * A PPO reward hook that trains on a frozen learned reward instead of the
 * env's: AIRL's g (the disentangled reward of Fu et al. 2018, meant to
 * transfer to changed dynamics) or GAIL's logit. This is the reward-transfer
 * half: `PPO.create(vec, config, { rewardHook: learnedRewardHook(reward) })`
 * on another task variant with the same spaces; the env's reward stays in
 * `charts/episodic_return` for comparison. As during training, the reward is
 * measured from the absorbing state's ({@link writeLearnedRewards}) and
 * divided by its running std; states outside the demonstrations' range are
 * scored pessimistically ({@link LearnedRewardHookOptions.supportPenalty}).
 */
export function learnedRewardHook(reward: LearnedReward, options: LearnedRewardHookOptions = {}): RewardHook {
  const scale = new RunningMeanStd([]);
  const normalize = options.normalize ?? true;
  const absorbing = options.absorbing ?? true;
  const penalty = options.supportPenalty ?? defaultSupportPenalty(reward);
  if (!(Number.isFinite(penalty) && penalty >= 0)) throw new InvalidArgument(formatError('learnedRewardHook.supportPenalty', 'a number >= 0', describeValue(penalty), 'Pass e.g. 1 (0: off)'));
  if (penalty > 0) reward.requireSupport('learnedRewardHook.supportPenalty');
  return (b: RolloutBuffer) => {
    const t = rolloutTransitions(b, false);
    const sup = penalty > 0 ? reward.clipToSupport(t) : null;
    const r = reward.reward(sup ? sup.clipped : t);
    scale.update(r, r.length);
    const div = normalize ? Math.sqrt(scale.var[0] + 1e-8) : 1;
    // The penalty in normalized units: penalty per std beyond, after the division below.
    if (sup) for (let k = 0; k < r.length; k++) r[k] -= penalty * div * sup.excess[k];
    writeLearnedRewards(b, r, absorbing ? reward.reward(absorbingRows(t.obsDim, t.actDim, 1))[0] : 0, div);
  };
}
