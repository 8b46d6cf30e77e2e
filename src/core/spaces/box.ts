import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type BoxDtype, type SpaceJSON, checkShape, product, pyNumber, shapeString, isArrayLikeNumeric } from './space.js';

/** The typed array a `Box` value is stored in, by dtype. */
export type BoxArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const DTYPES: readonly BoxDtype[] = ['float32', 'float64', 'int32', 'uint8'];
const INT_LIMITS: Record<'int32' | 'uint8', [number, number]> = { int32: [-2147483648, 2147483647], uint8: [0, 255] };

function allocate(dtype: BoxDtype, n: number): BoxArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
      return new Uint8Array(n);
  }
}

/**
 * A (possibly unbounded) box in R^n (Gymnasium's `Box`). Values are typed
 * arrays of `dtype`, stored row-major with `shape`.
 *
 * `low`/`high` may be scalars (broadcast to `shape`) or arrays of equal
 * shape; bounds are cast to `dtype` like numpy does. `contains` accepts any
 * numeric array of the right length whose entries lie in the bounds (integral
 * for integer dtypes); NaN is never contained.
 *
 * `T` is the array type of `dtype`, for typed envs:
 * `new Box<Float32Array>(-1, 1, [2])` (the default `BoxArray` is any of them).
 */
