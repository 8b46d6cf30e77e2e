import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { computeStats } from '../../src/data/feature-stats.js';
import { Rng } from '../../src/core/rng.js';
import { tempDir, writeSynthetic, syntheticSpec, syntheticEpisode } from './helpers.js';

const file = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
};

test('round trip: values, dtypes, episode boundaries and stats read back as written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lengths = [5, 1, 17, 8];
    const written = await writeSynthetic(dir, lengths, 4, 3);
    const ds = await openDataset(dir);
    assert.equal(ds.version, 'v3.0');
    assert.equal(ds.episodes.length, 4);
    assert.equal(ds.totalFrames, 31);
    assert.deepEqual(ds.tasks, ['reach', 'push']);
    assert.deepEqual(ds.episodes.map((e) => [e.from, e.to]), [[0, 5], [5, 6], [6, 23], [23, 31]]);
    assert.deepEqual(ds.episodes.map((e) => e.tasks), [['reach'], ['push'], ['reach'], ['push']]);
    for (let k = 0; k < 4; k++) {
      const ep = await ds.readEpisode(k);
      const w = written[k].frames;
      assert.ok(ep['observation.state'] instanceof Float32Array);
      assert.deepEqual(ep['observation.state'], w['observation.state'], 'state bit for bit');
      assert.deepEqual(ep.action, w.action, 'action bit for bit');
      assert.deepEqual(ep['next.reward'], w['next.reward']);
      assert.ok(ep['next.done'] instanceof Uint8Array);
      assert.deepEqual(ep['next.terminated'], w['next.terminated']);
      assert.deepEqual(ep['next.truncated'], w['next.truncated']);
      assert.deepEqual(Array.from(ep.frame_index as Float64Array), Array.from({ length: lengths[k] }, (_, t) => t));
      assert.ok((ep.episode_index as Float64Array).every((v) => v === k));
      assert.deepEqual(Array.from(ep.task_index as Float64Array), new Array(lengths[k]).fill(k % 2));
      assert.deepEqual(Array.from(ep.timestamp as Float32Array), Array.from({ length: lengths[k] }, (_, t) => Math.fround(t / 25)));
    }
    const all = await ds.readFile(0, ['index']);
    assert.deepEqual(Array.from(all.index as Float64Array), Array.from({ length: 31 }, (_, i) => i));
    // stats.json equals the stats of all frames (float64 over float32 values; aggregation within 1e-9 relative).
    const states = new Float32Array(written.flatMap((e) => Array.from(e.frames['observation.state'] as Float32Array)));
    const want = computeStats(states, 31, 4);
    const got = ds.stats['observation.state'];
    assert.deepEqual(got.count, [31]);
    assert.deepEqual(got.min, want.min);
    assert.deepEqual(got.max, want.max);
    for (let j = 0; j < 4; j++) {
      assert.ok(Math.abs(got.mean[j] - want.mean[j]) < 1e-9, `mean[${j}]`);
      assert.ok(Math.abs(got.std[j] - want.std[j]) < 1e-9, `std[${j}]`);
    }
    assert.equal(ds.recovery.message, null);
  } finally {
    cleanup();
  }
});

