import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import { TransformerJs } from '../../agents/policies/transformer/transformer-js.js';
import { TransformerPolicy } from '../../agents/policies/transformer/transformer-policy.js';
import { TemporalEnsemble } from '../../agents/policies/transformer/temporal-ensemble.js';
import { type TransformerSpec, transformerSampler, checkTransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';
import { BinnedContinuousSampler } from '../../agents/distributions/binned-continuous-sampler.js';
import { labelledBatch, type Demonstrations } from '../../agents/algos/bc/demonstrations.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { policyKind, resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import { Box } from '../../src/core/spaces/box.js';
import { InvalidArgument } from '../../src/core/errors.js';
import type { EvalBatch } from '../../agents/policies/actor-critic.js';

const BINS = { bins: 11, low: [-1, -2], high: [1, 2] };
const spec = (over: Partial<TransformerSpec> = {}): TransformerSpec => ({ obsDim: 3, head: { kind: 'gaussian', dim: 2 }, dModel: 16, layers: 2, heads: 2, mlpRatio: 2, window: 4, tasks: 1, taskIndex: 0, ...over });

/** Episodes back to back: step k of the data has action (k, -k), so targets can be read off. */
function counting(lengths: number[]): Demonstrations {
  const rows = lengths.reduce((a, b) => a + b, 0);
  const rng = new Rng(3);
  const d: Demonstrations = { obsDim: 3, actDim: 2, rows, obs: rng.fillNormal(new Float32Array(rows * 3)), actions: new Float32Array(rows * 2), episodeStart: new Uint8Array(rows) };
  let r = 0;
  for (const n of lengths) {
    d.episodeStart[r] = 1;
    r += n;
  }
  for (let k = 0; k < rows; k++) d.actions.set([k, -k], k * 2);
  return d;
}

test('action chunking: labelledBatch aligns each scored step with the actions of the next k steps and masks past the episode end', () => {
  const d = counting([7, 5]); // episode 0: rows 0-6, episode 1: rows 7-11
  const { batch, weights } = labelledBatch(d, [4, 9], 2, 3, false, 3);
  const t = batch.chunkTargets as NonNullable<EvalBatch['chunkTargets']>;
  assert.equal(t.chunk, 3);
  // Chunk 0 scores rows 4, 5, 6 (6 is its episode's last step); chunk 1 scores rows 9, 10, 11 (11 is the data's last).
  const expect = [
    [[4, 5, 6], [1, 1, 1]],
    [[5, 6, 0], [1, 1, 0]],
    [[6, 0, 0], [1, 0, 0]],
    [[9, 10, 11], [1, 1, 1]],
    [[10, 11, 0], [1, 1, 0]],
    [[11, 0, 0], [1, 0, 0]],
  ];
  assert.deepEqual(Array.from(weights), [1, 1, 1, 1, 1, 1]);
  expect.forEach(([steps, mask], r) => {
    assert.deepEqual(Array.from(t.mask.subarray(r * 3, r * 3 + 3)), mask, `row ${r} mask`);
    steps.forEach((k, j) => {
      if (mask[j]) assert.deepEqual(Array.from(t.actions.subarray((r * 3 + j) * 2, (r * 3 + j) * 2 + 2)), [k, -k], `row ${r} chunk step ${j}`);
    });
  });
  // Padding rows past the data (weight 0) get no targets; chunk 1 (default) adds none.
  const pad = labelledBatch(d, [11], 0, 2, false, 2);
  assert.deepEqual(Array.from(pad.weights), [1, 0]);
  assert.deepEqual(Array.from(pad.batch.chunkTargets!.mask), [1, 0, 0, 0]);
  assert.equal(labelledBatch(d, [0], 0, 2).batch.chunkTargets, undefined);
});

test('temporal ensembling: weights exp(-m i) with i = 0 the oldest prediction, each prediction read at its chunk offset, reset at episode start', () => {
  const m = 0.5;
  const ens = new TemporalEnsemble(3, 1, m);
  assert.deepEqual(Array.from(ens.weights), [1, Math.exp(-0.5), Math.exp(-1)]);
  // Prediction made at step s for offsets 0, 1, 2: values 100 s + offset.
  const pred = (s: number): Float64Array => Float64Array.of(100 * s, 100 * s + 1, 100 * s + 2);
  const out = new Float64Array(1);
  const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
  ens.step(0, pred(0), 0, out, 0);
  close(out[0], 0, 'step 0: only its own prediction');
  ens.step(0, pred(1), 0, out, 0);
  close(out[0], (1 * 1 + Math.exp(-0.5) * 100) / (1 + Math.exp(-0.5)), 'step 1: the step-0 prediction (offset 1) is the oldest');
  ens.step(0, pred(2), 0, out, 0);
  const w = [1, Math.exp(-0.5), Math.exp(-1)];
  close(out[0], (w[0] * 2 + w[1] * 101 + w[2] * 200) / (w[0] + w[1] + w[2]), 'step 2: offsets 2, 1, 0 of steps 0, 1, 2');
  ens.step(0, pred(3), 0, out, 0);
  close(out[0], (w[0] * 102 + w[1] * 201 + w[2] * 300) / (w[0] + w[1] + w[2]), 'step 3: the step-0 prediction has run out');
  ens.reset(0);
  ens.step(0, pred(9), 0, out, 0);
  close(out[0], 900, 'after a reset only the new prediction counts');
  assert.throws(() => new TemporalEnsemble(0, 1, 0.01), /TemporalEnsemble.chunk: expected a positive integer, got 0/);
});

test('binned head: decode(encode(a)) lies within half a bin of a inside the bounds; values outside fall in the edge bins; bad bins are typed errors', () => {
  const s = new BinnedContinuousSampler(BINS);
  const rng = new Rng(4);
  const a = new Float32Array(2);
  const logits = new Float64Array(2 * BINS.bins);
  const out = new Float32Array(2);
  for (let n = 0; n < 500; n++) {
    a[0] = rng.uniform(-1, 1);
    a[1] = rng.uniform(-2, 2);
    const onehot = new Float32Array(2 * BINS.bins);
    s.encodeActions(a, 1, onehot);
    // The one-hot as (very confident) logits: the mode decodes to the bin centre.
    for (let i = 0; i < onehot.length; i++) logits[i] = onehot[i] * 20;
    s.sampleRow(logits, 0, null, null, true, out, 0);
    for (let j = 0; j < 2; j++) {
      const halfBin = (BINS.high[j] - BINS.low[j]) / BINS.bins / 2;
      assert.ok(Math.abs(out[j] - a[j]) <= halfBin + 1e-6, `dim ${j}: ${a[j]} -> ${out[j]} (half bin ${halfBin})`);
    }
  }
  assert.equal(s.binOf(-5, 0), 0);
  assert.equal(s.binOf(5, 1), BINS.bins - 1);
  assert.equal(s.binOf(1, 0), BINS.bins - 1, 'the upper bound is in the last bin');
  // Sampling draws bins by their probability: a 50/50 pair of bins.
  logits.fill(-50);
  logits[2] = logits[3] = 0;
  logits[BINS.bins + 5] = 0;
  let high = 0;
  for (let n = 0; n < 2000; n++) {
    const lp = s.sampleRow(logits, 0, null, rng, false, out, 0);
    assert.ok(Math.abs(lp - Math.log(0.5)) < 1e-6);
    if (out[0] > s.centre(2, 0) + 1e-6) high += 1;
  }
  assert.ok(high > 900 && high < 1100, `upper of two equal bins drawn ${high} / 2000`);
  assert.throws(() => new BinnedContinuousSampler({ bins: 1, low: [0], high: [1] }), (e: unknown) => e instanceof InvalidArgument && /BinnedContinuous.bins: expected an integer >= 2, got 1/.test((e as Error).message));
  assert.throws(() => new BinnedContinuousSampler({ bins: 4, low: [-Infinity], high: [1] }), /BinnedContinuous.bounds\[0\]: expected finite low < high/);
  assert.throws(() => checkTransformerSpec(spec({ binned: { bins: 4, low: [0], high: [1] } })), /TransformerSpec.binned.low: expected 2 bounds/);
});

test('policy config: continuousHead binned needs the Box bounds (typed error naming the field), chunk and dropout reach the spec', async () => {
  await initBackend({ report: null });
  const config = resolvePolicyConfig({ kind: 'transformer', dModel: 16, layers: 1, heads: 2, window: 3, continuousHead: 'binned', bins: 7, chunk: 4, dropout: 0.1 });
  assert.throws(() => policyKind('transformer').create(config, { obsDim: 3, head: { kind: 'gaussian', dim: 2 } }, new Rng(1)), /policy.continuousHead: expected 'gaussian' when the action bounds are unknown/);
  const net = policyKind('transformer').create(config, { obsDim: 3, head: { kind: 'gaussian', dim: 2 }, actionBounds: { low: [-1, -1], high: [1, 1] } }, new Rng(1)) as TransformerActorCritic;
  try {
    assert.deepEqual(net.spec.binned, { bins: 7, low: [-1, -1], high: [1, 1] });
    assert.equal(net.spec.chunk, 4);
    assert.equal(net.spec.dropout, 0.1);
    assert.equal(net.actionChunk, 4);
    assert.equal(net.readTensors().find((t) => t.name === 'head.actor.weight')!.shape[1], 4 * 2 * 7);
    assert.equal(net.readTensors().find((t) => t.name === 'head.actor.log_std'), undefined, 'no log-std for a binned head');
  } finally {
    net.dispose();
  }
  assert.throws(() => resolvePolicyConfig({ kind: 'transformer', dropout: 1 }), /policy.dropout/);
});

/** A rollout of the cached JS pass with random observations; returns the full-forward inputs and the JS actor rows (all chunk positions). */
function jsRollout(net: TransformerActorCritic, steps: number, reset: number, seed: number) {
  const rng = new Rng(seed);
  const ad = net.dist.actDim;
  const js = new TransformerJs(net.spec, new Map(net.readTensors().map((t) => [t.name, t.data])));
  const obs = rng.fillNormal(new Float32Array(steps * 3));
  const actions = rng.fillUniform(new Float32Array(steps * ad), -0.9, 0.9);
  const prevActions = new Float32Array(steps * ad);
  const episodeStart = new Uint8Array(steps);
  const rows = new Float64Array(steps * js.outDim);
  for (let t = 0; t < steps; t++) {
    if (t === 0 || t === reset) {
      js.resetEpisode(0);
      episodeStart[t] = 1;
    } else prevActions.set(actions.subarray((t - 1) * ad, t * ad), t * ad);
    js.step(0, obs, t * 3, rows, t * js.outDim, true);
    js.recordAction(0, actions, t * ad);
  }
  return { js, obs, actions, prevActions, episodeStart, rows };
}

for (const binned of [false, true]) {
  test(`action chunking (${binned ? 'binned' : 'Gaussian'} head): the incremental JS pass equals the full forward at every chunk position, the chunk loss is the masked mean, and the own action is scored under the temporal ensemble`, async () => {
    await initBackend({ report: null });
    const chunk = 3;
    const net = TransformerActorCritic.create(spec({ chunk, ...(binned ? { binned: BINS } : {}) }), new Rng(11), { logStdInit: -0.5 });
    try {
      const steps = 14;
      const r = jsRollout(net, steps, 9, 12);
      const sampler = transformerSampler(net.spec);
      const stepOut = r.js.stepOutDim;
      // Chunk targets: step t + j's action while inside t's episode.
      const targets = new Float32Array(steps * chunk * 2);
      const mask = new Float32Array(steps * chunk);
      for (let t = 0; t < steps; t++) {
        for (let j = 0; j < chunk && t + j < steps && (j === 0 || !r.episodeStart[t + j]); j++) {
          targets.set(r.actions.subarray((t + j) * 2, (t + j + 1) * 2), (t * chunk + j) * 2);
          mask[t * chunk + j] = 1;
        }
      }
      const batch: EvalBatch = { obs: { rows: steps, flat: r.obs }, actions: r.actions, prevActions: r.prevActions, chunks: { count: 1, context: 0, length: steps, episodeStart: r.episodeStart }, chunkTargets: { chunk, actions: targets, mask } };
      // Without targets the step's own action is scored under the ensemble, which reads the chunk - 1 rows before: two padding rows of context.
      const pad = chunk - 1;
      const padded = (x: Float32Array, width: number): Float32Array => {
        const out = new Float32Array((steps + pad) * width);
        out.set(x, pad * width);
        return out;
      };
      const starts = new Uint8Array(steps + pad).fill(1);
      starts.set(r.episodeStart, pad);
      const ownBatch: EvalBatch = { obs: { rows: steps + pad, flat: padded(r.obs, 3) }, actions: padded(r.actions, 2), prevActions: padded(r.prevActions, 2), chunks: { count: 1, context: pad, length: steps, episodeStart: starts } };
      const [chunkLp, ownLp] = tf.tidy(() => [net.evaluate(batch).logProb.dataSync().slice(), net.evaluate(ownBatch).logProb.dataSync().slice()]);
      assert.throws(() => net.evaluate({ ...batch, chunkTargets: undefined }), (e: unknown) => e instanceof InvalidArgument && /evaluate\.chunks\.context: expected at least 2/.test(String(e)));
      // The deployed ensemble of the incremental pass's rows.
      const ensemble = new TemporalEnsemble(chunk, stepOut, net.spec.ensembleCoef ?? 0.01);
      const ensembled = new Float64Array(steps * stepOut);
      for (let t = 0; t < steps; t++) {
        if (r.episodeStart[t]) ensemble.reset(0);
        ensemble.step(0, r.rows, t * r.js.outDim, ensembled, t * stepOut);
      }
      // Log-prob of an action under one chunk position's actor row (j < 0: the ensembled row), in plain JS.
      const lpAt = (t: number, j: number, a: Float32Array, off: number): number => {
        const row = j < 0 ? ensembled.subarray(t * stepOut, (t + 1) * stepOut) : r.rows.subarray(t * r.js.outDim + j * stepOut, t * r.js.outDim + (j + 1) * stepOut);
        if (!binned) {
          const ls = r.js.logStd as Float32Array;
          let lp = 0;
          for (let e = 0; e < 2; e++) lp += -0.5 * ((a[off + e] - row[e]) / Math.exp(ls[e])) ** 2 - ls[e] - 0.5 * Math.log(2 * Math.PI);
          return lp;
        }
        const s = sampler as BinnedContinuousSampler;
        let lp = 0;
        for (let e = 0; e < 2; e++) {
          const logits = row.subarray(e * s.bins, (e + 1) * s.bins);
          const max = Math.max(...logits);
          const lse = max + Math.log(logits.reduce((acc, v) => acc + Math.exp(v - max), 0));
          lp += logits[s.binOf(a[off + e], e)] - lse;
        }
        return lp;
      };
      let worst = 0;
      for (let t = 0; t < steps; t++) {
        let sum = 0;
        let n = 0;
        for (let j = 0; j < chunk; j++) {
          if (!mask[t * chunk + j]) continue;
          sum += lpAt(t, j, targets, (t * chunk + j) * 2);
          n += 1;
        }
        worst = Math.max(worst, Math.abs(chunkLp[t] - sum / n), Math.abs(ownLp[t] - lpAt(t, -1, r.actions, t * 2)));
      }
      assert.ok(worst < 1e-3, `max |full forward - incremental| over chunk positions: ${worst}`);
      assert.ok(Math.abs(chunkLp[5] - ownLp[5]) > 1e-6, 'the chunk loss really scores the later positions');
    } finally {
      net.dispose();
    }
  });
}

test('TransformerPolicy with chunking acts on the temporal ensemble of the JS pass outputs (deterministic: the mean, clipped)', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec({ chunk: 4, ensembleCoef: 0.2 }), new Rng(13), { logStdInit: -1 });
  try {
    const tensors = new Map(net.readTensors().map((t) => [t.name, t.data]));
    const policy = new TransformerPolicy(net.spec, tensors, { observationSpace: new Box(-10, 10, [3]), actionSpace: new Box(-5, 5, [2]), obsStats: null, clipObs: 10 });
    const js = new TransformerJs(net.spec, tensors);
    const ens = new TemporalEnsemble(4, 2, 0.2);
    const rng = new Rng(14);
    const row = new Float64Array(js.outDim);
    const mean = new Float64Array(2);
    let differs = false;
    for (let t = 0; t < 12; t++) {
      if (t === 7) {
        policy.resetEpisode(0);
        js.resetEpisode(0);
        ens.reset(0);
      }
      const o = rng.fillNormal(new Float32Array(3));
      const a = policy.act(o, { deterministic: true }) as Float32Array;
      js.step(0, o, 0, row, 0, true);
      ens.step(0, row, 0, mean, 0);
      const expected = Float32Array.from(mean, (v) => Math.max(-5, Math.min(5, Math.fround(v))));
      assert.deepEqual(Array.from(a), Array.from(expected), `step ${t}`);
      js.recordAction(0, Float32Array.from(mean), 0);
      if (t > 0 && t !== 7 && Math.abs(mean[0] - row[0]) > 1e-6) differs = true;
    }
    assert.ok(differs, 'the ensemble differs from the step\'s own prediction');
  } finally {
    net.dispose();
  }
});

