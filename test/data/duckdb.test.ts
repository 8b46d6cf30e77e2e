import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { encodeParquet } from '../../src/data/parquet-encoder.js';
import { openParquet, readColumns, type ColumnSpec } from '../../src/data/parquet-table.js';
import { tempDir, writeForeignMeta, writeSynthetic } from './helpers.js';

// DuckDB (@duckdb/node-api, a dev dependency) is the independent Parquet engine of issue 11: its own
// C++ reader and writer, nothing shared with hyparquet. It reads what lamkit wrote, and writes LeRobot
// v3.0 and v2.1 datasets (DATA_PAGE v1, dictionary pages, Snappy, OPTIONAL columns: none of lamkit's
// fast paths) that lamkit must read.

let instance: DuckDBInstance;
let db: DuckDBConnection;
before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});
after(() => {
  db?.closeSync();
  instance?.closeSync();
});

type Row = Record<string, unknown>;
async function rows(sql: string): Promise<Row[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Row[];
}
async function columnTypes(file: string): Promise<Record<string, string>> {
  const r = await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
  return Object.fromEntries(r.map((x) => [x.column_name as string, x.column_type as string]));
}
const sqlPath = (p: string): string => p.replace(/'/g, "''");

test('DuckDB reads the data, episodes and tasks Parquet files lamkit wrote: dtypes, list columns, values', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lengths = [4, 3, 5];
    const eps = await writeSynthetic(dir, lengths, 3, 2);
    const dataFile = sqlPath(join(dir, 'data/chunk-000/file-000.parquet'));
    assert.deepEqual(await columnTypes(dataFile), {
      'observation.state': 'FLOAT[]',
      action: 'FLOAT[]',
      'next.reward': 'FLOAT',
      'next.done': 'BOOLEAN',
      'next.terminated': 'BOOLEAN',
      'next.truncated': 'BOOLEAN',
      timestamp: 'FLOAT',
      frame_index: 'BIGINT',
      episode_index: 'BIGINT',
      index: 'BIGINT',
      task_index: 'BIGINT',
    });
    const data = await rows(`SELECT * FROM read_parquet('${dataFile}') ORDER BY "index"`);
    assert.equal(data.length, 12);
    let index = 0;
    for (let e = 0; e < eps.length; e++) {
      const f = eps[e].frames as Record<string, Float32Array | Uint8Array>;
      for (let i = 0; i < lengths[e]; i++, index++) {
        const r = data[index];
        // FLOAT values come back as the float32 numbers lamkit stored, exactly.
        assert.deepEqual(r['observation.state'], Array.from(f['observation.state'].subarray(i * 3, i * 3 + 3)), `state of row ${index}`);
        assert.deepEqual(r.action, Array.from(f.action.subarray(i * 2, i * 2 + 2)), `action of row ${index}`);
        assert.equal(r['next.reward'], f['next.reward'][i]);
        assert.equal(r['next.done'], f['next.done'][i] === 1);
        assert.equal(r['next.terminated'], f['next.terminated'][i] === 1);
        assert.equal(r['next.truncated'], f['next.truncated'][i] === 1);
        assert.equal(r.timestamp, Math.fround(i / 25)); // fps 25
        // BIGINT comes back as a decimal string in JSON form.
        assert.deepEqual([r.frame_index, r.episode_index, r.index, r.task_index], [String(i), String(e), String(index), String(e % 2)]);
      }
    }
    const epsFile = sqlPath(join(dir, 'meta/episodes/chunk-000/file-000.parquet'));
    const epTypes = await columnTypes(epsFile);
    assert.equal(epTypes.tasks, 'VARCHAR[]');
    assert.equal(epTypes['stats/observation.state/mean'], 'DOUBLE[]');
    assert.equal(epTypes['stats/action/count'], 'BIGINT[]');
    const epRows = await rows(`SELECT episode_index, tasks, length, dataset_from_index, dataset_to_index, "data/chunk_index", "data/file_index", "stats/action/max", "lamkit/terminated" FROM read_parquet('${epsFile}') ORDER BY episode_index`);
    assert.deepEqual(
      epRows.map((r) => [r.episode_index, r.tasks, r.length, r.dataset_from_index, r.dataset_to_index, r['data/chunk_index'], r['data/file_index'], r['lamkit/terminated']]),
      [
        ['0', ['reach'], '4', '0', '4', '0', '0', true],
        ['1', ['push'], '3', '4', '7', '0', '0', true],
        ['2', ['reach'], '5', '7', '12', '0', '0', false],
      ],
    );
    const a1 = (eps[1].frames as Record<string, Float32Array>).action;
    assert.deepEqual(epRows[1]['stats/action/max'], [Math.max(a1[0], a1[2], a1[4]), Math.max(a1[1], a1[3], a1[5])]);
    // An aggregate over a list column, computed by DuckDB itself, agrees with lamkit's stats.json.
    const ds = await openDataset(dir);
    const [agg] = await rows(`SELECT avg(list_extract("observation.state", 2)) AS m, count(*) AS n FROM read_parquet('${dataFile}')`);
    assert.ok(Math.abs((agg.m as number) - ds.stats['observation.state'].mean[1]) < 1e-6, `DuckDB mean ${agg.m} vs stats.json ${ds.stats['observation.state'].mean[1]}`);
    assert.equal(agg.n, '12');
    assert.deepEqual(await rows(`SELECT task_index, task FROM read_parquet('${sqlPath(join(dir, 'meta/tasks.parquet'))}') ORDER BY task_index`), [
      { task_index: '0', task: 'reach' },
      { task_index: '1', task: 'push' },
    ]);
  } finally {
    cleanup();
  }
});

