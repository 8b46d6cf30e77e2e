import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { journalPath } from '../../src/data/writer-lock.js';
import { Rng } from '../../src/core/rng.js';
import { syntheticEpisode, syntheticSpec, tempDir, writeSynthetic } from './helpers.js';

const CHILD = join(import.meta.dirname, 'fixtures/record-forever.ts');

/** Runs the child until it reported `killAfter` finished episodes, then SIGKILLs it; returns how many it reported. */
async function recordAndKill(dir: string, killAfter: number, sizeMb: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(sizeMb)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let reported = -1;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const m = /^done (\d+)$/.exec(l);
        if (m) reported = Number(m[1]);
        if (reported + 1 >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
  return reported + 1;
}

test('a recording killed with SIGKILL keeps every finished episode; reopening recovers and appending continues', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    let finished = 0;
    // Three kills at different points; small files so kills also land around flushes (data file, metadata, commit).
    for (const [killAfter, sizeMb] of [[7, 0.01], [30, 0.02], [55, 0.005]] as const) {
      finished = await recordAndKill(dir, killAfter, sizeMb);
      assert.ok(finished >= killAfter, `child reported ${finished}`);
      assert.ok(existsSync(join(dir, '.lamkit/writer.lock')), 'the lock of the killed writer is left behind');
      const ds = await openDataset(dir);
      assert.ok(ds.episodes.length >= finished, `${ds.episodes.length} episodes readable, ${finished} reported finished (${ds.recovery.message})`);
      for (let k = 0; k < ds.episodes.length; k++) {
        const want = syntheticEpisode(new Rng(1000 + k), 20 + (k % 7) * 5, 8, 3, `task ${k % 3}`);
        assert.equal(ds.episodes[k].length, want.length, `episode ${k} length`);
        assert.deepEqual(ds.episodes[k].tasks, [`task ${k % 3}`]);
      }
      const last = ds.episodes.length - 1;
      const ep = await ds.readEpisode(last);
      assert.deepEqual(ep['observation.state'], syntheticEpisode(new Rng(1000 + last), 20 + (last % 7) * 5, 8, 3).frames['observation.state']);
      assert.equal(ds.stats['observation.state'].count[0], ds.totalFrames, 'stats consistent with the commit');
      assert.ok(!existsSync(join(dir, '.lamkit/writer.lock')), 'recovery released the stale lock');
    }
    // Every episode of the last run, read through the data files, equals what the child wrote.
    const ds = await openDataset(dir);
    assert.equal(ds.recovery.message, null, 'nothing left to recover');
    for (let k = 0; k < ds.episodes.length; k += 5) {
      const ep = await ds.readEpisode(k, ['action']);
      assert.deepEqual(ep.action, syntheticEpisode(new Rng(1000 + k), 20 + (k % 7) * 5, 8, 3).frames.action, `episode ${k}`);
    }
  } finally {
    cleanup();
  }
});

test('a torn last journal record is dropped and reported; whole ones are committed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [4, 5]);
    // What a killed writer leaves: two journaled episodes, the second cut off mid-write, and a stale lock.
    const w = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    w.addEpisode(syntheticEpisode(new Rng(5), 6, 3, 2));
    const { readFileSync, writeFileSync } = await import('node:fs');
    const whole = readFileSync(journalPath(dir));
    w.addEpisode(syntheticEpisode(new Rng(6), 7, 3, 2));
    const both = readFileSync(journalPath(dir));
    (w as unknown as { journal: { close(): void } }).journal.close();
    writeFileSync(journalPath(dir), both.subarray(0, whole.length + 40));
    writeFileSync(join(dir, '.lamkit/writer.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    // A data file of a flush that never committed.
    appendFileSync(join(dir, 'data/chunk-000/file-007.parquet'), 'PAR1 half a file');

    const readOnly = await openDataset(dir, { readOnly: true });
    assert.equal(readOnly.episodes.length, 2);
    assert.match(readOnly.recovery.message!, /1 finished episode\(s\) from the journal; dropped an unfinished episode \(40 bytes\); 1 uncommitted file\(s\) \(read-only: not repaired/);

    const ds = await openDataset(dir);
    assert.equal(ds.episodes.length, 3);
    assert.equal(ds.recovery.repaired, true);
    assert.match(ds.recovery.message!, /^recovered a recording that stopped before committing: committed 1 finished episode\(s\) from the journal; dropped an unfinished episode \(40 bytes\); removed 1 uncommitted file\(s\)$/);
    assert.deepEqual((await ds.readEpisode(2))['observation.state'], syntheticEpisode(new Rng(5), 6, 3, 2).frames['observation.state']);
    assert.deepEqual(readdirSync(join(dir, 'data/chunk-000')).sort(), ['file-000.parquet', 'file-001.parquet']);
  } finally {
    cleanup();
  }
});

test('while a live process writes, readers see the committed episodes and change nothing; a second writer is refused', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [4]);
    const w = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    w.addEpisode(syntheticEpisode(new Rng(1), 5, 3, 2));
    const ds = await openDataset(dir);
    assert.equal(ds.episodes.length, 1);
    assert.equal(ds.recovery.writerPid, process.pid);
    assert.match(ds.recovery.message!, /is writing this dataset: 1 finished episode\(s\) are in its journal/);
    await assert.rejects(DatasetWriter.open(dir, syntheticSpec(3, 2)), new RegExp(`Dataset\\(.*\\): expected no other writer, got process ${process.pid} writing it`));
    w.close();
    assert.equal((await openDataset(dir)).episodes.length, 2);
  } finally {
    cleanup();
  }
});
