import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from '../../src/bench/run-bench.js';
import { runScore } from '../../src/bench/summarize-bench.js';
import { interquartileMean } from '../../src/bench/interquartile-mean.js';
import { CSV_COLUMNS } from '../../src/bench/bench-report.js';
import { LAMKIT_BENCH_SOURCES } from '../../src/cli/commands/bench-sources.js';
import { runBenchCommand, parseSeeds, type BenchFlags } from '../../src/cli/commands/bench.js';
import { main } from '../../src/cli/main.js';
import { captureOutput } from './capture-output.js';
import type { BenchResults } from '../../src/bench/bench-results.js';

const FIXTURE = 'test/fixtures/checkpoint-v1/cartpole';
const tmp = mkdtempSync(join(tmpdir(), 'lamkit-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const flags = (over: Partial<BenchFlags>): BenchFlags => ({ seeds: '0-1', episodes: '3', references: true, bootstrapReps: '500', confidence: '0.95', latencyCalls: '20', threshold: '0.05', workers: '0', ...over });

test('parseSeeds: ranges and lists; bad text names the flag', () => {
  assert.deepEqual(parseSeeds('lamkit bench --seeds', '0-3'), [0, 1, 2, 3]);
  assert.deepEqual(parseSeeds('lamkit bench --seeds', '1,2,5-6,2'), [1, 2, 5, 6]);
  assert.throws(() => parseSeeds('lamkit bench --seeds', '3-1'), /^InvalidArgument: lamkit bench --seeds: expected seeds as a range or list of non-negative integers \(0-9, 1,2,3\), got "3-1". Pass e.g. --seeds 0-9.$/);
});

test('runBench: the same seeds give the same runs and figures, with or without worker threads; the expert is normalized to 1', async () => {
  const plan = {
    policies: [
      { label: 'ckpt', role: 'policy' as const, listed: true, sources: [{ source: FIXTURE, envId: 'CartPole-v1' }] },
      { label: 'random', role: 'random' as const, listed: true, sources: [{ source: 'random', envId: 'CartPole-v1' }, { source: 'random', envId: 'ArmReach-v0' }] },
    ],
    envs: ['CartPole-v1', 'ArmReach-v0'],
    seeds: [0, 1, 2],
    episodes: 2,
    sources: LAMKIT_BENCH_SOURCES,
    bootstrap: { reps: 300 },
    latencyCalls: 0,
  };
  const inThread = await runBench({ ...plan, workers: 0 });
  const inWorkers = await runBench({ ...plan, workers: 2 });
  const strip = (r: BenchResults) => ({ runs: r.runs.map(({ wallSeconds: _w, ...run }) => run), results: r.results.map(({ stepsPerSecond: _s, ...x }) => x), aggregates: r.aggregates, profiles: r.profiles, improvement: r.improvement, tasks: r.tasks });
  assert.deepEqual(strip(inWorkers), strip(inThread));
  // Jobs: ckpt x CartPole x 3, random x 2 tasks x 3, expert (added as reference) x ArmReach x 3.
  assert.equal(inThread.runs.length, 3 + 6 + 3);
  assert.deepEqual(inThread.policies.map((p) => [p.label, p.listed]), [['ckpt', true], ['random', true], ['expert', false]]);
  // Episode k of seed s resets with s * 10000 + k: distinct episodes per seed.
  const cart = inThread.results.find((r) => r.policy === 'ckpt' && r.envId === 'CartPole-v1')!;
  const scores = inThread.runs.filter((r) => r.policy === 'ckpt').map((r) => runScore(r) as number);
  assert.equal(cart.iqm.estimate, interquartileMean(scores));
  assert.ok(cart.iqm.lower <= cart.iqm.estimate && cart.iqm.estimate <= cart.iqm.upper);
  const reach = inThread.tasks.find((t) => t.envId === 'ArmReach-v0')!;
  assert.equal(reach.hasExpert, true);
  const expert = inThread.results.find((r) => r.policy === 'expert')!;
  assert.ok(Math.abs(expert.normalized!.estimate - 1) < 1e-9, 'expert is 1 on the normalized scale');
  assert.equal(expert.successRate, 1);
  assert.equal(inThread.results.find((r) => r.envId === 'CartPole-v1' && r.policy === 'random')!.normalized, null, 'no expert, no normalized score');
  assert.deepEqual(inThread.aggregates.map((a) => a.tasks), [['ArmReach-v0'], ['ArmReach-v0']]);
  assert.deepEqual(inThread.improvement.map((i) => [i.x, i.y, i.tasks]), [['ckpt', 'random', ['CartPole-v1']]]);
});

test('lamkit bench: a missing and a corrupt checkpoint fail naming the file; the other results are written', async () => {
  const corrupt = join(tmp, 'corrupt');
  cpSync(FIXTURE, corrupt, { recursive: true });
  writeFileSync(join(corrupt, 'weights.bin'), new Uint8Array(7));
  const out = join(tmp, 'out-failures');
  const outcome = await runBenchCommand(flags({ policies: ['good=' + FIXTURE, 'bad=' + corrupt, join(tmp, 'nowhere'), 'random'], out }));
  assert.ok(outcome.failure, 'the command reports a failure');
  assert.match(outcome.failure!.message, /corrupt/);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.deepEqual(results.failures.map((f) => f.policy), ['bad', join(tmp, 'nowhere')]);
  assert.match(results.failures[0].error.message, new RegExp(`${corrupt}.*weights\\.bin|weights\\.bin.*${corrupt}`));
  assert.match(results.failures[1].error.message, /no such directory/);
  assert.deepEqual(results.results.map((r) => `${r.policy} ${r.envId} ${r.runs}`), ['good CartPole-v1 2', 'random CartPole-v1 2']);
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], CSV_COLUMNS.join(','));
  assert.equal(csv.length, 3);
  for (const f of ['report.html', 'figures/task-iqm.svg', 'figures/return-distribution.svg', 'figures/performance-profile.svg', 'figures/probability-of-improvement.svg']) assert.ok(existsSync(join(out, f)), f);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /Failures[\s\S]*bad/);
  assert.doesNotMatch(html, /<script/, 'self-contained, no script');

  // Through the CLI: the table, then exit 2 with a one-line message naming the file.
  const { value: code, text } = await captureOutput(() => main(['bench', '--policies', corrupt, '--seeds', '0', '--episodes', '1', '--latency-calls', '0', '--workers', '0', '--out', join(tmp, 'out-cli')]));
  assert.equal(code, 2);
  const last = text.split('\n').filter((l) => l.startsWith('lamkit: ')).join('\n') + '\n';
  assert.match(last, /^lamkit: FileFormatError: .*weights\.bin.*\n$/);
  assert.ok(existsSync(join(tmp, 'out-cli', 'results.json')), 'results written before failing');
});

test('lamkit bench: --out with results.json needs --force; unknown tasks and missing --out fail in the house format', async () => {
  const out = join(tmp, 'out-twice');
  await runBenchCommand(flags({ policies: ['random'], envs: ['CartPole-v1'], out, seeds: '0', episodes: '1', latencyCalls: '0' }));
  await assert.rejects(runBenchCommand(flags({ policies: ['random'], envs: ['CartPole-v1'], out })), /lamkit bench --out: expected a directory without results.json, got ".*" \(it holds results.json\). Pick another --out, or pass --force to replace it./);
  await assert.rejects(runBenchCommand(flags({ policies: ['random'], envs: ['Nope-v9'], out: join(tmp, 'x') })), /lamkit bench --envs: expected registered task ids \(see `lamkit envs`\), got "Nope-v9". Fix the id./);
  await assert.rejects(runBenchCommand(flags({ policies: ['random'], envs: ['CartPole-v1'] })), /lamkit bench --out: expected an output directory, got nothing/);
});
