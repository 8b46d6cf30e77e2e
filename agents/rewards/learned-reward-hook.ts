import { RunningMeanStd } from '../../src/core/running-mean-std.js';
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
 * A PPO reward hook that trains on a frozen learned reward instead of the
 * env's: AIRL's g (the disentangled reward of Fu et al. 2018, meant to
 * transfer to changed dynamics) or GAIL's logit. This is the reward-transfer
 * half: `PPO.create(vec, config, { rewardHook: learnedRewardHook(reward) })`
 * on another task variant with the same spaces; the env's reward stays in
 * `charts/episodic_return` for comparison. As during training, the reward is
 * measured from the absorbing state's ({@link writeLearnedRewards}) and
 * divided by its running std.
 */
export function learnedRewardHook(reward: LearnedReward, options: LearnedRewardHookOptions = {}): RewardHook {
  const scale = new RunningMeanStd([]);
  const normalize = options.normalize ?? true;
  const absorbing = options.absorbing ?? true;
  return (b: RolloutBuffer) => {
    const t = rolloutTransitions(b, false);
    const r = reward.reward(t);
    scale.update(r, r.length);
    const div = normalize ? Math.sqrt(scale.var[0] + 1e-8) : 1;
    writeLearnedRewards(b, r, absorbing ? reward.reward(absorbingRows(t.obsDim, t.actDim, 1))[0] : 0, div);
  };
}
