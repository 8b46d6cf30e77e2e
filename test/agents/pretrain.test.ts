import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import { Pretrainer, pretrainNetwork, resolvePretrainConfig, taskChunks, type PretrainTask } from '../../agents/algos/pretrain/pretrain.js';
import type { Demonstrations } from '../../agents/algos/bc/demonstrations.js';
import type { HeadSpec } from '../../agents/policies/param-layout.js';

const ARCH = { dModel: 16, layers: 1, heads: 2, mlpRatio: 2, window: 6 };
const opened: Array<{ dispose(): void }> = [];
after(() => opened.forEach((o) => o.dispose()));

/**
 * A toy task: `episodes` episodes of `len` steps; the observation drifts by
 * the action taken, and the action is a fixed function of the observation
 * (so both the action and the next observation are predictable).
 */
function toyTask(obsDim: number, head: HeadSpec, episodes: number, len: number, seed: number): Demonstrations {
  const rng = new Rng(seed);
  const ad = head.kind === 'gaussian' ? head.dim : head.nvec.length;
  const rows = episodes * len;
  const d: Demonstrations = { obsDim, actDim: ad, rows, obs: new Float32Array(rows * obsDim), actions: new Float32Array(rows * ad), episodeStart: new Uint8Array(rows) };
  const x = new Float64Array(obsDim);
  for (let e = 0; e < episodes; e++) {
    for (let j = 0; j < obsDim; j++) x[j] = rng.uniform(-1, 1);
    for (let t = 0; t < len; t++) {
      const r = e * len + t;
      d.episodeStart[r] = t === 0 ? 1 : 0;
      d.obs.set(x, r * obsDim);
      const a = head.kind === 'gaussian' ? -0.8 * x[0] : x[0] > 0 ? 1 : 0;
      d.actions[r * ad] = a;
      const push = head.kind === 'gaussian' ? a : a === 1 ? -0.3 : 0.3;
      for (let j = 0; j < obsDim; j++) x[j] = 0.9 * x[j] + (j === 0 ? push : 0.05 * (j % 2 ? 1 : -1));
    }
  }
  return d;
}

const gauss: HeadSpec = { kind: 'gaussian', dim: 1 };
const cat: HeadSpec = { kind: 'categorical', nvec: [2] };
const tasks = (): PretrainTask[] => [
  { name: 'A', head: gauss, train: toyTask(3, gauss, 12, 20, 1), val: toyTask(3, gauss, 3, 20, 2) },
  { name: 'B', head: cat, train: toyTask(2, cat, 12, 20, 3), val: toyTask(2, cat, 3, 20, 4) },
];

function network(seed: number): TransformerActorCritic {
  const rng = new Rng(seed);
  const net = pretrainNetwork((spec) => TransformerActorCritic.create(spec, rng, { logStdInit: 0 }), ARCH, [
    { obsDim: 3, head: gauss },
    { obsDim: 2, head: cat },
  ]);
  opened.push(net);
  return net;
}

test('pretraining on a tiny two-task dataset: every loss goes down (validation), batches mix both tasks, tensors stay flat', async () => {
  await initBackend();
  const net = network(1);
  const p = new Pretrainer(net, tasks(), resolvePretrainConfig({ seed: 1, maxSteps: 150, batchSize: 8, seqLen: 6, warmupSteps: 10, learningRate: 3e-3 }));
  opened.push(p);
  const before = p.validate(4) as NonNullable<ReturnType<Pretrainer['validate']>>;
  const mixed = p.sampleBatch(new Rng(5));
  assert.equal(mixed.length, 2, 'a minibatch holds chunks of both tasks');
  p.trainStep();
  const tensors = tf.memory().numTensors;
  for (let i = 1; i < 150; i++) p.trainStep();
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks across training steps');
  const afterwards = p.validate(4) as NonNullable<ReturnType<Pretrainer['validate']>>;
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks in validation');
  for (const k of ['action', 'masked', 'nextObs', 'total'] as const) {
    assert.ok(afterwards[k] < 0.6 * before[k], `${k}: ${before[k]} -> ${afterwards[k]}`);
  }
});

