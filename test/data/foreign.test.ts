import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { tempDir, writeForeignMeta } from './helpers.js';

// Datasets laid out as LeRobot documents them, written here with hyparquet-writer's general encoder
// (OPTIONAL lists and elements as pyarrow writes them, dictionary pages where they pay, its own
// Dremel levels): not lamkit's writer. pyarrow/DuckDB are not installable on this machine.

type Col = { name: string; data: unknown[]; kind: 'list-float' | 'float' | 'int64' | 'bool' | 'string' | 'list-string' };

function writeTable(path: string, cols: Col[], kv?: Array<{ key: string; value: string }>): void {
  const schema: Array<Record<string, unknown>> = [{ name: 'schema', num_children: cols.length }];
  for (const c of cols) {
    if (c.kind === 'list-float' || c.kind === 'list-string') {
      schema.push({ name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 }, { name: 'list', repetition_type: 'REPEATED', num_children: 1 }, c.kind === 'list-float' ? { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' } : { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
    } else {
      const type = { float: 'FLOAT', int64: 'INT64', bool: 'BOOLEAN', string: 'BYTE_ARRAY' }[c.kind];
      schema.push({ name: c.name, type, repetition_type: 'OPTIONAL', ...(c.kind === 'string' ? { converted_type: 'UTF8' } : {}) });
    }
  }
  const columnData = cols.map((c) => ({ name: c.name, data: c.kind === 'int64' ? c.data.map((v) => BigInt(v as number)) : c.data }));
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData: columnData as never, schema: schema as never, kvMetadata: kv })));
}

function frames(episode: number, length: number, first: number, task: number): Col[] {
  const t = Array.from({ length }, (_, i) => i);
  return [
    { name: 'observation.state', kind: 'list-float', data: t.map((i) => [episode + i / 10, -i, 0.5]) },
    { name: 'action', kind: 'list-float', data: t.map((i) => [Math.fround(i * 0.25), 1]) },
    { name: 'timestamp', kind: 'float', data: t.map((i) => Math.fround(i / 10)) },
    { name: 'frame_index', kind: 'int64', data: t },
    { name: 'episode_index', kind: 'int64', data: t.map(() => episode) },
    { name: 'index', kind: 'int64', data: t.map((i) => first + i) },
    { name: 'task_index', kind: 'int64', data: t.map(() => task) },
    { name: 'next.reward', kind: 'float', data: t.map((i) => (i === length - 1 ? 1 : 0)) },
    { name: 'next.done', kind: 'bool', data: t.map((i) => i === length - 1) },
  ];
}