test('the files follow LeRobot v3.0: paths, info.json fields, Parquet schema (3-level lists), footer, tasks with the pandas index', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3, 4], 2, 2);
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    assert.equal(info.codebase_version, 'v3.0');
    assert.equal(info.data_path, 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet');
    assert.equal(info.video_path, null);
    assert.equal(info.fps, 25);
    assert.equal(info.chunks_size, 1000);
    assert.equal(info.data_files_size_in_mb, 100);
    assert.deepEqual([info.total_episodes, info.total_frames, info.total_tasks], [2, 7, 2]);
    assert.deepEqual(info.splits, { train: '0:2' });
    assert.deepEqual(info.features.timestamp, { dtype: 'float32', shape: [1], names: null, fps: 25 });
    assert.deepEqual(info.features['observation.state'], { dtype: 'float32', shape: [2], names: null, fps: 25 });
    assert.equal(info.lamkit.version, 1);
    assert.ok(existsSync(join(dir, 'meta/stats.json')));
    assert.deepEqual(readdirSync(join(dir, 'data')), ['chunk-000']);
    assert.deepEqual(readdirSync(join(dir, 'data/chunk-000')), ['file-000.parquet']);
    assert.deepEqual(readdirSync(join(dir, 'meta/episodes/chunk-000')), ['file-000.parquet']);
    assert.deepEqual(readdirSync(join(dir, '.lamkit')), [], 'journal and lock removed on close');

    const data = file(join(dir, 'data/chunk-000/file-000.parquet'));
    const bytes = new Uint8Array(data);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'PAR1');
    assert.equal(new TextDecoder().decode(bytes.subarray(bytes.length - 4)), 'PAR1');
    const md = parquetMetadata(data);
    const schema = parquetSchema(md);
    // Column order = info.json features order (LeRobot builds datasets.Features from it).
    assert.deepEqual(schema.children.map((c) => c.element.name), Object.keys(info.features));
    const state = schema.children.find((c) => c.element.name === 'observation.state')!;
    assert.equal(state.element.converted_type, 'LIST');
    assert.equal(state.children[0].element.repetition_type, 'REPEATED');
    assert.equal(state.children[0].children[0].element.name, 'element');
    assert.equal(state.children[0].children[0].element.type, 'FLOAT');
    const typeOf = (n: string) => schema.children.find((c) => c.element.name === n)!.element.type;
    assert.deepEqual(['timestamp', 'frame_index', 'episode_index', 'index', 'task_index', 'next.reward', 'next.done'].map(typeOf), ['FLOAT', 'INT64', 'INT64', 'INT64', 'INT64', 'FLOAT', 'BOOLEAN']);
    assert.equal(Number(md.num_rows), 7);

    const episodes = await parquetReadObjects({ file: file(join(dir, 'meta/episodes/chunk-000/file-000.parquet')) });
    assert.deepEqual(
      episodes.map((e) => [e.episode_index, e.length, e['data/chunk_index'], e['data/file_index'], e.dataset_from_index, e.dataset_to_index, e['meta/episodes/chunk_index'], e['meta/episodes/file_index'], e.tasks]),
      [
        [0n, 3n, 0n, 0n, 0n, 3n, 0n, 0n, ['reach']],
        [1n, 4n, 0n, 0n, 3n, 7n, 0n, 0n, ['push']],
      ],
    );
    assert.deepEqual(episodes[1]['stats/observation.state/count'], [4n]);

    const tasksFile = file(join(dir, 'meta/tasks.parquet'));
    const tasks = await parquetReadObjects({ file: tasksFile });
    assert.deepEqual(tasks, [{ task_index: 0n, task: 'reach' }, { task_index: 1n, task: 'push' }]);
    const pandas = JSON.parse(parquetMetadata(tasksFile).key_value_metadata!.find((kv) => kv.key === 'pandas')!.value!);
    assert.deepEqual(pandas.index_columns, ['task'], 'pd.read_parquet restores task as the index LeRobot looks tasks up by');
  } finally {
    cleanup();
  }
});

test('appending reopens the dataset: new files, continuing indices, tasks and stats', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3, 4], 2, 2);
    const rng = new Rng(9);
    const w = await DatasetWriter.open(dir, syntheticSpec(2, 2));
    w.addEpisode(syntheticEpisode(rng, 6, 2, 2, 'stack'));
    w.close();
    const ds = await openDataset(dir);
    assert.equal(ds.episodes.length, 3);
    assert.deepEqual(ds.tasks, ['reach', 'push', 'stack']);
    assert.deepEqual(ds.dataFiles().map((f) => f.path.split('/').slice(-2).join('/')), ['chunk-000/file-000.parquet', 'chunk-000/file-001.parquet']);
    const ep = await ds.readEpisode(2, ['index', 'episode_index', 'task_index']);
    assert.deepEqual(Array.from(ep.index as Float64Array), [7, 8, 9, 10, 11, 12]);
    assert.ok((ep.task_index as Float64Array).every((v) => v === 2));
    assert.deepEqual(ds.stats['observation.state'].count, [13]);
    // A different action size is refused before anything is written.
    await assert.rejects(DatasetWriter.open(dir, syntheticSpec(2, 3)), /Dataset\(.*\)\.features: expected the features of this recording \(.*action: float32\[3\].*\), got .*action: float32\[2\]/);
  } finally {
    cleanup();
  }
});