test('dropout: off without a training Rng (inference equals the same weights without dropout), seeded and reproducible when training', async () => {
  await initBackend({ report: null });
  const withDrop = TransformerActorCritic.create(spec({ dropout: 0.3 }), new Rng(15), { logStdInit: 0 });
  const { dropout: _unused, ...plainSpec } = withDrop.spec;
  const plain = TransformerActorCritic.fromTensors(plainSpec, withDrop.readTensors());
  try {
    const r = jsRollout(withDrop, 10, -1, 16);
    const batch: EvalBatch = { obs: { rows: 10, flat: r.obs }, actions: r.actions, prevActions: r.prevActions, chunks: { count: 1, context: 0, length: 10, episodeStart: r.episodeStart } };
    const lp = (net: TransformerActorCritic, b: EvalBatch): number[] => tf.tidy(() => Array.from(net.evaluate(b).logProb.dataSync()));
    assert.deepEqual(lp(withDrop, batch), lp(plain, batch), 'no dropout at inference');
    const a = lp(withDrop, { ...batch, dropoutRng: new Rng(7) });
    const b = lp(withDrop, { ...batch, dropoutRng: new Rng(7) });
    const c = lp(withDrop, { ...batch, dropoutRng: new Rng(8) });
    assert.deepEqual(a, b, 'the same seed drops the same units');
    assert.notDeepEqual(a, lp(plain, batch), 'dropout changes training outputs');
    assert.notDeepEqual(a, c);
    // The plain-JS pass (rollouts, control) never drops: it equals the inference forward.
    const js = jsRollout(plain, 10, -1, 16);
    const jsWithDrop = jsRollout(withDrop, 10, -1, 16);
    assert.deepEqual(Array.from(js.rows), Array.from(jsWithDrop.rows));
  } finally {
    withDrop.dispose();
    plain.dispose();
  }
});

