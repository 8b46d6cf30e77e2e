import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON, checkShape, product, shapeString, isArrayLikeNumeric } from './space.js';

/** Binary vectors of a fixed shape, entries 0 or 1 (Gymnasium's `MultiBinary`). Values are `Int8Array`. */
export class MultiBinary extends Space<Int8Array> {
  readonly kind = 'MultiBinary' as const;
  readonly shape: readonly number[];
  private readonly size: number;

  constructor(n: number | readonly number[]) {
    super();
    if (typeof n === 'number') {
      if (!Number.isInteger(n) || n <= 0) {
        throw new InvalidSpace(formatError('MultiBinary.n', 'a positive integer or a shape', describeValue(n), 'Pass e.g. new MultiBinary(4)'));
      }
      this.shape = Object.freeze([n]);
    } else {
      this.shape = Object.freeze(checkShape('MultiBinary.n', n as unknown));
    }
    this.size = product(this.shape);
  }

  get flatDim(): number {
    return this.size;
  }

  sample(rng: Rng): Int8Array {
    const out = new Int8Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = rng.nextUint32() & 1;
    return out;
  }

  explain(x: unknown): string | null {
    if (!isArrayLikeNumeric(x)) return `${describeValue(x)} is not a numeric array`;
    if (x.length !== this.size) return `length ${x.length} does not match shape ${shapeString(this.shape)}`;
    for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) return `element ${i} = ${describeValue(x[i])} is not 0 or 1`;
    return null;
  }

  flattenInto(x: Int8Array, out: Float32Array | Float64Array, offset: number): void {
    for (let i = 0; i < this.size; i++) out[offset + i] = x[i];
  }

  unflatten(flat: ArrayLike<number>, offset = 0): Int8Array {
    const out = new Int8Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = flat[offset + i] > 0.5 ? 1 : 0;
    return out;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiBinary', shape: this.shape.slice() };
  }

  toString(): string {
    return this.shape.length === 1 ? `MultiBinary(${this.shape[0]})` : `MultiBinary(${shapeString(this.shape)})`;
  }
}
