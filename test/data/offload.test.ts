import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { recordEpisodes } from '../../src/data/record-episodes.js';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { readJournal } from '../../src/data/episode-journal.js';
import { journalPath } from '../../src/data/writer-lock.js';
import { Box } from '../../src/core/spaces/box.js';
import type { Policy } from '../../src/core/policy.js';
import { TestEnv } from '../helpers/test-env.js';
import { syntheticEpisode, syntheticSpec, tempDir } from './helpers.js';
import { openParquet } from '../../src/data/parquet-table.js';
import type { EpisodeData } from '../../src/data/episode-journal.js';
import { Rng } from '../../src/core/rng.js';

/** A 3-d drifting point: obs = position, action = velocity (2 of the 3 axes), episodes of 6-11 steps, success reported. */
function driftEnv(): TestEnv<Float32Array, Float32Array> {
  let pos = new Float32Array(3);
  let len = 0;
  return new TestEnv<Float32Array, Float32Array>({
    observationSpace: new Box(-100, 100, [3]),
    actionSpace: new Box(-1, 1, [2]),
    reset: ({ rng }) => {
      pos = Float32Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1));
      len = 6 + Math.floor(rng.uniform(0, 6));
      return { obs: pos.slice(), info: {} };
    },
    step: (a, { t }) => {
      pos[0] += a[0];
      pos[1] += a[1];
      pos[2] += 0.1;
      return { obs: pos.slice(), reward: -Math.hypot(pos[0], pos[1]), terminated: t + 1 >= len, truncated: false, info: { isSuccess: Math.abs(pos[0]) < 0.5 } };
    },
  });
}

const policyFor = (env: TestEnv<Float32Array, Float32Array>): Policy => {
  const out = new Float32Array(2);
  return { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: (obs) => (out.set([-0.3 * obs[0], 0.2 - 0.1 * obs[1]]), out) };
};

const files = (root: string): string[] => {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const rel = d ? `${d}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out.sort();
};

test('a recording offloaded to the writer thread writes the same bytes as one written on the loop thread, rolling files included', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Small data files: the pending episodes roll over into several files mid-recording (the loop waits for each commit),
    // each of several row groups encoded as the episodes came.
    for (const offload of [true, false]) {
      const env = driftEnv();
      const r = await recordEpisodes(policyFor(env), env, { out: join(dir, String(offload)), episodes: 60, seed: 3, envId: 'Drift-v0', offload, writer: { dataFileSizeMb: 0.004, rowGroupRows: 40 } });
      assert.equal(r.totalEpisodes, 60);
    }
    const a = join(dir, 'true');
    const b = join(dir, 'false');
    assert.deepEqual(files(a), files(b));
    assert.ok(files(a).filter((f) => f.startsWith('data/')).length >= 3, `several data files: ${files(a).join(', ')}`);
    assert.ok(!existsSync(journalPath(a)) && !existsSync(join(a, '.lamkit/writer.lock')), 'journal and lock removed');
    for (const f of files(a)) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} identical`);
    const ds = await openDataset(a);
    assert.equal(ds.recovery.message, null);
    assert.equal(ds.episodes.length, 60);
    assert.equal(ds.stats['observation.state'].count[0], ds.totalFrames);

    // Appending through the writer thread continues the same dataset.
    const env = driftEnv();
    const r = await recordEpisodes(policyFor(env), env, { out: a, episodes: 5, seed: 100, envId: 'Drift-v0' });
    assert.equal(r.firstIndex, 60);
    assert.equal(r.totalEpisodes, 65);
    assert.equal((await openDataset(a)).episodes.length, 65);
  } finally {
    cleanup();
  }
});

test('offloaded: each episode is in the journal when onEpisode reports it (it survives a kill from then on)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = driftEnv();
    const seen: number[] = [];
    await recordEpisodes(policyFor(env), env, {
      out: dir,
      episodes: 8,
      seed: 1,
      onEpisode: (_o, index) => {
        const { records, tornBytes } = readJournal(journalPath(dir));
        seen.push(records.length);
        assert.equal(tornBytes, 0);
        assert.equal(records[records.length - 1].episodeIndex, index, 'the reported episode is the journal\'s last whole record');
      },
    });
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    cleanup();
  }
});

test('offloaded: the writer thread\'s typed errors reach the caller (a dataset another writer holds; spaces that differ)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const held = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    try {
      const env = driftEnv();
      await assert.rejects(recordEpisodes(policyFor(env), env, { out: dir, episodes: 2 }), (err: Error) => {
        assert.equal(err.name, 'InvalidArgument');
        assert.match(err.message, /^Dataset\(.*\): expected no other writer, got process \d+ writing it/);
        return true;
      });
    } finally {
      held.close();
    }
    const env = driftEnv();
    // The dataset's features match (a 3-d state, a 2-d action) but it records no spaces: refused by the writer thread, naming the field.
    await assert.rejects(recordEpisodes(policyFor(env), env, { out: dir, episodes: 2 }), { name: 'InvalidArgument', message: /^Dataset\(.*\)\.lamkit\.spaces: expected \{"observation"/ });
  } finally {
    cleanup();
  }
});

test('data files encoded a row group at a time as episodes arrive read back like one-group files (lamkit and DuckDB); bad rowGroupRows is refused', async () => {
  const { dir, cleanup } = tempDir();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const lengths = Array.from({ length: 23 }, (_, k) => 3 + ((k * 7) % 11));
    const eps = (): EpisodeData[] => lengths.map((n, k) => syntheticEpisode(new Rng(50 + k), n, 4, 2, `task ${k % 2}`));
    for (const [name, rowGroupRows] of [['many', 25], ['one', 1_000_000]] as const) {
      const w = await DatasetWriter.open(join(dir, name), syntheticSpec(4, 2), { rowGroupRows });
      for (const ep of eps()) w.addEpisode(ep);
      await w.closeAsync();
    }
    const groups = (name: string): number => openParquet(join(dir, name, 'data/chunk-000/file-000.parquet')).metadata.row_groups.length;
    assert.ok(groups('many') >= 5, `${groups('many')} row groups`);
    assert.equal(groups('one'), 1);
    const many = await openDataset(join(dir, 'many'));
    const one = await openDataset(join(dir, 'one'));
    assert.deepEqual(many.stats, one.stats);
    assert.deepEqual(many.episodes, one.episodes);
    for (let k = 0; k < lengths.length; k++) assert.deepEqual(await many.readEpisode(k), await one.readEpisode(k), `episode ${k}`);
    const q = async (name: string): Promise<unknown> => (await db.runAndReadAll(`SELECT count(*)::INT AS n, sum("index")::INT AS s, sum(list_sum("observation.state"))::DOUBLE AS x FROM read_parquet('${join(dir, name, 'data/chunk-000/file-000.parquet')}')`)).getRowObjectsJson();
    assert.deepEqual(await q('many'), await q('one'));
    await assert.rejects(DatasetWriter.open(join(dir, 'bad'), syntheticSpec(4, 2), { rowGroupRows: 0 }), { name: 'InvalidArgument', message: /^DatasetWriter\.open\.options\.rowGroupRows: expected a positive integer, got 0\./ });
  } finally {
    db.closeSync();
    instance.closeSync();
    cleanup();
  }
});
