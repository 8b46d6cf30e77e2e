import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { BenchResults } from '../../src/bench/bench-results.js';
import { captureOutput } from './capture-output.js';

test('lamkit bench train: one run per task x seed, evaluated into the same report with wall-clock, SPS and learning curves; finished runs are reused', async () => {
  const out = mkdtempSync(join(tmpdir(), 'lamkit-bench-train-'));
  try {
    const argv = ['bench', 'train', '--envs', 'CartPole-v1', '--seeds', '1,2', '--total-steps', '2048', '--config', '{"numEnvs":4,"numSteps":64}', '--eval-seeds', '0-2', '--episodes', '2', '--latency-calls', '0', '--bootstrap-reps', '500', '--workers', '0', '--out', out];
    const first = await captureOutput(() => main(argv));
    assert.equal(first.value, 0, first.text);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
    assert.deepEqual(results.training.map((t) => [t.algo, t.envId, t.seed, t.globalStep]), [['ppo', 'CartPole-v1', 1, 2048], ['ppo', 'CartPole-v1', 2, 2048]]);
    assert.ok(results.training.every((t) => t.stepsPerSecond > 0 && t.wallSeconds > 0));
    assert.deepEqual(results.policies.map((p) => [p.label, p.sources.length]), [['ppo', 2]]);
    assert.equal(results.results[0].runs, 2 * 3, 'training seeds x evaluation seeds');
    assert.deepEqual(results.curves.map((c) => [c.label, c.seed]), [['ppo', 1], ['ppo', 2]]);
    assert.ok(results.curves[0].points.length > 5);
    assert.ok(existsSync(join(out, 'figures', 'learning-curves.svg')));
    assert.ok(existsSync(join(out, 'runs', 'CartPole-v1', 'seed-2', 'checkpoint', 'checkpoint.json')));
    assert.match(first.text, /ppo CartPole-v1 seed 1\s+2048/);

    const again = await captureOutput(() => main(argv));
    assert.equal(again.value, 0);
    assert.match(again.text, /CartPole-v1 seed 1: reusing the finished run/);
    const rerun = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
    assert.deepEqual(rerun.results.map((r) => r.iqm), results.results.map((r) => r.iqm), 'same checkpoints, same seeds, same figures');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
