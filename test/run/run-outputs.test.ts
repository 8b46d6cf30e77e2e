import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, readdirSync, readlinkSync, appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunOutputs } from '../../src/run/run-outputs.js';
import { formatRate } from '../../src/run/progress-reporter.js';
import { autoRunDir } from '../../src/run/run-directory.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-run-outputs-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Paths of this process's open file descriptors (Linux), to check a file was closed. */
function openFiles(): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      paths.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed while listing
    }
  }
  return paths;
}

const readRows = (dir: string): MetricRow[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const input = { envId: 'Test-v0', algo: 'gail', config: { seed: 7, totalSteps: 400, hidden: [8] }, backend: 'cpu', result: { globalStep: 400, updates: 4, wallSeconds: 1.5 }, resumedFrom: null };

test('RunOutputs: metrics.jsonl gets every row (keys of any algorithm); finish writes summary.json, config.json and the SVG; close twice is fine', async () => {
  const dir = join(root, 'a', 'nested', 'run');
  const metrics = new MetricStream();
  const outputs = RunOutputs.open(dir, { metrics, totalSteps: 400, label: 'Test-v0 gail' });
  assert.ok(existsSync(dir), 'open creates the directory');
  const rows: MetricRow[] = [];
  for (let i = 0; i < 25; i++) rows.push({ global_step: 16 * (i + 1), wall_s: 0.05 * i, 'charts/episodic_return': i, 'charts/episodic_length': 16 });
  rows.push({ global_step: 400, wall_s: 1.5, 'losses/discriminator_loss': 0.25, 'charts/expert_accuracy': 0.75 });
  for (const r of rows) metrics.emit(r);
  assert.deepEqual(outputs.episodes.map((e) => e.value), [...Array(25).keys()]);
  metrics.complete();
  const summary = await outputs.finish(input);
  assert.deepEqual(readRows(dir), rows);
  assert.deepEqual(summary, {
    envId: 'Test-v0',
    algo: 'gail',
    seed: 7,
    totalSteps: 400,
    globalStep: 400,
    updates: 4,
    wallSeconds: 1.5,
    backend: 'cpu',
    episodes: 25,
    finalMeanReturn20: (5 + 24) / 2, // mean of returns 5..24
    bestMeanReturn20: (5 + 24) / 2,
    resumedFrom: null,
  });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), summary);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), input.config);
  const svg = readFileSync(join(dir, 'learning-curve.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*>[\s\S]*<path d="M[\s\S]*<\/svg>\n$/);
  assert.match(svg, /Test-v0 - gail \(seed 7\)/);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'learning-curve.svg', 'metrics.jsonl', 'summary.json'], 'no temp files left');
  assert.ok(!openFiles().includes(join(dir, 'metrics.jsonl')), 'metrics.jsonl is closed');
  outputs.close();
  outputs.close();
});

