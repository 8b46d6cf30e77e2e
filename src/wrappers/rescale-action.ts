import type { Env } from '../core/env.js';
import { ActionWrapper } from '../core/wrapper.js';
import { Box, type BoxArray } from '../core/spaces/box.js';
import { Space } from '../core/spaces/space.js';
import { InvalidArgument, InvalidSpace, InvalidAction, formatError, describeValue } from '../core/errors.js';

/**
 * Affinely maps actions from `[minAction, maxAction]` onto the wrapped
 * env's bounded `Box` action space (Gymnasium's `RescaleAction`), e.g. a
 * policy acting in `[-1, 1]` on a task whose torques span `[-2, 2]`:
 * `inner = low + (high - low) * (a - minAction) / (maxAction - minAction)`,
 * computed as Gymnasium does (`gradient * a + intercept`).
 *
 * Bounds are scalars (broadcast) or arrays of the action's size. The result
 * is written into one reused buffer.
 */
export class RescaleAction<Obs> extends ActionWrapper<Obs, BoxArray, BoxArray> {
  private readonly gradient: Float64Array;
  private readonly intercept: Float64Array;
  private readonly buffer: BoxArray;

  constructor(env: Env<Obs, BoxArray>, minAction: number | ArrayLike<number>, maxAction: number | ArrayLike<number>) {
    super(env);
    const inner = env.actionSpace as Space<unknown>;
    if (!(inner instanceof Box) || !inner.isBounded('both')) {
      throw new InvalidSpace(
        formatError('RescaleAction.env.actionSpace', 'a Box bounded on both sides', inner?.toString(), 'RescaleAction maps onto finite bounds; use ClipAction or none for unbounded boxes'),
      );
    }
    if (inner.dtype !== 'float32' && inner.dtype !== 'float64') {
      throw new InvalidSpace(formatError('RescaleAction.env.actionSpace', 'a float32 or float64 Box', inner.toString(), 'Rescaling integer actions is not supported'));
    }
    const n = inner.flatDim;
    const lo = broadcast('RescaleAction.minAction', minAction, n);
    const hi = broadcast('RescaleAction.maxAction', maxAction, n);
    for (let i = 0; i < n; i++) {
      if (!(lo[i] < hi[i])) {
        throw new InvalidArgument(
          formatError('RescaleAction', 'minAction < maxAction in every dimension', `minAction[${i}]=${lo[i]}, maxAction[${i}]=${hi[i]}`, 'Pass e.g. -1 and 1'),
        );
      }
    }
    this.gradient = new Float64Array(n);
    this.intercept = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.gradient[i] = (inner.high[i] - inner.low[i]) / (hi[i] - lo[i]);
      this.intercept[i] = this.gradient[i] * -lo[i] + inner.low[i];
    }
    this.buffer = inner.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    this.actionSpace = new Box(lo, hi, inner.shape, inner.dtype);
  }

  action(act: BoxArray): BoxArray {
    const n = this.buffer.length;
    if (act == null || (act as ArrayLike<number>).length !== n) {
      throw new InvalidAction(formatError('RescaleAction.step.action', `${n} numbers in ${this.actionSpace.toString()}`, describeValue(act), 'Pass an array of the action shape'));
    }
    for (let i = 0; i < n; i++) this.buffer[i] = this.gradient[i] * act[i] + this.intercept[i];
    return this.buffer;
  }
}

function broadcast(where: string, v: number | ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  if (typeof v === 'number' && Number.isFinite(v)) return out.fill(v);
  if (v != null && typeof v === 'object' && v.length === n && Array.from(v).every((x) => typeof x === 'number' && Number.isFinite(x))) {
    out.set(Array.from(v));
    return out;
  }
  throw new InvalidArgument(formatError(where, `a finite number or ${n} finite numbers`, describeValue(v), 'Pass e.g. -1'));
}
