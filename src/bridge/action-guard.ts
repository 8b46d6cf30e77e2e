import type { Space } from '../core/spaces/space.js';
import { Box } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { MultiDiscrete } from '../core/spaces/multi-discrete.js';
import { MultiBinary } from '../core/spaces/multi-binary.js';
import { actionLayout } from '../core/vector-env.js';
import { BridgeProtocolError } from './errors.js';
import { formatError, describeValue } from '../core/errors.js';

/** Why the guard replaced an action by the safe action (null when it did not). */
export type GuardFault = 'non_finite' | 'wrong_shape' | 'out_of_space' | null;

/**
 * The safety gate every action passes before it is sent to a robot:
 * Box actions are clipped into the announced bounds; a non-finite value, a
 * wrong length or an invalid discrete value is never sent: the robot's safe
 * action goes instead and `lastFault` says why.
 *
 * Wire layout ("flat action"): Box -> its values; Discrete -> [a];
 * MultiDiscrete / MultiBinary -> their integer entries (as in `ActionBatch`).
 */
export class ActionGuard {
  readonly space: Space<unknown>;
  /** Numbers per action on the wire. */
  readonly actDim: number;
  /** `Float64Array [actDim]`, the robot's announced safe action. */
  readonly safeAction: Float64Array;
  /** Why the last `guard` call fell back to the safe action, or null. */
  lastFault: GuardFault = null;
  /** Where the last fault was, for error events, e.g. `element 1 is NaN`. */
  lastFaultDetail = '';

  constructor(space: Space<unknown>, safeAction: ArrayLike<number>, where = 'ActionGuard') {
    this.space = space;
    this.actDim = actionLayout(space).actDim;
    this.safeAction = Float64Array.from(safeAction);
    const scratch = new Float64Array(this.actDim);
    if (this.check(this.toFlat(safeAction, scratch), scratch, false) !== null) {
      throw new BridgeProtocolError(
        'BAD_ACTION',
        formatError(`${where}.safeAction`, `an action inside ${space.toString()} (${this.actDim} numbers)`, `${describeValue(safeAction)} (${this.lastFaultDetail})`, 'Announce a safe action the robot can always apply, e.g. zeros'),
      );
    }
  }

  /**
   * Writes the guarded flat action into `out` (`Float64Array [actDim]`) and
   * returns the fault that forced the safe action, or null.
   */
  guard(action: unknown, out: Float64Array): GuardFault {
    const fault = this.check(this.toFlat(action, out), out, true);
    this.lastFault = fault;
    if (fault !== null) out.set(this.safeAction);
    return fault;
  }

  private toFlat(action: unknown, out: Float64Array): boolean {
    if (this.space instanceof Discrete) {
      if (typeof action === 'number') {
        out[0] = action;
        return true;
      }
      if (action !== null && typeof action === 'object' && (action as ArrayLike<number>).length === 1) {
        out[0] = Number((action as ArrayLike<number>)[0]);
        return true;
      }
      this.lastFaultDetail = `${describeValue(action)} is not a number`;
      return false;
    }
    const a = action as ArrayLike<number> | null;
    if (a === null || typeof a !== 'object' || a.length !== this.actDim) {
      this.lastFaultDetail = `${describeValue(action)} is not ${this.actDim} numbers`;
      return false;
    }
    for (let i = 0; i < this.actDim; i++) out[i] = typeof a[i] === 'number' ? a[i] : NaN;
    return true;
  }

  private check(shaped: boolean, flat: Float64Array, clip: boolean): GuardFault {
    if (!shaped) return 'wrong_shape';
    for (let i = 0; i < this.actDim; i++) {
      if (!Number.isFinite(flat[i])) {
        this.lastFaultDetail = `element ${i} is ${describeValue(flat[i])}`;
        return 'non_finite';
      }
    }
    const s = this.space;
    if (s instanceof Box) {
      if (clip) s.clip(flat, flat);
      else if (!s.contains(flat)) {
        this.lastFaultDetail = s.explain(flat) ?? '';
        return 'out_of_space';
      }
      return null;
    }
    for (let i = 0; i < this.actDim; i++) {
      if (!Number.isInteger(flat[i])) {
        this.lastFaultDetail = `element ${i} = ${flat[i]} is not an integer`;
        return 'out_of_space';
      }
    }
    const value = s instanceof Discrete ? flat[0] : s instanceof MultiDiscrete ? Int32Array.from(flat) : Int8Array.from(flat);
    const why = s.explain(value);
    if (why !== null) {
      this.lastFaultDetail = why;
      return 'out_of_space';
    }
    return null;
  }
}

/** Rebuilds an action of `space` from its flat wire form (robot side). */
export function decodeAction(space: Space<unknown>, flat: ArrayLike<number>): unknown {
  if (space instanceof Box) return space.unflatten(flat);
  if (space instanceof Discrete) return flat[0];
  if (space instanceof MultiDiscrete) return Int32Array.from(flat);
  if (space instanceof MultiBinary) return Int8Array.from(flat);
  return Float64Array.from(flat);
}