test('action chunking in pretraining: each token is scored on its next k actions (cut at the episode end, exactly the hand-computed loss), and pretraining a chunking network learns them', async () => {
  await initBackend();
  const k = 3;
  const rng = new Rng(7);
  const net = pretrainNetwork((spec) => TransformerActorCritic.create(spec, rng, { logStdInit: 0 }), { ...ARCH, chunk: k }, [
    { obsDim: 3, head: gauss },
    { obsDim: 2, head: cat },
  ]);
  opened.push(net);
  assert.equal(net.spec.chunk, k);
  const p = new Pretrainer(net, tasks(), resolvePretrainConfig({ seed: 3, maxSteps: 150, batchSize: 8, seqLen: 6, warmupSteps: 10, learningRate: 3e-3 }));
  opened.push(p);
  const t = tasks()[0];
  const space = { obsDim: 3, head: gauss, taskIndex: 0, prefix: '' };
  // Starts 16 (rows 16..19 end the first 20-step episode, 20..21 open the next) and 40.
  const g = taskChunks(t.train, space, [16, 40], 6, 0, new Rng(0), k);
  const cw = g.chunkWeights as Float32Array;
  const ca = g.chunkActions as Float32Array;
  assert.deepEqual(Array.from(cw.slice(0, 6 * k)), [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1], 'the chunk of step 18 holds 18, 19; of step 19 only 19; the next episode starts afresh');
  assert.equal(ca[1 * k + 2], t.train.actions[19], "step 17's third position is step 19's action");
  // The loss is the weighted mean over (row, position) of the squared error of the predicted mean.
  const [got, want] = tf.tidy(() => {
    const out = p.forward([g])[0].actorOut.arraySync() as number[][];
    let se = 0;
    let n = 0;
    out.forEach((row, r) => row.forEach((m, j) => {
      se += cw[r * k + j] * (m - ca[r * k + j]) ** 2;
      n += cw[r * k + j];
    }));
    return [p.lossTensors([g]).action.dataSync()[0], se / n];
  });
  assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, want), `chunked action loss ${got} vs hand-computed ${want}`);
  const before = (p.validate(4) as NonNullable<ReturnType<Pretrainer['validate']>>).action;
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 150; i++) p.trainStep();
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  const afterwards = (p.validate(4) as NonNullable<ReturnType<Pretrainer['validate']>>).action;
  assert.ok(afterwards < 0.6 * before, `chunked action loss ${before} -> ${afterwards}`);
});

test('taskSamplingPower: 0 draws tasks uniformly, 1 in proportion to their training steps, 0.5 in between', async () => {
  await initBackend();
  const net = network(4);
  const uneven: PretrainTask[] = [
    { name: 'A', head: gauss, train: toyTask(3, gauss, 16, 20, 1), val: null },
    { name: 'B', head: cat, train: toyTask(2, cat, 4, 20, 3), val: null },
  ];
  const shareOfA = (power: number): number => {
    const p = new Pretrainer(net, uneven, resolvePretrainConfig({ seed: 1, batchSize: 16, seqLen: 4, taskSamplingPower: power }));
    const rng = new Rng(9);
    let a = 0;
    for (let i = 0; i < 100; i++) a += p.sampleBatch(rng).filter((g) => g.space.obsDim === 3).reduce((x, g) => x + g.count, 0);
    p.dispose();
    return a / 1600;
  };
  const [uniform, half, size] = [shareOfA(0), shareOfA(0.5), shareOfA(1)];
  assert.ok(Math.abs(uniform - 0.5) < 0.05, `uniform: A's share ${uniform}`);
  assert.ok(Math.abs(half - 2 / 3) < 0.05, `power 0.5: A's share ${half} (sqrt(320) / (sqrt(320) + sqrt(80)) = 2/3)`);
  assert.ok(Math.abs(size - 0.8) < 0.05, `power 1: A's share ${size} (320 of 400 steps)`);
  assert.throws(() => resolvePretrainConfig({ taskSamplingPower: 2 }), /taskSamplingPower/);
});

