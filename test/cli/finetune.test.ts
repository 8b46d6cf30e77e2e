import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { runFinetune, openFinetuneData, readFinetuneSplits, type FinetuneFlags } from '../../src/cli/commands/finetune.js';
import { readSnapshot } from '../../src/cli/commands/finetune-resume.js';
import * as lib from '../../src/index.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-finetune-'));
const reach = join(root, 'reach');
const cartpole = join(root, 'cartpole');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await runRecord({ env: 'ArmReach-v0', policy: 'expert', episodes: '12', seed: '0', out: reach, progress: false });
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '10', seed: '0', out: cartpole, progress: false });
});

const flags = (f: Partial<FinetuneFlags>): FinetuneFlags => ({ data: reach, mode: 'full', progress: false, ...f });
const checkpoint = (dir: string): Record<string, any> => JSON.parse(readFileSync(join(dir, 'checkpoint/checkpoint.json'), 'utf8'));

test('lamkit finetune from scratch (behaviour cloning, mlp): the loss falls, report.json holds the test report, and the checkpoint acts on the task', async () => {
  const out = join(root, 'mlp');
  const o = await runFinetune(flags({ policyKind: 'mlp', maxSteps: '300', out }));
  assert.ok(o.bestValLoss < o.initialValLoss - 0.5, `val NLL ${o.initialValLoss} -> ${o.bestValLoss}`);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.report.kind, 'gaussian');
  assert.ok(report.report.mse < 0.01, `test MSE ${report.report.mse}`);
  const ck = checkpoint(out);
  assert.equal(ck.algo.name, 'bc');
  assert.equal(ck.policy.kind, 'mlp');
  assert.equal(ck.normalization.obs.mean.length, 21, 'observation statistics travel with the policy');
  const ev = await runEval({ checkpoint: out, episodes: '5', seed: '100' });
  assert.ok((ev.successRate ?? 0) >= 0.6, `success rate ${ev.successRate}`);
});

