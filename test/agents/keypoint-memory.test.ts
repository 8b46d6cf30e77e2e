import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { actionReport } from '../../agents/algos/bc/action-report.js';
import { labelledBatch, type Demonstrations } from '../../agents/algos/bc/demonstrations.js';
import { dots, dotsNet } from './fixtures/dots.js';
import { checkTextTransformerSpec } from '../../agents/policies/text/text-transformer-spec.js';

/** The deterministic actions of `net` acting on `rows` of `d`, one act call per row list (row i of a call = sub-env i). */
function act(net: TextTransformerActorCritic, d: Demonstrations, rows: number[]): number[] {
  const od = d.obsDim;
  const flat = new Float32Array(rows.length * od);
  rows.forEach((r, i) => flat.set(d.obs.subarray(r * od, (r + 1) * od), i * od));
  const out = { actions: new Float32Array(rows.length * 2), logProbs: new Float64Array(rows.length), values: new Float64Array(rows.length) };
  net.act({ rows: rows.length, flat }, null, true, out);
  return [...out.actions];
}

/** The Gaussian means `evaluate` gives for `rows` of `d` read with the first observations of rows `firsts`. */
function evaluated(net: TextTransformerActorCritic, d: Demonstrations, rows: number[], firsts: number[]): number[] {
  const { batch } = labelledBatch(d, rows, null, 1, true);
  const od = d.obsDim;
  batch.firstObs = new Float32Array(rows.length * od);
  firsts.forEach((r, i) => (batch.firstObs as Float32Array).set(d.obs.subarray(r * od, (r + 1) * od), i * od));
  return tf.tidy(() => [...(net.evaluate(batch).actorOut as tf.Tensor2D).dataSync()]);
}

const close = (a: number[], b: number[], what: string): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `${what}: ${a.join(', ')} vs ${b.join(', ')}`);
};

test('keypoint memory: act keeps each row its first frame until resetEpisode, as evaluate reads EvalBatch.firstObs; rows never mix; the spec travels with the checkpoint', async () => {
  await initBackend({ report: null });
  const { d } = dots(3, 11, { hideLater: true });
  const n = dotsNet(1, true, true);
  try {
    assert.equal(n.firstObsInput, true);
    assert.equal(n.spec.image?.keypoints?.memory, true);
    // Sub-envs 0 and 1 start episodes 0 and 1, then see their second (bare-table) frames.
    act(n, d, [0, 2]);
    const before = tf.memory().numTensors;
    const later = act(n, d, [1, 3]);
    close(later, evaluated(n, d, [1, 3], [0, 2]), 'second steps after the first frames');
    // Sub-env 1 starts episode 2: its memory is replaced, sub-env 0 keeps episode 0's.
    n.resetEpisode(1);
    act(n, d, [1, 4]);
    close(act(n, d, [1, 5]), evaluated(n, d, [1, 5], [0, 4]), 'after resetEpisode(1)');
    // Without a reset a row acts on its remembered first frame, not the frame it sees now.
    const remembered = act(n, d, [1, 5]);
    const fresh = evaluated(n, d, [1, 5], [1, 5]);
    assert.ok(Math.abs(remembered[0] - fresh[0]) + Math.abs(remembered[1] - fresh[1]) > 1e-6, 'the first frame changes the output');
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks across act calls');
    // A network with memory needs the first observations to be scored.
    const { batch } = labelledBatch(d, [1], null, 1);
    assert.throws(() => n.evaluate(batch), /TextTransformerActorCritic\.evaluate\.firstObs: expected the first observation of each row's episode \(1 rows x \d+ numbers\)/);
    const back = TextTransformerActorCritic.fromTensors(n.spec, n.readTensors());
    try {
      act(back, d, [0]);
      n.resetEpisode(0);
      act(n, d, [0]);
      close(act(back, d, [1]), act(n, d, [1]), 'restored from its tensors');
    } finally {
      back.dispose();
    }
  } finally {
    n.dispose();
  }
});

test('keypoint memory: when the target is gone from the later frame, only the network with memory still acts on where it was', async () => {
  await initBackend({ report: null });
  const train = dots(160, 21, { hideLater: true, goalActions: true });
  const val = dots(40, 22, { hideLater: true, goalActions: true });
  /** Mean squared error of the mean action on the held-out episodes' second (bare-table) steps. */
  const laterError = (n: TextTransformerActorCritic): number => {
    const d = val.d;
    const rows = Array.from({ length: d.rows / 2 }, (_, e) => 2 * e + 1);
    const means = n.firstObsInput ? evaluated(n, d, rows, rows.map((r) => r - 1)) : tf.tidy(() => [...(n.evaluate(labelledBatch(d, rows, null, 1, true).batch).actorOut as tf.Tensor2D).dataSync()]);
    let sum = 0;
    rows.forEach((r, i) => {
      for (let j = 0; j < 2; j++) sum += (means[i * 2 + j] - d.actions[r * 2 + j]) ** 2;
    });
    return sum / (2 * rows.length);
  };
  const errors: Record<string, number> = {};
  for (const memory of [false, true]) {
    // The keypoints learn from the first steps' action loss (the dot is in sight there); memory reads them detached.
    const n = dotsNet(1, false, memory);
    try {
      const before = tf.memory().numTensors;
      const bc = new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 800, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 800 }));
      await bc.fit();
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks across training');
      errors[memory ? 'memory' : 'memoryless'] = laterError(n);
      if (memory) assert.equal(actionReport(n, val.d, { seqLen: 1, batchSize: 32 }).kind, 'gaussian');
    } finally {
      n.dispose();
    }
  }
  // The goal is a uniform place in [-1, 1]^2: guessing its mean scores ~1/3 per coordinate.
  console.log(`held-out later-step action error: memoryless ${errors.memoryless.toFixed(3)}, with memory ${errors.memory.toFixed(4)}`);
  assert.ok(errors.memoryless > 0.15, `memoryless ${errors.memoryless}`);
  assert.ok(errors.memory < 0.2 * errors.memoryless, `with memory ${errors.memory} vs memoryless ${errors.memoryless}`);
});

