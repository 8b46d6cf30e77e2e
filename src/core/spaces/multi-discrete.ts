import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON, isArrayLikeNumeric } from './space.js';

/**
 * A vector of independent discrete choices, entry i in
 * `{start[i], ..., start[i] + nvec[i] - 1}` (Gymnasium's `MultiDiscrete`).
 * Values are `Int32Array [nvec.length]`; the flat form concatenates one-hots.
 */
export class MultiDiscrete extends Space<Int32Array> {
  readonly kind = 'MultiDiscrete' as const;
  readonly shape: readonly number[];
  readonly nvec: Int32Array;
  readonly start: Int32Array;
  private readonly dim: number;

  constructor(nvec: ArrayLike<number>, start?: ArrayLike<number>) {
    super();
    if (!isArrayLikeNumeric(nvec) || nvec.length === 0 || !Array.from(nvec).every((n) => Number.isInteger(n) && n > 0)) {
      throw new InvalidSpace(formatError('MultiDiscrete.nvec', 'a non-empty array of positive integers', describeValue(nvec), 'Pass the number of choices per entry, e.g. [3, 2]'));
    }
    if (start !== undefined && (!isArrayLikeNumeric(start) || start.length !== nvec.length || !Array.from(start).every(Number.isInteger))) {
      throw new InvalidSpace(formatError('MultiDiscrete.start', `an integer array of length ${nvec.length}`, describeValue(start), 'Omit start for zeros'));
    }
    this.nvec = Int32Array.from(nvec);
    this.start = start ? Int32Array.from(start) : new Int32Array(nvec.length);
    this.shape = Object.freeze([nvec.length]);
    this.dim = this.nvec.reduce((a, b) => a + b, 0);
  }

  get flatDim(): number {
    return this.dim;
  }

  sample(rng: Rng): Int32Array {
    const out = new Int32Array(this.nvec.length);
    for (let i = 0; i < out.length; i++) out[i] = this.start[i] + rng.integer(0, this.nvec[i]);
    return out;
  }

  explain(x: unknown): string | null {
    if (!isArrayLikeNumeric(x)) return `${describeValue(x)} is not an integer array`;
    if (x.length !== this.nvec.length) return `length ${x.length} does not match ${this.nvec.length} entries`;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isInteger(v)) return `element ${i} = ${describeValue(v)} is not an integer`;
      if (v < this.start[i] || v >= this.start[i] + this.nvec[i]) return `element ${i} = ${v} is outside {${this.start[i]}, ..., ${this.start[i] + this.nvec[i] - 1}}`;
    }
    return null;
  }

  flattenInto(x: Int32Array, out: Float32Array | Float64Array, offset: number): void {
    out.fill(0, offset, offset + this.dim);
    let o = offset;
    for (let i = 0; i < this.nvec.length; i++) {
      out[o + x[i] - this.start[i]] = 1;
      o += this.nvec[i];
    }
  }

  unflatten(flat: ArrayLike<number>, offset = 0): Int32Array {
    const out = new Int32Array(this.nvec.length);
    let o = offset;
    for (let i = 0; i < this.nvec.length; i++) {
      let best = 0;
      for (let j = 1; j < this.nvec[i]; j++) if (flat[o + j] > flat[o + best]) best = j;
      out[i] = this.start[i] + best;
      o += this.nvec[i];
    }
    return out;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiDiscrete', nvec: Array.from(this.nvec), start: Array.from(this.start) };
  }

  toString(): string {
    const s = this.start.some((v) => v !== 0) ? `, start=[${this.start.join(' ')}]` : '';
    return `MultiDiscrete([${this.nvec.join(' ')}]${s})`;
  }
}