test('behaviour cloning with chunking, a binned head and dropout: the loss falls, the mode reproduces the labels within a bin, tensors stay flat', async () => {
  await initBackend({ report: null });
  // Episodes of 12 steps; the label is a smooth function of the observation, as an expert's would be.
  const rng = new Rng(17);
  const make = (episodes: number): Demonstrations => {
    const rows = episodes * 12;
    const d: Demonstrations = { obsDim: 3, actDim: 2, rows, obs: rng.fillNormal(new Float32Array(rows * 3)), actions: new Float32Array(rows * 2), episodeStart: new Uint8Array(rows) };
    for (let k = 0; k < rows; k++) {
      if (k % 12 === 0) d.episodeStart[k] = 1;
      // A smooth state path (as an arm's), so the next steps' labels are predictable from the history.
      else for (let e = 0; e < 3; e++) d.obs[k * 3 + e] = 0.9 * d.obs[(k - 1) * 3 + e] + 0.3 * d.obs[k * 3 + e];
      d.actions[k * 2] = Math.tanh(d.obs[k * 3]);
      d.actions[k * 2 + 1] = 1.5 * Math.tanh(d.obs[k * 3 + 1] - d.obs[k * 3 + 2]);
    }
    return d;
  };
  const train = make(16);
  const val = make(4);
  const net = TransformerActorCritic.create(spec({ layers: 1, dModel: 32, chunk: 2, binned: BINS, dropout: 0.1 }), new Rng(18), { logStdInit: 0 });
  try {
    const bc = new BehaviorCloning(net, { train, val }, resolveBcConfig({ maxSteps: 200, batchSize: 8, seqLen: 8, learningRate: 3e-3, warmupSteps: 20, evalEvery: 50, patience: 10 }));
    const initialTrain = bc.loss(train);
    const result = await bc.fit();
    const trainLoss = bc.loss(train);
    assert.ok(result.bestValLoss < result.initialValLoss, `validation NLL ${result.initialValLoss} -> ${result.bestValLoss}`);
    assert.ok(trainLoss < initialTrain - 1.5, `training NLL ${initialTrain} -> ${trainLoss}`);
    const tensors = tf.memory().numTensors;
    await new BehaviorCloning(net, { train, val }, resolveBcConfig({ maxSteps: 20, batchSize: 8, seqLen: 8, evalEvery: 10, learningRate: 1e-4 })).fit();
    assert.equal(tf.memory().numTensors, tensors, 'no tensors leak across training steps');
    // Deterministic actions (bin centres, ensembled) on the training observations, the policy's own actions as history.
    const policy = new TransformerPolicy(net.spec, new Map(net.readTensors().map((t) => [t.name, t.data])), { observationSpace: new Box(-10, 10, [3]), actionSpace: new Box([-1, -2], [1, 2]), obsStats: null, clipObs: 10 });
    let within = 0;
    for (let k = 0; k < train.rows; k++) {
      if (train.episodeStart[k]) policy.resetEpisode(0);
      const a = policy.act(train.obs.subarray(k * 3, k * 3 + 3), { deterministic: true }) as Float32Array;
      if (Math.abs(a[0] - train.actions[k * 2]) <= 0.2 + 1e-6 && Math.abs(a[1] - train.actions[k * 2 + 1]) <= 0.4 + 1e-6) within += 1;
    }
    // Chance (an untrained mode) lands within a bin in both dimensions on roughly (3/11)^2 = 7% of steps.
    assert.ok(within / train.rows > 0.4, `${within} of ${train.rows} training steps within one bin in both dimensions`);
  } finally {
    net.dispose();
  }
});

