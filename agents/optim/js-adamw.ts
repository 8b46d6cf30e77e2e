import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { type AdamWOptions, type GroupOptions, type GroupAdamState, type OptimizerState, checkAdamWOptions, checkGroupOptions, checkGroupState } from './adamw-options.js';

/** A `[offset, size)` range of a flat parameter vector owned by one group. */
interface Range {
  group: string;
  offset: number;
  size: number;
  /** Offset of this range inside its group's moment arrays. */
  local: number;
}

interface GroupSlot {
  size: number;
  trainable: boolean;
  state: GroupAdamState | null;
}

/**
 * AdamW over a flat `Float32Array` of parameters split into named groups, in
 * plain JS: the optimizer of the explicit-gradient fast path, where
 * parameters and gradients already live in JS (microseconds for a few
 * thousand parameters, far below the ~10 tfjs kernels of a tensor step).
 *
 * Same update as {@link AdamW} (PyTorch's order; bias corrections in
 * float64 from each group's own step count; optional global grad-norm
 * clipping `g *= min(1, maxNorm / (||g|| + 1e-6))` over the trainable
 * parameters, summed in flat order; decoupled weight decay
 * `theta *= 1 - lr * wd` before the Adam step) and the same
 * {@link OptimizerState}, so state moves between the two paths. Frozen
 * groups are skipped and hold no state.
 */
export class JsAdamW {
  readonly options: AdamWOptions;
  private readonly ranges: Range[];
  private readonly groups = new Map<string, GroupSlot>();
  private readonly groupOptions: Readonly<Record<string, GroupOptions>>;

  /**
   * @param groupRanges for each group, its `[offset, size)` ranges of the flat vector.
   * @param trainable names of the groups that train at first (see {@link setTrainable}).
   */
  constructor(groupRanges: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>, trainable: Iterable<string>, options: AdamWOptions, groupOptions: Readonly<Record<string, GroupOptions>> = {}) {
    this.options = checkAdamWOptions(options, 'JsAdamW');
    checkGroupOptions(groupOptions, [...groupRanges.keys()], 'JsAdamW.groupOptions');
    this.groupOptions = groupOptions;
    const on = new Set(trainable);
    this.ranges = [];
    for (const [group, ranges] of groupRanges) {
      let local = 0;
      for (const [offset, size] of ranges) {
        this.ranges.push({ group, offset, size, local });
        local += size;
      }
      this.groups.set(group, { size: local, trainable: on.has(group), state: null });
    }
    // Flat order: the gradient norm sums in the same order as one flat Adam would.
    this.ranges.sort((a, b) => a.offset - b.offset);
  }

  /** Marks a group trainable or frozen (a frozen group is skipped; its state, if any, is kept). */
  setTrainable(group: string, trainable: boolean): void {
    this.slot(group).trainable = trainable;
  }

  /**
   * One in-place update of `theta` with gradient `grad` (both the full flat
   * vector; `grad` is left unchanged; entries of frozen groups are ignored).
   * @param lr the scheduled learning rate (each group uses `lr x lrScale`).
   * @param maxGradNorm clip the trainable gradient's global L2 norm to this (Infinity: no clipping).
   * @returns the norm before clipping.
   */
  apply(theta: Float32Array, grad: Float32Array, lr: number, maxGradNorm: number): number {
    let ss = 0;
    for (const r of this.ranges) {
      if (!this.slot(r.group).trainable) continue;
      for (let i = r.offset, end = r.offset + r.size; i < end; i++) ss += grad[i] * grad[i];
    }
    const norm = Math.sqrt(ss);
    const scale = Number.isFinite(maxGradNorm) ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
    for (const g of this.groups.values()) {
      if (!g.trainable) continue;
      g.state ??= { step: 0, m: new Float32Array(g.size), v: new Float32Array(g.size) };
      g.state.step += 1;
    }
    for (const r of this.ranges) {
      const g = this.slot(r.group);
      if (!g.trainable) continue;
      const st = g.state as GroupAdamState;
      adamwSpan(theta, theta, grad, r.offset, st, r.local, r.size, scale, adamwCoefficients(this.options, this.groupOptions[r.group], lr, st.step));
    }
    return norm;
  }