test('reads a LeRobot v3.0 dataset written by another Parquet encoder; video features are listed as not loaded', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lengths = [4, 6, 3];
    writeForeignMeta(dir, 'v3.0');
    // Episodes 0-1 in file-000, episode 2 in file-001.
    const cat = (parts: Col[][]): Col[] => parts[0].map((c, i) => ({ ...c, data: parts.flatMap((p) => p[i].data) }));
    writeTable(join(dir, 'data/chunk-000/file-000.parquet'), cat([frames(0, 4, 0, 0), frames(1, 6, 4, 1)]));
    writeTable(join(dir, 'data/chunk-000/file-001.parquet'), frames(2, 3, 10, 0));
    writeTable(join(dir, 'meta/episodes/chunk-000/file-000.parquet'), [
      { name: 'episode_index', kind: 'int64', data: [0, 1, 2] },
      { name: 'tasks', kind: 'list-string', data: [['pick the cube'], ['place it'], ['pick the cube']] },
      { name: 'length', kind: 'int64', data: lengths },
      { name: 'data/chunk_index', kind: 'int64', data: [0, 0, 0] },
      { name: 'data/file_index', kind: 'int64', data: [0, 0, 1] },
      { name: 'dataset_from_index', kind: 'int64', data: [0, 4, 10] },
      { name: 'dataset_to_index', kind: 'int64', data: [4, 10, 13] },
      { name: 'videos/observation.images.top/chunk_index', kind: 'int64', data: [0, 0, 0] },
      { name: 'meta/episodes/chunk_index', kind: 'int64', data: [0, 0, 0] },
      { name: 'meta/episodes/file_index', kind: 'int64', data: [0, 0, 0] },
    ]);
    writeTable(join(dir, 'meta/tasks.parquet'), [{ name: 'task_index', kind: 'int64', data: [0, 1] }, { name: 'task', kind: 'string', data: ['pick the cube', 'place it'] }]);
    writeFileSync(join(dir, 'meta/stats.json'), JSON.stringify({ action: { min: [0, 1], max: [1.25, 1], mean: [0.5, 1], std: [0.3, 0], count: [13] } }));

    const ds = await openDataset(dir);
    assert.equal(ds.version, 'v3.0');
    assert.deepEqual(ds.tasks, ['pick the cube', 'place it']);
    assert.deepEqual(ds.episodes.map((e) => e.length), lengths);
    assert.deepEqual(ds.dataFiles().map((f) => f.episodes), [[0, 1], [2]]);
    assert.deepEqual(ds.skippedFeatures.map((s) => [s.name, s.dtype]), [['observation.images.top', 'video']]);
    assert.match(ds.skippedFeatures[0].reason, /video features are not loaded by lamkit/);
    assert.throws(() => ds.columnSpec('observation.images.top'), /expected a loadable feature .*, got "observation.images.top". Not loaded: video features are not loaded/);
    const ep1 = await ds.readEpisode(1);
    assert.deepEqual(Array.from(ep1['observation.state'] as Float32Array).slice(0, 6), [1, -0, 0.5, 1.1, -1, 0.5].map(Math.fround));
    assert.deepEqual(Array.from(ep1.action as Float32Array).slice(0, 4), [0, 1, 0.25, 1]);
    assert.deepEqual(Array.from(ep1['next.done'] as Uint8Array), [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(ep1.index as Float64Array), [4, 5, 6, 7, 8, 9]);
    const ep2 = await ds.readEpisode(2, ['next.reward', 'task_index']);
    assert.deepEqual(Array.from(ep2['next.reward'] as Float32Array), [0, 0, 1]);
    assert.equal(ds.stats.action.count[0], 13);
    assert.equal(ds.spaces, null, 'no lamkit block: spaces unknown');
  } finally {
    cleanup();
  }
});

test('reads a LeRobot v2.1 dataset: one file per episode, jsonl metadata, stats from episodes_stats.jsonl', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeForeignMeta(dir, 'v2.1'); // episodes of 5 and 2 frames
    writeTable(join(dir, 'data/chunk-000/episode_000000.parquet'), frames(0, 5, 0, 0));
    writeTable(join(dir, 'data/chunk-000/episode_000001.parquet'), frames(1, 2, 5, 0));
    const ds = await openDataset(dir);
    assert.equal(ds.version, 'v2.1');
    assert.deepEqual(ds.tasks, ['stack the blocks']);
    assert.deepEqual(ds.episodes.map((e) => [e.from, e.to]), [[0, 5], [5, 7]]);
    assert.ok(ds.dataFiles()[1].path.endsWith('data/chunk-000/episode_000001.parquet'));
    const ep = await ds.readEpisode(1);
    assert.deepEqual(Array.from(ep['observation.state'] as Float32Array), [1, -0, 0.5, 1.1, -1, 0.5].map(Math.fround));
    assert.deepEqual(Array.from(ep['next.done'] as Uint8Array), [0, 1]);
    assert.equal(ds.stats['next.reward'].count[0], 7);
    assert.ok(Math.abs(ds.stats['next.reward'].mean[0] - 2 / 7) < 1e-12);
    assert.deepEqual(ds.skippedFeatures.map((s) => s.name), ['observation.images.top']);
    // The checks on policies work on any version.
    assert.throws(() => ds.assertFitsPolicy({ observationSpace: new Box(-1, 1, [3]), actionSpace: new Box(-1, 1, [6]) }), /features\.action: expected size 6 \(the policy's action Box\(-1\.0, 1\.0, \(6,\), float32\)\), got size 2 \(float32\[2\]\)/);
    assert.throws(() => ds.assertFitsPolicy({ observationSpace: new Box(-1, 1, [3]), actionSpace: new Discrete(2) }), /features\.action: expected int64 class indices for Discrete\(2\), got float32\[2\]/);
    ds.assertFitsPolicy({ observationSpace: new Box(-1, 1, [3]), actionSpace: new Box(-1, 1, [2]) });
  } finally {
    cleanup();
  }
});

function mkdirp(...parts: string[]): string {
  const p = join(...parts);
  mkdirSync(p, { recursive: true });
  return p;
}