test('withChunk widens every actor head for fine-tuning: the step\'s own prediction is unchanged, new positions start as copies of it', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec({ otherSpaces: [{ obsDim: 5, head: { kind: 'categorical', nvec: [3] }, taskIndex: 0 }] }), new Rng(21), { logStdInit: -0.5 });
  const chunked = net.withChunk(3, 0.05);
  try {
    assert.equal(chunked.spec.chunk, 3);
    assert.equal(chunked.spec.ensembleCoef, 0.05);
    assert.deepEqual(chunked.readTensors().find((t) => t.name === 'spaces.0.head.actor.weight')!.shape, [16, 9], 'the held space is widened too');
    const before = jsRollout(net, 8, -1, 22);
    const after = jsRollout(chunked, 8, -1, 22);
    for (let t = 0; t < 8; t++) {
      for (let j = 0; j < 3; j++) {
        for (let o = 0; o < 2; o++) assert.equal(after.rows[t * 6 + j * 2 + o], before.rows[t * 2 + o], `step ${t}, position ${j}`);
      }
    }
    assert.throws(() => net.withChunk(0), /TransformerSpec.chunk: expected a positive integer/);
    const back = chunked.withChunk(1);
    try {
      assert.equal(back.spec.chunk, undefined);
      assert.deepEqual(Array.from(jsRollout(back, 8, -1, 22).rows), Array.from(before.rows));
    } finally {
      back.dispose();
    }
  } finally {
    net.dispose();
    chunked.dispose();
  }
});

