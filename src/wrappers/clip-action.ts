import type { Env } from '../core/env.js';
import { ActionWrapper } from '../core/wrapper.js';
import { Box, type BoxArray } from '../core/spaces/box.js';
import { Space } from '../core/spaces/space.js';
import { InvalidSpace, InvalidAction, formatError, describeValue } from '../core/errors.js';

/**
 * Clips continuous actions into the wrapped env's `Box` action space
 * (Gymnasium's `ClipAction`). The wrapper's own action space is unbounded
 * (`Box(-inf, inf)` of the same shape and dtype), so any real-valued action
 * is accepted. The clipped action is written into one preallocated buffer
 * that is reused every step (envs must not keep the action they are given).
 */
export class ClipAction<Obs> extends ActionWrapper<Obs, BoxArray, BoxArray> {
  private readonly box: Box;
  private readonly buffer: BoxArray;

  constructor(env: Env<Obs, BoxArray>) {
    super(env);
    const inner = env.actionSpace as Space<unknown>;
    if (!(inner instanceof Box)) {
      throw new InvalidSpace(formatError('ClipAction.env.actionSpace', 'a Box', inner?.toString(), 'ClipAction only applies to continuous (Box) actions'));
    }
    this.box = inner;
    // unflatten allocates an array of the box's dtype: the reused output buffer.
    this.buffer = inner.unflatten(new Float64Array(inner.flatDim));
    this.actionSpace = new Box(-Infinity, Infinity, inner.shape, inner.dtype);
  }

  action(act: BoxArray): BoxArray {
    if (act == null || (act as ArrayLike<number>).length !== this.buffer.length) {
      throw new InvalidAction(formatError('ClipAction.step.action', `${this.buffer.length} numbers for ${this.box.toString()}`, describeValue(act), 'Pass an array of the action shape'));
    }
    return this.box.clip(act, this.buffer);
  }
}
