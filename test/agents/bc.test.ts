import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { policyKind, resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import type { ActorCritic } from '../../agents/policies/actor-critic.js';
import type { HeadSpec } from '../../agents/policies/param-layout.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { actionReport, classificationReport } from '../../agents/algos/bc/action-report.js';
import type { Demonstrations } from '../../agents/algos/bc/demonstrations.js';

/** Episodes of random 4-d observations labelled by a fixed rule (CartPole's "push towards the pole's lean"), or a linear map for Box actions. */
function demos(seed: number, episodes: number, length: number, kind: 'discrete' | 'continuous', flip = false): Demonstrations {
  const rng = new Rng(seed);
  const rows = episodes * length;
  const obs = rng.fillNormal(new Float32Array(rows * 4));
  const actDim = kind === 'discrete' ? 1 : 2;
  const actions = new Float32Array(rows * actDim);
  const episodeStart = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    if (r % length === 0) episodeStart[r] = 1;
    const o = obs.subarray(r * 4, r * 4 + 4);
    if (kind === 'discrete') actions[r] = (o[2] + 0.5 * o[3] > 0) !== flip ? 1 : 0;
    else {
      actions[r * 2] = 0.5 * o[0] - 0.3 * o[1];
      actions[r * 2 + 1] = flip ? -o[2] : o[2];
    }
  }
  return { obsDim: 4, actDim, rows, obs, actions, episodeStart };
}

function build(kind: string, head: HeadSpec, seed: number): ActorCritic {
  const config = resolvePolicyConfig(kind === 'transformer' ? { kind, dModel: 32, layers: 1, heads: 2, window: 4 } : { kind });
  return policyKind(config.kind).create(config, { obsDim: 4, head }, new Rng(seed));
}