test('lamkit finetune --from a transformer: lora (adapters only, merged on save; held tokenizers frozen unless trainTokenizers) and head (trunk bit-identical, tokenizers trained) modes', async () => {
  const base = join(root, 'tf');
  await runFinetune(flags({ maxSteps: '60', out: base, config: JSON.stringify({ policy: { dModel: 16, layers: 1, heads: 2, window: 4 } }) }));
  const lora = await runFinetune(flags({ from: base, mode: 'lora', merge: true, maxSteps: '40', out: join(root, 'lora'), config: JSON.stringify({ lora: { rank: 2 } }) }));
  assert.ok(lora.trainableParams / lora.totalParams < 0.1, `trainable share ${lora.trainableParams}/${lora.totalParams}`);
  const merged = checkpoint(join(root, 'lora'));
  assert.equal(merged.policy.spec.lora, undefined, '--merge folded the adapters in');
  assert.ok(!merged.policy.tensors.some((t: { name: string }) => t.name.includes('lora')));
  const head = await runFinetune(flags({ from: base, mode: 'head', maxSteps: '40', out: join(root, 'head') }));
  assert.ok(head.trainableParams < head.totalParams / 4);
  const bytes = (dir: string, group = 'trunk'): Buffer[] => {
    const ck = checkpoint(dir);
    const bin = readFileSync(join(dir, 'checkpoint/policy.bin'));
    return ck.policy.tensors.filter((t: { group: string }) => t.group === group).map((t: { offset: number; shape: number[] }) => bin.subarray(t.offset * 4, (t.offset + t.shape.reduce((a, b) => a * b, 1)) * 4));
  };
  assert.deepEqual(bytes(join(root, 'head')), bytes(base), 'head mode leaves the trunk bit-identical');
  assert.notDeepEqual(bytes(join(root, 'head'), 'tokenizers'), bytes(base, 'tokenizers'), 'head mode trains the tokenizers, also of a space the checkpoint holds');
  // LoRA on a held space: its tokenizers stay frozen unless trainTokenizers says otherwise.
  const frozen = await runFinetune(flags({ from: base, mode: 'lora', maxSteps: '20', out: join(root, 'lora-frozen') }));
  const thawed = await runFinetune(flags({ from: base, mode: 'lora', maxSteps: '20', out: join(root, 'lora-tok'), config: JSON.stringify({ trainTokenizers: true }) }));
  assert.deepEqual(bytes(join(root, 'lora-frozen'), 'tokenizers'), bytes(base, 'tokenizers'), 'lora: the held tokenizers are bit-identical');
  assert.notDeepEqual(bytes(join(root, 'lora-tok'), 'tokenizers'), bytes(base, 'tokenizers'), 'lora + trainTokenizers: they train');
  const tokenizerSize = bytes(base, 'tokenizers').reduce((a, b) => a + b.length / 4, 0);
  assert.equal(thawed.trainableParams - frozen.trainableParams, tokenizerSize, 'the printed trainable count grows by exactly the tokenizers');
  await assert.rejects(runFinetune(flags({ from: base, mode: 'lora', out: join(root, 'bad1'), config: JSON.stringify({ trainTokenizers: 'yes' }) })), { message: /^lamkit finetune --config trainTokenizers: expected true or false/ });
  await assert.rejects(runFinetune(flags({ from: base, mode: 'full', out: join(root, 'bad2'), config: JSON.stringify({ trainTokenizers: true }) })), { message: /^lamkit finetune --config trainTokenizers: expected it with --mode lora/ });
  const ev = await runEval({ checkpoint: join(root, 'lora'), episodes: '2', seed: '0' });
  assert.equal(ev.returns.length, 2);
  // VeRA saved with its adapters (only the vectors are tensors; the random matrices come back from the spec's seed), DoRA merged.
  const six = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2'];
  const vera = await runFinetune(flags({ from: base, mode: 'lora', maxSteps: '20', out: join(root, 'vera'), config: JSON.stringify({ lora: { kind: 'vera', rank: 32, alpha: 32, targets: six } }) }));
  assert.ok(vera.trainableParams < frozen.trainableParams, `VeRA rank 32 on all six (${vera.trainableParams}) trains fewer numbers than LoRA rank 8 on two (${frozen.trainableParams})`);
  const veraCk = checkpoint(join(root, 'vera'));
  assert.equal(veraCk.policy.spec.lora.kind, 'vera');
  assert.ok(Number.isInteger(veraCk.policy.spec.lora.seed), 'the seed of the random matrices is saved in the spec');
  const names: string[] = veraCk.policy.tensors.map((t: { name: string }) => t.name);
  assert.ok(names.some((n) => n.endsWith('.vera_d')) && !names.some((n) => n.endsWith('.lora_a')), 'only the vectors are saved');
  assert.equal((await runEval({ checkpoint: join(root, 'vera'), episodes: '2', seed: '0' })).returns.length, 2);
  await runFinetune(flags({ from: base, mode: 'lora', merge: true, maxSteps: '20', out: join(root, 'dora'), config: JSON.stringify({ lora: { kind: 'dora', rank: 2 } }) }));
  assert.ok(!checkpoint(join(root, 'dora')).policy.tensors.some((t: { name: string }) => /lora|dora/.test(t.name)), 'DoRA merged: plain weights');
  assert.equal((await runEval({ checkpoint: join(root, 'dora'), episodes: '2', seed: '0' })).returns.length, 2);
  await assert.rejects(runFinetune(flags({ from: base, mode: 'lora', out: join(root, 'bad3'), config: JSON.stringify({ lora: { kind: 'vera', rank: 2000 } }) })), { message: /^TransformerSpec\.lora\.rank: expected an integer in \[1, 1024\] \(VeRA\), got 2000/ });
});

