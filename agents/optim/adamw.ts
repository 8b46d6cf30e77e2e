import * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { GroupVariable } from '../policies/actor-critic.js';
import { type AdamWOptions, type GroupOptions, type GroupAdamState, type OptimizerState, checkAdamWOptions, checkGroupOptions, checkGroupState } from './adamw-options.js';

interface Slot {
  variable: tf.Variable;
  size: number;
}

interface Group {
  slots: Slot[];
  size: number;
  trainable: boolean;
  step: number;
  /** Moments per slot, created the first time the group trains (frozen groups hold none). */
  m: tf.Variable[] | null;
  v: tf.Variable[] | null;
}

/**
 * AdamW (Loshchilov & Hutter 2019, arXiv:1711.05101) over tf variables in
 * named parameter groups: per-group learning-rate scale and weight decay,
 * frozen groups skipped (no moments, no change), PyTorch's update order with
 * float64 bias corrections from each group's own step count, so a restored
 * state continues bit for bit (tfjs's own `AdamOptimizer` re-derives its
 * beta powers on `setWeights`, which is not bit-exact). Optional global
 * grad-norm clipping over the trainable gradients, in-graph (no sync):
 * `g *= min(1, maxNorm / (||g|| + 1e-6))`, as `clip_grad_norm_`.
 *
 * The state format ({@link OptimizerState}: per group, moments flat over the
 * group's variables in order) is shared with {@link JsAdamW}.
 */
export class AdamW {
  readonly options: AdamWOptions;
  private readonly groups = new Map<string, Group>();
  private readonly groupOptions: Readonly<Record<string, GroupOptions>>;
  private disposed = false;

  /** @param trainable names of the groups that train at first. */
  constructor(variables: readonly GroupVariable[], trainable: Iterable<string>, options: AdamWOptions, groupOptions: Readonly<Record<string, GroupOptions>> = {}) {
    this.options = checkAdamWOptions(options, 'AdamW');
    const on = new Set(trainable);
    for (const { group, variable } of variables) {
      let g = this.groups.get(group);
      if (!g) {
        g = { slots: [], size: 0, trainable: on.has(group), step: 0, m: null, v: null };
        this.groups.set(group, g);
      }
      g.slots.push({ variable, size: variable.size });
      g.size += variable.size;
    }
    checkGroupOptions(groupOptions, [...this.groups.keys()], 'AdamW.groupOptions');
    this.groupOptions = groupOptions;
  }

  /** The trainable variables, in order (what to differentiate with respect to). */
  trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const g of this.groups.values()) if (g.trainable) for (const s of g.slots) out.push(s.variable);
    return out;
  }

  /** Marks a group trainable or frozen. */
  setTrainable(group: string, trainable: boolean): void {
    this.group(group).trainable = trainable;
  }

  /**
   * One update from gradients keyed by variable name (as `tf.variableGrads`
   * returns them). A trainable variable the loss does not depend on has no
   * gradient and is left as it is (as PyTorch skips parameters whose grad is None).
   * @param lr the scheduled learning rate (each group uses `lr x lrScale`).
   * @returns the norm before clipping, as a scalar tensor the caller disposes.
   */
  apply(grads: tf.NamedTensorMap, lr: number, maxGradNorm: number): tf.Scalar {
    const { beta1, beta2, eps } = this.options;
    return tf.tidy(() => {
      const active = [...this.groups.entries()].filter(([, g]) => g.trainable);
      const gradOf = (s: Slot): tf.Tensor | undefined => grads[s.variable.name];
      const all = active.flatMap(([, g]) => g.slots.map(gradOf)).filter((g): g is tf.Tensor => g !== undefined);
      if (all.length === 0) {
        throw new InvalidArgument(formatError('AdamW.apply.grads', 'a gradient for at least one trainable variable', `none of ${Object.keys(grads).length} given`, 'Differentiate with respect to trainableVariables()'));
      }
      const norm = tf.sqrt(tf.addN(all.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
      const scale = Number.isFinite(maxGradNorm) ? tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) : null;
      for (const [name, g] of active) {
        if (!g.m || !g.v) {
          g.m = g.slots.map((s) => tf.variable(tf.zerosLike(s.variable), false));
          g.v = g.slots.map((s) => tf.variable(tf.zerosLike(s.variable), false));
        }
        g.step += 1;
        const o = this.groupOptions[name];
        const glr = o?.lrScale !== undefined ? lr * o.lrScale : lr;
        const wd = o?.weightDecay ?? this.options.weightDecay;
        const bc1 = 1 - beta1 ** g.step;
        const bc2 = 1 - beta2 ** g.step;
        g.slots.forEach((s, k) => {
          const raw = gradOf(s);
          if (!raw) return;
          const grad = scale ? tf.mul(raw, scale) : raw;
          const mv = (g.m as tf.Variable[])[k];
          const vv = (g.v as tf.Variable[])[k];
          const m = tf.add(tf.mul(mv, beta1), tf.mul(grad, 1 - beta1));
          const v = tf.add(tf.mul(vv, beta2), tf.mul(tf.square(grad), 1 - beta2));
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
          const theta = wd !== 0 ? tf.mul(s.variable, 1 - glr * wd) : s.variable;
          s.variable.assign(tf.sub(theta, tf.mul(tf.div(m, denom), glr / bc1)));
          mv.assign(m);
          vv.assign(v);
        });
      }
      return tf.keep(norm);
    });
  }

  /** A copy of the state for checkpoints. */
  getState(): OptimizerState {
    const groups: Record<string, GroupAdamState> = {};
    for (const [name, g] of this.groups) {
      if (!g.m || !g.v) continue;
      groups[name] = { step: g.step, m: concat(g.m, g.size), v: concat(g.v, g.size) };
    }
    return { groups };
  }

  /** Restores a state from {@link getState} or `JsAdamW.getState`; groups absent from it start fresh. */
  setState(state: OptimizerState): void {
    for (const name of Object.keys(state.groups)) this.group(name, 'AdamW.setState.groups');
    for (const [name, g] of this.groups) {
      const s = state.groups[name];
      g.m?.forEach((t) => t.dispose());
      g.v?.forEach((t) => t.dispose());
      g.m = g.v = null;
      g.step = 0;
      if (s === undefined) continue;
      checkGroupState(s, g.size, `AdamW.setState.groups.${name}`);
      g.step = s.step;
      let off = 0;
      g.m = [];
      g.v = [];
      for (const slot of g.slots) {
        const shape = slot.variable.shape;
        // In tidy: the variable copies the initial tensor, which must not outlive it.
        g.m.push(tf.tidy(() => tf.variable(tf.tensor(s.m.subarray(off, off + slot.size), shape), false)));
        g.v.push(tf.tidy(() => tf.variable(tf.tensor(s.v.subarray(off, off + slot.size), shape), false)));
        off += slot.size;
      }
    }
  }

  /** Frees the moment variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.groups.values()) {
      g.m?.forEach((t) => t.dispose());
      g.v?.forEach((t) => t.dispose());
      g.m = g.v = null;
    }
  }

  private group(name: string, where = 'AdamW.group'): Group {
    const g = this.groups.get(name);
    if (!g) throw new InvalidArgument(formatError(where, `a parameter group (${[...this.groups.keys()].join(', ')})`, describeValue(name), 'Fix the group name'));
    return g;
  }
}

function concat(parts: readonly tf.Variable[], size: number): Float32Array {
  const out = new Float32Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p.dataSync() as Float32Array, off);
    off += p.size;
  }
  return out;
}