test('classificationReport matches scikit-learn (precision, recall, f1, support, accuracy, macro and weighted averages, confusion)', () => {
  const r = classificationReport(Int32Array.of(0, 1, 2, 2, 1, 0), Int32Array.of(0, 2, 1, 2, 1, 0), 3, ['none', 'left', 'right']);
  assert.deepEqual(r.classes.none, { precision: 1, recall: 1, f1: 1, support: 2 });
  assert.deepEqual(r.classes.left, { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  assert.deepEqual(r.classes.right, { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  assert.equal(r.accuracy, 4 / 6);
  assert.ok(Math.abs(r.macroAvg.f1 - 2 / 3) < 1e-12 && Math.abs(r.weightedAvg.precision - 2 / 3) < 1e-12);
  assert.deepEqual(r.confusion, [[2, 0, 0], [0, 1, 1], [0, 1, 1]]);
  // zero_division = 0: a class never predicted scores 0, not NaN.
  assert.deepEqual(classificationReport(Int32Array.of(0, 1), Int32Array.of(0, 0), 2).classes['1'], { precision: 0, recall: 0, f1: 0, support: 1 });
});

for (const kind of ['mlp', 'transformer']) {
  test(`behaviour cloning (${kind}): the loss falls and the network reproduces the labels of its training states; tensors do not leak`, async () => {
    await initBackend({ report: null });
    const net = build(kind, { kind: 'categorical', nvec: [2] }, 1);
    const train = demos(1, 12, 40, 'discrete');
    const val = demos(2, 4, 40, 'discrete');
    const before = tf.memory().numTensors;
    try {
      const bc = new BehaviorCloning(net, { train, val }, resolveBcConfig({ maxSteps: 300, batchSize: kind === 'mlp' ? 64 : 8, seqLen: 8, learningRate: 3e-3, warmupSteps: 20, evalEvery: 50, patience: 20 }));
      const res = await bc.fit();
      assert.ok(res.bestValLoss < 0.5 * res.initialValLoss, `val NLL ${res.initialValLoss} -> ${res.bestValLoss}`);
      const report = actionReport(net, train, { seqLen: 8, batchSize: 8 });
      assert.equal(report.kind, 'categorical');
      const acc = report.kind === 'categorical' ? report.components[0].accuracy : 0;
      assert.ok(acc > 0.9, `training-state accuracy ${acc}`);
      assert.equal(tf.memory().numTensors, before, 'numTensors back to where it was');
    } finally {
      net.dispose();
    }
  });
}

test('behaviour cloning of a Box action: the mean action reaches the labels (MSE)', async () => {
  await initBackend({ report: null });
  const net = build('mlp', { kind: 'gaussian', dim: 2 }, 2);
  try {
    const data = { train: demos(3, 20, 40, 'continuous'), val: demos(4, 4, 40, 'continuous') };
    const start = actionReport(net, data.val, { seqLen: 8, batchSize: 64 });
    await new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 400, batchSize: 64, learningRate: 3e-3, warmupSteps: 20, evalEvery: 100 })).fit();
    const end = actionReport(net, data.val, { seqLen: 8, batchSize: 64 });
    assert.ok(start.kind === 'gaussian' && end.kind === 'gaussian');
    assert.ok(end.mse < 0.2 * start.mse, `val MSE ${start.mse} -> ${end.mse}`);
  } finally {
    net.dispose();
  }
});

test('early stopping keeps the best validation weights (here: the initial ones, the validation labels being the opposite rule)', async () => {
  await initBackend({ report: null });
  const net = build('mlp', { kind: 'categorical', nvec: [2] }, 3);
  try {
    const initial = net.readTensors().map((t) => Array.from(t.data));
    const bc = new BehaviorCloning(net, { train: demos(5, 10, 40, 'discrete'), val: demos(6, 4, 40, 'discrete', true) }, resolveBcConfig({ maxSteps: 1000, batchSize: 64, learningRate: 3e-3, warmupSteps: 10, evalEvery: 20, patience: 3 }));
    const res = await bc.fit();
    assert.equal(res.bestStep, 0);
    assert.ok(res.stoppedEarly && res.steps === 60, `stopped after ${res.steps} steps`);
    assert.deepEqual(net.readTensors().map((t) => Array.from(t.data)), initial, 'the best (initial) weights are back');
  } finally {
    net.dispose();
  }
});

test('closed-loop validation (fit({ validate })): the kept weights and the patience follow its score, not the validation NLL', async () => {
  await initBackend({ report: null });
  const net = build('mlp', { kind: 'gaussian', dim: 2 }, 4);
  try {
    const data = { train: demos(7, 10, 40, 'continuous'), val: demos(8, 4, 40, 'continuous') };
    // A score that peaks at step 40 and falls after, while the NLL keeps improving.
    const scores: Record<number, number> = { 0: 0.1, 20: 0.3, 40: 0.9, 60: 0.5, 80: 0.4, 100: 0.2 };
    const called: number[] = [];
    let kept: number[][] = [];
    const bc = new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 400, batchSize: 64, learningRate: 3e-3, warmupSteps: 10, evalEvery: 20, patience: 3 }));
    const res = await bc.fit({
      validate: async (step) => {
        called.push(step);
        if (step === 40) kept = net.readTensors().map((t) => Array.from(t.data));
        return scores[step];
      },
    });
    assert.deepEqual(called, [0, 20, 40, 60, 80, 100]);
    assert.equal(res.bestStep, 40);
    assert.equal(res.bestScore, 0.9);
    assert.ok(res.stoppedEarly && res.steps === 100, `stopped after ${res.steps} steps`);
    assert.deepEqual(net.readTensors().map((t) => Array.from(t.data)), kept, 'the weights of step 40 are back');
    assert.ok(Math.abs(res.bestValLoss - bc.loss(data.val)) < 1e-9, 'bestValLoss is the NLL of the kept weights');
  } finally {
    net.dispose();
  }
});