test('lamkit finetune: discrete actions give a classification report; mismatched networks and modes are typed errors naming both sizes', async () => {
  const out = join(root, 'cp');
  const o = await runFinetune(flags({ data: cartpole, policyKind: 'mlp', maxSteps: '50', out }));
  assert.ok(o.reportText.includes('precision    recall  f1-score   support'), o.reportText);
  assert.ok(o.reportText.includes('confusion matrix'));
  await assert.rejects(runFinetune(flags({ data: cartpole, from: join(root, 'mlp'), out: join(root, 'x') })), (err: Error) => {
    assert.ok(err instanceof InvalidArgument);
    assert.match(err.message, /^lamkit finetune --from: expected a network for obs 4 and head \{"kind":"categorical","nvec":\[2\]\} .*got a 'mlp' network for obs 21 and head \{"kind":"gaussian","dim":6\}/);
    return true;
  });
  await assert.rejects(runFinetune(flags({ data: cartpole, policyKind: 'mlp', mode: 'lora', out: join(root, 'y') })), { message: /^lamkit finetune --mode: expected full for a 'mlp' network/ });
  await assert.rejects(runFinetune(flags({ mode: 'all', out: join(root, 'z') })), { message: 'lamkit finetune --mode: expected one of full, lora, head, got "all". Pass --mode full, lora or head.' });
  // --merge folds a LoRA run's adapters: with another mode it would do nothing, so it is refused before any training.
  await assert.rejects(runFinetune(flags({ data: cartpole, policyKind: 'mlp', merge: true, out: join(root, 'm') })), { message: /^lamkit finetune --merge: expected it with --mode lora .*got --mode full\. Add --mode lora, or drop --merge/ });
});

test('lamkit finetune --select-by success: rollouts in the task at every validation pick the kept weights; bad flags are typed errors', async () => {
  const out = join(root, 'select');
  const o = await runFinetune(flags({ policyKind: 'mlp', maxSteps: '200', out, selectBy: 'success', evalEpisodes: '3', config: JSON.stringify({ evalEvery: 50 }) }));
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r['eval/success_rate'] !== undefined);
  assert.deepEqual(rows.map((r) => r.global_step), [0, 50, 100, 150, 200]);
  const best = Math.max(...rows.map((r) => r['eval/success_rate']));
  const kept = rows.find((r) => r.global_step === o.bestStep);
  assert.ok(kept && kept['eval/success_rate'] === best, `kept step ${o.bestStep} (success ${kept?.['eval/success_rate']}), best measured ${best}`);
  assert.ok(best > rows[0]['eval/success_rate'], `success ${rows[0]['eval/success_rate']} untrained, best ${best}`);
  assert.equal(o.keptValidation?.successRate, best, 'the outcome reports the kept step\'s validation rollouts');
  const bad = [
    [{ selectBy: 'accuracy' }, /^lamkit finetune --select-by: expected one of nll, success, return, got "accuracy"/],
    [{ evalEpisodes: '5' }, /^lamkit finetune --eval-episodes: expected it together with --select-by success or return/],
    [{ data: cartpole, selectBy: 'success', evalEpisodes: '1' }, /^lamkit finetune --select-by success: expected a task that reports success \(info\.isSuccess\), got CartPole-v1, which does not/],
  ] as const;
  for (const [f, message] of bad) await assert.rejects(runFinetune(flags({ policyKind: 'mlp', maxSteps: '1', out: join(root, 'bad'), force: true, ...f })), (err: Error) => err instanceof InvalidArgument && message.test(err.message));
});

test('lamkit finetune data: with no test episodes the validation split serves as the test one, normalized once (not twice)', async () => {
  const dir = join(root, 'no-test');
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '6', seed: '3', out: dir, progress: false });
  lib.writeSplits(dir, { seed: null, train: [0, 1, 2, 3, 4], val: [5], test: [] });
  const { ds, spaces, splits } = await openFinetuneData(lib, dir, 1);
  assert.deepEqual(splits.test, []);
  const { train, val, test, stats, clipObs } = await readFinetuneSplits(lib, ds, spaces, splits, 'test');
  assert.equal(test, val);
  const raw = await lib.datasetDemonstrations(ds, [5], spaces.observation, spaces.action, 'test');
  lib.normalizeDemonstrations(raw, stats, clipObs);
  assert.deepEqual(val.obs, raw.obs);
  assert.ok(train.rows > 0);
});

