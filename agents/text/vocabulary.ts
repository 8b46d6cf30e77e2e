import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { tokenizeInstruction } from './tokenize.js';

/** Id of the padding token (positions after the last word). */
export const PAD_ID = 0;
/** Id of every word the vocabulary does not hold. */
export const UNK_ID = 1;
/** Shortest known prefix an unknown word may fall back to (see {@link Vocabulary.id}). */
export const MIN_PREFIX = 4;

/**
 * Word -> id table of a text encoder: id 0 is padding, id 1 the unknown
 * word, then the words in a fixed order. Built from data (words in order of
 * first appearance, optionally only those seen `minCount` times) and stored
 * with the network, so a checkpoint encodes text the way it was trained.
 */
export class Vocabulary {
  /** Words by id (`words[0] = '<pad>'`, `words[1] = '<unk>'`). */
  readonly words: readonly string[];
  private readonly ids: Map<string, number>;
  /** Unknown words fall back to their longest known prefix of {@link MIN_PREFIX}+ letters. */
  readonly prefixFallback: boolean;

  constructor(words: readonly string[], options: { prefixFallback?: boolean } = {}) {
    this.prefixFallback = options.prefixFallback === true;
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string' && w.length > 0)) {
      throw new InvalidArgument(formatError('Vocabulary.words', 'an array of non-empty words', describeValue(words), 'Build it with Vocabulary.fromTexts'));
    }
    const list = ['<pad>', '<unk>', ...words.filter((w) => w !== '<pad>' && w !== '<unk>')];
    this.ids = new Map();
    for (const w of list) if (!this.ids.has(w)) this.ids.set(w, this.ids.size);
    this.words = [...this.ids.keys()];
  }

  /** The words of `texts` (tokenized), in order of first appearance, seen at least `minCount` times, then `extra` words not yet in. */
  static fromTexts(texts: Iterable<string>, options: { minCount?: number; extra?: readonly string[] } = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of tokenizeInstruction(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const min = options.minCount ?? 1;
    const words = [...counts].filter(([, c]) => c >= min).map(([w]) => w);
    const seen = new Set(words);
    for (const w of options.extra ?? []) if (!seen.has(w)) (seen.add(w), words.push(w));
    return new Vocabulary(words);
  }

  /** Words, `<pad>` and `<unk>` included. */
  get size(): number {
    return this.words.length;
  }

  /**
   * The id of `word`, {@link UNK_ID} when unknown; with `prefixFallback`,
   * an unknown word is read as the longest vocabulary word of at least
   * {@link MIN_PREFIX} letters that begins it ("leftward" -> "left"), a
   * cheap stand-in for stemming compounds and suffixes the vectors lack.
   */
  id(word: string): number {
    const id = this.ids.get(word);
    if (id !== undefined) return id;
    if (this.prefixFallback) {
      for (let n = word.length - 1; n >= MIN_PREFIX; n--) {
        const p = this.ids.get(word.slice(0, n));
        if (p !== undefined) return p;
      }
    }
    return UNK_ID;
  }

  /**
   * Token ids of `text` into `out [maxTokens]` at `offset`: the first
   * `maxTokens` words, unknown words as {@link UNK_ID}, padded with
   * {@link PAD_ID}. Returns the number of words written.
   */
  encodeInto(text: string, maxTokens: number, out: Int32Array, offset = 0): number {
    const tokens = tokenizeInstruction(text);
    const n = Math.min(tokens.length, maxTokens);
    for (let i = 0; i < maxTokens; i++) out[offset + i] = i < n ? this.id(tokens[i]) : PAD_ID;
    return n;
  }

  /** `Int32Array [maxTokens]` of {@link encodeInto}. */
  encode(text: string, maxTokens: number): Int32Array {
    const out = new Int32Array(maxTokens);
    this.encodeInto(text, maxTokens, out);
    return out;
  }
}