test('selectFrom: earlier validations are logged but never kept nor counted by patience; the first from it on is kept whatever its score', async () => {
  await initBackend({ report: null });
  const net = build('mlp', { kind: 'gaussian', dim: 2 }, 4);
  try {
    const data = { train: demos(7, 10, 40, 'continuous'), val: demos(8, 4, 40, 'continuous') };
    // The best score by far comes at step 40, before selectFrom (80); step 80 scores below it, 100 best after.
    const scores: Record<number, number> = { 0: 0.1, 20: 0.2, 40: 0.9, 60: 0.1, 80: 0.3, 100: 0.5, 120: 0.4, 140: 0.4 };
    const called: number[] = [];
    let kept: number[][] = [];
    const bc = new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 140, batchSize: 64, learningRate: 3e-3, warmupSteps: 10, evalEvery: 20, patience: 2, selectFrom: 80 }));
    const res = await bc.fit({
      validate: async (step) => {
        called.push(step);
        if (step === 100) kept = net.readTensors().map((t) => Array.from(t.data));
        return scores[step];
      },
    });
    // Patience 2 would have stopped at step 80 (two validations below step 40's); from selectFrom on it stops at 140.
    assert.deepEqual(called, [0, 20, 40, 60, 80, 100, 120, 140]);
    assert.equal(res.bestStep, 100);
    assert.equal(res.bestScore, 0.5);
    assert.deepEqual(net.readTensors().map((t) => Array.from(t.data)), kept, 'the weights of step 100 are back');
  } finally {
    net.dispose();
  }
  // Without validate (the NLL selects), a selectFrom at the last step keeps the last step's weights.
  const net2 = build('mlp', { kind: 'gaussian', dim: 2 }, 4);
  try {
    const data = { train: demos(7, 10, 40, 'continuous'), val: demos(8, 4, 40, 'continuous', true) };
    const res = await new BehaviorCloning(net2, data, resolveBcConfig({ maxSteps: 60, batchSize: 64, learningRate: 3e-3, warmupSteps: 10, evalEvery: 20, patience: 5, selectFrom: 60 })).fit();
    assert.equal(res.bestStep, 60, 'the opposite-rule validation NLL would keep step 0 without selectFrom');
  } finally {
    net2.dispose();
  }
  assert.throws(() => resolveBcConfig({ maxSteps: 100, selectFrom: 101 }, 'lamkit finetune --config'), /lamkit finetune --config\.selectFrom: expected a step <= maxSteps \(100\), so that a validation can be kept, got 101\. Lower selectFrom, or raise maxSteps/);
  assert.throws(() => resolveBcConfig({ selectFrom: -1 }), /selectFrom/);
});

test('a dataset that does not fit the network names both sizes', async () => {
  await initBackend({ report: null });
  const net = build('mlp', { kind: 'categorical', nvec: [2] }, 4);
  try {
    const five = { ...demos(7, 2, 10, 'discrete'), obsDim: 5, obs: new Float32Array(20 * 5) };
    assert.throws(() => new BehaviorCloning(net, { train: five, val: five }, resolveBcConfig({})), {
      name: 'InvalidArgument',
      message: "BehaviorCloning.train.obsDim: expected the network's observation size (4), got 5. Fine-tune on a dataset of the task the network was built for, or build the network for the dataset.",
    });
  } finally {
    net.dispose();
  }
});