test('keypoint labels: writeKeypointLabels stores one entry per episode atomically; lamkit finetune spreads them over each training episode\'s steps (NaN where none); bad labels, in writing or in a file edited by hand, are typed errors; keypointLabelLoss without them is one too', async () => {
  const dir = join(root, 'labels');
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '5', seed: '4', out: dir, progress: false });
  lib.writeSplits(dir, { seed: null, train: [3, 0, 1], val: [2], test: [4] });
  lib.writeKeypointLabels(dir, [[0.5, -0.25], null, [0, 0], [-1, 1], null]);
  const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
  assert.deepEqual(info.lamkit.keypointLabels, [[0.5, -0.25], null, [0, 0], [-1, 1], null]);
  assert.deepEqual(info.lamkit.splits.train, [3, 0, 1], 'the split is kept');
  const { ds, spaces, splits } = await openFinetuneData(lib, dir, 1);
  const { train } = await readFinetuneSplits(lib, ds, spaces, splits, 'test');
  const labels = train.keypointLabels as Float32Array;
  assert.equal(labels.length, 2 * train.rows);
  // Episodes 3, 0, 1 back to back: (-1, 1) on episode 3's steps, (0.5, -0.25) on episode 0's, NaN on episode 1's.
  const lengths = [3, 0, 1].map((e) => ds.episodes[e].length);
  const expect: number[] = [];
  [[-1, 1], [0.5, -0.25], [NaN, NaN]].forEach((l, i) => {
    for (let r = 0; r < lengths[i]; r++) expect.push(l[0], l[1]);
  });
  assert.deepEqual([...labels], expect);
  assert.throws(() => lib.writeKeypointLabels(dir, [[0, 0]]), /writeKeypointLabels\(.*\)\.keypointLabels: expected one entry per episode \(5\), got 1 entries/);
  assert.throws(() => lib.writeKeypointLabels(dir, [null, null, [0, Infinity], null, null]), /\.keypointLabels\[2\]: expected null or \[x, y\], normalized image coordinates/);
  writeFileSync(join(dir, 'meta/info.json'), JSON.stringify({ ...info, lamkit: { ...info.lamkit, keypointLabels: [null, null, [3, 0], null, null] } }));
  const edited = await openFinetuneData(lib, dir, 1);
  await assert.rejects(readFinetuneSplits(lib, edited.ds, edited.spaces, edited.splits, 'lamkit finetune --data x'), /lamkit finetune --data x meta\/info\.json lamkit\.keypointLabels\[2\]: expected null or \[x, y\]/);
  await assert.rejects(runFinetune({ data: cartpole, mode: 'full', progress: false, policyKind: 'mlp', maxSteps: '5', out: join(root, 'labels-run'), config: JSON.stringify({ keypointLabelLoss: 1 }) }), /BehaviorCloning\.config\.keypointLabelLoss: expected startGoalLoss > 0/);
});

