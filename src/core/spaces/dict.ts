import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON, decodeChild } from './space.js';

/**
 * A dictionary of named sub-spaces (Gymnasium's `Dict`). Keys are sorted,
 * as Gymnasium sorts the keys of a plain dict, so flattening order is the
 * same as Gymnasium's.
 */
export class Dict<T extends Record<string, unknown> = Record<string, unknown>> extends Space<T> {
  readonly kind = 'Dict' as const;
  readonly shape: readonly number[] = Object.freeze([]);
  readonly spaces: Readonly<Record<string, Space<unknown>>>;
  readonly keys: readonly string[];

  constructor(spaces: Record<string, Space<unknown>>) {
    super();
    if (spaces === null || typeof spaces !== 'object' || Array.isArray(spaces)) {
      throw new InvalidSpace(formatError('Dict.spaces', 'an object of spaces', describeValue(spaces), 'Pass e.g. new Dict({ pos: new Box(-1, 1, [3]) })'));
    }
    for (const [k, s] of Object.entries(spaces)) {
      if (!(s instanceof Space)) {
        throw new InvalidSpace(formatError(`Dict.spaces.${k}`, 'a Space', describeValue(s), 'Every value must be a Space instance'));
      }
    }
    this.keys = Object.freeze(Object.keys(spaces).sort());
    const sorted: Record<string, Space<unknown>> = {};
    for (const k of this.keys) sorted[k] = spaces[k];
    this.spaces = Object.freeze(sorted);
  }

  get flatDim(): number {
    let n = 0;
    for (const k of this.keys) n += this.spaces[k].flatDim;
    return n;
  }

  sample(rng: Rng): T {
    const out: Record<string, unknown> = {};
    for (const k of this.keys) out[k] = this.spaces[k].sample(rng);
    return out as T;
  }

  explain(x: unknown): string | null {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return `${describeValue(x)} is not an object`;
    const obj = x as Record<string, unknown>;
    const extra = Object.keys(obj).filter((k) => !(k in this.spaces));
    if (extra.length > 0) return `unexpected key(s) ${extra.join(', ')}`;
    for (const k of this.keys) {
      if (!(k in obj)) return `missing key ${k}`;
      const why = this.spaces[k].explain(obj[k]);
      if (why !== null) return `key ${k}: ${why}`;
    }
    return null;
  }

  flattenInto(x: T, out: Float32Array | Float64Array, offset: number): void {
    let o = offset;
    for (const k of this.keys) {
      this.spaces[k].flattenInto(x[k], out, o);
      o += this.spaces[k].flatDim;
    }
  }

  unflatten(flat: ArrayLike<number>, offset = 0): T {
    const out: Record<string, unknown> = {};
    let o = offset;
    for (const k of this.keys) {
      out[k] = this.spaces[k].unflatten(flat, o);
      o += this.spaces[k].flatDim;
    }
    return out as T;
  }

  toJSON(): SpaceJSON {
    const spaces: Record<string, SpaceJSON> = {};
    for (const k of this.keys) spaces[k] = this.spaces[k].toJSON();
    return { type: 'Dict', spaces };
  }

  toString(): string {
    return `Dict(${this.keys.map((k) => `'${k}': ${this.spaces[k].toString()}`).join(', ')})`;
  }

  static fromJSON(json: Extract<SpaceJSON, { type: 'Dict' }>): Dict {
    const spaces: Record<string, Space<unknown>> = {};
    for (const [k, v] of Object.entries(json.spaces)) spaces[k] = decodeChild(v);
    return new Dict(spaces);
  }
}