test('RunOutputs resume: metrics.jsonl is cut back to the checkpoint step (never steps back); curve and summary cover the whole run', async () => {
  const dir = join(root, 'resumed');
  // The first invocation ran to step 80 but its last checkpoint is at 48 (a crash, or Ctrl-C between saves).
  let metrics = new MetricStream();
  let outputs = RunOutputs.open(dir, { metrics, totalSteps: 160, label: 'first' });
  for (let i = 1; i <= 5; i++) metrics.emit({ global_step: 16 * i, wall_s: i, 'charts/episodic_return': 10 * i });
  metrics.emit({ global_step: 48, wall_s: 3, 'losses/approx_kl': 0.01 });
  outputs.close();
  // A crash mid-write leaves half a line.
  appendFileSync(join(dir, 'metrics.jsonl'), '{"global_step": 96, "wall');
  metrics = new MetricStream();
  outputs = RunOutputs.open(dir, { metrics, totalSteps: 160, startStep: 48, mode: 'resume', label: 'resumed' });
  assert.deepEqual(readRows(dir).map((r) => r.global_step), [16, 32, 48, 48], 'rows past the checkpoint and the broken line are gone');
  assert.deepEqual(outputs.episodes.map((e) => e.step), [16, 32, 48], "the run's earlier episodes start the curve");
  for (let i = 1; i <= 2; i++) metrics.emit({ global_step: 48 + 16 * i, wall_s: 3 + i, 'charts/episodic_return': 100 });
  metrics.complete();
  const summary = await outputs.finish({ ...input, resumedFrom: dir });
  const steps = readRows(dir).map((r) => r.global_step);
  assert.deepEqual(steps, [16, 32, 48, 48, 64, 80]);
  assert.equal(summary.episodes, 5, 'the whole run');
  assert.equal(summary.finalMeanReturn20, (10 + 20 + 30 + 100 + 100) / 5);
  assert.equal(summary.resumedFrom, dir);
  assert.equal((readFileSync(join(dir, 'learning-curve.svg'), 'utf8').match(/<path d="M/g) ?? []).length, 2);
});

test('RunOutputs: an existing run directory is refused unless resumed or replaced; replace deletes only the run files; a file is refused', () => {
  const dir = join(root, 'taken');
  const first = RunOutputs.open(dir, { metrics: new MetricStream(), totalSteps: 10, label: 'a' });
  first.close();
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  mkdirSync(join(dir, 'checkpoint'));
  assert.throws(() => RunOutputs.open(dir, { metrics: new MetricStream(), totalSteps: 10, label: 'b', where: 'lamkit train --out' }), {
    name: 'InvalidArgument',
    message: `lamkit train --out: expected a directory without a run in it, got ${JSON.stringify(dir)} (it holds checkpoint/, metrics.jsonl). Continue that run with --resume ${dir}, replace it with --force, or pick another --out.`,
  });
  const replaced = RunOutputs.open(dir, { metrics: new MetricStream(), totalSteps: 10, label: 'c', mode: 'replace' });
  replaced.close();
  assert.deepEqual(readdirSync(dir).sort(), ['metrics.jsonl', 'notes.txt']);
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), '');
  // An empty directory, or one with other files only (what replace leaves), takes a new run.
  mkdirSync(join(root, 'empty'));
  RunOutputs.open(join(root, 'empty'), { metrics: new MetricStream(), totalSteps: 10, label: 'd' }).close();
  rmSync(join(dir, 'metrics.jsonl'));
  RunOutputs.open(dir, { metrics: new MetricStream(), totalSteps: 10, label: 'd' }).close();
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  for (const mode of ['new', 'resume', 'replace'] as const) {
    assert.throws(() => RunOutputs.open(file, { metrics: new MetricStream(), totalSteps: 10, label: 'e', mode, where: 'lamkit train --out' }), {
      message: `lamkit train --out: expected a directory, got ${JSON.stringify(file)} (an existing file). Pass a directory path, e.g. runs/cartpole.`,
    });
  }
  assert.match(autoRunDir('ArmReach-v0', 'ppo', 3, 1_700_000_000_123), /^runs[/\\]ArmReach-v0__ppo__3__1700000000$/);
  assert.match(autoRunDir('a/b c', 'ppo', 1, 0), /^runs[/\\]a_b_c__ppo__1__0$/);
});

test('RunOutputs: a failed stream detaches everything cleanly (no uncaught rethrow), with the progress bar on', async () => {
  const dir = join(root, 'failed');
  const metrics = new MetricStream();
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  let outputs: RunOutputs;
  try {
    outputs = RunOutputs.open(dir, { metrics, totalSteps: 100, label: 'failing', progress: true });
    metrics.emit({ global_step: 10, wall_s: 0.1, 'charts/episodic_return': 1 });
    metrics.error(new Error('robot disconnected'));
    // RxJS rethrows an error no subscriber handles on a later tick: give it that tick.
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.stderr.write = write;
  }
  assert.ok(stderr.join('').includes('failing'), 'the progress bar drew to stderr');
  assert.ok(!openFiles().includes(join(dir, 'metrics.jsonl')), 'metrics.jsonl is closed');
  outputs.close();
  outputs.close();
  assert.equal(readRows(dir).length, 1);
  assert.deepEqual(outputs.episodes, [{ step: 10, value: 1, wall: 0.1 }]);
  // Closing first, then failing the stream (what lamkit train does) is fine too.
  const m2 = new MetricStream();
  const o2 = RunOutputs.open(dir, { metrics: m2, totalSteps: 100, label: 'x', mode: 'replace' });
  o2.close();
  m2.error(new Error('late'));
  await new Promise((r) => setTimeout(r, 20));
});

test('RunOutputs.open: bad options give typed errors in the house format', () => {
  const metrics = new MetricStream();
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['', {}, 'RunOutputs.open.outDir: expected a directory path, got "". Pass e.g. runs/cartpole.'],
    [join(root, 'bad'), { totalSteps: 0 }, 'RunOutputs.open.totalSteps: expected a positive integer, got 0. Pass the env steps the run ends at.'],
    [join(root, 'bad'), { startStep: -1 }, 'RunOutputs.open.startStep: expected an integer >= 0, got -1. Pass the global step of the run being resumed, or omit it.'],
    [join(root, 'bad'), { label: 3 }, "RunOutputs.open.label: expected a string, got 3. Pass e.g. 'CartPole-v1 ppo'."],
  ];
  for (const [dir, opts, message] of cases) {
    assert.throws(() => RunOutputs.open(dir, { metrics, totalSteps: 10, label: 'ok', ...opts } as never), (err: unknown) => err instanceof InvalidArgument && err.message === message);
  }
  assert.ok(!existsSync(join(root, 'bad')), 'nothing created on bad options');
});

test('progress bar rate: whole steps/s from 10 up, two significant digits below (a slow fine-tuning step does not read 0 sps)', () => {
  assert.equal(formatRate(1234.4), '1234');
  assert.equal(formatRate(10), '10');
  assert.equal(formatRate(9.94), '9.9');
  assert.equal(formatRate(0.4642), '0.46');
  assert.equal(formatRate(0.05), '0.050');
  assert.equal(formatRate(Number.NaN), '-');
});
