import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrain, type TrainFlags } from '../../src/cli/commands/train.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { main } from '../../src/cli/main.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-cli-train-'));
after(() => rmSync(root, { recursive: true, force: true }));
const out = join(root, 'run');
const small = JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2 });
const flags = (f: Partial<TrainFlags>): TrainFlags => ({ algo: 'ppo', vectorization: 'sync', progress: true, ...f });

test('lamkit train leaves a checkpoint, metrics.jsonl, summary.json, config.json and an SVG plot; eval and resume use them', async () => {
  const first = await runTrain(flags({ env: 'CartPole-v1', seed: '3', totalSteps: '1024', numEnvs: '4', out, config: small }));
  assert.equal(first.globalStep, 1024);
  for (const f of ['checkpoint/checkpoint.json', 'checkpoint/policy.bin', 'checkpoint/optimizer.bin', 'metrics.jsonl', 'summary.json', 'config.json', 'learning-curve.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.every((r) => typeof r.global_step === 'number' && typeof r.wall_s === 'number'));
  const episodeRows = rows.filter((r) => 'charts/episodic_return' in r);
  assert.ok(episodeRows.length > 10);
  assert.equal(rows.filter((r) => 'losses/approx_kl' in r).length, 1024 / (4 * 32));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.envId, 'CartPole-v1');
  assert.equal(summary.episodes, episodeRows.length);
  assert.match(readFileSync(join(out, 'learning-curve.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<path d="M/);

  const ev = await runEval({ checkpoint: out, episodes: '3', seed: '0' });
  assert.equal(ev.envId, 'CartPole-v1');
  assert.equal(ev.returns.length, 3);
  assert.ok(ev.meanReturn >= 8 && ev.meanReturn <= 500);
  assert.equal(ev.successRate, null);

  const resumed = await runTrain(flags({ resume: out, totalSteps: '2048' }));
  assert.equal(resumed.globalStep, 2048);
  const rows2 = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows2.filter((r) => 'losses/approx_kl' in r).length, 2048 / (4 * 32));
});

test('--policy-kind builds another registered network; --from starts a new run from a checkpoint; eval loads either', async () => {
  const win = join(root, 'window');
  const first = await runTrain(flags({ env: 'CartPole-v1', seed: '2', totalSteps: '512', numEnvs: '4', out: win, policyKind: 'window-mlp', config: JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2, seqLen: 8, policy: { window: 3, hidden: [16] } }) }));
  assert.equal(first.globalStep, 512);
  const ck = JSON.parse(readFileSync(join(win, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.equal(ck.policy.kind, 'window-mlp');
  assert.equal(ck.policy.spec.window, 3);
  assert.equal(ck.algo.name, 'ppo');
  const ev = await runEval({ checkpoint: win, episodes: '2', seed: '0' });
  assert.equal(ev.returns.length, 2);
  // A new run from those weights: same network, fresh optimizer and counters.
  const tuned = join(root, 'from');
  const second = await runTrain(flags({ env: 'CartPole-v1', seed: '2', totalSteps: '256', numEnvs: '4', out: tuned, from: win, config: JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2, seqLen: 8 }) }));
  assert.equal(second.globalStep, 256);
  const ck2 = JSON.parse(readFileSync(join(tuned, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.deepEqual(ck2.policy.spec, ck.policy.spec);
  await assert.rejects(runTrain(flags({ env: 'Pendulum-v1', out: join(root, 'x'), from: win })), (err: Error) => err instanceof InvalidArgument && err.message.startsWith('lamkit train --from: expected a policy for obs 3 and head {"kind":"gaussian","dim":1}, got a \'window-mlp\' policy for obs 4'));
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: join(root, 'x'), policyKind: 'lstm' })), { message: /^PPO\.policy\.kind: expected a registered policy kind \(mlp, window-mlp\), got "lstm"\./ });
  await assert.rejects(runTrain(flags({ resume: win, policyKind: 'mlp' })), { message: /^lamkit train --policy-kind: expected "window-mlp" \(the value of the run being resumed\) or no flag/ });
});

test('bad flags throw typed errors naming the flag and the accepted values', async () => {
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', algo: 'sac', out })), {
    name: 'InvalidArgument',
    message: 'lamkit train --algo: expected one of ppo, got "sac". Pass --algo ppo.',
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', totalSteps: '1e3x', out })), {
    message: 'lamkit train --total-steps: expected an integer >= 1, got "1e3x". Pass e.g. --total-steps 100000.',
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', numEnvs: '0', out })), {
    message: 'lamkit train --num-envs: expected an integer >= 1, got "0". Pass e.g. --num-envs 8.',
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out, config: '{"lr": 0.1}' })), (err: Error) => {
    assert.ok(err instanceof InvalidArgument);
    assert.match(err.message, /^lamkit train --config: expected only known keys \(seed, totalSteps, .*\), got unknown key\(s\) lr\. Fix the spelling or remove them\.$/);
    return true;
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out, config: '{"gamma": 2}' })), {
    message: /^lamkit train --config\.gamma: expected .*, got 2\./,
  });
  await assert.rejects(runTrain(flags({ env: 'NoSuchTask-v0', out })), { name: 'RegistryError' });
  await assert.rejects(runTrain(flags({ resume: join(root, 'missing') })), { name: 'FileFormatError' });
  await assert.rejects(runEval({ checkpoint: out, episodes: 'ten', seed: '0' }), {
    message: 'lamkit eval --episodes: expected an integer >= 1, got "ten". Pass e.g. --episodes 10.',
  });
});

test('the lamkit command reports a bad flag on stderr with exit code 2', async () => {
  const written: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['train', '--env', 'CartPole-v1', '--algo', 'dqn', '--out', out]);
  } finally {
    process.stderr.write = orig;
  }
  assert.equal(code, 2);
  assert.match(written.join(''), /lamkit: InvalidArgument: lamkit train --algo: expected one of ppo, got "dqn"/);
});
