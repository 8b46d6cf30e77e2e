import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { tempDir } from './helpers.js';

/** Runs `lamkit ...` in-process; returns its exit code, stdout and stderr. */
async function lamkit(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  // The test runner reports through stdout too: keep only what lamkit prints (its lines start with `lamkit` or the dataset path / indentation of `dataset info`).
  const mine = (c: unknown): boolean => typeof c === 'string' && !c.startsWith('\u0000');
  process.stdout.write = ((c: string, ...rest: never[]) => (mine(c) ? (out.push(c), true) : o(c, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((c: string, ...rest: never[]) => (mine(c) ? (err.push(c), true) : e(c, ...rest))) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

test('lamkit record (expert, random, noisy play data) and lamkit dataset info|split|merge|compact end to end', { timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = join(dir, 'reach');
    let r = await lamkit(['record', '--env', 'ArmReach-v0', '--policy', 'expert', '--episodes', '3', '--seed', '0', '--out', a, '--no-progress']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^lamkit record: ArmReach-v0, 3 episodes \(150 frames\): return -\d+\.\d+ ± \d+\.\d+; success rate 100\.0%; .*reach now has 3 episodes, 150 frames\n$/);
    r = await lamkit(['record', '--env', 'ArmReach-v0', '--policy', 'random', '--episodes', '2', '--seed', '10', '--out', join(dir, 'random'), '--no-progress']);
    assert.equal(r.code, 0, r.err);
    r = await lamkit(['record', '--env', 'ArmReach-v0', '--policy', 'expert', '--episodes', '2', '--seed', '3', '--out', join(dir, 'noisy'), '--action-noise', '0.2', '--epsilon', '0.1', '--task', 'reach the red dot', '--no-progress']);
    assert.equal(r.code, 0, r.err);
    // --expert-options reach the expert: capped at 1 cm/s, ArmReach's expert cannot get there in 50 steps.
    r = await lamkit(['record', '--env', 'ArmReach-v0', '--policy', 'expert', '--episodes', '2', '--seed', '0', '--out', join(dir, 'slow'), '--expert-options', '{"maxSpeed": 0.01}', '--no-progress']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /success rate 0\.0%/);
    const noisy = await openDataset(join(dir, 'noisy'));
    assert.ok('action.executed' in noisy.features);
    assert.deepEqual(noisy.tasks, ['reach the red dot']);

    r = await lamkit(['dataset', 'info', a]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /LeRobot v3\.0, 3 episodes, 150 frames at 25 fps in 1 data file\(s\); task env ArmReach-v0/);
    assert.match(r.out, /success rate: 100\.0% \(3\/3\)/);
    assert.match(r.out, /return: mean -\d/);
    assert.match(r.out, /\| █+ \d+/, 'a histogram of returns');
    assert.match(r.out, /observation\.state: float32\[21\] {2}mean \[/);

    r = await lamkit(['dataset', 'split', a, '--val', '0.34', '--test', '0', '--seed', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /train 2, val 1, test 0 episodes \(seed 2\)/);
    assert.match((await lamkit(['dataset', 'info', a])).out, /splits \(seed 2\): train 2, val 1, test 0 episodes/);

    const merged = join(dir, 'merged');
    r = await lamkit(['dataset', 'merge', a, join(dir, 'random'), '--out', merged]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 dataset\(s\) -> .*merged \(5 episodes\)/);
    // Merging writes one file; appending another session adds a second; compact rewrites them as one.
    r = await lamkit(['record', '--env', 'ArmReach-v0', '--episodes', '1', '--out', merged, '--no-progress']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /now has 6 episodes, 300 frames/);
    r = await lamkit(['dataset', 'compact', merged]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /: 2 -> 1 data file\(s\)/);
    const m = await openDataset(merged);
    assert.equal(m.episodes.length, 6);
    assert.deepEqual(readdirSync(join(merged, 'data/chunk-000')), ['file-000.parquet']);
    assert.ok(!existsSync(`${merged}.prev`));

    // Expected failures: exit 2, one line in the house format.
    const bad = async (args: string[], pattern: RegExp): Promise<void> => {
      const x = await lamkit(args);
      assert.equal(x.code, 2, `${args.join(' ')}: ${x.out}${x.err}`);
      assert.match(x.err, pattern);
      assert.equal(x.err.trim().split('\n').length, 1);
    };
    await bad(['record', '--env', 'Reacher-v5', '--policy', 'random', '--episodes', '1', '--out', a, '--no-progress'], /^lamkit: InvalidArgument: Dataset\(.*reach\)\.lamkit\.spaces: expected this env's spaces .* Append only data of the same spaces/);
    await bad(['record', '--env', 'Reacher-v5', '--episodes', '1', '--out', join(dir, 'x')], /lamkit record --policy expert: expected a task with a scripted expert .*, got "Reacher-v5"\. Pass --policy random or a checkpoint\./);
    await bad(['record', '--env', 'ArmReach-v0', '--epsilon', '2', '--out', join(dir, 'x')], /lamkit record --epsilon: expected a number in \[0, 1\], got "2"\. Pass e\.g\. --epsilon 0\.1\./);
    await bad(['record', '--env', 'ArmReach-v0', '--expert-options', '{"lookFirst": true}', '--out', join(dir, 'x')], /lamkit record --expert-options: expected options of ArmReach-v0's expert \(gain, dampingM, postureGain, maxSpeed\), got "lookFirst"\. Drop or rename the unknown keys\./);
    await bad(['record', '--env', 'CommandAvatar-v0', '--expert-options', '{"speed": 1}', '--out', join(dir, 'x')], /lamkit record --expert-options: expected no options for CommandAvatar-v0's expert, got "speed"\. Omit --expert-options\./);
    await bad(['record', '--env', 'ArmReach-v0', '--policy', 'random', '--expert-options', '{}', '--out', join(dir, 'x')], /lamkit record --expert-options: expected options of the scripted expert, with --policy expert, got --policy "random"\. Pass --policy expert, or drop --expert-options\./);
    await bad(['record', '--env', 'ArmReach-v0', '--expert-options', '{maxSpeed: 1}', '--out', join(dir, 'x')], /lamkit record --expert-options: expected valid JSON/);
    await bad(['record', '--env', 'LangReach-v0', '--no-images', '--expert-options', '{"lookFirst": 1}', '--out', join(dir, 'x')], /lamkit record --expert-options lookFirst: expected true or false, got 1\. Pass e\.g\. \{"lookFirst": true\}\./);
    await bad(['record', '--env', 'LangReach-v0', '--no-images', '--expert-options', '{"lookIfHidden": "yes"}', '--out', join(dir, 'x')], /lamkit record --expert-options lookIfHidden: expected true or false, got "yes"\. Pass e\.g\. \{"lookIfHidden": true\}\./);
    // lookIfHidden reads the camera image: without one (--no-images) the expert refuses.
    await bad(['record', '--env', 'LangReach-v0', '--no-images', '--policy', 'expert', '--expert-options', '{"lookIfHidden": true}', '--episodes', '1', '--out', join(dir, 'x')], /LangReachExpert\.lookIfHidden: expected an env with camera images/);
    await bad(['record', '--env', 'ArmReach-v0', '--expert-options', '{"maxSpeed": "fast"}', '--out', join(dir, 'x')], /lamkit record --expert-options maxSpeed: expected a finite number, got "fast"\. Pass e\.g\. \{"maxSpeed": 0\.5\}\./);
    await bad(['dataset', 'info', join(dir, 'nothing')], /^lamkit: FileFormatError: Dataset\(.*nothing\): expected a LeRobot dataset directory with meta\/info\.json/);
    await bad(['dataset', 'split', a, '--val', '0.5', '--test', '0.5'], /splitEpisodes: expected val \+ test < 1/);
  } finally {
    cleanup();
  }
});

test('a `lamkit record` process killed with SIGKILL leaves every episode it reported readable', { timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), 'record', '--env', 'ArmReach-v0', '--policy', 'random', '--episodes', '100000', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '' } });
    // The progress bar prints "n/100000 episodes" lines on a non-TTY every 5 s; wait for the journal instead.
    const journal = join(out, '.lamkit/journal.bin');
    const { statSync } = await import('node:fs');
    const started = Date.now();
    while (!(existsSync(journal) && statSync(journal).size > 40_000) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const { readJournal } = await import('../../src/data/episode-journal.js');
    const journaled = readJournal(journal).records.length;
    assert.ok(journaled >= 5, `${journaled} episodes journaled before the kill`);
    const ds = await openDataset(out);
    assert.ok(ds.episodes.length >= journaled, `${ds.episodes.length} readable >= ${journaled} journaled`);
    assert.match(ds.recovery.message!, /committed \d+ finished episode\(s\) from the journal/);
    const ep = await ds.readEpisode(ds.episodes.length - 1);
    assert.equal((ep['observation.state'] as Float32Array).length, 50 * 21);
  } finally {
    cleanup();
  }
});
