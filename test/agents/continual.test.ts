import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import type { TransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';
import { type Demonstrations, labelledBatchFor, sampleStarts } from '../../agents/algos/bc/demonstrations.js';
import { resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { EwcPenalty, estimateFisher } from '../../agents/algos/continual/ewc.js';
import { ContinualLearner, resolveContinualConfig } from '../../agents/algos/continual/continual-learner.js';
import { retentionSummary } from '../../agents/algos/continual/retention.js';
import { replayNll } from '../../agents/algos/continual/rehearsal.js';

const spec = (obsDim = 3): TransformerSpec => ({ obsDim, head: { kind: 'gaussian', dim: 2 }, dModel: 16, layers: 1, heads: 2, mlpRatio: 2, window: 4, tasks: 1, taskIndex: 0 });

/** Episodes of 10 steps whose action is `sign x (obs_0, obs_1)` (two tasks that disagree). */
function demos(seed: number, sign: number, episodes = 8, obsDim = 3): Demonstrations {
  const rng = new Rng(seed);
  const rows = episodes * 10;
  const obs = rng.fillNormal(new Float32Array(rows * obsDim));
  const actions = new Float32Array(rows * 2);
  const episodeStart = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    actions[r * 2] = sign * obs[r * obsDim];
    actions[r * 2 + 1] = sign * obs[r * obsDim + 1];
    if (r % 10 === 0) episodeStart[r] = 1;
  }
  return { obsDim, actDim: 2, rows, obs, actions, episodeStart };
}

test('EWC: the penalty is 0 at the anchor weights, positive once a shared weight moves, blind to a task\'s own head', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec(), new Rng(1), { logStdInit: -0.5 });
  try {
    const ewc = new EwcPenalty(100);
    const zero = ewc.penalty(net);
    assert.equal(zero.dataSync()[0], 0, 'no consolidated task yet: no penalty');
    zero.dispose();
    ewc.consolidate(net, estimateFisher(net, demos(2, 1), { batches: 3, batchSize: 4, seqLen: 4 }, new Rng(3)));
    assert.ok(ewc.fisherMass() > 0, 'the Fisher estimate is not empty');
    const before = tf.memory().numTensors;
    const at = ewc.penalty(net);
    assert.equal(at.dataSync()[0], 0, 'at the anchor');
    at.dispose();
    const t0 = net.readTensors();
    net.writeTensors(t0.map((t) => (t.name.startsWith('head.') ? { ...t, data: t.data.map((x) => x + 1) } : t)));
    const head = ewc.penalty(net);
    assert.equal(head.dataSync()[0], 0, 'a task-specific head is not anchored');
    head.dispose();
    net.writeTensors(t0.map((t) => (t.name === 'blocks.0.mlp.w1' ? { ...t, data: t.data.map((x) => x + 0.01) } : t)));
    const away = ewc.penalty(net);
    assert.ok(away.dataSync()[0] > 0, `a moved trunk weight is penalized (${away.dataSync()[0]})`);
    away.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  } finally {
    net.dispose();
  }
});