test('files roll over at the size limit; the reader streams them in order', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // ~0.02 MB per 100-frame episode of 30 floats: a 0.05 MB limit makes a file every few episodes.
    const written = await writeSynthetic(dir, new Array(10).fill(100), 30, 6, { dataFileSizeMb: 0.05 });
    const ds = await openDataset(dir);
    assert.ok(ds.dataFiles().length >= 3, `${ds.dataFiles().length} files`);
    assert.equal(ds.dataFiles().reduce((s, f) => s + f.rows, 0), 1000);
    const ep = await ds.readEpisode(9);
    assert.deepEqual(ep['observation.state'], written[9].frames['observation.state']);
    // readEpisodes: any order, repeats allowed, each data file decoded once for all its episodes.
    const order = [7, 0, 9, 3, 0, 8, 1];
    const files = new Set(order.map((e) => ds.dataFiles().findIndex((f) => f.episodes.includes(e))));
    const decoded: number[] = [];
    const readFile = ds.readFile.bind(ds);
    ds.readFile = (k, names, into) => (decoded.push(k), readFile(k, names, into));
    const eps = await ds.readEpisodes(order, ['observation.state', 'action']);
    assert.deepEqual(eps.map((e) => e['observation.state']), order.map((e) => written[e].frames['observation.state']));
    assert.deepEqual(eps.map((e) => e.action), order.map((e) => written[e].frames.action));
    assert.deepEqual([...decoded].sort(), [...files].sort(), 'one decode per file');
    await assert.rejects(ds.readEpisodes([0, 10]), /readEpisode: expected an episode index in \[0, 10\), got 10/);
  } finally {
    cleanup();
  }
});

test('free-text per-frame features and discrete int64 actions with class names round-trip', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = await DatasetWriter.open(dir, {
      fps: 50,
      features: {
        'observation.state': { dtype: 'float32', shape: [4], names: null },
        action: { dtype: 'int64', shape: [1], names: null, class_names: ['left', 'right'] },
        'next.reward': { dtype: 'float32', shape: [1], names: null },
        instruction: { dtype: 'string', shape: [1], names: null },
      },
      lamkit: { envId: 'CartPole-v1', spaces: null, dtSeconds: 0.02, textFeatures: ['instruction'] },
    });
    w.addEpisode({ length: 3, task: 'balance', frames: { 'observation.state': new Float32Array(12).fill(0.5), action: Float64Array.from([0, 1, 1]), 'next.reward': new Float32Array([1, 1, 1]), instruction: ['keep it up', 'steady', 'ünïcødé ✓'] } });
    w.close();
    const ds = await openDataset(dir);
    assert.deepEqual(ds.features.action.class_names, ['left', 'right']);
    assert.equal(ds.columns.action.kind, 'int64');
    const ep = await ds.readEpisode(0);
    assert.deepEqual(Array.from(ep.action as Float64Array), [0, 1, 1]);
    assert.deepEqual(ep.instruction, ['keep it up', 'steady', 'ünïcødé ✓']);
    const rows = await parquetReadObjects({ file: file(join(dir, 'data/chunk-000/file-000.parquet')) });
    assert.equal(rows[0].action, 0n, 'discrete actions are INT64 scalars');
  } finally {
    cleanup();
  }
});