test('paramGroups: a group with lrScale 0 keeps its weights while the others learn; an unknown group is a typed error', async () => {
  await initBackend({ report: null });
  const net = build('transformer', { kind: 'gaussian', dim: 2 }, 4);
  try {
    const byGroup = (): Map<string, number[]> => {
      const m = new Map<string, number[]>();
      for (const t of net.readTensors()) m.set(t.group, [...(m.get(t.group) ?? []), ...t.data]);
      return m;
    };
    const before = byGroup();
    const data = { train: demos(7, 6, 20, 'continuous'), val: demos(8, 2, 20, 'continuous') };
    await new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 20, batchSize: 8, seqLen: 4, warmupSteps: 2, evalEvery: 10, weightDecay: 0.1, paramGroups: { trunk: { lrScale: 0, weightDecay: 0 } } })).fit();
    const after = byGroup();
    assert.deepEqual(after.get('trunk'), before.get('trunk'), 'trunk: lrScale 0 and no decay, bit-identical');
    for (const g of ['tokenizers', 'heads']) assert.notDeepEqual(after.get(g), before.get(g), `${g} learned`);
    assert.throws(() => resolveBcConfig({ paramGroups: { heads: { lr: 1 } } }), { message: 'BcConfig.paramGroups.heads: expected only known keys (see agents/algos/bc/behavior-cloning.ts), got unknown key(s) lr. Fix the spelling or remove them.' });
    await assert.rejects(new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 2, paramGroups: { adapters: { lrScale: 0.5 } } })).fit(), {
      name: 'InvalidArgument',
      message: /^BehaviorCloning config\.paramGroups\.adapters: expected a parameter group of the network \(tokenizers, trunk, heads\), got "adapters"\. Fix the group name\.$/,
    });
  } finally {
    net.dispose();
  }
});

test('emaDecay: validations see and fit keeps the moving average of the weights; the training steps are those without it; tensors do not leak', async () => {
  await initBackend({ report: null });
  const data = { train: demos(9, 10, 40, 'continuous'), val: demos(10, 4, 40, 'continuous') };
  const flat = (net: ActorCritic): number[] => net.readTensors().flatMap((t) => Array.from(t.data));
  /** Trains a fresh network for 30 steps (validated every 10, the latest always best); the weights before each step, at each validation, and kept. */
  const run = async (emaDecay: number) => {
    const net = build('mlp', { kind: 'gaussian', dim: 2 }, 5);
    try {
      const steps: number[][] = [];
      const validated = new Map<number, number[]>();
      const before = tf.memory().numTensors;
      const bc = new BehaviorCloning(net, data, resolveBcConfig({ maxSteps: 30, batchSize: 64, learningRate: 1e-2, warmupSteps: 2, evalEvery: 10, emaDecay }));
      const res = await bc.fit({
        extraLoss: () => {
          steps.push(flat(net));
          return tf.scalar(0);
        },
        validate: async (step) => {
          validated.set(step, flat(net));
          return step;
        },
      });
      assert.equal(res.bestStep, 30);
      assert.equal(tf.memory().numTensors, before, 'numTensors back to where it was');
      return { steps, validated, kept: flat(net) };
    } finally {
      net.dispose();
    }
  };
  const plain = await run(0);
  const averaged = await run(0.9);
  assert.deepEqual(averaged.steps, plain.steps, 'the raw weights of every step are bit-identical with and without the average');
  // The average in float64 over the raw weights after each step: w_0, then min(0.9, (1 + k) / (10 + k)) per step k.
  const raw = [...plain.steps, plain.kept];
  let e = raw[0].slice();
  const expected = new Map<number, number[]>([[0, e]]);
  for (let k = 0; k < 30; k++) {
    const d = Math.min(0.9, (1 + k) / (10 + k));
    e = e.map((x, i) => d * x + (1 - d) * raw[k + 1][i]);
    if ((k + 1) % 10 === 0) expected.set(k + 1, e);
  }
  const maxDiff = (a: number[], b: number[]): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  for (const [step, want] of expected) assert.ok(maxDiff(averaged.validated.get(step) as number[], want) < 1e-5, `validation at step ${step} sees the average`);
  assert.ok(maxDiff(averaged.kept, expected.get(30) as number[]) < 1e-5, 'the kept weights are the average at step 30');
  assert.ok(maxDiff(averaged.kept, plain.kept) > 1e-3, `the average differs from the last weights (${maxDiff(averaged.kept, plain.kept)})`);
  assert.throws(() => resolveBcConfig({ emaDecay: 1 }), { name: 'InvalidArgument', message: /^BcConfig\.emaDecay: expected / });
});
