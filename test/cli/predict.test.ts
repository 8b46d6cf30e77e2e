import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { runFinetune } from '../../src/cli/commands/finetune.js';
import { runPredict } from '../../src/cli/commands/predict.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { FileFormatError, InvalidArgument } from '../../src/core/errors.js';
import { COMMAND_ACTIONS } from '../../envs/command/phrasings.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-predict-'));
const data = join(root, 'data');
const out = join(root, 'ft');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await runRecord({ env: 'CommandAvatar-v0', policy: 'expert', episodes: '16', seed: '0', out: data, progress: false });
});

const input = (lines: string[]): string => {
  const file = join(root, `in-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
};

test('record CommandAvatar-v0 --policy expert, finetune (default text-transformer), predict: action names and class probabilities per line; eval acts in the env', { timeout: 600_000 }, async () => {
  const info = JSON.parse(readFileSync(join(data, 'meta/info.json'), 'utf8'));
  assert.deepEqual(info.features.action.class_names, COMMAND_ACTIONS);
  assert.equal(info.features['observation.instruction'].dtype, 'string');
  const o = await runFinetune({ data, out, mode: 'full', progress: false, seed: '1', maxSteps: '250', config: JSON.stringify({ policy: { embeddings: 'learned', dModel: 32, layers: 1, heads: 2 }, learningRate: 3e-3, evalEvery: 50, warmupSteps: 20 }) });
  const ck = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.equal(ck.policy.kind, 'text-transformer');
  assert.equal(ck.normalization.obs.mean[0], 0, 'instruction columns are not normalized');
  assert.equal(ck.normalization.obs.var[0], 1);
  assert.ok(o.bestValLoss < 0.3 * o.initialValLoss, `val NLL ${o.initialValLoss} -> ${o.bestValLoss}`);
  assert.match(o.reportText, /jump/);

  const lines: string[] = [];
  const n = await runPredict({ checkpoint: out, input: input(['{"instruction": "Jump!"}', '', '{"instruction": "step to the left", "state": [0, 0, 0, 0, 0, 0, 0, 0, 0.5]}', '{"instruction": "attack the enemy"}']) }, (l) => lines.push(l));
  assert.equal(n, 3);
  const preds = lines.map((l) => JSON.parse(l) as { action: string; index: number; probabilities: Record<string, number> });
  assert.deepEqual(preds.map((p) => p.action), ['jump', 'left', 'attack']);
  for (const p of preds) {
    assert.deepEqual(Object.keys(p.probabilities), [...COMMAND_ACTIONS]);
    const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
    assert.equal(COMMAND_ACTIONS[p.index], p.action);
  }

  const ev = await runEval({ checkpoint: out, episodes: '2', seed: '100' });
  assert.ok(ev.returns.every((r: number) => r >= 30), `returns ${ev.returns}`);
});

test('lamkit predict: an instruction longer than the space allows, a character outside the charset, a wrong state and a non-JSON line are typed errors naming the line, the value and the space', async () => {
  const long = 'please step to the left and keep going left until you reach the far wall';
  await assert.rejects(runPredict({ checkpoint: out, input: input([`{"instruction": "${long}"}`]) }, () => {}), (e: unknown) => e instanceof InvalidArgument && /:1\.instruction: expected an instruction in the checkpoint's space Text\(1, 64, charset=.*got "please step.*\(a string of 72 characters is outside \[1, 64\]\)\. Shorten it to at most 64 characters/.test((e as Error).message));
  await assert.rejects(runPredict({ checkpoint: out, input: input(['{"instruction": "jump"}', '{"instruction": "jump @ once"}']) }, () => {}), /:2\.instruction: .*character "@" is not in the charset/);
  await assert.rejects(runPredict({ checkpoint: out, input: input(['{"instruction": "jump", "state": [1, 2]}']) }, () => {}), /:1\.state: expected state values in the checkpoint's space Box\(-inf, inf, \(9,\), float32\), got \[1, 2\]/);
  await assert.rejects(runPredict({ checkpoint: out, input: input(['jump']) }, () => {}), (e: unknown) => e instanceof FileFormatError && /:1: expected a JSON object/.test((e as Error).message));
});

test('lamkit predict on a checkpoint that sees a camera image: an image of the wrong shape is an error naming both; a right one predicts', async () => {
  const { initBackend, saveCheckpoint, capturePolicy, TextTransformerActorCritic, textPolicyInputs } = await import('../../agents/index.js');
  const { Dict, Box, Discrete, Text, INSTRUCTION_CHARSET, Rng } = await import('../../src/core/index.js');
  await initBackend();
  const space = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }), image: new Box(0, 255, [8, 8, 3], 'uint8') });
  const inputs = textPolicyInputs(space, ['touch the red ball']);
  const net = TextTransformerActorCritic.create(
    { obsDim: space.flatDim, head: { kind: 'categorical', nvec: [2] }, text: inputs.text, vocab: ['<pad>', '<unk>', ...inputs.vocab], maxTokens: 4, embeddings: 'learned', embedDim: 4, dModel: 8, layers: 1, heads: 2, mlpRatio: 1, image: { ...inputs.image!, patch: 4, grid: 1 } },
    new Rng(1),
    { logStdInit: 0 },
  );
  const dir = join(root, 'image-ckpt');
  saveCheckpoint(dir, {
    meta: { envId: 'Synthetic-v0', observationSpace: space, actionSpace: new Discrete(2), backend: 'wasm' },
    policy: capturePolicy(net),
    normalization: { obs: null, ret: null, clipObs: 10 },
    algo: { name: 'bc', config: { classNames: ['red', 'green'] }, state: {}, optimizer: null },
  });
  net.dispose();
  await assert.rejects(
    runPredict({ checkpoint: dir, input: input(['{"instruction": "touch the red ball", "image": [1, 2, 3]}']) }, () => {}),
    (e: unknown) => e instanceof InvalidArgument && /:1\.image: expected image values in the checkpoint's space Box\(0\.0, 255\.0, \(8, 8, 3\), uint8\), got \[1, 2, 3\] \(length 3 does not match shape \(8, 8, 3\) \(192 values\)\)/.test((e as Error).message),
  );
  const lines: string[] = [];
  await runPredict({ checkpoint: dir, input: input([JSON.stringify({ instruction: 'touch the red ball', image: new Array(192).fill(200) })]) }, (l) => lines.push(l));
  assert.deepEqual(Object.keys(JSON.parse(lines[0]).probabilities), ['red', 'green']);
});