export class Box<T extends BoxArray = BoxArray> extends Space<T> {
  readonly kind = 'Box' as const;
  readonly shape: readonly number[];
  readonly dtype: BoxDtype;
  /** Lower bounds, `Float64Array [prod(shape)]` (already cast to dtype precision). */
  readonly low: Float64Array;
  /** Upper bounds, `Float64Array [prod(shape)]`. */
  readonly high: Float64Array;
  private readonly size: number;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
    dtype: BoxDtype = 'float32',
  ) {
    super();
    if (!DTYPES.includes(dtype)) {
      throw new InvalidSpace(formatError('Box.dtype', `one of ${DTYPES.join(', ')}`, describeValue(dtype), "Use 'float32' for continuous values"));
    }
    const lowShape = typeof low === 'number' ? null : [low.length];
    const highShape = typeof high === 'number' ? null : [high.length];
    if (typeof low !== 'number' && !isArrayLikeNumeric(low)) {
      throw new InvalidSpace(formatError('Box.low', 'a number or numeric array', describeValue(low), 'Pass bounds as numbers'));
    }
    if (typeof high !== 'number' && !isArrayLikeNumeric(high)) {
      throw new InvalidSpace(formatError('Box.high', 'a number or numeric array', describeValue(high), 'Pass bounds as numbers'));
    }
    let resolved: number[];
    if (shape !== undefined) {
      resolved = checkShape('Box.shape', shape as unknown);
      const n = product(resolved);
      for (const [name, s] of [['low', lowShape], ['high', highShape]] as const) {
        if (s && s[0] !== n) {
          throw new InvalidSpace(
            formatError(`Box.${name}`, `shape ${shapeString(resolved)} to match \`shape\``, `shape ${shapeString(s)}`, `Pass a scalar or an array of ${n} values`),
          );
        }
      }
    } else if (lowShape && highShape) {
      if (lowShape[0] !== highShape[0]) {
        throw new InvalidSpace(
          formatError('Box', 'low and high of the same shape', `low shape ${shapeString(lowShape)} and high shape ${shapeString(highShape)}`, 'Pass arrays of equal length, or scalars with `shape`'),
        );
      }
      resolved = lowShape;
    } else if (lowShape || highShape) {
      resolved = (lowShape ?? highShape) as number[];
    } else {
      throw new InvalidSpace(
        formatError('Box.shape', 'a shape when low and high are both scalars', 'undefined', 'Pass shape, e.g. new Box(-1, 1, [3])'),
      );
    }
    this.shape = Object.freeze(resolved);
    this.dtype = dtype;
    this.size = product(resolved);
    this.low = new Float64Array(this.size);
    this.high = new Float64Array(this.size);
    const isInt = dtype === 'int32' || dtype === 'uint8';
    for (let i = 0; i < this.size; i++) {
      const lo = typeof low === 'number' ? low : low[i];
      const hi = typeof high === 'number' ? high : high[i];
      if (Number.isNaN(lo) || Number.isNaN(hi) || typeof lo !== 'number' || typeof hi !== 'number') {
        throw new InvalidSpace(formatError('Box', 'numeric bounds without NaN', `low[${i}]=${describeValue(lo)}, high[${i}]=${describeValue(hi)}`, 'Use -Infinity/Infinity for unbounded dimensions'));
      }
      let l = dtype === 'float32' ? Math.fround(lo) : lo;
      let h = dtype === 'float32' ? Math.fround(hi) : hi;
      if (isInt) {
        const [minV, maxV] = INT_LIMITS[dtype as 'int32' | 'uint8'];
        l = Number.isFinite(l) ? Math.max(Math.ceil(l), minV) : minV;
        h = Number.isFinite(h) ? Math.min(Math.floor(h), maxV) : maxV;
      }
      if (l > h) {
        throw new InvalidSpace(formatError('Box', `low <= high in every dimension`, `low[${i}]=${pyNumber(lo)} > high[${i}]=${pyNumber(hi)}`, 'Swap the bounds or fix the dimension'));
      }
      this.low[i] = l;
      this.high[i] = h;
    }
  }

  get flatDim(): number {
    return this.size;
  }

  /** True when every dimension has finite bounds on the given side(s). */
  isBounded(manner: 'both' | 'below' | 'above' = 'both'): boolean {
    for (let i = 0; i < this.size; i++) {
      const below = Number.isFinite(this.low[i]);
      const above = Number.isFinite(this.high[i]);
      if ((manner === 'both' && !(below && above)) || (manner === 'below' && !below) || (manner === 'above' && !above)) return false;
    }
    return true;
  }

  /**
   * Gymnasium's sampling: uniform on bounded dimensions, standard normal on
   * unbounded ones, shifted exponential on half-bounded ones; integer dtypes
   * draw floor(uniform(low, high + 1)).
   */
  sample(rng: Rng): T {
    const out = allocate(this.dtype, this.size) as T;
    const isInt = this.dtype === 'int32' || this.dtype === 'uint8';
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const below = Number.isFinite(lo);
      const above = Number.isFinite(hi);
      let v: number;
      if (isInt) v = Math.min(Math.floor(rng.uniform(lo, hi + 1)), hi);
      else if (below && above) v = rng.uniform(lo, hi);
      else if (!below && !above) v = rng.normal();
      else if (below) v = lo - Math.log(1 - rng.random());
      else v = hi + Math.log(1 - rng.random());
      out[i] = v;
      // float32 rounding may push a value onto/over the open upper bound; clamp to the closed box.
      if (out[i] > hi) out[i] = hi;
      if (out[i] < lo) out[i] = lo;
    }
    return out;
  }

  explain(x: unknown): string | null {
    if (!isArrayLikeNumeric(x)) return `${describeValue(x)} is not a numeric array`;
    if (x.length !== this.size) return `length ${x.length} does not match shape ${shapeString(this.shape)} (${this.size} values)`;
    const isInt = this.dtype === 'int32' || this.dtype === 'uint8';
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      if (typeof v !== 'number' || Number.isNaN(v)) return `element ${i} is ${describeValue(v)}`;
      if (isInt && !Number.isInteger(v)) return `element ${i} = ${v} is not an integer (dtype ${this.dtype})`;
      if (v < this.low[i] || v > this.high[i]) return `element ${i} = ${v} is outside [${pyNumber(this.low[i])}, ${pyNumber(this.high[i])}]`;
    }
    return null;
  }

  flattenInto(x: T, out: Float32Array | Float64Array, offset: number): void {
    for (let i = 0; i < this.size; i++) out[offset + i] = x[i];
  }

  unflatten(flat: ArrayLike<number>, offset = 0): T {
    const out = allocate(this.dtype, this.size) as T;
    for (let i = 0; i < this.size; i++) out[i] = flat[offset + i];
    return out;
  }

  /** Clips `x` into the box, writing into `out` (defaults to a new array of this dtype). */
  clip(x: ArrayLike<number>, out: T = allocate(this.dtype, this.size) as T): T {
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      out[i] = v < this.low[i] ? this.low[i] : v > this.high[i] ? this.high[i] : v;
    }
    return out;
  }

  toJSON(): SpaceJSON {
    const enc = (v: number): number | string => (Number.isFinite(v) ? v : v > 0 ? 'inf' : '-inf');
    return { type: 'Box', low: Array.from(this.low, enc), high: Array.from(this.high, enc), shape: this.shape.slice(), dtype: this.dtype };
  }

  toString(): string {
    const uniform = (a: Float64Array): boolean => a.every((v) => v === a[0]);
    // float32 bounds print as their shortest float32 repr, like numpy (4.8, not 4.800000190734863).
    const num = (v: number): string => pyNumber(this.dtype === 'float32' ? shortestFloat32(v) : v);
    const fmt = (a: Float64Array): string => (uniform(a) && a.length > 0 ? num(a[0]) : `[${Array.from(a, num).join(' ')}]`);
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, ${shapeString(this.shape)}, ${this.dtype})`;
  }

  /** Rebuilds from {@link toJSON}'s form. */
  static fromJSON(json: Extract<SpaceJSON, { type: 'Box' }>): Box {
    const dec = (v: number | string): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
    return new Box(json.low.map(dec), json.high.map(dec), json.shape, json.dtype);
  }
}

/** The shortest decimal that rounds to the same float32 as `v` (numpy's float32 repr). */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  for (let p = 1; p < 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === v) return c;
  }
  return v;
}
