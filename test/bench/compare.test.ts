import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeBench } from '../../src/bench/summarize-bench.js';
import { compareBenchResults } from '../../src/bench/compare-bench-results.js';
import type { EvaluationRun } from '../../src/bench/evaluate-job.js';
import type { BenchResults } from '../../src/bench/bench-results.js';
import { main } from '../../src/cli/main.js';
import { captureOutput } from './capture-output.js';

/** Results of one policy `ppo` on two tasks, with given run scores (each run: one episode of that return). */
function results(scores: Record<string, number[]>): BenchResults {
  const runs: EvaluationRun[] = [];
  for (const [envId, xs] of Object.entries(scores)) {
    xs.forEach((x, seed) => runs.push({ index: runs.length, policy: 'ppo', source: 'runs/ppo', envId, seed, episodes: 1, deterministic: true, returns: [x], lengths: [10], successes: [null], steps: 10, wallSeconds: 0.01, aborted: false, error: null }));
  }
  return summarizeBench({
    createdAt: '2026-12-01T00:00:00Z',
    command: null,
    machine: { cpuModel: 'test', cpus: 1, node: 'v20', platform: 'test', loadAvg1m: [0, 0] },
    settings: { episodes: 1, seeds: [0], episodeSeedStride: 10000, deterministic: true, workers: 0, bootstrap: { reps: 500, profileReps: 200, confidence: 0.95, seed: 0 }, latencyCalls: 0 },
    interrupted: false,
    tasks: Object.keys(scores).map((envId) => ({ envId, hasExpert: false })),
    policies: [{ label: 'ppo', role: 'policy', listed: true, sources: Object.keys(scores).map((envId) => ({ source: 'runs/ppo', envId })) }],
    runs,
    training: [],
    curves: [],
    failures: [],
  });
}

const base = { 'CartPole-v1': [480, 490, 500, 495, 485, 500, 470, 490], 'Pendulum-v1': [-200, -190, -210, -180, -205, -195, -185, -200] };

test('summary: probability of improvement per task and averaged (P(x > y) on each task, then the mean)', () => {
  const r = results({ 'CartPole-v1': [1, 2], 'Pendulum-v1': [5, 6] });
  const withTwo = { ...r, policies: [...r.policies, { label: 'other', role: 'policy' as const, listed: true, sources: [] }] };
  const runs = [...r.runs, ...[3, 4].map((x, seed) => ({ ...r.runs[0], policy: 'other', seed, returns: [x] })), ...[5, 5].map((x, seed) => ({ ...r.runs[0], envId: 'Pendulum-v1', policy: 'other', seed, returns: [x] }))];
  const s = summarizeBench({ ...withTwo, runs, tasks: r.tasks.map((t) => ({ envId: t.envId, hasExpert: false })) } as never);
  // CartPole: ppo [1, 2] vs other [3, 4] -> 0; Pendulum: [5, 6] vs [5, 5] -> (0.5 + 0.5 + 1 + 1) / 4 = 0.75.
  assert.deepEqual(s.improvement.map((i) => [i.x, i.y, i.tasks, i.perTask, i.probability.estimate]), [['ppo', 'other', ['CartPole-v1', 'Pendulum-v1'], [0, 0.75], 0.375]]);
});

test('compare: a clear 20% drop is a significant regression; noise within the old spread is not', () => {
  const dropped = { 'CartPole-v1': base['CartPole-v1'].map((x) => x * 0.8), 'Pendulum-v1': base['Pendulum-v1'] };
  const c = compareBenchResults(results(base), results(dropped), { reps: 2000 });
  const cart = c.rows.find((r) => r.envId === 'CartPole-v1')!;
  assert.equal(cart.verdict, 'regression');
  assert.ok(Math.abs(cart.relative!.estimate - -0.2) < 1e-12, `relative ${cart.relative!.estimate}`); // IQM scales with the scores
  assert.ok(cart.difference.upper < 0);
  assert.equal(cart.probabilityOfImprovement.estimate, 0);
  assert.equal(c.rows.find((r) => r.envId === 'Pendulum-v1')!.verdict, 'same');
  assert.equal(c.regressions, 1);

  const shuffled = { 'CartPole-v1': [...base['CartPole-v1']].reverse(), 'Pendulum-v1': [...base['Pendulum-v1']].reverse() };
  const same = compareBenchResults(results(base), results(shuffled));
  assert.deepEqual(same.rows.map((r) => r.verdict), ['same', 'same']);
  assert.equal(same.rows[0].probabilityOfImprovement.estimate, 0.5);
  // A 3% drop beyond nothing: below the 5% threshold, so not a regression even if significant.
  const small = compareBenchResults(results(base), results({ ...base, 'CartPole-v1': base['CartPole-v1'].map((x) => x * 0.97) }));
  assert.equal(small.rows[0].verdict, 'same');
  assert.equal(compareBenchResults(results(base), results({ ...base, 'CartPole-v1': base['CartPole-v1'].map((x) => x * 0.97) }), { threshold: 0.01 }).rows[0].verdict, 'regression');
  // Pendulum (negative returns): more negative is worse.
  const worse = compareBenchResults(results(base), results({ ...base, 'Pendulum-v1': base['Pendulum-v1'].map((x) => x * 1.5) }));
  assert.equal(worse.rows.find((r) => r.envId === 'Pendulum-v1')!.verdict, 'regression');
});

test('lamkit bench --compare: prints the table and exits 1 on a significant regression, 0 otherwise, 2 for a bad file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-compare-'));
  try {
    writeFileSync(join(dir, 'old.json'), JSON.stringify(results(base)));
    writeFileSync(join(dir, 'new.json'), JSON.stringify(results({ ...base, 'CartPole-v1': base['CartPole-v1'].map((x) => x * 0.5) })));
    const exitCode = process.exitCode;
    const { text } = await captureOutput(async () => {
      try {
        await main(['bench', '--compare', join(dir, 'old.json'), join(dir, 'new.json')]);
        assert.equal(process.exitCode, 1);
        process.exitCode = exitCode;
        await main(['bench', '--compare', join(dir, 'old.json'), join(dir, 'old.json')]);
        assert.equal(process.exitCode ?? 0, 0);
        assert.equal(await main(['bench', '--compare', join(dir, 'old.json'), join(dir, 'missing.json')]), 2);
      } finally {
        process.exitCode = exitCode;
      }
    });
    assert.match(text, /CartPole-v1\s+ppo\s+490 \(8\)\s+245 \(8\)\s+-50\.0% \[/);
    assert.match(text, /REGRESSION/);
    assert.match(text, /1 significant regression\(s\) beyond 5%/);
    assert.match(text, /no significant regression beyond 5%/);
    assert.match(text, /lamkit: InvalidArgument: lamkit bench --compare: expected a results.json written by lamkit bench \(or its directory\), got ".*missing.json" \(no such file\). Check the path.\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