test('adapters: the adapter selected by task id is the one trained on that task (two tasks of the same spaces), over a frozen trunk', async () => {
  await initBackend({ report: null });
  const bc = resolveBcConfig({ seed: 1, maxSteps: 40, batchSize: 4, seqLen: 4, warmupSteps: 2, evalEvery: 20, learningRate: 3e-3 });
  const start = TransformerActorCritic.create(spec(), new Rng(4), { logStdInit: -0.5 });
  const trunk0 = start.readTensors().filter((t) => t.group === 'trunk');
  const learner = new ContinualLearner(start, resolveContinualConfig({ strategy: 'adapters', loraRank: 2, loraAlpha: 4 }), bc);
  try {
    const A = { id: 'A', io: { obsDim: 3, head: start.head }, train: demos(5, 1), val: demos(6, 1, 2) };
    const B = { id: 'B', io: { obsDim: 3, head: start.head }, train: demos(7, -1), val: demos(8, -1, 2) };
    const probeA = demos(9, 1, 2);
    const probeB = demos(9, -1, 2);
    const r = await learner.learn(A);
    assert.ok(r.bestValLoss < r.initialValLoss, `task A was learned (${r.initialValLoss} -> ${r.bestValLoss})`);
    const nllAAfterA = learner.nll('A', probeA);
    await learner.learn(B);
    // Selecting A after B was learned gives A's network exactly (its adapter and head), not B's.
    assert.equal(learner.nll('A', probeA), nllAAfterA, 'task A unchanged by learning B');
    assert.ok(learner.nll('A', probeA) < learner.nll('B', probeA), "A's data fits A's adapter better than B's");
    assert.ok(learner.nll('B', probeB) < learner.nll('A', probeB), "B's data fits B's adapter better than A's");
    for (const id of ['A', 'B']) {
      const net = learner.netFor(id);
      try {
        const t = new Map(net.readTensors().map((x) => [x.name, x.data]));
        for (const x of trunk0) assert.deepEqual(t.get(x.name), x.data, `${id}: trunk ${x.name} frozen`);
        assert.ok([...t.entries()].some(([n, v]) => n.endsWith('lora_b') && v.some((y) => y !== 0)), `${id}: its adapter was trained`);
      } finally {
        net.dispose();
      }
    }
    const bank = learner.adapterBank!;
    assert.ok(bank.paramsOf('A') < bank.trunkParams, 'an adapter is smaller than the trunk');
    assert.throws(() => learner.netFor('C'), /ContinualLearner.netFor: expected a learned task id \(A, B\), got "C"/);
  } finally {
    learner.dispose();
  }
});

test('rehearsal with action chunking: the replayed loss of an earlier task (other spaces, banked) is the loss behaviour cloning trains that task on', async () => {
  await initBackend({ report: null });
  const start = TransformerActorCritic.create({ ...spec(), chunk: 3 }, new Rng(11), { logStdInit: -0.5 });
  const netB = start.adaptedTo({ obsDim: 5, head: { kind: 'gaussian', dim: 2 } }, new Rng(12));
  const netA = netB.adaptedTo({ obsDim: 3, head: start.head }, new Rng(13), { allowNew: false });
  try {
    const data = demos(14, 1);
    const entry = { taskId: 'A', io: { obsDim: 3, head: start.head }, data };
    const before = tf.memory().numTensors;
    const replayed = replayNll(netB, entry, { batchSize: 4, seqLen: 4 }, new Rng(15));
    // What BC computes for task A on its own network: chunk targets over the label context, the same draws.
    const { batch, weights } = labelledBatchFor(netA, data, sampleStarts(data, 4, new Rng(15)), 4);
    assert.ok(batch.chunkTargets && batch.chunkTargets.chunk === 3, 'the batch carries chunk targets');
    const lp = tf.tidy(() => netA.evaluate(batch).logProb.dataSync().slice());
    let sum = 0;
    let n = 0;
    weights.forEach((w, r) => {
      sum -= w * lp[r];
      n += w;
    });
    const got = replayed.dataSync()[0];
    replayed.dispose();
    assert.ok(Number.isFinite(got) && Math.abs(got - sum / n) < 1e-4, `replayed ${got} vs BC's ${sum / n}`);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  } finally {
    [start, netA, netB].forEach((x) => x.dispose());
  }
});

test('retention summary: average final performance and forgetting (higher and lower is better)', () => {
  const a = [
    [0.9, NaN, NaN],
    [0.6, 0.8, NaN],
    [0.5, 0.7, 1.0],
  ];
  const s = retentionSummary(a, true);
  assert.ok(Math.abs(s.averageFinal - (0.5 + 0.7 + 1.0) / 3) < 1e-12);
  assert.deepEqual(s.forgetting.map((x) => +x.toFixed(12)), [0.4, 0.1]);
  const nll = retentionSummary([[1, NaN], [3, 2]], false);
  assert.deepEqual(nll.forgetting, [2]);
});
