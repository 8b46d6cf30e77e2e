import * as tf from '@tensorflow/tfjs';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

/** Hyperparameters of {@link FlatAdam} (PyTorch's `torch.optim.Adam` names). */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  /** Added to the denominator; CleanRL uses 1e-5 (PyTorch's default is 1e-8). */
  eps: number;
}

/** Serializable optimizer state (moments are `Float32Array [numParams]`). */
export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam (Kingma & Ba 2015, arXiv:1412.6980) over one flat parameter variable,
 * with PyTorch's update order: bias corrections are computed in float64 from
 * the step count, so a restored state continues bit for bit (tfjs's own
 * `AdamOptimizer` re-derives its accumulated beta powers on `setWeights`,
 * which is not bit-exact). The learning rate is passed per step (annealing).
 *
 * Optional global grad-norm clipping happens here too, in-graph (no sync):
 * `g *= min(1, maxNorm / (||g|| + 1e-6))`, as `clip_grad_norm_`.
 */
export class FlatAdam {
  readonly options: AdamOptions;
  private readonly m: tf.Variable<tf.Rank.R1>;
  private readonly v: tf.Variable<tf.Rank.R1>;
  private stepCount = 0;
  private disposed = false;
  readonly numParams: number;

  constructor(numParams: number, options: AdamOptions) {
    for (const [k, lo, hi] of [['beta1', 0, 1], ['beta2', 0, 1]] as const) {
      const x = options[k];
      if (!(x >= lo && x < hi)) throw new InvalidArgument(formatError(`FlatAdam.${k}`, `a number in [${lo}, ${hi})`, describeValue(x), 'Use 0.9 / 0.999'));
    }
    if (!(options.eps > 0)) throw new InvalidArgument(formatError('FlatAdam.eps', 'a positive number', describeValue(options.eps), 'Use 1e-5'));
    this.options = { ...options };
    this.numParams = numParams;
    this.m = tf.variable(tf.zeros([numParams]), false) as tf.Variable<tf.Rank.R1>;
    this.v = tf.variable(tf.zeros([numParams]), false) as tf.Variable<tf.Rank.R1>;
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * One update of `theta` with gradient `grad` (both `[numParams]`).
   * @param maxGradNorm clip the gradient's global L2 norm to this (Infinity: no clipping).
   * @returns the gradient's norm before clipping, as a scalar tensor the caller disposes.
   */
  apply(theta: tf.Variable<tf.Rank.R1>, grad: tf.Tensor1D, lr: number, maxGradNorm: number): tf.Scalar {
    this.stepCount += 1;
    const { beta1, beta2, eps } = this.options;
    const bc1 = 1 - beta1 ** this.stepCount;
    const bc2 = 1 - beta2 ** this.stepCount;
    return tf.tidy(() => {
      const norm = tf.norm(grad) as tf.Scalar;
      let g: tf.Tensor1D = grad;
      if (Number.isFinite(maxGradNorm)) g = tf.mul(g, tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))));
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1)) as tf.Tensor1D;
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), 1 - beta2)) as tf.Tensor1D;
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
      theta.assign(tf.sub(theta, tf.mul(tf.div(m, denom), lr / bc1)));
      this.m.assign(m);
      this.v.assign(v);
      return tf.keep(norm);
    });
  }

  /** A copy of the state for checkpoints. */
  getState(): AdamState {
    return { step: this.stepCount, m: this.m.dataSync().slice() as Float32Array, v: this.v.dataSync().slice() as Float32Array };
  }

  /** Restores a state from {@link getState}; shapes must match. */
  setState(state: AdamState): void {
    for (const k of ['m', 'v'] as const) {
      if (!(state[k] instanceof Float32Array) || state[k].length !== this.numParams) {
        throw new FileFormatError(formatError(`FlatAdam.setState.${k}`, `Float32Array [${this.numParams}]`, describeValue(state[k]), 'Load optimizer state saved with the same network'));
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new FileFormatError(formatError('FlatAdam.setState.step', 'a non-negative integer', describeValue(state.step), 'Load optimizer state written by lamkit'));
    }
    this.stepCount = state.step;
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(state.m));
      this.v.assign(tf.tensor1d(state.v));
    });
  }

  /** Frees the moment variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.m.dispose();
    this.v.dispose();
  }
}
