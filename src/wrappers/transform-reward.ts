import type { Env } from '../core/env.js';
import { RewardWrapper } from '../core/wrapper.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** Applies `func` to every reward (Gymnasium's `TransformReward`), e.g. `(r) => Math.sign(r)`. */
export class TransformReward<Obs, Act> extends RewardWrapper<Obs, Act> {
  private readonly func: (reward: number) => number;

  constructor(env: Env<Obs, Act>, func: (reward: number) => number) {
    super(env);
    if (typeof func !== 'function') {
      throw new InvalidArgument(formatError('TransformReward.func', 'a function (reward) => number', describeValue(func), 'Pass e.g. (r) => 0.01 * r'));
    }
    this.func = func;
  }

  reward(r: number): number {
    return this.func(r);
  }
}
