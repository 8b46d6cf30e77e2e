import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvalDuringTraining, betterEval, type EvalSelectBy } from '../../src/cli/eval-during-training.js';
import { MetricStream } from '../../src/streams/metrics.js';
import { runTrain } from '../../src/cli/commands/train.js';
import type { PolicyEvaluation } from '../../src/bench/evaluate-policy.js';
import type { CheckpointData } from '../../agents/checkpoint/save-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-eval-during-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs four evaluations that score (return, success) as given; returns the steps whose checkpoint went to best/. */
async function run(selectBy: EvalSelectBy | undefined, scores: Array<[number, number | null]>, dir: string): Promise<{ saved: number[]; best: EvalDuringTraining; rows: Record<string, number>[] }> {
  const saved: number[] = [];
  const rows: Record<string, number>[] = [];
  const metrics = new MetricStream();
  metrics.subscribe((r) => rows.push(r as Record<string, number>));
  let k = 0;
  const evaluate = async (): Promise<PolicyEvaluation> => {
    const [ret, success] = scores[k++];
    return { episodes: 4, returns: [ret], lengths: [10], successes: [success === null ? null : success > 0], seeds: [0], meanReturn: ret, stdReturn: 0, meanLength: 10, successRate: success } as PolicyEvaluation;
  };
  const ev = new EvalDuringTraining({
    env: {} as never, evaluate, outDir: dir, everySteps: 100, episodes: 4, seed: 7, startStep: 0, metrics, log: () => {}, ...(selectBy ? { selectBy } : {}),
    saveCheckpoint: (d: string, data: CheckpointData) => { mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'checkpoint.json'), JSON.stringify(data)); },
  });
  for (let i = 1; i <= scores.length; i++) {
    const step = 100 * i;
    await ev.afterUpdate({ globalStep: step, wallSeconds: i, last: i === scores.length, policy: () => ({ dispose() {} }) as never, checkpoint: () => { saved.push(step); return { step } as unknown as CheckpointData; } });
  }
  return { saved, best: ev, rows };
}

const SCORES: Array<[number, number]> = [[-10, 0.4], [-5, 0.3], [-12, 0.5], [-8, 0.5]];

test('EvalDuringTraining keeps the best mean return by default (SB3 EvalCallback) and logs eval/success_rate', async () => {
  const { saved, best, rows } = await run(undefined, SCORES, join(root, 'ret'));
  assert.deepEqual(saved, [100, 200]);
  assert.equal(best.best?.globalStep, 200);
  assert.equal(JSON.parse(readFileSync(join(root, 'ret/best/eval.json'), 'utf8')).meanReturn, -5);
  assert.deepEqual(rows.map((r) => r['eval/success_rate']), [0.4, 0.3, 0.5, 0.5]);
});

test('selectBy success keeps the highest success rate, ties broken by the mean return', async () => {
  const { saved, best } = await run('success', SCORES, join(root, 'succ'));
  assert.deepEqual(saved, [100, 300, 400]);
  const kept = JSON.parse(readFileSync(join(root, 'succ/best/eval.json'), 'utf8'));
  assert.deepEqual([kept.globalStep, kept.successRate, kept.meanReturn], [400, 0.5, -8]);
  assert.deepEqual(best.best, kept);
  // A resumed run reads the best so far from best/eval.json: a later evaluation must beat it.
  const again = await run('success', [[-1, 0.45], [-20, 0.6]], join(root, 'succ'));
  assert.deepEqual(again.saved, [200]);
  assert.equal(betterEval({ ...kept, successRate: 0.5, meanReturn: -7 }, kept, 'success'), true);
  assert.equal(betterEval({ ...kept, successRate: 0.4, meanReturn: 100 }, kept, 'success'), false);
  assert.equal(betterEval({ ...kept, successRate: 0.4, meanReturn: 100 }, kept, 'return'), true);
});

test('selectBy success on a task without success is a typed error; --select-by is checked up front', async () => {
  await assert.rejects(run('success', [[-1, null]], join(root, 'nosucc')), { message: /^lamkit train --select-by success: expected a task that reports success \(info\.isSuccess\).*Use --select-by return/ });
  const flags = { algo: 'ppo', vectorization: 'sync', progress: false, env: 'CartPole-v1', out: join(root, 'x') };
  await assert.rejects(runTrain({ ...flags, evalEvery: '100', selectBy: 'nll' }), { message: /^lamkit train --select-by: expected one of return, success, got "nll"/ });
  await assert.rejects(runTrain({ ...flags, selectBy: 'success' }), { message: /^lamkit train --select-by: expected it together with --eval-every/ });
});
