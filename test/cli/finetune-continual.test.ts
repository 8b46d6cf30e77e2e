import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { runContinual, type ContinualFlags } from '../../src/cli/commands/finetune-continual.js';
import { ppoFinetuneConfig } from '../../src/cli/commands/ppo-finetune-flags.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-continual-'));
const reach = join(root, 'reach');
const cartpole = join(root, 'cartpole');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await runRecord({ env: 'ArmReach-v0', policy: 'expert', episodes: '6', seed: '0', out: reach, progress: false });
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '6', seed: '0', out: cartpole, progress: false });
});

const flags = (f: Partial<ContinualFlags>): ContinualFlags => ({ data: [reach, cartpole], progress: false, maxSteps: '6', evalEpisodes: '1', config: JSON.stringify({ policy: { dModel: 16, layers: 1, heads: 2, window: 4 }, batchSize: 4, seqLen: 8, evalEvery: 3, warmupSteps: 1, continual: { fisherBatches: 2 } }), ...f });

test('lamkit finetune --continual (ewc) over two tasks of different spaces: every earlier task evaluated after each stage, retention.json, a checkpoint per task', async () => {
  const out = join(root, 'ewc');
  const o = await runContinual(flags({ strategy: 'ewc', out }));
  assert.deepEqual(o.tasks, ['ArmReach-v0', 'CartPole-v1']);
  const r = JSON.parse(readFileSync(join(out, 'retention.json'), 'utf8'));
  assert.equal(r.strategy, 'ewc');
  // Stage 1 saw task 1 only; stage 2 evaluated both.
  assert.ok(r.matrix.nll[0][0] > 0 && r.matrix.nll[0][1] === null && r.matrix.nll[1][0] > 0 && r.matrix.nll[1][1] > 0, JSON.stringify(r.matrix.nll));
  assert.ok(r.matrix.success[1][0] !== null, 'ArmReach reports success from its rollouts');
  assert.ok(r.matrix.return[1][1] !== null, 'CartPole rollouts give a return');
  assert.ok(Number.isFinite(r.summary.nll.averageForgetting));
  assert.ok(existsSync(join(out, 'tasks', '1-ArmReach-v0', 'checkpoint', 'checkpoint.json')));
  assert.ok(existsSync(join(out, 'tasks', '2-CartPole-v1', 'checkpoint', 'checkpoint.json')));
  assert.ok(readFileSync(join(out, 'metrics.jsonl'), 'utf8').includes('continual/ArmReach-v0/nll'));
});

test('lamkit finetune --continual: bad flags are refused in the house format', async () => {
  await assert.rejects(runContinual(flags({ data: [reach] })), (e: Error) => e instanceof InvalidArgument && /--data: expected at least two datasets/.test(e.message));
  await assert.rejects(runContinual(flags({ strategy: 'replay', out: join(root, 'bad') })), (e: Error) => e instanceof InvalidArgument && /strategy/.test(e.message) && /replay/.test(e.message));
  await assert.rejects(runContinual(flags({ policyKind: 'mlp' })), /--policy-kind: expected transformer/);
});

test('lamkit train PPO fine-tuning flags: config fields, and errors for bad values', () => {
  assert.deepEqual(ppoFinetuneConfig({ valueWarmup: '3', klRefCoef: '0.1', klRefTarget: '0.02', trainParams: 'lora' }, 'ppo'), { valueWarmupUpdates: 3, klRefCoef: 0.1, klRefTarget: 0.02, trainParams: 'lora' });
  assert.deepEqual(ppoFinetuneConfig({}, 'ppo'), {});
  assert.throws(() => ppoFinetuneConfig({ klRefTarget: '0.02' }, 'ppo'), /--kl-ref-target: expected it together with --kl-ref-coef/);
  assert.throws(() => ppoFinetuneConfig({ trainParams: 'some' }, 'ppo'), /--train-params: expected all or lora, got "some"/);
  assert.throws(() => ppoFinetuneConfig({ valueWarmup: '-1' }, 'ppo'), /--value-warmup: expected/);
});
