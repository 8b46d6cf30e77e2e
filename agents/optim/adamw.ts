import * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { GroupVariable } from '../policies/actor-critic.js';
import { adamwCoefficients, adamwSpan } from './js-adamw.js';
import { type AdamWOptions, type GroupOptions, type GroupAdamState, type OptimizerState, checkAdamWOptions, checkGroupOptions, checkGroupState } from './adamw-options.js';

interface Slot {
  variable: tf.Variable;
  size: number;
  /** Offset of this variable inside its group's moment arrays. */
  local: number;
  /** The new values before upload (wasm only: its upload copies them). */
  scratch?: Float32Array;
}

interface Group {
  slots: Slot[];
  size: number;
  trainable: boolean;
  /** Moments flat over the group's variables in order, created the first time the group trains (frozen groups hold none). */
  state: GroupAdamState | null;
}

/**
 * AdamW (Loshchilov & Hutter 2019, arXiv:1711.05101) over tf variables in
 * named parameter groups: per-group learning-rate scale and weight decay,
 * frozen groups skipped (no moments, no change), PyTorch's update order with
 * float64 bias corrections from each group's own step count, so a restored
 * state continues bit for bit (tfjs's own `AdamOptimizer` re-derives its
 * beta powers on `setWeights`, which is not bit-exact). Optional global
 * grad-norm clipping over the trainable gradients:
 * `g *= min(1, maxNorm / (||g|| + 1e-6))`, as `clip_grad_norm_`.
 *
 * The update runs in plain JS over flat arrays (the same {@link adamwSpan}
 * as {@link JsAdamW}): each gradient and parameter is read in place
 * (on wasm, a view of its heap; elsewhere `dataSync`), the moments live in
 * JS, and each variable is assigned one new tensor. On wasm that is 0 kernels a step instead of ~10 per variable
 * (the transformer's ~60 variables took 583 kernels, 13-18 CPU-ms:
 * docs/benchmarks.md "Transformer speed"). The cost is one sync per step,
 * which every trainer already pays to read the loss.
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
        g = { slots: [], size: 0, trainable: on.has(group), state: null };
        this.groups.set(group, g);
      }
      g.slots.push({ variable, size: variable.size, local: g.size });
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
   * returns them; the caller still owns and disposes them). A trainable
   * variable the loss does not depend on has no gradient and is left as it
   * is, moments included (as PyTorch skips parameters whose grad is None).
   * @param lr the scheduled learning rate (each group uses `lr x lrScale`).
   * @returns the norm before clipping, as a scalar tensor the caller disposes.
   */
  apply(grads: tf.NamedTensorMap, lr: number, maxGradNorm: number): tf.Scalar {
    const active = [...this.groups.entries()].filter(([, g]) => g.trainable);
    // Read every gradient once; the norm sums in the same order as the update.
    const heap = wasmHeap();
    const read = active.map(([, g]) => g.slots.map((s) => readGrad(grads[s.variable.name], s, heap)));
    let ss = 0;
    let count = 0;
    for (const group of read) {
      for (const gr of group) {
        if (!gr) continue;
        count += 1;
        ss += sumSquares(gr);
      }
    }
    if (count === 0) {
      throw new InvalidArgument(formatError('AdamW.apply.grads', 'a gradient for at least one trainable variable', `none of ${Object.keys(grads).length} given`, 'Differentiate with respect to trainableVariables()'));
    }
    const norm = Math.sqrt(ss);
    const scale = Number.isFinite(maxGradNorm) ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
    active.forEach(([name, g], n) => {
      g.state ??= { step: 0, m: new Float32Array(g.size), v: new Float32Array(g.size) };
      g.state.step += 1;
      const c = adamwCoefficients(this.options, this.groupOptions[name], lr, g.state.step);
      g.slots.forEach((s, k) => {
        if (!read[n][k]) return;
        // Views again: the previous variable's upload may have grown (and so detached) the wasm heap.
        const grad = readGrad(grads[s.variable.name], s, heap) as Float32Array;
        const theta = heap ? heap.typedArrayFromHeap(s.variable) as Float32Array : (s.variable.dataSync() as Float32Array);
        // wasm copies a new tensor's values into its heap, so one scratch per variable serves every step; other backends may keep the array.
        const out = heap ? (s.scratch ??= new Float32Array(s.size)) : new Float32Array(s.size);
        adamwSpan(theta, out, grad, 0, g.state as GroupAdamState, s.local, s.size, scale, c);
        const t = tf.tensor(out, s.variable.shape, 'float32');
        s.variable.assign(t);
        t.dispose();
      });
    });
    return tf.scalar(norm);
  }

  /** A copy of the state for checkpoints. */
  getState(): OptimizerState {
    const groups: Record<string, GroupAdamState> = {};
    for (const [name, g] of this.groups) if (g.state) groups[name] = { step: g.state.step, m: g.state.m.slice(), v: g.state.v.slice() };
    return { groups };
  }

  /** Restores a state from {@link getState} or `JsAdamW.getState`; groups absent from it start fresh. */
  setState(state: OptimizerState): void {
    for (const name of Object.keys(state.groups)) this.group(name, 'AdamW.setState.groups');
    for (const [name, g] of this.groups) {
      const s = state.groups[name];
      g.state = null;
      if (s === undefined) continue;
      checkGroupState(s, g.size, `AdamW.setState.groups.${name}`);
      g.state = { step: s.step, m: s.m.slice(), v: s.v.slice() };
    }
  }

  /** Frees the moments. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.groups.values()) g.state = null;
  }

  private group(name: string, where = 'AdamW.group'): Group {
    const g = this.groups.get(name);
    if (!g) throw new InvalidArgument(formatError(where, `a parameter group (${[...this.groups.keys()].join(', ')})`, describeValue(name), 'Fix the group name'));
    return g;
  }
}

/** `sum(a[i]^2)` in float64 (a small function of its own, so V8 optimizes the hot loop at once). */
function sumSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** The wasm backend's zero-copy view of a tensor's data (a public method of its `BackendWasm`, used by custom kernels). */
interface WasmHeap {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The wasm backend when it is the active one (reads then cost no copy), else null (`dataSync`). */
function wasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmHeap>;
  return typeof b.typedArrayFromHeap === 'function' ? (b as WasmHeap) : null;
}

/**
 * A gradient's values, or null where the loss does not depend on the
 * variable. On wasm a view into its heap: valid only until the next
 * allocation there, so used at once and never kept.
 */
function readGrad(grad: tf.Tensor | undefined, slot: Slot, heap: WasmHeap | null): Float32Array | null {
  if (grad === undefined) return null;
  if (grad.size !== slot.size || grad.dtype !== 'float32') {
    throw new InvalidArgument(formatError(`AdamW.apply.grads.${slot.variable.name}`, `a float32 gradient of shape [${slot.variable.shape.join(', ')}]`, `${grad.dtype} [${grad.shape.join(', ')}]`, 'Pass the gradients tf.variableGrads returns for trainableVariables()'));
  }
  return (heap ? heap.typedArrayFromHeap(grad) : grad.dataSync()) as Float32Array;
}
