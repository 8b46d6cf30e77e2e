import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { AdamOptions, AdamState } from './flat-adam.js';

/**
 * Adam over a flat `Float32Array` of parameters in plain JS: the optimizer
 * of the explicit-gradient PPO path (agents/ppo/explicit-ppo-grad.ts), where
 * parameters and gradients already live in JS. Same update as
 * {@link FlatAdam} (PyTorch's order, bias corrections in float64 from the
 * step count, optional global grad-norm clipping `g *= min(1, maxNorm /
 * (||g|| + 1e-6))`) and the same serializable {@link AdamState}, so a
 * restored state continues bit for bit. For a few thousand parameters this
 * is microseconds, far below the ~10 tfjs kernels of the tensor version.
 */
export class JsAdam {
  readonly options: AdamOptions;
  readonly numParams: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private stepCount = 0;

  constructor(numParams: number, options: AdamOptions) {
    for (const [k, lo, hi] of [['beta1', 0, 1], ['beta2', 0, 1]] as const) {
      const x = options[k];
      if (!(x >= lo && x < hi)) throw new InvalidArgument(formatError(`JsAdam.${k}`, `a number in [${lo}, ${hi})`, describeValue(x), 'Use 0.9 / 0.999'));
    }
    if (!(options.eps > 0)) throw new InvalidArgument(formatError('JsAdam.eps', 'a positive number', describeValue(options.eps), 'Use 1e-5'));
    this.options = { ...options };
    this.numParams = numParams;
    this.m = new Float32Array(numParams);
    this.v = new Float32Array(numParams);
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * One in-place update of `theta` with gradient `grad` (both `[numParams]`; `grad` is left unchanged).
   * @param maxGradNorm clip the gradient's global L2 norm to this (Infinity: no clipping).
   * @returns the gradient's norm before clipping.
   */
  apply(theta: Float32Array, grad: Float32Array, lr: number, maxGradNorm: number): number {
    this.stepCount += 1;
    const { beta1, beta2, eps } = this.options;
    const bc1 = 1 - beta1 ** this.stepCount;
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.stepCount);
    const n = this.numParams;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += grad[i] * grad[i];
    const norm = Math.sqrt(ss);
    const scale = Number.isFinite(maxGradNorm) ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
    const step = lr / bc1;
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < n; i++) {
      const g = grad[i] * scale;
      const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
      theta[i] -= (mi / (Math.sqrt(vi) / sqrtBc2 + eps)) * step;
    }
    return norm;
  }

  /** A copy of the state for checkpoints. */
  getState(): AdamState {
    return { step: this.stepCount, m: this.m.slice(), v: this.v.slice() };
  }

  /** Restores a state from {@link getState} (or from {@link FlatAdam.getState}); shapes must match. */
  setState(state: AdamState): void {
    for (const k of ['m', 'v'] as const) {
      if (!(state[k] instanceof Float32Array) || state[k].length !== this.numParams) {
        throw new FileFormatError(formatError(`JsAdam.setState.${k}`, `Float32Array [${this.numParams}]`, describeValue(state[k]), 'Load optimizer state saved with the same network'));
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new FileFormatError(formatError('JsAdam.setState.step', 'a non-negative integer', describeValue(state.step), 'Load optimizer state written by lamkit'));
    }
    this.stepCount = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }

  /** Nothing to free (plain arrays); present for symmetry with {@link FlatAdam.dispose}. */
  dispose(): void {}
}
