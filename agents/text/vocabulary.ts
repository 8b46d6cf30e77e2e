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
 *
 * `synonyms`: groups of words that mean the same to the task (`[["ball",
 * "sphere"], ["cube", "box", "block"]]`); every word of a group reads as
 * one id, its first word that the vocabulary holds, so the group's
 * examples all train one embedding and a group word never seen in the
 * data is still understood. A user-given table: the word-replacement
 * augmentation of Wei & Zou 2019 (arXiv:1901.11196) draws synonyms from
 * WordNet, which joins neither "ball" and "sphere" nor "box" and "cube".
 */
export class Vocabulary {
  /** Words by id (`words[0] = '<pad>'`, `words[1] = '<unk>'`). */
  readonly words: readonly string[];
  private readonly ids: Map<string, number>;
  /** Unknown words fall back to their longest known prefix of {@link MIN_PREFIX}+ letters. */
  readonly prefixFallback: boolean;
  /** Every word of a synonym group -> its group's id (see the class comment). */
  private readonly aliases = new Map<string, number>();

  constructor(words: readonly string[], options: { prefixFallback?: boolean; synonyms?: readonly (readonly string[])[] } = {}) {
    this.prefixFallback = options.prefixFallback === true;
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string' && w.length > 0)) {
      throw new InvalidArgument(formatError('Vocabulary.words', 'an array of non-empty words', describeValue(words), 'Build it with Vocabulary.fromTexts'));
    }
    const list = ['<pad>', '<unk>', ...words.filter((w) => w !== '<pad>' && w !== '<unk>')];
    this.ids = new Map();
    for (const w of list) if (!this.ids.has(w)) this.ids.set(w, this.ids.size);
    this.words = [...this.ids.keys()];
    if (options.synonyms !== undefined) this.addSynonyms(options.synonyms);
  }

  /** Checks the synonym groups and maps each of their words to the id of the group's first word in the vocabulary. */
  private addSynonyms(groups: readonly (readonly string[])[]): void {
    const bad = (expected: string, got: unknown, fix: string): never => {
      throw new InvalidArgument(formatError('Vocabulary.synonyms', expected, typeof got === 'string' ? got : describeValue(got), fix));
    };
    if (!Array.isArray(groups)) bad('an array of word groups, e.g. [["ball", "sphere"], ["cube", "box"]]', groups, 'Pass one array of words per group of synonyms');
    const seen = new Set<string>();
    for (const group of groups) {
      if (!Array.isArray(group) || group.length < 2) bad('groups of at least 2 words', group, 'Give each group two or more words that mean the same');
      for (const w of group) {
        const tokens = typeof w === 'string' ? tokenizeInstruction(w) : [];
        if (tokens.length !== 1 || tokens[0] !== w) bad('single lower-case words as the tokenizer writes them', describeValue(w), `Write each word as one lower-case token without punctuation${tokens.length > 0 ? ` ("${tokens.join('", "')}")` : ''}`);
        if (seen.has(w)) bad('each word in one group only', `"${w}" twice`, 'Merge the groups that share it');
        seen.add(w);
      }
      const head = group.find((w) => this.ids.has(w));
      if (head === undefined) bad(`at least one word of each group in the vocabulary (the training instructions' words)`, `none of ${group.map((w) => `"${w}"`).join(', ')}`, 'Drop the group or add a word the data uses');
      const id = this.ids.get(head as string) as number;
      for (const w of group) this.aliases.set(w, id);
    }
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
    const id = this.aliases.get(word) ?? this.ids.get(word);
    if (id !== undefined) return id;
    if (this.prefixFallback) {
      for (let n = word.length - 1; n >= MIN_PREFIX; n--) {
        const prefix = word.slice(0, n);
        const p = this.aliases.get(prefix) ?? this.ids.get(prefix);
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
