import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { concatSource, encodeParquet, type NumericColumnSource } from '../../src/data/parquet-encoder.js';
import { openParquet, readColumns, type ColumnSpec } from '../../src/data/parquet-table.js';
import { crc32, crc32Js } from '../../src/data/episode-journal.js';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { journalPath } from '../../src/data/writer-lock.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { StatsRows, computeStats, aggregateStats, type FeatureStats } from '../../src/data/feature-stats.js';
import { tempDir, syntheticSpec, syntheticEpisode, writeSynthetic } from './helpers.js';

/** `whole` cut into pieces of the given lengths (the last takes the rest). */
function pieces<T extends Float32Array | Float64Array | Uint8Array>(whole: T, lengths: number[]): T[] {
  const out: T[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(whole.slice(at, at + n) as T);
    at += n;
  }
  out.push(whole.slice(at) as T);
  return out;
}

test('a column given in pieces encodes to the same bytes as the concatenated array, across pages (float32 lists, int64, bool, float64)', () => {
  const rng = new Rng(3);
  const rows = 2000;
  const dim = 300; // ~1 MiB pages hold 873 rows: three pages, piece boundaries inside and across them
  const state = new Float32Array(rows * dim);
  rng.fillNormal(state);
  const index = Float64Array.from({ length: rows }, (_, i) => 1_000_000_000_000 + i);
  const flags = Uint8Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? 1 : 0));
  const reward = Float64Array.from({ length: rows }, () => rng.normal());
  const specs: ColumnSpec[] = [
    { name: 'observation.state', kind: 'float32', dim },
    { name: 'index', kind: 'int64', dim: null },
    { name: 'next.done', kind: 'bool', dim: null },
    { name: 'next.reward', kind: 'float64', dim: null },
  ];
  const whole = [state, index, flags, reward];
  const cuts = [[17 * dim, 900 * dim, 1 * dim], [5, 868, 1000], [1, 999], []];
  for (const compression of ['auto', 'snappy'] as const) {
    const a = encodeParquet({ columns: specs.map((spec, i) => ({ spec, data: whole[i] })), rows }, { compression }).slice();
    const b = encodeParquet({ columns: specs.map((spec, i) => ({ spec, data: concatSource(pieces(whole[i], cuts[i])) })), rows }, { compression }).slice();
    assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0, `${compression}: the same file`);
  }
});

test('an int64 source with an unsafe integer falls back to the general encoder after its pages were begun, and the file reads back', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rows = 3000;
    const values = Float64Array.from({ length: rows }, (_, i) => i);
    values[rows - 1] = 2 ** 53 + 2; // an integer, but not a safe one: the fast path gives up at the last value
    const source: NumericColumnSource = concatSource(pieces(values, [1000, 1000]));
    const spec: ColumnSpec = { name: 'big', kind: 'int64', dim: null };
    const other: ColumnSpec = { name: 'x', kind: 'float32', dim: 2 };
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => i / 2);
    const path = join(dir, 'f.parquet');
    writeFileSync(path, encodeParquet({ columns: [{ spec, data: source }, { spec: other, data: x }], rows }));
    const cols = await readColumns(openParquet(path), [spec, other]);
    assert.deepEqual(Array.from(cols.big as Float64Array), Array.from(values));
    assert.deepEqual(Array.from(cols.x as Float32Array), Array.from(x));
  } finally {
    cleanup();
  }
});

test("the journal's CRC-32 (zlib's where Node has it) equals the JS table's, continued over parts", () => {
  const a = randomBytes(1234);
  const b = randomBytes(77);
  assert.equal(crc32Js(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.concat([a, b])), crc32Js(Buffer.concat([a, b])));
  assert.equal(crc32(b, crc32(a)), crc32Js(Buffer.concat([a, b])));
  assert.equal(crc32Js(b, crc32Js(a)), crc32(Buffer.concat([a, b])));
});

