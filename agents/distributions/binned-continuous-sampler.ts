import type { Rng } from '../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { ActionSampler } from './action-distribution.js';
import { CategoricalSampler } from './categorical-sampler.js';

/** Bins of a {@link BinnedContinuousSampler}: `bins` per dimension, uniform over `[low, high]` (the Box bounds). */
export interface BinSpec {
  bins: number;
  low: readonly number[];
  high: readonly number[];
}

/**
 * Continuous actions as independent categoricals over bins (the
 * discretized action heads of RT-1, arXiv:2212.06817, and Gato): each of the
 * `dim` action dimensions is cut into `bins` equal bins over its Box bounds;
 * the actor's output row holds the logits of every dimension side by side,
 * `[dim x bins]`. Stored actions are continuous values (what the env gets);
 * a value is scored as the bin it falls in (values outside the bounds count
 * in the edge bins). Sampling draws a bin and returns its centre; the mode
 * is the centre of the most likely bin. No tfjs (browser policies use it).
 */
export class BinnedContinuousSampler implements ActionSampler {
  readonly actDim: number;
  readonly actInputDim: number;
  readonly bins: number;
  readonly low: Float64Array;
  readonly high: Float64Array;
  private readonly cat: CategoricalSampler;
  private readonly idx: Float32Array;

  constructor(spec: BinSpec) {
    const dim = spec.low.length;
    const bad = (what: string, expected: string, got: unknown): never => {
      throw new InvalidArgument(formatError(`BinnedContinuous.${what}`, expected, describeValue(got), 'Bin a bounded Box action space (finite low < high)'));
    };
    if (!Number.isInteger(spec.bins) || spec.bins < 2) bad('bins', 'an integer >= 2', spec.bins);
    if (dim === 0 || spec.high.length !== dim) bad('high', `${dim} bounds (as many as low)`, spec.high);
    for (let j = 0; j < dim; j++) {
      if (!(Number.isFinite(spec.low[j]) && Number.isFinite(spec.high[j]) && spec.low[j] < spec.high[j])) bad(`bounds[${j}]`, 'finite low < high', [spec.low[j], spec.high[j]]);
    }
    this.actDim = dim;
    this.bins = spec.bins;
    this.actInputDim = dim * spec.bins;
    this.low = Float64Array.from(spec.low);
    this.high = Float64Array.from(spec.high);
    this.cat = new CategoricalSampler(new Array<number>(dim).fill(spec.bins));
    this.idx = new Float32Array(dim);
  }

  /** The bin of value `a` in dimension `j` (edge bins take what lies outside the bounds). */
  binOf(a: number, j: number): number {
    const k = Math.floor(((a - this.low[j]) / (this.high[j] - this.low[j])) * this.bins);
    return k < 0 ? 0 : k >= this.bins ? this.bins - 1 : k;
  }

  /** The centre of bin `k` of dimension `j`. */
  centre(k: number, j: number): number {
    return this.low[j] + ((k + 0.5) * (this.high[j] - this.low[j])) / this.bins;
  }

  /** One-hot bin of each value: `out [batch x dim x bins]`. */
  encodeActions(actions: Float32Array, batch: number, out: Float32Array): void {
    const { actDim: d, bins } = this;
    out.fill(0, 0, batch * this.actInputDim);
    for (let b = 0; b < batch; b++) for (let j = 0; j < d; j++) out[(b * d + j) * bins + this.binOf(actions[b * d + j], j)] = 1;
  }

  sampleRow(actorOut: Float64Array, outOffset: number, _logStd: Float32Array | null, rng: Rng | null, deterministic: boolean, action: Float32Array, actOffset: number): number {
    const logProb = this.cat.sampleRow(actorOut, outOffset, null, rng, deterministic, this.idx, 0);
    for (let j = 0; j < this.actDim; j++) action[actOffset + j] = Math.fround(this.centre(this.idx[j], j));
    return logProb;
  }
}