test('lamkit finetune --config chunk: a bad value is a typed error naming the field', async () => {
  const { runFinetune } = await import('../../src/cli/commands/finetune.js');
  await assert.rejects(runFinetune({ data: 'no-such-dataset', mode: 'full', config: '{"chunk": 0}', progress: false }), (e: unknown) => e instanceof InvalidArgument && /lamkit finetune --config chunk: expected a positive integer .*, got 0\./.test((e as Error).message));
});

test('an action-chunking network acts in training (PPO) as it is deployed: TransformerActorCritic.act samples around the temporal ensemble TransformerPolicy acts on, per sub-env, across episode resets', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec({ chunk: 4, ensembleCoef: 0.5 }), new Rng(31), { logStdInit: -1 });
  try {
    assert.equal(net.sequence.context, 2 * 3 + 3, 'the receptive field plus the 3 earlier tokens the ensemble reads');
    assert.equal(net.sequence.labelContext, 2 * 3, 'chunk targets need the receptive field only');
    const tensors = new Map(net.readTensors().map((t) => [t.name, t.data]));
    const policy = new TransformerPolicy(net.spec, tensors, { observationSpace: new Box(-10, 10, [3]), actionSpace: new Box(-5, 5, [2]), obsStats: null, clipObs: 10 });
    const firstOnly = new TransformerPolicy({ ...net.spec, ensembleCoef: 100 }, tensors, { observationSpace: new Box(-10, 10, [3]), actionSpace: new Box(-5, 5, [2]), obsStats: null, clipObs: 10 });
    const rng = new Rng(32);
    const out = { actions: new Float32Array(4), logProbs: new Float64Array(2), values: new Float64Array(2) };
    let apart = 0;
    for (let t = 0; t < 20; t++) {
      // Sub-env 1 restarts its episode at steps 7 and 13; sub-env 0 runs on.
      if (t === 7 || t === 13) {
        net.resetEpisode(1);
        policy.resetEpisode(1);
        firstOnly.resetEpisode(1);
      }
      const obs = rng.fillNormal(new Float32Array(6));
      net.act({ rows: 2, flat: obs }, null, true, out);
      const deployed = policy.act(obs, { deterministic: true }) as Float32Array;
      const first = firstOnly.act(obs, { deterministic: true }) as Float32Array;
      for (let j = 0; j < 4; j++) {
        assert.ok(Math.abs(out.actions[j] - deployed[j]) < 1e-5, `step ${t}, value ${j}: ${out.actions[j]} vs deployed ${deployed[j]}`);
        apart = Math.max(apart, Math.abs(out.actions[j] - first[j]));
      }
    }
    assert.ok(apart > 0.01, `the ensemble differs from the first chunk position alone (max ${apart})`);
  } finally {
    net.dispose();
  }
});