test('closeAsync commits what is pending like close: readable dataset, stats, journal removed, lock released; no episode after it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(1);
    const w = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    const eps = [5, 9, 1, 12].map((n) => syntheticEpisode(rng, n, 3, 2));
    for (const e of eps) w.addEpisode(e);
    await w.closeAsync();
    await w.closeAsync(); // idempotent
    w.close();
    assert.throws(() => w.addEpisode(eps[0]), InvalidArgument);
    assert.equal(existsSync(journalPath(dir)), false);
    const ds = await openDataset(dir);
    assert.equal(ds.info.total_episodes, 4);
    assert.equal(ds.info.total_frames, 27);
    assert.equal(ds.stats['observation.state'].count[0], 27);
    assert.deepEqual(Array.from((await ds.readEpisode(3))['observation.state'] as Float32Array), Array.from(eps[3].frames['observation.state'] as Float32Array));
    assert.deepEqual(Array.from((await ds.readEpisode(3)).index as Float64Array), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]);
    // The lock is released: the dataset opens again for appending.
    const again = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    again.addEpisode(syntheticEpisode(rng, 4, 3, 2));
    await again.closeAsync();
    assert.equal((await openDataset(dir)).info.total_frames, 31);
  } finally {
    cleanup();
  }
});

test('StatsRows: rows equal computeStats, aggregate equals aggregateStats (prior first), bit for bit; rows grow past their capacity', () => {
  const rng = new Rng(7);
  const dim = 5;
  const rows = new StatsRows(dim);
  const parts: FeatureStats[] = [];
  for (let k = 0; k < 100; k++) {
    const n = 1 + (k % 13);
    const values = new Float32Array(n * dim);
    rng.fillNormal(values);
    rows.add(values, n);
    parts.push(computeStats(values, n, dim));
  }
  assert.equal(rows.rows, 100);
  for (const k of [0, 63, 64, 99]) {
    for (const stat of ['min', 'max', 'mean', 'std'] as const) assert.deepEqual(Array.from(rows[stat].subarray(k * dim, (k + 1) * dim)), parts[k][stat], `row ${k} ${stat}`);
    assert.equal(rows.count[k], parts[k].count[0]);
  }
  const prior = computeStats(Float32Array.from({ length: 4 * dim }, (_, i) => i), 4, dim);
  assert.deepEqual(rows.aggregate(prior), aggregateStats([prior, ...parts]));
  assert.deepEqual(rows.aggregate(), aggregateStats(parts));
  rows.clear();
  rows.addStats(prior);
  assert.deepEqual(rows.aggregate(), prior);
});

test("memory a writer gives back (column stores, statistics rows, encoding buffers) is reused by the next writer of the thread without leaking into its files", async () => {
  const a = tempDir();
  const b = tempDir();
  const c = tempDir();
  try {
    // B, then a larger A with other values (and another state width: other statistics rows), then B again: B's files must be the same bytes.
    const rowGroups = { rowGroupRows: 64 };
    await writeSynthetic(a.dir, [30, 7, 50, 12], 3, 2, rowGroups, 5);
    await writeSynthetic(b.dir, [400, 300, 90, 700], 5, 2, rowGroups, 9);
    await writeSynthetic(b.dir + '-3', [500, 40], 3, 2, rowGroups, 11);
    await writeSynthetic(c.dir, [30, 7, 50, 12], 3, 2, rowGroups, 5);
    const files = ['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/tasks.parquet', 'meta/stats.json', 'meta/info.json'];
    for (const f of files) assert.deepEqual(readFileSync(join(c.dir, f)), readFileSync(join(a.dir, f)), f);
    const ds = await openDataset(c.dir);
    assert.equal(ds.info.total_frames, 99);
  } finally {
    a.cleanup();
    b.cleanup();
    rmSync(b.dir + '-3', { recursive: true, force: true });
    c.cleanup();
  }
});