/**
 * SQL of the frames of the given episodes ([episode, length, first index, task]) as LeRobot lays them out:
 * state = [episode + i/10, -i, 0.5], action = [i/4, 1], reward 1 and done on the last frame.
 */
function framesSql(episodes: Array<[number, number, number, number]>): string {
  const values = episodes.map(([e, len, first, task]) => `(${e}, ${len}, ${first}, ${task})`).join(', ');
  return `SELECT
      [e + i / 10.0, -i, 0.5]::FLOAT[] AS "observation.state",
      [i * 0.25, 1]::FLOAT[] AS action,
      (i / 10.0)::FLOAT AS timestamp,
      i::BIGINT AS frame_index,
      e::BIGINT AS episode_index,
      (first + i)::BIGINT AS "index",
      task::BIGINT AS task_index,
      (CASE WHEN i = len - 1 THEN 1 ELSE 0 END)::FLOAT AS "next.reward",
      (i = len - 1) AS "next.done"
    FROM (SELECT e, len, first, task, unnest(range(len)) AS i FROM (VALUES ${values}) AS eps(e, len, first, task))
    ORDER BY "index"`;
}

async function copyTo(file: string, select: string): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  await db.run(`COPY (${select}) TO '${sqlPath(file)}' (FORMAT PARQUET, COMPRESSION SNAPPY)`);
}

async function checkEpisode1(dir: string, length: number): Promise<void> {
  const ds = await openDataset(dir);
  const ep = await ds.readEpisode(1);
  const state = Array.from(ep['observation.state'] as Float32Array);
  assert.equal(state.length, 3 * length);
  assert.deepEqual(state.slice(0, 6), [1, 0, 0.5, 1.1, -1, 0.5].map(Math.fround));
  assert.deepEqual(Array.from(ep.action as Float32Array).slice(0, 4), [0, 1, 0.25, 1]);
  assert.deepEqual(Array.from(ep['next.done'] as Uint8Array), Array.from({ length }, (_, i) => (i === length - 1 ? 1 : 0)));
  assert.deepEqual(Array.from(ep['next.reward'] as Float32Array), Array.from({ length }, (_, i) => (i === length - 1 ? 1 : 0)));
  assert.deepEqual(Array.from(ep.frame_index as Float64Array), Array.from({ length }, (_, i) => i));
}

test('lamkit reads a LeRobot v3.0 dataset that DuckDB wrote (data and episodes files, tasks.parquet)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lengths = [4, 6, 3];
    writeForeignMeta(dir, 'v3.0');
    // Episodes 0-1 in file-000, episode 2 in file-001 (several files per chunk).
    await copyTo(join(dir, 'data/chunk-000/file-000.parquet'), framesSql([[0, 4, 0, 0], [1, 6, 4, 1]]));
    await copyTo(join(dir, 'data/chunk-000/file-001.parquet'), framesSql([[2, 3, 10, 0]]));
    await copyTo(
      join(dir, 'meta/episodes/chunk-000/file-000.parquet'),
      `SELECT * FROM (VALUES
        (0::BIGINT, ['pick the cube'], 4::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 4::BIGINT, 0::BIGINT, 0::BIGINT),
        (1::BIGINT, ['place it'], 6::BIGINT, 0::BIGINT, 0::BIGINT, 4::BIGINT, 10::BIGINT, 0::BIGINT, 0::BIGINT),
        (2::BIGINT, ['pick the cube'], 3::BIGINT, 0::BIGINT, 1::BIGINT, 10::BIGINT, 13::BIGINT, 0::BIGINT, 0::BIGINT))
       AS t(episode_index, tasks, length, "data/chunk_index", "data/file_index", dataset_from_index, dataset_to_index, "meta/episodes/chunk_index", "meta/episodes/file_index")`,
    );
    // LeRobot writes tasks.parquet from a pandas frame indexed by the task text; DuckDB writes the index as a plain column.
    await copyTo(join(dir, 'meta/tasks.parquet'), `SELECT * FROM (VALUES (0::BIGINT, 'pick the cube'), (1::BIGINT, 'place it')) AS t(task_index, task)`);
    writeFileSync(join(dir, 'meta/stats.json'), JSON.stringify({ action: { min: [0, 1], max: [1.25, 1], mean: [0.5, 1], std: [0.3, 0], count: [13] } }));

    const ds = await openDataset(dir);
    assert.equal(ds.version, 'v3.0');
    assert.deepEqual(ds.tasks, ['pick the cube', 'place it']);
    assert.deepEqual(ds.episodes.map((e) => e.length), lengths);
    assert.deepEqual(ds.dataFiles().map((f) => f.episodes), [[0, 1], [2]]);
    assert.deepEqual(ds.skippedFeatures.map((s) => s.name), ['observation.images.top']);
    await checkEpisode1(dir, 6);
    const ep2 = await ds.readEpisode(2, ['index', 'task_index']);
    assert.deepEqual(Array.from(ep2.index as Float64Array), [10, 11, 12]);
    assert.deepEqual(Array.from(ep2.task_index as Float64Array), [0, 0, 0]);
  } finally {
    cleanup();
  }
});

