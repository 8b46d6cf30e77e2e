import type { Rng } from '../rng.js';
import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON } from './space.js';

/** Gymnasium's default `Text` charset: `string.digits + string.ascii_letters` (its `alphanumeric`). */
export const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A charset for natural-language instructions: lower and upper case letters,
 * digits, the space and common punctuation (`.,!?;:'"-()`).
 */
export const INSTRUCTION_CHARSET = ALPHANUMERIC + " .,!?;:'\"-()";

/** Options of {@link Text}. */
export interface TextOptions {
  /** Shortest valid string, in characters (Gymnasium's default 1). */
  minLength?: number;
  /** The characters a value may contain (default {@link ALPHANUMERIC}); each character once. */
  charset?: string;
}

/**
 * Strings of `minLength .. maxLength` characters drawn from `charset`
 * (Gymnasium's `spaces.Text`). The flat form is Gymnasium's too:
 * `maxLength` numbers, the charset index of each character, padded with
 * `charset.length` after the end, so a text observation travels through
 * the numeric layers (vector envs, datasets, the bridge) and comes back
 * with {@link unflatten}. The numbers are indices, not features:
 * normalizing them is wrong (see `textRanges`).
 *
 * ```ts
 * const s = new Text(64, { minLength: 1, charset: INSTRUCTION_CHARSET });
 * s.contains('jump!'); // true
 * ```
 */
export class Text extends Space<string> {
  readonly kind = 'Text' as const;
  readonly shape: readonly number[] = Object.freeze([]);
  readonly minLength: number;
  readonly maxLength: number;
  readonly charset: string;
  private readonly index: Map<string, number>;

  constructor(maxLength: number, options: TextOptions = {}) {
    super();
    const minLength = options.minLength ?? 1;
    const charset = options.charset ?? ALPHANUMERIC;
    if (!Number.isInteger(maxLength) || maxLength <= 0) {
      throw new InvalidSpace(formatError('Text.maxLength', 'a positive integer', describeValue(maxLength), 'Pass the longest string in characters, e.g. new Text(64)'));
    }
    if (!Number.isInteger(minLength) || minLength < 0 || minLength > maxLength) {
      throw new InvalidSpace(formatError('Text.minLength', `an integer in [0, maxLength = ${maxLength}]`, describeValue(minLength), 'Omit minLength for 1'));
    }
    const chars = typeof charset === 'string' ? [...charset] : null;
    if (chars === null || chars.length === 0 || new Set(chars).size !== chars.length) {
      throw new InvalidSpace(formatError('Text.charset', 'a non-empty string of distinct characters', describeValue(charset), 'Pass e.g. INSTRUCTION_CHARSET'));
    }
    this.maxLength = maxLength;
    this.minLength = minLength;
    this.charset = charset;
    this.index = new Map(chars.map((c, i) => [c, i]));
  }

  /** `maxLength`: one charset index per character position. */
  get flatDim(): number {
    return this.maxLength;
  }

  /** Characters in the charset (Unicode code points). */
  get charsetSize(): number {
    return this.index.size;
  }

  /** A length uniform in `[minLength, maxLength]`, then characters uniform over the charset (Gymnasium's `sample`). */
  sample(rng: Rng): string {
    const chars = [...this.charset];
    const length = rng.integer(this.minLength, this.maxLength + 1);
    let out = '';
    for (let i = 0; i < length; i++) out += chars[rng.integer(0, chars.length)];
    return out;
  }

  explain(x: unknown): string | null {
    if (typeof x !== 'string') return `${describeValue(x)} is not a string`;
    const chars = [...x];
    if (chars.length < this.minLength || chars.length > this.maxLength) return `a string of ${chars.length} characters is outside [${this.minLength}, ${this.maxLength}]`;
    for (const c of chars) if (!this.index.has(c)) return `character ${JSON.stringify(c)} is not in the charset`;
    return null;
  }

  flattenInto(x: string, out: Float32Array | Float64Array, offset: number): void {
    const pad = this.index.size;
    out.fill(pad, offset, offset + this.maxLength);
    let i = 0;
    for (const c of x) {
      if (i >= this.maxLength) break;
      out[offset + i++] = this.index.get(c) ?? pad;
    }
  }

  /** The string whose charset indices are at `flat[offset ..]` (rounded; padding and out-of-range entries end it). */
  unflatten(flat: ArrayLike<number>, offset = 0): string {
    const chars = [...this.charset];
    let out = '';
    for (let i = 0; i < this.maxLength; i++) {
      const k = Math.round(flat[offset + i]);
      if (!(k >= 0 && k < chars.length)) break;
      out += chars[k];
    }
    return out;
  }

  toJSON(): SpaceJSON {
    return { type: 'Text', maxLength: this.maxLength, minLength: this.minLength, charset: this.charset };
  }

  toString(): string {
    const shown = this.charset.length > 20 ? `${this.charset.slice(0, 20)}...` : this.charset;
    return `Text(${this.minLength}, ${this.maxLength}, charset=${shown})`;
  }

  static fromJSON(json: Extract<SpaceJSON, { type: 'Text' }>): Text {
    return new Text(json.maxLength, { minLength: json.minLength, charset: json.charset });
  }
}

/** One text part of a flat observation: its key (`''` when the whole space is `Text`), offset and space. */
export interface TextRange {
  key: string;
  offset: number;
  space: Text;
}

/**
 * Where the `Text` parts of `space` lie in its flat form (a `Text` space, or
 * the `Text` members of a `Dict`, at the top level). Layers that treat the
 * flat form as features (observation normalization) leave these columns alone.
 */
export function textRanges(space: Space<unknown>): TextRange[] {
  if (space instanceof Text) return [{ key: '', offset: 0, space }];
  const dict = space as { kind: string; keys?: readonly string[]; spaces?: Readonly<Record<string, Space<unknown>>> };
  if (dict.kind !== 'Dict' || !dict.keys || !dict.spaces) return [];
  const out: TextRange[] = [];
  let offset = 0;
  for (const k of dict.keys) {
    const s = dict.spaces[k];
    if (s instanceof Text) out.push({ key: k, offset, space: s });
    offset += s.flatDim;
  }
  return out;
}
