import { InvalidArgument, formatError, describeValue } from './errors.js';

/** JSON-serializable state of a {@link RunningMeanStd} (checkpoints store it). */
export interface RunningMeanStdState {
  /** Per-element mean, length `prod(shape)`. */
  mean: number[];
  /** Per-element (population) variance, length `prod(shape)`. */
  var: number[];
  /** Number of samples seen, plus the initial `epsilon` pseudo-count. */
  count: number;
}

/**
 * Running mean and variance of a stream of arrays (Gymnasium's / SB3's
 * `RunningMeanStd`), merged batch by batch with the parallel-variance
 * formula of Chan, Golub & LeVeque (1979):
 * https://en.wikipedia.org/wiki/Algorithms_for_calculating_variance#Parallel_algorithm
 *
 * Statistics are float64 `[prod(shape)]`. Starts at mean 0, var 1 and count
 * `epsilon` (1e-4), like Gymnasium, so the first normalizations are sane.
 * `update` allocates nothing (scratch buffers are kept), so it can sit in a
 * rollout loop; `getState`/`setState` save and restore it (e.g. with a PPO
 * checkpoint, so evaluation normalizes exactly as training did).
 */
export class RunningMeanStd {
  readonly shape: readonly number[];
  /** Number of elements per sample (`prod(shape)`). */
  readonly size: number;
  /** `Float64Array [size]`. */
  readonly mean: Float64Array;
  /** `Float64Array [size]` (population variance). */
  readonly var: Float64Array;
  count: number;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  /**
   * @param shape shape of one sample (`[]` for scalars such as returns).
   * @param epsilon initial pseudo-count (Gymnasium's default 1e-4).
   */
  constructor(shape: readonly number[] = [], epsilon = 1e-4) {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InvalidArgument(formatError('RunningMeanStd.shape', 'an array of non-negative integers', describeValue(shape), 'Pass e.g. [4] or [] for scalars'));
    }
    if (typeof epsilon !== 'number' || !(epsilon > 0)) {
      throw new InvalidArgument(formatError('RunningMeanStd.epsilon', 'a positive number', describeValue(epsilon), 'Omit it for 1e-4'));
    }
    this.shape = Object.freeze(shape.slice());
    this.size = shape.reduce((a, b) => a * b, 1);
    this.mean = new Float64Array(this.size);
    this.var = new Float64Array(this.size).fill(1);
    this.count = epsilon;
    this.batchMean = new Float64Array(this.size);
    this.batchVar = new Float64Array(this.size);
  }

  /**
   * Merges a batch of samples: `batch` holds `batchSize` samples row-major,
   * `[batchSize x size]` (a single sample when `batchSize` is 1).
   */
  update(batch: ArrayLike<number>, batchSize = 1): void {
    const n = this.size;
    if (!Number.isInteger(batchSize) || batchSize <= 0 || batch?.length !== batchSize * n) {
      throw new InvalidArgument(
        formatError(
          'RunningMeanStd.update',
          `${batchSize} sample(s) of ${n} values = ${batchSize * n} numbers`,
          `${describeValue(batch)} with batchSize ${describeValue(batchSize)}`,
          'Pass a [batchSize x prod(shape)] array and its batchSize',
        ),
      );
    }
    const bm = this.batchMean;
    const bv = this.batchVar;
    bm.fill(0);
    bv.fill(0);
    for (let b = 0; b < batchSize; b++) for (let i = 0; i < n; i++) bm[i] += batch[b * n + i];
    for (let i = 0; i < n; i++) bm[i] /= batchSize;
    for (let b = 0; b < batchSize; b++) {
      for (let i = 0; i < n; i++) {
        const d = batch[b * n + i] - bm[i];
        bv[i] += d * d;
      }
    }
    for (let i = 0; i < n; i++) bv[i] /= batchSize;
    this.updateFromMoments(bm, bv, batchSize);
  }

  /** Merges a batch given by its per-element mean, (population) variance and count. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const totCount = this.count + batchCount;
    for (let i = 0; i < this.size; i++) {
      const delta = batchMean[i] - this.mean[i];
      const mA = this.var[i] * this.count;
      const mB = batchVar[i] * batchCount;
      const m2 = mA + mB + ((delta * delta * this.count * batchCount) / totCount);
      this.mean[i] = this.mean[i] + (delta * batchCount) / totCount;
      this.var[i] = m2 / totCount;
    }
    this.count = totCount;
  }

  /**
   * Writes `clip((x - mean) / sqrt(var + epsilon), -clipAbs, clipAbs)` into
   * `out` (a new `Float32Array [size]` when omitted) and returns it.
   */
  normalize<T extends Float32Array | Float64Array = Float32Array>(x: ArrayLike<number>, out?: T, epsilon = 1e-8, clipAbs = Infinity): T {
    const o = (out ?? new Float32Array(this.size)) as T;
    for (let i = 0; i < this.size; i++) {
      const v = (x[i] - this.mean[i]) / Math.sqrt(this.var[i] + epsilon);
      o[i] = v < -clipAbs ? -clipAbs : v > clipAbs ? clipAbs : v;
    }
    return o;
  }

  /** A JSON-serializable snapshot. */
  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** Restores a snapshot from {@link getState}; shapes must match. */
  setState(state: RunningMeanStdState): void {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      Array.isArray(state.mean) &&
      Array.isArray(state.var) &&
      state.mean.length === this.size &&
      state.var.length === this.size &&
      state.mean.every(Number.isFinite) &&
      state.var.every((v) => Number.isFinite(v) && v >= 0) &&
      typeof state.count === 'number' &&
      state.count > 0;
    if (!ok) {
      throw new InvalidArgument(
        formatError(
          'RunningMeanStd.setState',
          `{ mean: ${this.size} finite numbers, var: ${this.size} numbers >= 0, count > 0 }`,
          describeValue(state),
          'Pass a value from getState() of a RunningMeanStd with the same shape',
        ),
      );
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }

  /** A new instance with the given shape and state. */
  static fromState(state: RunningMeanStdState, shape: readonly number[] = [state?.mean?.length ?? 0]): RunningMeanStd {
    const rms = new RunningMeanStd(shape);
    rms.setState(state);
    return rms;
  }
}
