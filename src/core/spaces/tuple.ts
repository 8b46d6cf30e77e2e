import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON, decodeChild } from './space.js';

/** A fixed-length sequence of sub-spaces (Gymnasium's `Tuple`). Values are JS arrays. */
export class Tuple<T extends unknown[] = unknown[]> extends Space<T> {
  readonly kind = 'Tuple' as const;
  readonly shape: readonly number[] = Object.freeze([]);
  readonly spaces: readonly Space<unknown>[];

  constructor(spaces: readonly Space<unknown>[]) {
    super();
    if (!Array.isArray(spaces) || !spaces.every((s) => s instanceof Space)) {
      throw new InvalidSpace(formatError('Tuple.spaces', 'an array of Space instances', describeValue(spaces), 'Pass e.g. new Tuple([new Discrete(2), new Box(-1, 1, [2])])'));
    }
    this.spaces = Object.freeze(spaces.slice());
  }

  get flatDim(): number {
    return this.spaces.reduce((n, s) => n + s.flatDim, 0);
  }

  sample(rng: Rng): T {
    return this.spaces.map((s) => s.sample(rng)) as T;
  }

  explain(x: unknown): string | null {
    if (!Array.isArray(x)) return `${describeValue(x)} is not an array`;
    if (x.length !== this.spaces.length) return `length ${x.length} does not match ${this.spaces.length} sub-spaces`;
    for (let i = 0; i < x.length; i++) {
      const why = this.spaces[i].explain(x[i]);
      if (why !== null) return `entry ${i}: ${why}`;
    }
    return null;
  }

  flattenInto(x: T, out: Float32Array | Float64Array, offset: number): void {
    let o = offset;
    for (let i = 0; i < this.spaces.length; i++) {
      this.spaces[i].flattenInto(x[i], out, o);
      o += this.spaces[i].flatDim;
    }
  }

  unflatten(flat: ArrayLike<number>, offset = 0): T {
    let o = offset;
    return this.spaces.map((s) => {
      const v = s.unflatten(flat, o);
      o += s.flatDim;
      return v;
    }) as T;
  }

  toJSON(): SpaceJSON {
    return { type: 'Tuple', spaces: this.spaces.map((s) => s.toJSON()) };
  }

  toString(): string {
    return `Tuple(${this.spaces.map((s) => s.toString()).join(', ')})`;
  }

  static fromJSON(json: Extract<SpaceJSON, { type: 'Tuple' }>): Tuple {
    return new Tuple(json.spaces.map(decodeChild));
  }
}