test('keypoint memoryRefresh: each row keeps, per keypoint, its best-scoring reading so far (whichever frame came first); off, the first frame; the spec field needs memory', async () => {
  await initBackend({ report: null });
  const { d } = dots(2, 31);
  const od = d.obsDim;
  const n = dotsNet(1, true, true);
  try {
    const [x, y] = [0, 2];
    const peak = (r: number): number => n.keypointReadings({ rows: 1, flat: d.obs.slice(r * od, (r + 1) * od) }).peaks[0];
    assert.notEqual(peak(x), peak(y), 'the two frames score differently');
    const best = peak(x) > peak(y) ? x : y;
    const before = tf.memory().numTensors;
    for (const refresh of [false, true]) {
      n.memoryRefresh = refresh;
      n.resetEpisode(0);
      n.resetEpisode(1);
      // Row 0 sees x then y, row 1 y then x.
      act(n, d, [x, y]);
      const second = act(n, d, [y, x]);
      const firsts = refresh ? [best, best] : [x, y];
      close(second, evaluated(n, d, [y, x], firsts), refresh ? 'refreshed: the better-scoring frame of the two' : 'the first frame');
      // A third look at the worse frame changes nothing.
      close(act(n, d, [y, x]), second, 'an unchanged memory');
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks across act calls');
  } finally {
    n.dispose();
  }
  const plain = dotsNet(1, true, false);
  try {
    const im = plain.spec.image as NonNullable<TextTransformerActorCritic['spec']['image']>;
    const spec = { ...plain.spec, image: { ...im, keypoints: { ...(im.keypoints as NonNullable<typeof im.keypoints>), memoryRefresh: true } } };
    assert.throws(() => checkTextTransformerSpec(spec), /image\.keypoints\.memoryRefresh: expected episode memory \(memory: true\) to refresh, got "memory: false"/);
  } finally {
    plain.dispose();
  }
});

test('keypoint memoryRefresh: a target hidden on the first frame and in sight later is acted on once seen; first-frame memory acts on the empty frame', async () => {
  await initBackend({ report: null });
  const train = dots(160, 21, { hideLater: true, goalActions: true });
  const held = dots(40, 23, { goalActions: true });
  const od = held.d.obsDim;
  const n = dotsNet(1, false, true);
  try {
    await new BehaviorCloning(n, { train: train.d, val: train.d }, resolveBcConfig({ maxSteps: 800, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 800 })).fit();
    // Each held-out episode as a robot would see a target under the arm: a bare table (the second frame of a hideLater
    // episode of the same instruction), then the scene.
    const bare = dots(40, 23, { hideLater: true, goalActions: true }).d;
    const errors: Record<string, number> = {};
    for (const refresh of [false, true]) {
      n.memoryRefresh = refresh;
      let sum = 0;
      for (let e = 0; e < 40; e++) {
        n.resetEpisode(0);
        const sees = (obs: Float32Array, r: number): number[] => act(n, { ...held.d, obs: obs.slice(r * od, (r + 1) * od), rows: 1 }, [0]);
        sees(bare.obs, 2 * e + 1);
        const a = sees(held.d.obs, 2 * e + 1);
        for (let j = 0; j < 2; j++) sum += (a[j] - held.d.actions[(2 * e + 1) * 2 + j]) ** 2;
      }
      errors[refresh ? 'refresh' : 'first'] = sum / 80;
    }
    console.log(`target out of sight on the first frame, later-step action error: first-frame memory ${errors.first.toFixed(3)}, refreshed ${errors.refresh.toFixed(4)}`);
    assert.ok(errors.first > 0.15, `first-frame memory ${errors.first}`);
    assert.ok(errors.refresh < 0.2 * errors.first, `refreshed ${errors.refresh} vs first-frame ${errors.first}`);
  } finally {
    n.dispose();
  }
});