test('lamkit reads a LeRobot v2.1 dataset that DuckDB wrote (a file per episode, jsonl metadata)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeForeignMeta(dir, 'v2.1'); // episodes of 5 and 2 frames
    await copyTo(join(dir, 'data/chunk-000/episode_000000.parquet'), framesSql([[0, 5, 0, 0]]));
    await copyTo(join(dir, 'data/chunk-000/episode_000001.parquet'), framesSql([[1, 2, 5, 0]]));
    const ds = await openDataset(dir);
    assert.equal(ds.version, 'v2.1');
    assert.deepEqual(ds.tasks, ['stack the blocks']);
    assert.deepEqual(ds.episodes.map((e) => [e.from, e.to]), [[0, 5], [5, 7]]);
    await checkEpisode1(dir, 2);
    const ep0 = await ds.readEpisode(0, ['observation.state']);
    assert.deepEqual(Array.from(ep0['observation.state'] as Float32Array).slice(12, 15), [0.4, -4, 0.5].map(Math.fround));
    assert.equal(ds.stats['next.reward'].count[0], 7);
  } finally {
    cleanup();
  }
});

test('the typed-array encoder: int64 beyond 32 bits and negative, booleans and list levels not a multiple of 8, several pages, Snappy: DuckDB and lamkit read the same values', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const n = 50_003; // odd: the last bit-packed group is partial; 50,003 x 3 float64 = 1.2 MB: two pages
    const big = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? -(2 ** 40) - i : i % 5 === 1 ? 2 ** 33 + i : i % 5 === 2 ? -1 : i));
    const flags = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 || i === n - 1 ? 1 : 0));
    const vec = Float64Array.from({ length: n * 3 }, (_, k) => k / 7 - 1000);
    const small = Float32Array.from({ length: n * 5 }, (_, k) => Math.fround(Math.sin(k)));
    const specs: ColumnSpec[] = [
      { name: 'big', kind: 'int64', dim: null },
      { name: 'flag', kind: 'bool', dim: null },
      { name: 'vec', kind: 'float64', dim: 3 },
      { name: 'small', kind: 'float32', dim: 5 },
    ];
    const data = [big, flags, vec, small];
    for (const compression of ['auto', 'snappy'] as const) {
      const file = join(dir, `t-${compression}.parquet`);
      writeFileSync(file, encodeParquet({ columns: specs.map((spec, k) => ({ spec, data: data[k] })), rows: n }, { compression, rowGroupRows: 30_000 }));
      const back = await readColumns(openParquet(file), specs);
      assert.deepEqual(back.big, big, `lamkit reads int64 (${compression})`);
      assert.deepEqual(back.flag, flags);
      assert.deepEqual(back.vec, vec);
      assert.deepEqual(back.small, small);
      const f = sqlPath(file);
      const [agg] = await rows(`SELECT count(*) AS n, sum(CASE WHEN flag THEN 1 ELSE 0 END) AS flags, min(big) AS lo, max(big) AS hi, sum(big) AS total FROM read_parquet('${f}')`);
      const total = big.reduce((a, b) => a + BigInt(b), 0n);
      assert.deepEqual(agg, { n: String(n), flags: String(flags.reduce((a, b) => a + b, 0)), lo: String(Math.min(...big)), hi: String(Math.max(...big)), total: total.toString() }, `DuckDB (${compression})`);
      const picks = [0, 1, 2, 7, 29_999, 30_000, 49_999, n - 1];
      const got = await rows(`SELECT row_number() OVER () - 1 AS i, big, flag, vec, small FROM read_parquet('${f}') QUALIFY i IN (${picks.join(',')}) ORDER BY i`);
      assert.deepEqual(
        got.map((r) => [r.i, r.big, r.flag, r.vec, r.small]),
        picks.map((i) => [String(i), String(big[i]), flags[i] === 1, Array.from(vec.subarray(3 * i, 3 * i + 3)), Array.from(small.subarray(5 * i, 5 * i + 5))]),
      );
    }
  } finally {
    cleanup();
  }
});