  /** A copy of the state for checkpoints. */
  getState(): OptimizerState {
    const groups: Record<string, GroupAdamState> = {};
    for (const [name, g] of this.groups) if (g.state) groups[name] = { step: g.state.step, m: g.state.m.slice(), v: g.state.v.slice() };
    return { groups };
  }

  /** Restores a state from {@link getState} or `AdamW.getState`; groups absent from it start fresh. */
  setState(state: OptimizerState): void {
    for (const name of Object.keys(state.groups)) this.slot(name, 'JsAdamW.setState.groups');
    for (const [name, g] of this.groups) {
      const s = state.groups[name];
      if (s === undefined) {
        g.state = null;
        continue;
      }
      checkGroupState(s, g.size, `JsAdamW.setState.groups.${name}`);
      g.state = { step: s.step, m: s.m.slice(), v: s.v.slice() };
    }
  }

  /** Nothing to free (plain arrays); present for symmetry with {@link AdamW.dispose}. */
  dispose(): void {}

  private slot(group: string, where = 'JsAdamW.group'): GroupSlot {
    const g = this.groups.get(group);
    if (!g) throw new InvalidArgument(formatError(where, `a parameter group (${[...this.groups.keys()].join(', ')})`, describeValue(group), 'Fix the group name'));
    return g;
  }
}

/** The per-group constants of one AdamW step (see {@link adamwCoefficients}). */
export interface AdamWCoefficients {
  beta1: number;
  beta2: number;
  eps: number;
  /** `lr x lrScale / (1 - beta1^step)`. */
  step: number;
  /** `sqrt(1 - beta2^step)`. */
  sqrtBc2: number;
  /** The group's weight decay (0: none). */
  wd: number;
  /** `1 - lr x lrScale x wd`. */
  decay: number;
}

/** A group's constants for its `step`-th update (bias corrections in float64, as PyTorch). */
export function adamwCoefficients(options: AdamWOptions, group: GroupOptions | undefined, lr: number, step: number): AdamWCoefficients {
  const { beta1, beta2, eps } = options;
  const glr = group?.lrScale !== undefined ? lr * group.lrScale : lr;
  const wd = group?.weightDecay ?? options.weightDecay;
  return { beta1, beta2, eps, step: glr / (1 - beta1 ** step), sqrtBc2: Math.sqrt(1 - beta2 ** step), wd, decay: 1 - glr * wd };
}

/**
 * The AdamW update of `size` parameters, PyTorch's order (decay, moments,
 * step): reads `theta[offset..]` and `grad[offset..]` (the gradient times
 * `scale`, the clipping factor), writes `out[offset..]` (may be `theta`:
 * in place) and the moments `state.m/v[local..]`. Shared by {@link JsAdamW}
 * and the tensor {@link AdamW}'s flat path so the two cannot drift apart.
 */
export function adamwSpan(theta: Float32Array, out: Float32Array, grad: Float32Array, offset: number, state: GroupAdamState, local: number, size: number, scale: number, c: AdamWCoefficients): void {
  const { beta1, beta2, eps, step, sqrtBc2, wd, decay } = c;
  const { m, v } = state;
  for (let k = 0; k < size; k++) {
    const i = offset + k;
    const j = local + k;
    out[i] = wd !== 0 ? theta[i] * decay : theta[i];
    const gi = grad[i] * scale;
    const mi = (m[j] = beta1 * m[j] + (1 - beta1) * gi);
    const vi = (v[j] = beta2 * v[j] + (1 - beta2) * gi * gi);
    out[i] -= (mi / (Math.sqrt(vi) / sqrtBc2 + eps)) * step;
  }
}