test('lamkit finetune: Ctrl-C keeps a resume/ snapshot; --resume continues with the run\'s own flags to the weights and report of an uninterrupted run, then drops it; misuse of --resume is a typed error', async () => {
  const common = { maxSteps: '200', seed: '4', selectBy: 'success', evalEpisodes: '2', config: JSON.stringify({ evalEvery: 40, patience: 100, policy: { dModel: 16, layers: 1, heads: 2, window: 4 } }) };
  const whole = await runFinetune(flags({ ...common, out: join(root, 'whole') }));
  const out = join(root, 'stopped');
  const lines: string[] = [];
  const o1 = await runFinetune(flags({ ...common, out }), (line) => {
    if (lines.length === 0) setTimeout(() => process.emit('SIGINT', 'SIGINT'), 50); // once set-up is done (the first line)
    lines.push(line);
  });
  assert.ok(o1.interrupted && o1.steps < 200, `interrupted at step ${o1.steps}`);
  assert.ok(existsSync(join(out, 'resume/checkpoint.json')), 'the snapshot to continue from');
  assert.ok(lines.some((l) => l === `lamkit finetune: stopped at step ${o1.steps}; continue with lamkit finetune --resume ${out}`), lines.join('\n'));
  const snap = await readSnapshot({ resume: out, progress: false });
  assert.equal(snap.state.step, o1.steps);
  assert.equal(snap.flags.data, reach);
  const measuredRows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r['eval/success_rate'] !== undefined);
  assert.deepEqual([...snap.measured.keys()], measuredRows.map((r) => r.global_step), 'the rollout figures so far travel with the snapshot');
  // A dataset that changed since the run started is refused (here: the snapshot says another size).
  const saved = join(out, 'resume/checkpoint.json');
  const original = readFileSync(saved, 'utf8');
  const tampered = JSON.parse(original);
  tampered.algo.state.rows.train += 1;
  writeFileSync(saved, JSON.stringify(tampered));
  await assert.rejects(runFinetune({ resume: out, progress: false }), (err: Error) => err instanceof InvalidArgument && /^lamkit finetune --resume .*stopped: expected its dataset as the run started on it \(\d+ training and \d+ validation steps\), got .*reach with \d+ and \d+\. The dataset changed since/.test(err.message));
  writeFileSync(saved, original);
  const o2 = await runFinetune({ resume: out, progress: false });
  assert.deepEqual([o2.steps, o2.bestStep, o2.keptValidation, o2.bestValLoss], [whole.steps, whole.bestStep, whole.keptValidation, whole.bestValLoss]);
  const bin = (dir: string): Buffer => readFileSync(join(dir, 'checkpoint/policy.bin'));
  assert.ok(bin(out).equals(bin(join(root, 'whole'))), 'the resumed run keeps the weights of the uninterrupted one, bit for bit');
  const report = (dir: string): unknown => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).report;
  assert.deepEqual(report(out), report(join(root, 'whole')));
  assert.equal(checkpoint(out).algo.config.seed, 4, 'the run\'s own flags');
  assert.ok(!existsSync(join(out, 'resume')), 'a finished run drops its snapshot');
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.filter((r) => r['losses/bc_nll'] !== undefined).length, 200, 'one training row per step over both parts');
  assert.deepEqual(rows.filter((r) => r['eval/success_rate'] !== undefined).map((r) => r.global_step), [0, 40, 80, 120, 160, 200]);

  const bad = [
    [{ resume: out }, /^lamkit finetune --resume: expected a run of lamkit finetune stopped before its last step \(its resume\/ snapshot\), got ".*stopped" \(a finished run: nothing to continue\)\. To train further from its weights, start a new run with --from/],
    [{ resume: join(root, 'nothing') }, /^lamkit finetune --resume: expected .*, got ".*nothing" \(no such run\)/],
    [{ resume: out, data: reach }, /^lamkit finetune --data: expected no --data, --from, .* with --resume \(a resumed run keeps its own\)/],
    [{ resume: out, maxSteps: '400' }, /^lamkit finetune --max-steps: expected no --data, /],
    [{ resume: out, out: join(root, 'elsewhere') }, /^lamkit finetune --out: expected no --out with --resume, or the run's own directory/],
    [{}, /^lamkit finetune --data: expected a dataset directory \(or --resume <run>\)/],
  ] as const;
  for (const [f, message] of bad) await assert.rejects(runFinetune({ progress: false, ...f }), (err: Error) => err instanceof InvalidArgument && message.test(err.message));
});