test('masked-action prediction: the masked action never reaches its own prediction (an unmasked one does change it)', async () => {
  await initBackend();
  const net = network(2);
  const p = new Pretrainer(net, tasks(), resolvePretrainConfig({ seed: 2, maxSteps: 20, batchSize: 4, seqLen: 6, warmupSteps: 2 }));
  opened.push(p);
  for (let i = 0; i < 20; i++) p.trainStep(); // trained weights, not the near-zero init
  const t = tasks()[0];
  const space = { obsDim: 3, head: gauss, taskIndex: 0, prefix: '' };
  const g = taskChunks(t.train, space, [3], 6, 0, new Rng(0));
  const r = 3; // a row inside the episode (it has a previous action)
  const predict = (prev: number, masked: boolean): number[] =>
    tf.tidy(() => {
      const h = { ...g, prev: g.prev.slice(), masked: g.masked.slice() };
      h.prev[r] = prev;
      h.masked[r] = masked ? 1 : 0;
      return Array.from(p.forward([h])[0].prevOut.dataSync().slice(r, r + 1));
    });
  assert.deepEqual(predict(0.9, true), predict(-0.9, true), 'changing a masked action leaves its prediction bit-identical');
  assert.notDeepEqual(predict(0.9, false), predict(-0.9, false), 'unmasked, the same change does change it (the test can fail)');
});

test('multi-space network: adaptedTo selects a held space or adds one (the old one is kept); allowNew false names both sizes; a task of a space the network lacks is refused', async () => {
  await initBackend();
  const net = network(3);
  assert.ok(net.hasSpace({ obsDim: 2, head: cat }));
  const b = net.adaptedTo({ obsDim: 2, head: cat }, new Rng(1));
  opened.push(b);
  assert.equal(b.spec.obsDim, 2);
  assert.equal(b.spec.taskIndex, 1);
  const read = (n: TransformerActorCritic, name: string): Float32Array => n.readTensors().find((x) => x.name === name)?.data as Float32Array;
  assert.deepEqual(read(b, 'tok.obs.weight'), read(net, 'spaces.0.tok.obs.weight'), 'the held tokenizer is selected, not re-initialized');
  assert.deepEqual(read(b, 'spaces.0.head.actor.weight'), read(net, 'head.actor.weight'), 'the previously active head is kept');
  const c = net.adaptedTo({ obsDim: 7, head: { kind: 'gaussian', dim: 2 } }, new Rng(1));
  opened.push(c);
  assert.equal(c.spec.tasks, 3);
  assert.equal(c.spec.otherSpaces?.length, 2);
  assert.deepEqual(read(c, 'blocks.0.attn.wq'), read(net, 'blocks.0.attn.wq'), 'the trunk is shared');
  const lent = net.adaptedTo({ obsDim: 7, head: gauss }, new Rng(1));
  opened.push(lent);
  assert.deepEqual(read(lent, 'head.actor.weight'), read(net, 'head.actor.weight'), 'a new space with a held action head starts from that head');
  assert.deepEqual(read(lent, 'tok.act.weight'), read(net, 'tok.act.weight'));
  assert.equal(read(lent, 'tok.obs.weight').length, 7 * ARCH.dModel, 'its observation tokenizer is new');
  assert.throws(() => net.adaptedTo({ obsDim: 7, head: gauss }, new Rng(1), { allowNew: false }), (err: Error) => {
    assert.ok(err instanceof InvalidArgument);
    assert.match(err.message, /obs:Box\[3\]\|act:Box\[1\], obs:Box\[2\]\|act:Discrete\(2\).*got obs:Box\[7\]\|act:Box\[1\]/);
    return true;
  });
  assert.throws(() => new Pretrainer(net, [{ name: 'C', head: gauss, train: toyTask(5, gauss, 2, 5, 1), val: null }], resolvePretrainConfig({})), /Pretrainer\.tasks\[0\] \(C\): expected a space the network has.*got obs:Box\[5\]\|act:Box\[1\] \(observation size 5\)/);
  // The multi-space network round-trips through its tensors.
  const again = TransformerActorCritic.fromTensors(c.spec, c.readTensors());
  opened.push(again);
  assert.deepEqual(again.readTensors().map((t) => t.name), c.readTensors().map((t) => t.name));
});
