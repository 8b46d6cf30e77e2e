import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';

/** JSON form of any space (sent in the bridge handshake, stored in checkpoints). */
export type SpaceJSON =
  | { type: 'Box'; low: Array<number | string>; high: Array<number | string>; shape: number[]; dtype: BoxDtype }
  | { type: 'Discrete'; n: number; start: number }
  | { type: 'MultiDiscrete'; nvec: number[]; start: number[] }
  | { type: 'MultiBinary'; shape: number[] }
  | { type: 'Dict'; spaces: Record<string, SpaceJSON> }
  | { type: 'Tuple'; spaces: SpaceJSON[] }
  | { type: 'Text'; maxLength: number; minLength: number; charset: string };

/** Element types a `Box` can hold (Gymnasium's numpy dtypes we support). */
export type BoxDtype = 'float32' | 'float64' | 'int32' | 'uint8';

/**
 * A set of valid values (Gymnasium's `Space`): validates, samples, flattens
 * to a vector and round-trips through JSON.
 *
 * Invariants: `sample(rng)` always returns a value for which `contains` is
 * true; `unflatten(flatten(x))` equals `x`; `flatten(x).length === flatDim`.
 */
export abstract class Space<T = unknown> {
  /** Discriminator, equal to the JSON `type`. */
  abstract readonly kind: SpaceJSON['type'];
  /** Shape of one value (`[]` for a scalar `Discrete`; `[]` for Dict/Tuple). */
  abstract readonly shape: readonly number[];

  /** A random value drawn with `rng` (uniform where bounded, as Gymnasium). */
  abstract sample(rng: Rng): T;

  /** Why `x` is not in the space, or `null` when it is. Used to build error messages. */
  abstract explain(x: unknown): string | null;

  /** True when `x` is a valid value of this space. */
  contains(x: unknown): x is T {
    return this.explain(x) === null;
  }

  /** Length of the flat vector form. */
  abstract get flatDim(): number;

  /** Writes the flat form of `x` into `out` at `offset` (no allocation). One-hot for discrete parts. */
  abstract flattenInto(x: T, out: Float32Array | Float64Array, offset: number): void;

  /** Flat `Float32Array [flatDim]` form of `x`. */
  flatten(x: T): Float32Array {
    const out = new Float32Array(this.flatDim);
    this.flattenInto(x, out, 0);
    return out;
  }

  /** Inverse of flatten, reading `flatDim` numbers from `flat` at `offset`. */
  abstract unflatten(flat: ArrayLike<number>, offset?: number): T;

  /** JSON form; rebuild with `spaceFromJSON`. */
  abstract toJSON(): SpaceJSON;

  /** Gymnasium-style description, e.g. `Discrete(2)` or `Box(-1.0, 1.0, (2,), float32)`. */
  abstract toString(): string;

  /** Structural equality (same kind, bounds, shape, dtype). */
  equals(other: Space<unknown>): boolean {
    return JSON.stringify(this.toJSON()) === JSON.stringify(other.toJSON());
  }
}

/** Renders a shape like numpy: `(2,)`, `(3, 4)`, `()`. */
export function shapeString(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Python-like float rendering (`1.0`, `-inf`). */
export function pyNumber(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isNaN(x)) return 'nan';
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** Validates a shape (array of non-negative integers) and returns a copy. */
export function checkShape(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InvalidSpace(
      formatError(where, 'a shape: an array of non-negative integers such as [3] or [2, 4]', describeValue(shape), 'Pass shape as an integer array'),
    );
  }
  return shape.slice();
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True for a JS array or a numeric typed array. */
export function isArrayLikeNumeric(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array));
}

type FromJSON = (json: SpaceJSON) => Space<unknown>;
let fromJSONImpl: FromJSON | null = null;
/** @internal Composite spaces decode children through this (set by from-json.ts, avoids an import cycle). */
export function setSpaceDecoder(fn: FromJSON): void {
  fromJSONImpl = fn;
}
/** @internal */
export function decodeChild(json: SpaceJSON): Space<unknown> {
  if (!fromJSONImpl) throw new Error('spaceFromJSON not initialised');
  return fromJSONImpl(json);
}
