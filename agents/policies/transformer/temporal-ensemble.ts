import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';

/** One sub-env's recent chunk predictions: a ring of the last `chunk` actor rows, oldest first from `start`. */
interface History {
  rows: Float64Array;
  length: number;
  start: number;
}

/**
 * Temporal ensembling of action chunks (ACT, Zhao et al. 2023,
 * arXiv:2304.13705, section 3.3): at each step a chunking policy predicts
 * the actions of the next `chunk` steps; the step's action is the weighted
 * average of every prediction made for it so far — by this step's token
 * (its chunk position 0) and by the `chunk - 1` tokens before it in the
 * episode (positions 1, 2, ...) — with weights `exp(-m i)`, i = 0 for the
 * oldest prediction, normalized. ACT's m = 0.01 weights them almost
 * equally; a larger m leans on the older predictions (smoother actions,
 * slower to react to a new observation); m = 0 is the plain mean.
 *
 * Works on actor-output rows (`stepOut` numbers per predicted step: the
 * Gaussian mean, or logits), one history per sub-env, no allocation per step.
 */
export class TemporalEnsemble {
  readonly chunk: number;
  readonly stepOut: number;
  readonly coef: number;
  private readonly histories: History[] = [];
  /** `exp(-m i)` for i = 0 .. chunk - 1. */
  readonly weights: Float64Array;

  constructor(chunk: number, stepOut: number, coef: number) {
    if (!(Number.isInteger(chunk) && chunk >= 1)) throw new InvalidArgument(formatError('TemporalEnsemble.chunk', 'a positive integer', describeValue(chunk), 'Pass the policy spec\'s chunk'));
    if (!(Number.isFinite(coef) && coef >= 0)) throw new InvalidArgument(formatError('TemporalEnsemble.coef', 'a finite number >= 0', describeValue(coef), 'Use ACT\'s 0.01, or 0 for a plain average'));
    this.chunk = chunk;
    this.stepOut = stepOut;
    this.coef = coef;
    this.weights = Float64Array.from({ length: chunk }, (_, i) => Math.exp(-coef * i));
  }

  /**
   * The normalized weight of each prediction when `available` (1 ..
   * `chunk`) tokens of the episode cover the step, by age (index 0: the
   * step's own token, position 0 of its chunk): `exp(-m (available - 1 - age))
   * / sum`, the weights {@link step} applies. For a batched (tensor) form of the ensemble.
   */
  ageWeights(available: number): Float64Array {
    let total = 0;
    for (let n = 0; n < available; n++) total += this.weights[n];
    return Float64Array.from({ length: available }, (_, age) => this.weights[available - 1 - age] / total);
  }

  /** Sub-env `i` starts an episode: its earlier predictions no longer apply. */
  reset(i: number): void {
    const h = this.histories[i];
    if (h) h.length = h.start = 0;
  }

  /**
   * Adds sub-env `i`'s new prediction `row[offset ... + chunk x stepOut]`
   * and writes the ensembled output for the current step to `out[outOffset ... + stepOut]`.
   */
  step(i: number, row: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    const h = this.history(i);
    const { chunk, stepOut } = this;
    const size = chunk * stepOut;
    const slot = (h.start + h.length) % chunk;
    h.rows.set(row.subarray(offset, offset + size), slot * size);
    if (h.length < chunk) h.length += 1;
    else h.start = (h.start + 1) % chunk;
    for (let j = 0; j < stepOut; j++) out[outOffset + j] = 0;
    let total = 0;
    // Oldest first: the prediction made `age` steps ago covers this step at its chunk position `age`.
    for (let n = 0; n < h.length; n++) {
      const age = h.length - 1 - n;
      const w = this.weights[n];
      total += w;
      const base = ((h.start + n) % chunk) * size + age * stepOut;
      for (let j = 0; j < stepOut; j++) out[outOffset + j] += w * h.rows[base + j];
    }
    for (let j = 0; j < stepOut; j++) out[outOffset + j] /= total;
  }

  private history(i: number): History {
    while (this.histories.length <= i) this.histories.push({ rows: new Float64Array(this.chunk * this.chunk * this.stepOut), length: 0, start: 0 });
    return this.histories[i];
  }
}
