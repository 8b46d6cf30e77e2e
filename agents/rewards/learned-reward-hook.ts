import { RunningMeanStd } from '../../src/core/running-mean-std.js';
import type { RolloutBuffer } from '../buffers/rollout-buffer.js';
import type { RewardHook } from '../algos/ppo/ppo.js';
import { rolloutTransitions } from '../algos/gail/adversarial-imitation.js';
import { absorbingRows } from './transitions.js';
import type { LearnedReward } from './learned-reward.js';

/** Options of {@link learnedRewardHook}. */
export interface LearnedRewardHookOptions {
  /** The PPO run's discount (for the absorbing state's tail). */
  gamma: number;
  /** Divide by a running std of the reward, as during GAIL/AIRL training. Default true. */
  normalize?: boolean;
  /** Add the absorbing state's discounted tail gamma/(1-gamma) r(absorbing) at terminal steps, as during training. Default true. */
  absorbing?: boolean;
}

/**
 * A PPO reward hook that trains on a frozen learned reward instead of the
 * env's: AIRL's g (the disentangled reward of Fu et al. 2018, meant to
 * transfer to changed dynamics) or GAIL's logit. This is the reward-transfer
 * half: `PPO.create(vec, config, { rewardHook: learnedRewardHook(reward, { gamma }) })`
 * on another task variant with the same spaces; the env's reward stays in
 * `charts/episodic_return` for comparison.
 */
export function learnedRewardHook(reward: LearnedReward, options: LearnedRewardHookOptions): RewardHook {
  const scale = new RunningMeanStd([]);
  const normalize = options.normalize ?? true;
  const absorbing = options.absorbing ?? true;
  return (b: RolloutBuffer) => {
    const t = rolloutTransitions(b, false);
    const r = reward.reward(t);
    scale.update(r, r.length);
    const div = normalize ? Math.sqrt(scale.var[0] + 1e-8) : 1;
    const tail = absorbing ? (options.gamma / (1 - options.gamma)) * reward.reward(absorbingRows(t.obsDim, t.actDim, 1))[0] : 0;
    let j = 0;
    for (let k = 0; k < b.valid.length; k++) {
      if (!b.valid[k]) {
        b.rewards[k] = 0;
        continue;
      }
      b.rewards[k] = (r[j++] + (b.terminated[k] ? tail : 0)) / div;
    }
  };
}
