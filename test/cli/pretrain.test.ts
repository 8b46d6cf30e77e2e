import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { runPretrain, type PretrainFlags } from '../../src/cli/commands/pretrain.js';
import { runFinetune } from '../../src/cli/commands/finetune.js';
import { readCheckpoint, resolveCheckpointDir, baseModelDir } from '../../agents/checkpoint/read-checkpoint.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-pretrain-'));
const cartpole = join(root, 'cartpole');
const pendulum = join(root, 'pendulum');
const push = join(root, 'push');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '12', seed: '0', out: cartpole, progress: false });
  await runRecord({ env: 'Pendulum-v1', policy: 'random', episodes: '3', seed: '0', out: pendulum, progress: false });
  await runRecord({ env: 'ArmPush-v0', policy: 'expert', episodes: '8', seed: '0', out: push, progress: false });
});

const CONFIG = JSON.stringify({ policy: { dModel: 16, layers: 1, heads: 2, window: 4 }, batchSize: 8, seqLen: 8, warmupSteps: 5, evalEvery: 10, learningRate: 3e-3 });
const flags = (f: Partial<PretrainFlags>): PretrainFlags => ({ data: [cartpole, pendulum], seed: '3', maxSteps: '40', config: CONFIG, progress: false, ...f });
const rows = (dir: string): Array<Record<string, number>> => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const bin = (dir: string): Buffer => readFileSync(join(dir, 'checkpoint/policy.bin'));

test('lamkit pretrain: two tasks end to end (metrics.jsonl, loss curve, a checkpoint holding both spaces), and the training loss falls', async () => {
  const out = join(root, 'a');
  const lines: string[] = [];
  const o = await runPretrain(flags({ out }), (l) => lines.push(l));
  assert.equal(o.steps, 40);
  assert.match(lines[0], /2 space\(s\) \(CartPole-v1 obs:Box\[4\]\|act:Discrete\(2\): \d+ steps; Pendulum-v1 obs:Box\[3\]\|act:Box\[1\]: \d+ steps\)/);
  const r = rows(out).filter((x) => x['losses/pretrain_total'] !== undefined);
  assert.equal(r.length, 40);
  const mean = (xs: Array<Record<string, number>>): number => xs.reduce((a, x) => a + x['losses/pretrain_total'], 0) / xs.length;
  assert.ok(mean(r.slice(-8)) < 0.8 * mean(r.slice(0, 8)), `training loss ${mean(r.slice(0, 8))} -> ${mean(r.slice(-8))}`);
  assert.ok(rows(out).some((x) => x['eval/val_total'] !== undefined), 'validation losses are logged');
  assert.match(readFileSync(join(out, 'learning-curve.svg'), 'utf8'), /pretraining loss/);
  const ck = readCheckpoint(out).data;
  assert.equal(ck.algo.name, 'pretrain');
  assert.equal(ck.policy.kind, 'transformer');
  assert.deepEqual((ck.policy.spec.otherSpaces as unknown[]).length, 1);
  const names = ck.policy.tensors.map((t) => t.name);
  for (const n of ['tok.obs.weight', 'spaces.0.tok.obs.weight', 'pred.obs.weight', 'spaces.0.pred.prev.weight', 'tok.mask']) assert.ok(names.includes(n), n);
  assert.equal(ck.normalization.obs?.mean.length, 4, 'the active space (the first dataset) carries its observation statistics');
});

