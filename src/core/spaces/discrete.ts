import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON } from './space.js';

/**
 * The integers `{start, ..., start + n - 1}` (Gymnasium's `Discrete`).
 * Values are plain JS numbers; the flat form is one-hot of length `n`.
 */
export class Discrete extends Space<number> {
  readonly kind = 'Discrete' as const;
  readonly shape: readonly number[] = Object.freeze([]);
  readonly n: number;
  readonly start: number;

  constructor(n: number, start = 0) {
    super();
    if (!Number.isInteger(n) || n <= 0) {
      throw new InvalidSpace(formatError('Discrete.n', 'a positive integer', describeValue(n), 'Pass the number of actions, e.g. new Discrete(2)'));
    }
    if (!Number.isSafeInteger(start)) {
      throw new InvalidSpace(formatError('Discrete.start', 'an integer', describeValue(start), 'Omit start for 0'));
    }
    this.n = n;
    this.start = start;
  }

  get flatDim(): number {
    return this.n;
  }

  sample(rng: Rng): number {
    return this.start + rng.integer(0, this.n);
  }

  explain(x: unknown): string | null {
    if (typeof x !== 'number' || !Number.isInteger(x)) return `${describeValue(x)} is not an integer`;
    if (x < this.start || x >= this.start + this.n) return `${x} is outside {${this.start}, ..., ${this.start + this.n - 1}}`;
    return null;
  }

  flattenInto(x: number, out: Float32Array | Float64Array, offset: number): void {
    out.fill(0, offset, offset + this.n);
    out[offset + x - this.start] = 1;
  }

  unflatten(flat: ArrayLike<number>, offset = 0): number {
    let best = 0;
    for (let i = 1; i < this.n; i++) if (flat[offset + i] > flat[offset + best]) best = i;
    return this.start + best;
  }

  toJSON(): SpaceJSON {
    return { type: 'Discrete', n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}
