import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, toArray, take } from 'rxjs';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { iterateBatches, iterateWindows, planSampling, type Batch } from '../../src/data/dataset-batches.js';
import { datasetBatches, datasetWindows } from '../../src/data/dataset-streams.js';
import { splitEpisodes, writeSplits } from '../../src/data/episode-splits.js';
import { tempDir, writeSynthetic } from './helpers.js';

async function collect<T>(it: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('splits are by episode, seeded, stored under info.json lamkit.splits, and select batches', async () => {
  const s1 = splitEpisodes(20, { val: 0.1, test: 0.2, seed: 3 });
  assert.deepEqual(s1, splitEpisodes(20, { val: 0.1, test: 0.2, seed: 3 }), 'same seed, same split');
  assert.notDeepEqual(s1, splitEpisodes(20, { val: 0.1, test: 0.2, seed: 4 }));
  assert.deepEqual([s1.train.length, s1.val.length, s1.test.length], [14, 2, 4]);
  assert.deepEqual([...s1.train, ...s1.val, ...s1.test].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(splitEpisodes(5, { valEpisodes: [4], testEpisodes: [0, 2] }), { seed: null, train: [1, 3], val: [4], test: [0, 2] });
  assert.throws(() => splitEpisodes(5, { val: 0.6, test: 0.5 }), /splitEpisodes: expected val \+ test < 1/);
  assert.throws(() => splitEpisodes(5, { valEpisodes: [5] }), /expected distinct episode indices in \[0, 5\), got 5/);

  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3, 4, 5, 6, 7]);
    await assert.rejects(collect(iterateBatches(await openDataset(dir), { batchSize: 4, split: 'train' })), /expected a dataset with a stored split, got no lamkit\.splits .* Run `lamkit dataset split/);
    writeSplits(dir, splitEpisodes(5, { val: 0.2, test: 0.2, seed: 1 }));
    const ds = await openDataset(dir);
    assert.deepEqual(ds.splits, splitEpisodes(5, { val: 0.2, test: 0.2, seed: 1 }));
    for (const split of ['train', 'val', 'test'] as const) {
      const batches = await collect(iterateBatches(ds, { batchSize: 4, split }));
      const eps = new Set(batches.flatMap((b) => Array.from(b.episodeIndex)));
      assert.deepEqual([...eps].sort(), ds.splits![split], `${split} batches come from ${split} episodes only`);
      assert.equal(batches.reduce((s, b) => s + b.size, 0), ds.splits![split].reduce((s, e) => s + ds.episodes[e].length, 0));
    }
  } finally {
    cleanup();
  }
});

test('minibatches: every frame once per epoch, shuffled by seed, rows intact, normalization from stats.json', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const written = await writeSynthetic(dir, [10, 7, 12, 5], 3, 2);
    const ds = await openDataset(dir);
    const batches = await collect(iterateBatches(ds, { batchSize: 8, seed: 5, epochs: 2 }));
    assert.deepEqual(batches.map((b) => b.size), [8, 8, 8, 8, 2, 8, 8, 8, 8, 2], '2 epochs of 34 frames, each ending with its remainder');
    const seen = new Map<string, number>();
    for (const b of batches) {
      for (let i = 0; i < b.size; i++) {
        const e = b.episodeIndex[i];
        const t = b.frameIndex[i];
        seen.set(`${e}/${t}`, (seen.get(`${e}/${t}`) ?? 0) + 1);
        const state = written[e].frames['observation.state'] as Float32Array;
        assert.deepEqual(Array.from(b.columns['observation.state'].subarray(i * 3, i * 3 + 3)), Array.from(state.subarray(t * 3, t * 3 + 3)));
      }
    }
    assert.equal(seen.size, 34);
    assert.ok([...seen.values()].every((n) => n === 2));
    const first = batches[0];
    assert.ok(!(first.episodeIndex.every((e) => e === 0) && first.frameIndex.every((t, i) => t === i)), 'shuffled');
    const again = await collect(iterateBatches(ds, { batchSize: 8, seed: 5, epochs: 2 }));
    assert.deepEqual(again.map((b) => Array.from(b.frameIndex)), batches.map((b) => Array.from(b.frameIndex)), 'same seed, same order');
    const ordered = await collect(iterateBatches(ds, { batchSize: 34, shuffle: false, normalize: ['observation.state'] }));
    const x = ordered[0].columns['observation.state'];
    const st = ds.stats['observation.state'];
    assert.ok(Math.abs(x[0] - ((written[0].frames['observation.state'] as Float32Array)[0] - st.mean[0]) / (st.std[0] + 1e-8)) < 1e-6);
    let mean = 0;
    for (let i = 0; i < 34; i++) mean += x[i * 3 + 1] / 34;
    assert.ok(Math.abs(mean) < 1e-6, `normalized mean ${mean}`);
    assert.equal((await collect(iterateBatches(ds, { batchSize: 8, dropLast: true }))).length, 4);
  } finally {
    cleanup();
  }
});

test('beyond the memory budget files are read block by block (block shuffle) with the same frames', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, new Array(12).fill(50), 30, 6, { dataFileSizeMb: 0.02 });
    const ds = await openDataset(dir);
    assert.ok(ds.dataFiles().length >= 4);
    const bytesPerRow = (30 + 6) * 4;
    const budget = 2 * Math.max(...ds.dataFiles().map((f) => f.rows)) * bytesPerRow + 1;
    const plan = planSampling(ds, { batchSize: 16, memoryBudgetBytes: budget });
    assert.equal(plan.mode, 'block-shuffle');
    assert.ok(plan.blockBytes <= budget / 2);
    assert.equal(planSampling(ds, { batchSize: 16 }).mode, 'in-memory');
    const batches = await collect(iterateBatches(ds, { batchSize: 16, memoryBudgetBytes: budget, seed: 2 }));
    const keys = batches.flatMap((b) => Array.from(b.episodeIndex, (e, i) => `${e}/${b.frameIndex[i]}`));
    assert.equal(keys.length, 600);
    assert.equal(new Set(keys).size, 600);
    assert.throws(() => planSampling(ds, { batchSize: 16, memoryBudgetBytes: 1000 }), /memoryBudgetBytes: expected at least twice the largest data file's decoded columns/);
  } finally {
    cleanup();
  }
});

/** The batches of `read` with the helper thread and without it are the same frames, values and order. */
function assertSameBatches(helped: Batch[], alone: Batch[], what: string): void {
  assert.equal(helped.length, alone.length, what);
  for (let i = 0; i < alone.length; i++) {
    assert.equal(helped[i].size, alone[i].size, `${what}: batch ${i} size`);
    assert.deepEqual(helped[i].episodeIndex, alone[i].episodeIndex, `${what}: batch ${i} episodes`);
    assert.deepEqual(helped[i].frameIndex, alone[i].frameIndex, `${what}: batch ${i} frames`);
    for (const name of Object.keys(alone[i].columns)) assert.deepEqual(helped[i].columns[name], alone[i].columns[name], `${what}: batch ${i} ${name}`);
  }
}

test('in memory, a helper thread taking the first touch of the pages changes no batch (same frames, same values, same order)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, new Array(12).fill(50), 30, 6, { dataFileSizeMb: 0.02 });
    const ds = await openDataset(dir);
    assert.ok(ds.dataFiles().length >= 4);
    const alone = await collect(iterateBatches(ds, { batchSize: 16, seed: 3, epochs: 2, helperThread: false }));
    let helped: Batch[] = [];
    // The helper first (it touches every file), last (it touches every page of the decoded data once more: no byte may change), and both at once.
    for (const order of ['helper-first', 'helper-last', 'race'] as const) {
      helped = await collect(iterateBatches(ds, { batchSize: 16, seed: 3, epochs: 2, helperThread: true, pretouchOrder: order }));
      assertSameBatches(helped, alone, order);
    }
    // And the values are the files' rows.
    const b = helped[0];
    const ep = await ds.readEpisode(b.episodeIndex[0], ['observation.state']);
    assert.deepEqual(b.columns['observation.state'].subarray(0, 30), (ep['observation.state'] as Float32Array).subarray(b.frameIndex[0] * 30, b.frameIndex[0] * 30 + 30));
  } finally {
    cleanup();
  }
});

test('batches the helper thread assembles (every other one) are exactly those of the serial path: in memory, block shuffle, normalized, stopped early', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, new Array(12).fill(50), 30, 6, { dataFileSizeMb: 0.02 });
    const ds = await openDataset(dir);
    const cases: Array<[string, Parameters<typeof iterateBatches>[1]]> = [
      ['in memory', { batchSize: 8, seed: 4, epochs: 3 }],
      ['normalized, unshuffled', { batchSize: 7, shuffle: false, normalize: ['observation.state'], features: ['observation.state', 'action', 'next.reward'] }],
      ['block shuffle', { batchSize: 16, seed: 2, epochs: 2, memoryBudgetBytes: 2 * planSampling(ds, { batchSize: 16 }).totalBytes / ds.dataFiles().length + 1 }],
    ];
    for (const [what, options] of cases) {
      const alone = await collect(iterateBatches(ds, { ...options, helperThread: false }));
      // Racing (the default: the iterating thread takes the odd batches the helper has not claimed yet).
      assertSameBatches(await collect(iterateBatches(ds, { ...options, helperThread: true })), alone, `${what}, racing`);
      // The helper assembles every odd batch of each pass.
      let helperBatches = -1;
      const helped = await collect(iterateBatches(ds, { ...options, helperThread: true, helperTakesOdd: true, onHelperStats: (s) => (helperBatches = s.helperBatches) }));
      assertSameBatches(helped, alone, what);
      // Every odd full batch of a pass (block shuffle: per block, the batches straddling two blocks are the iterating thread's).
      assert.ok(helperBatches >= (what === 'block shuffle' ? helped.length / 4 : helped.length / 2 - 2), `${what}: the helper assembled ${helperBatches} of ${helped.length} batches`);
    }
    // Stopping early ends the helper's pass (the iteration returns, nothing hangs).
    let stats: { helperBatches: number } | null = null;
    const it = iterateBatches(ds, { batchSize: 4, seed: 1, epochs: 100, helperThread: true, onHelperStats: (s) => (stats = s) });
    for await (const b of it) if (b.episodeIndex.length === 4) break;
    assert.ok(stats, 'the iteration ended');
  } finally {
    cleanup();
  }
});

test('windows: T consecutive frames of one episode ending at each frame, zero padding with mask 0 before the start', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const written = await writeSynthetic(dir, [3, 6], 2, 1);
    const ds = await openDataset(dir);
    const [b] = await collect(iterateWindows(ds, { batchSize: 9, length: 4, shuffle: false }));
    assert.equal(b.size, 9);
    assert.equal(b.columns['observation.state'].length, 9 * 4 * 2);
    // Window ending at episode 0, frame 1: two padded steps, then frames 0 and 1.
    assert.deepEqual(Array.from(b.mask.subarray(4, 8)), [0, 0, 1, 1]);
    const s0 = written[0].frames['observation.state'] as Float32Array;
    assert.deepEqual(Array.from(b.columns['observation.state'].subarray(4 * 2, 8 * 2)), [0, 0, 0, 0, s0[0], s0[1], s0[2], s0[3]]);
    // Window ending at episode 1, frame 5: frames 2..5, no padding (never crosses into episode 0).
    assert.equal(b.episodeIndex[8], 1);
    assert.equal(b.frameIndex[8], 5);
    assert.deepEqual(Array.from(b.mask.subarray(32, 36)), [1, 1, 1, 1]);
    const a1 = written[1].frames.action as Float32Array;
    assert.deepEqual(Array.from(b.columns.action.subarray(32, 36)), Array.from(a1.subarray(2, 6)));
    // The window at episode 1 frame 0 is padded, not filled from episode 0's end.
    assert.deepEqual(Array.from(b.mask.subarray(3 * 4, 4 * 4)), [0, 0, 0, 1]);
  } finally {
    cleanup();
  }
});

test('RxJS: datasetBatches and datasetWindows emit the iterators\' batches; unsubscribing stops reading', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [10, 10, 10]);
    const ds = await openDataset(dir);
    const all = await firstValueFrom(datasetBatches(ds, { batchSize: 7, seed: 1 }).pipe(toArray()));
    const direct = await collect(iterateBatches(ds, { batchSize: 7, seed: 1 }));
    assert.deepEqual(all.map((b) => Array.from(b.frameIndex)), direct.map((b) => Array.from(b.frameIndex)));
    const two = await firstValueFrom(datasetBatches(ds, { batchSize: 4, epochs: 1000 }).pipe(take(2), toArray()));
    assert.equal(two.length, 2);
    const w = await firstValueFrom(datasetWindows(ds, { batchSize: 5, length: 3 }).pipe(take(1)));
    assert.equal(w.mask.length, 15);
  } finally {
    cleanup();
  }
});