test('lamkit pretrain: Ctrl-C saves, --resume continues bit for bit; an existing --out, --force with --resume and a dataset of a space the run lacks are typed errors', async () => {
  const out = join(root, 'b');
  let signalled = false;
  const ctrlC = (): void => {
    if (!signalled) setTimeout(() => process.emit('SIGINT', 'SIGINT'), 50); // once set-up is done (the first line)
    signalled = true;
  };
  const o1 = await runPretrain(flags({ out }), ctrlC);
  assert.ok(o1.interrupted && o1.steps < 40, `interrupted at step ${o1.steps}`);
  assert.equal(readCheckpoint(out).data.algo.state.globalStep, o1.steps);
  const o2 = await runPretrain({ resume: out, progress: false });
  assert.equal(o2.steps, 40);
  assert.ok(bin(out).equals(bin(join(root, 'a'))), 'the resumed run ends with the weights of the uninterrupted one');
  assert.equal(rows(out).filter((x) => x['losses/pretrain_total'] !== undefined).length, 40);

  await assert.rejects(runPretrain(flags({ out })), (err: Error) => err instanceof InvalidArgument && /^lamkit pretrain --out: expected a directory without a run in it/.test(err.message));
  await assert.rejects(runPretrain({ resume: out, force: true, progress: false }), { message: /^lamkit pretrain --force: expected no --force with --resume/ });
  await assert.rejects(runPretrain({ resume: out, data: [cartpole, push], progress: false }), (err: Error) => {
    assert.ok(err instanceof InvalidArgument);
    assert.match(err.message, /expected a space the network has tokenizers and heads for \(obs:Box\[4\]\|act:Discrete\(2\), obs:Box\[3\]\|act:Box\[1\]\), got obs:Box\[30\]\|act:Box\[6\] \(observation size 30\)/);
    return true;
  });
  await assert.rejects(runPretrain({ data: [], out: join(root, 'c'), progress: false }), { message: /^lamkit pretrain --data: expected one or more dataset directories/ });
});

test('lamkit finetune --from a pretrained run on a held-out task (new tokenizers and heads) in full, lora and head modes; the checkpoint keeps every space', async () => {
  const from = join(root, 'a');
  const shares: Record<string, number> = {};
  for (const mode of ['full', 'lora', 'head']) {
    const out = join(root, `ft-${mode}`);
    const lines: string[] = [];
    const o = await runFinetune({ data: push, from, mode, maxSteps: '15', out, progress: false, config: JSON.stringify({ evalEvery: 5, warmupSteps: 2 }) }, (l) => lines.push(l));
    shares[mode] = o.trainableParams / o.totalParams;
    assert.match(lines.join('\n'), new RegExp(`mode ${mode}: ${o.trainableParams} of ${o.totalParams} parameters trainable`));
    const ck = readCheckpoint(out).data;
    assert.equal(ck.policy.spec.obsDim, 30);
    const spaces = (ck.policy.spec.otherSpaces as Array<{ obsDim: number }>).map((s) => s.obsDim).sort();
    assert.deepEqual(spaces, [3, 4], 'the pretrained spaces ride along');
  }
  assert.equal(shares.full, 1);
  assert.ok(shares.lora < 1 && shares.head < 1, JSON.stringify(shares));
});

test('lamkit-base: the shipped checkpoint resolves by name, is <= 5 MB, holds the six pretraining spaces (ArmPushDisc-v0 among them) and not ArmPush-v0, with action chunks of 8', () => {
  const dir = baseModelDir();
  assert.ok(dir && existsSync(join(dir, 'checkpoint.json')), 'assets/lamkit-base ships with the repository');
  assert.equal(resolveCheckpointDir('lamkit-base'), dir);
  const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  assert.ok(bytes <= 5e6, `${bytes} bytes`);
  const ck = readCheckpoint('lamkit-base').data;
  const spec = ck.policy.spec as { obsDim: number; otherSpaces: Array<{ obsDim: number }>; dModel: number; layers: number; heads: number; window: number; chunk?: number };
  assert.deepEqual([spec.obsDim, ...spec.otherSpaces.map((s) => s.obsDim)].sort((a, b) => a - b), [3, 4, 4, 10, 21, 30]);
  assert.deepEqual([spec.dModel, spec.layers, spec.heads, spec.window, spec.chunk], [128, 2, 4, 20, 8]);
  assert.equal(ck.algo.name, 'pretrain');
  const envIds = (ck.algo.state as { spaces: Array<{ envIds: string[] }> }).spaces.flatMap((s) => s.envIds);
  assert.deepEqual([...envIds].sort(), ['ArmPushDisc-v0', 'ArmReach-v0', 'CartPole-v1', 'InvertedPendulum-v5', 'Pendulum-v1', 'Reacher-v5']);
  assert.ok(!envIds.includes('ArmPush-v0') && !(ck.algo.config.data as string[]).some((d) => /ArmPush-v0/.test(d)), 'ArmPush-v0 is held out of the pretraining data');
});
