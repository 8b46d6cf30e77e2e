import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.js';
import { initBackend } from '../../agents/backend.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { firstStepGoalError } from './fixtures/goal-error.js';
import { dots, dotsNet as net, deterministicActions, SIZE, SPACE, COLOURS } from './fixtures/dots.js';
import { labelledBatch, observationsAt, episodeEnds } from '../../agents/algos/bc/demonstrations.js';
import { keypointGoalPrediction, stateTargets, keypointLabelTargets } from '../../agents/policies/text/image-heads.js';
import { neighbourhood } from '../../agents/policies/text/instruction-keypoints.js';

/**
 * Trains `n` 400 steps on `train` with the keypoint goal loss alone (`startGoalLoss`), asserting that the tensor
 * count stays flat; the held-out first-step keypoint goal error over `rows` of `val` (its episodes' first steps by
 * default) before and after.
 */
async function trainStartGoal(n: TextTransformerActorCritic, train: ReturnType<typeof dots>, val: ReturnType<typeof dots>, rows = val.first): Promise<{ before: number; after: number }> {
  const before = firstStepGoalError(n, val.d, rows, 'keypoints');
  const memory = tf.memory().numTensors;
  await new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 400, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 400, startGoalLoss: 1 })).fit();
  assert.equal(tf.memory().numTensors, memory);
  return { before, after: firstStepGoalError(n, val.d, rows, 'keypoints') };
}

/**
 * Trains a one-keypoint twins net of `options` (keypoint goal head, `startGoalLoss`, 600 steps) on `train` and returns
 * its held-out first-step keypoint goal error on `val`. `check(n)` runs on the fresh net; with `roundTrip` the net
 * rebuilt from its checkpoint tensors must give the same error.
 */
async function twinsError(train: ReturnType<typeof dots>, val: ReturnType<typeof dots>, options: Parameters<typeof net>[3], roundTrip: boolean, check?: (n: TextTransformerActorCritic) => void): Promise<number> {
  const n = net(1, true, false, { ...options, twins: true });
  try {
    check?.(n);
    const bc = new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 600, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 600, startGoalLoss: 1 }));
    await bc.fit();
    const error = firstStepGoalError(n, val.d, val.first, 'keypoints');
    if (roundTrip) {
      const back = TextTransformerActorCritic.fromTensors(n.spec, n.readTensors());
      try {
        assert.deepEqual(back.spec.image?.keypoints, n.spec.image?.keypoints);
        assert.equal(firstStepGoalError(back, val.d, val.first, 'keypoints'), error);
      } finally {
        back.dispose();
      }
    }
    return error;
  } finally {
    n.dispose();
  }
}

test('image keypoints: the words pick which dot a spatial-softmax keypoint finds; held-out scenes are located', async () => {
  await initBackend({ report: null });
  const train = dots(160, 1);
  const val = dots(40, 2);
  const n = net(1);
  try {
    const before = firstStepGoalError(n, val.d, val.first);
    const bc = new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 400, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 400, goalLoss: 1 }));
    await bc.fit();
    const after = firstStepGoalError(n, val.d, val.first);
    console.log(`held-out first-step goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
    assert.ok(after < 0.1 * before, `held-out first-step goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
  } finally {
    n.dispose();
  }
});

test('image keypoints: attention over positions sums to 1, coordinates lie in [-1, 1], the spec travels with the checkpoint', async () => {
  await initBackend({ report: null });
  const n = net(2);
  const { d } = dots(3, 7);
  try {
    assert.deepEqual(n.spec.image?.keypoints, { count: 2, window: 3, stride: 1, features: 8 });
    const rows = 3;
    const flat = d.obs.subarray(0, rows * 2 * d.obsDim).filter((_, i) => Math.floor(i / d.obsDim) % 2 === 0);
    const obs = { rows, flat: Float32Array.from(flat) };
    const ids = n.tokenIds(obs);
    const [att, coords] = tf.tidy(() => {
      const words = tf.zeros([rows * n.spec.maxTokens, n.spec.embedDim]) as tf.Tensor2D;
      const k = n.keypoints(obs, words, ids);
      return [tf.sum(k.attention, 2).dataSync().slice(), k.coords.dataSync().slice()];
    }) as unknown as [Float32Array, Float32Array];
    assert.equal(att.length, rows * 2);
    for (const s of att) assert.ok(Math.abs(s - 1) < 1e-4, `attention sums to ${s}`);
    for (const c of coords) assert.ok(c >= -1 && c <= 1, `coordinate ${c}`);
    const back = TextTransformerActorCritic.fromTensors(n.spec, n.readTensors());
    try {
      assert.deepEqual(deterministicActions(back, obs), deterministicActions(n, obs));
    } finally {
      back.dispose();
    }
  } finally {
    n.dispose();
  }
});

test('startGoalLoss: the keypoint goal head alone locates the named dot in held-out scenes; the trunk reads the keypoints detached (the action loss gives them no gradient)', async () => {
  await initBackend({ report: null });
  const train = dots(160, 3);
  const val = dots(40, 4);
  const n = net(1, true);
  const startError = (): number => firstStepGoalError(n, val.d, val.first, 'keypoints');
  try {
    // The action loss alone: no gradient reaches the keypoint features or queries.
    const { batch } = labelledBatch(train.d, train.first.slice(0, 8), null, 1);
    const kpVars = n.variables().filter((g) => /tok\.kp\.(w1|b1|wq|bq|log_temp|wout)$/.test(g.variable.name)).map((g) => g.variable);
    assert.equal(kpVars.length, 6);
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(n.evaluate(batch).logProb)) as tf.Scalar, kpVars);
    // Only the keypoint token's projection (wout, after the detached coordinates) is reached.
    assert.deepEqual(Object.keys(grads).map((k) => k.split('/').pop()), ['tok.kp.wout']);
    tf.dispose([value, ...Object.values(grads)]);
    const before = startError();
    const bc = new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 400, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 400, startGoalLoss: 1 }));
    await bc.fit();
    const after = startError();
    console.log(`held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
    assert.ok(after < 0.1 * before, `held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
  } finally {
    n.dispose();
  }
  const plain = net(1);
  try {
    assert.throws(() => new BehaviorCloning(plain, { train: train.d, val: val.d }, resolveBcConfig({ startGoalLoss: 1 })), /BehaviorCloning\.config\.startGoalLoss: expected 0 for a network without a keypoint goal head/);
  } finally {
    plain.dispose();
  }
});

test('keypointHidden: a second feature layer tells colour twins apart by shape (a red block from a red cross) in held-out scenes, where one layer has not yet learnt to in the same steps; its weights travel with the checkpoint', async () => {
  await initBackend({ report: null });
  const train = dots(240, 5, { twins: true });
  const val = dots(60, 6, { twins: true });
  const fit = (hidden: number): Promise<number> => twinsError(train, val, { keypointHidden: hidden }, hidden > 0, (n) => {
    if (hidden === 0) return;
    const names = n.variables().map((g) => g.variable.name.split('/').pop());
    assert.ok(names.includes('tok.kp.w0') && names.includes('tok.kp.b0'), `keypoint parameters: ${names.filter((x) => x?.startsWith('tok.kp'))}`);
    assert.equal(n.spec.image?.keypoints?.hidden, hidden);
  });
  const tensors = tf.memory().numTensors;
  const twoLayers = await fit(32);
  const oneLayer = await fit(0);
  console.log(`held-out first-step keypoint goal error with colour twins: one layer ${oneLayer.toFixed(4)}, two layers ${twoLayers.toFixed(4)}`);
  assert.equal(tf.memory().numTensors, tensors);
  // Same data, steps and seed: the second layer locates the named twin; one layer of pixel templates has not yet.
  assert.ok(twoLayers < 0.03 && twoLayers < 0.5 * oneLayer, `held-out error: two layers ${twoLayers.toFixed(4)}, one layer ${oneLayer.toFixed(4)}`);
});

test('keypointContext: a 3 x 3 context layer on the feature map tells colour twins apart by a shape wider than the window (1-pixel windows see colour only); it starts as the identity, its weights travel with the checkpoint, bad sizes are refused', async () => {
  await initBackend({ report: null });
  const train = dots(240, 5, { twins: true });
  const val = dots(60, 6, { twins: true });
  const fit = (context: number): Promise<number> => twinsError(train, val, { keypointWindow: 1, keypointContext: context }, context > 0, (n) => {
    if (context === 0) return;
    assert.equal(n.spec.image?.keypoints?.context, context);
    // ctx_w1 and ctx_b1 start at zero: the context adds nothing until trained.
    const ctx = n.variables().filter((g) => /tok\.kp\.ctx_(w1|b1)$/.test(g.variable.name));
    assert.equal(ctx.length, 2);
    for (const g of ctx) assert.equal(tf.tidy(() => tf.max(tf.abs(g.variable)).dataSync()[0]), 0);
  });
  const tensors = tf.memory().numTensors;
  const withContext = await fit(4);
  const windowOnly = await fit(0);
  console.log(`held-out first-step keypoint goal error with colour twins, 1-pixel windows: without context ${windowOnly.toFixed(4)}, with ${withContext.toFixed(4)}`);
  assert.equal(tf.memory().numTensors, tensors);
  // Same data, steps and seed: a red pixel is a red pixel to a 1-pixel window; the 3 x 3 context sees the corners.
  assert.ok(withContext < 0.03 && withContext < 0.5 * windowOnly, `held-out error: with context ${withContext.toFixed(4)}, without ${windowOnly.toFixed(4)}`);
  assert.throws(() => net(1, false, false, { keypointContext: 2.5 }), /keypointContext|context/);
});

test('keypointContextDilation: the context layer reads each position\'s 3 x 3 neighbours that many positions apart (raster order, zeros past the edge), with the 3 x 3 layer\'s weights; it starts as the identity and travels with the checkpoint; a dilation without a context, or below 1, is refused', async () => {
  await initBackend({ report: null });
  // A 5 x 6 map of one channel numbered 1..30 per row (two rows): each position's neighbours 2 apart, read off by hand.
  const [gh, gw, rows] = [5, 6, 2];
  const values = Float32Array.from({ length: rows * gh * gw }, (_, i) => i + 1);
  for (const dilation of [1, 2]) {
    const got = tf.tidy(() => neighbourhood(tf.tensor2d(values, [rows * gh * gw, 1]), rows, gh, gw, dilation).dataSync().slice());
    assert.equal(got.length, rows * gh * gw * 9);
    for (let r = 0; r < rows; r++) for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) {
      const p = (r * gh + y) * gw + x;
      const expected = Array.from({ length: 9 }, (_, k) => {
        const [yy, xx] = [y + (Math.floor(k / 3) - 1) * dilation, x + ((k % 3) - 1) * dilation];
        return yy >= 0 && yy < gh && xx >= 0 && xx < gw ? values[(r * gh + yy) * gw + xx] : 0;
      });
      assert.deepEqual([...got.subarray(p * 9, (p + 1) * 9)], expected, `dilation ${dilation}, position ${p}`);
    }
  }
  const n = net(1, true, false, { keypointContext: 4, keypointContextDilation: 2 });
  const { d } = dots(3, 7);
  try {
    assert.equal(n.spec.image?.keypoints?.contextDilation, 2);
    const w1 = n.variables().find((g) => g.variable.name.endsWith('tok.kp.ctx_w1'))?.variable as tf.Variable;
    assert.deepEqual(w1.shape, [9 * 4, 8]);
    assert.equal(tf.tidy(() => tf.max(tf.abs(w1)).dataSync()[0]), 0);
    // With trained-looking weights the dilation matters, and it travels with the checkpoint.
    w1.assign(tf.tidy(() => tf.randomNormal(w1.shape, 0, 0.5, 'float32', 3)));
    const obs = { rows: 2, flat: d.obs.slice(0, 2 * d.obsDim) };
    const back = TextTransformerActorCritic.fromTensors(n.spec, n.readTensors());
    const adjacent = TextTransformerActorCritic.fromTensors({ ...n.spec, image: { ...(n.spec.image as NonNullable<typeof n.spec.image>), keypoints: { ...(n.spec.image?.keypoints as NonNullable<NonNullable<typeof n.spec.image>['keypoints']>), contextDilation: undefined } } }, n.readTensors());
    try {
      assert.deepEqual(back.keypointReadings(obs), n.keypointReadings(obs));
      assert.notDeepEqual(adjacent.keypointReadings(obs).peaks, n.keypointReadings(obs).peaks);
    } finally {
      back.dispose();
      adjacent.dispose();
    }
  } finally {
    n.dispose();
  }
  // The default (1) leaves earlier networks' specs as they were.
  const plain = net(1, true, false, { keypointContext: 4 });
  try {
    assert.equal(plain.spec.image?.keypoints?.contextDilation, undefined);
  } finally {
    plain.dispose();
  }
  assert.throws(() => net(1, true, false, { keypointContext: 4, keypointContextDilation: 0 }), /keypointContextDilation/);
  assert.throws(() => net(1, true, false, { keypointContextDilation: 2 }), /image\.keypoints\.contextDilation: expected an integer >= 1 with a context layer \(context > 0\), got "contextDilation: 2, context: 0"/);
});

test('keypoint photometric augmentation (colourJitter, pixelNoise): only inside a gradient (training), seeded; acting is untouched; out-of-range values are refused', async () => {
  await initBackend({ report: null });
  const { d } = dots(4, 9);
  const plain = net(1);
  const noisy = net(1, false, false, { colourJitter: 0.3, pixelNoise: 0.2 });
  try {
    assert.deepEqual(noisy.spec.image?.keypoints, { count: 1, window: 3, stride: 1, features: 8, colourJitter: 0.3, pixelNoise: 0.2 });
    const obs = { rows: 4, flat: d.obs.slice(0, 4 * d.obsDim) };
    const coords = (n: TextTransformerActorCritic, training: boolean): Float32Array => {
      const ids = n.tokenIds(obs);
      let out: Float32Array = new Float32Array(0);
      const run = (): tf.Scalar => {
        const c = n.keypoints(obs, tf.zeros([4 * n.spec.maxTokens, n.spec.embedDim]) as tf.Tensor2D, ids).coords;
        out = c.dataSync().slice() as Float32Array;
        return tf.sum(c) as tf.Scalar;
      };
      if (!training) tf.tidy(() => void run());
      else tf.tidy(() => void tf.variableGrads(run));
      return out;
    };
    coords(noisy, true); // first passes build the networks' lazily made tensors
    coords(plain, true);
    const tensors = tf.memory().numTensors;
    // Same weights (same seed): acting reads the image as it is, with or without augmentation configured.
    assert.deepEqual(coords(noisy, false), coords(plain, false));
    assert.deepEqual(coords(plain, true), coords(plain, false));
    const a = coords(noisy, true);
    assert.notDeepEqual(a, coords(noisy, false));
    assert.notDeepEqual(a, coords(noisy, true), 'each training pass draws new light and noise');
    assert.equal(tf.memory().numTensors, tensors);
  } finally {
    plain.dispose();
    noisy.dispose();
  }
  assert.throws(() => net(1, false, false, { pixelNoise: 1.5 }), /keypointPixelNoise/);
});

test('keypoint goalEach: one goal head per keypoint, mixed by a learned gate; startGoalLoss trains them to locate the named dot in held-out scenes; the gate decides which keypoint the goal comes from', async () => {
  await initBackend({ report: null });
  const train = dots(160, 3);
  const val = dots(40, 4);
  const base = net(2, true);
  const im = base.spec.image as NonNullable<typeof base.spec.image>;
  const kp = im.keypoints as NonNullable<typeof im.keypoints>;
  const spec = { ...base.spec, image: { ...im, keypoints: { ...kp, goalEach: true } } };
  base.dispose();
  const n = TextTransformerActorCritic.create(spec, new Rng(7), { logStdInit: 0 });
  try {
    const shapes = Object.fromEntries(n.readTensors().filter((t) => t.name.startsWith('head.kp_goal.')).map((t) => [t.name.split('.').pop(), t.shape]));
    assert.deepEqual(shapes, { w1: [2, 2, 64], b1: [2, 1, 64], w2: [2, 64, 2], b2: [2, 1, 2], gate: [2] });
    const startError = (): number => firstStepGoalError(n, val.d, val.first, 'keypoints');
    const { before, after } = await trainStartGoal(n, train, val);
    console.log(`goalEach: held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
    assert.ok(after < 0.1 * before, `held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
    // The gate picks the source: all weight on one keypoint's head, then on the other's, gives two different goals.
    const trained = n.readTensors();
    const gated = (gate: number[]): number => {
      n.writeTensors(trained.map((t) => (t.name === 'head.kp_goal.gate' ? { ...t, data: Float32Array.from(gate) } : t)));
      return startError();
    };
    assert.notEqual(gated([30, -30]), gated([-30, 30]));
    n.writeTensors(trained);
    assert.equal(startError(), after);
  } finally {
    n.dispose();
  }
  assert.throws(() => TextTransformerActorCritic.create({ ...spec, image: { ...im, keypoints: { ...kp, goal: false, goalEach: true } } }, new Rng(1), { logStdInit: 0 }), /TextTransformerSpec\.image\.keypoints\.goalEach: expected a keypoint goal head/);
});

test('keypoint local soft-argmax: between two equal dots the whole-map expectation lands between them, the local one on one of them; startGoalLoss still trains it to locate the named dot in held-out scenes (through the whole-map term), tensors flat', async () => {
  await initBackend({ report: null });
  const base = net(1, true);
  const im = base.spec.image as NonNullable<typeof base.spec.image>;
  const kp = im.keypoints as NonNullable<typeof im.keypoints>;
  const spec = { ...base.spec, image: { ...im, keypoints: { ...kp, local: 1 } } };
  const tensors = base.readTensors();
  base.dispose();
  const n = TextTransformerActorCritic.create(spec, new Rng(7), { logStdInit: 0 });
  const whole = TextTransformerActorCritic.fromTensors(base.spec, tensors);
  try {
    // Hand-set features: feature 0 sums red minus green over the 3 x 3 window; the query reads feature 0 alone.
    const per = 9 * 3;
    const w1 = new Float32Array(per * 8);
    for (let i = 0; i < 9; i++) {
      w1[(3 * i) * 8] = 1;
      w1[(3 * i + 1) * 8] = -1;
    }
    const bq = new Float32Array(8);
    bq[0] = 1;
    const set = (t: (typeof tensors)[number]): (typeof tensors)[number] => {
      const name = t.name;
      if (name === 'tok.kp.w1') return { ...t, data: w1 };
      if (name === 'tok.kp.b1' || name === 'tok.kp.wq') return { ...t, data: new Float32Array(t.data.length) };
      if (name === 'tok.kp.bq') return { ...t, data: bq };
      return t;
    };
    n.writeTensors(tensors.map(set));
    whole.writeTensors(tensors.map(set));
    // Two red dots (3 x 3) on the tan table, at pixels (3, 4) and (12, 11).
    const image = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < SIZE * SIZE; i++) image.set([190, 150, 110], 3 * i);
    const places = [[3, 4], [12, 11]];
    for (const [x, y] of places) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) image.set(COLOURS.red, 3 * ((y + dy) * SIZE + x + dx));
    const flat = new Float32Array(SPACE.flatDim);
    SPACE.flattenInto({ state: Float32Array.of(0, 0), instruction: 'touch red', image }, flat, 0);
    const obs = { rows: 1, flat };
    const norm = (p: number): number => (2 * p) / (SIZE - 1) - 1;
    const mid = places[0].map((_, i) => norm((places[0][i] + places[1][i]) / 2));
    const full = Array.from(whole.keypointCoords(obs));
    const local = Array.from(n.keypointCoords(obs));
    console.log(`two equal dots: whole-map keypoint (${full.map((c) => c.toFixed(3)).join(', ')}), local (${local.map((c) => c.toFixed(3)).join(', ')}), midpoint (${mid.map((c) => c.toFixed(3)).join(', ')})`);
    full.forEach((c, i) => assert.ok(Math.abs(c - mid[i]) < 0.05, `whole-map keypoint ${full} vs the midpoint ${mid}`));
    const onDot = places.some((p) => p.every((q, i) => Math.abs(norm(q) - local[i]) < 0.05));
    assert.ok(onDot, `local keypoint ${local} on neither dot ${JSON.stringify(places.map((p) => p.map(norm)))}`);
  } finally {
    n.dispose();
    whole.dispose();
  }
  // Learning: the local keypoint finds the named dot in held-out scenes.
  const train = dots(160, 3);
  const val = dots(40, 4);
  const learner = TextTransformerActorCritic.create(spec, new Rng(7), { logStdInit: 0 });
  try {
    const { before, after } = await trainStartGoal(learner, train, val);
    console.log(`local: held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
    assert.ok(after < 0.1 * before, `held-out first-step keypoint goal error ${before.toFixed(3)} -> ${after.toFixed(4)}`);
  } finally {
    learner.dispose();
  }
  assert.throws(() => TextTransformerActorCritic.create({ ...spec, image: { ...im, keypoints: { ...kp, local: 1.5 } } }, new Rng(1), { logStdInit: 0 }), /TextTransformerSpec\.image\.keypoints: expected .*local integers >= 0/);
});

test('keypoint absent slot: where the named dot is out of sight (it lies at one hidden place), the keypoint takes the slot\'s learned coordinates and the goal head finds the hidden place, which positions alone cannot; visible dots are still located; the slot\'s weights travel with the checkpoint', async () => {
  await initBackend({ report: null });
  const train = dots(200, 11, { hidden: 0.25 });
  const val = dots(60, 12, { hidden: 0.25 });
  const hiddenRows = val.hiddenEpisodes.map((e) => val.first[e]);
  const seenRows = val.first.filter((_, e) => !val.hiddenEpisodes.includes(e));
  assert.ok(hiddenRows.length >= 8 && seenRows.length >= 30, `${hiddenRows.length} hidden / ${seenRows.length} visible held-out scenes`);
  const base = net(1, true);
  const im = base.spec.image as NonNullable<typeof base.spec.image>;
  const kp = im.keypoints as NonNullable<typeof im.keypoints>;
  base.dispose();
  const errors = async (absent: boolean): Promise<{ hidden: number; seen: number; before: number }> => {
    const n = TextTransformerActorCritic.create({ ...base.spec, image: { ...im, keypoints: { ...kp, local: 1, ...(absent ? { absent } : {}) } } }, new Rng(7), { logStdInit: 0 });
    try {
      const { before, after: seen } = await trainStartGoal(n, train, val, seenRows);
      if (absent) {
        const names = n.readTensors().filter((t) => t.name.startsWith('tok.kp.absent')).map((t) => `${t.name} ${t.shape}`);
        assert.deepEqual(names, ['tok.kp.absent_feat 1,8', 'tok.kp.absent_pos 1,2']);
        // On most hidden scenes the slot wins the local window: the keypoint is exactly its learned coordinates.
        const pos = (n.readTensors().find((t) => t.name === 'tok.kp.absent_pos') as { data: Float32Array }).data;
        const od = val.d.obsDim;
        const flat = new Float32Array(hiddenRows.length * od);
        hiddenRows.forEach((r, i) => flat.set(val.d.obs.subarray(r * od, (r + 1) * od), i * od));
        const coords = n.keypointCoords({ rows: hiddenRows.length, flat });
        const atSlot = hiddenRows.filter((_, i) => coords[2 * i] === pos[0] && coords[2 * i + 1] === pos[1]).length;
        console.log(`absent slot at (${pos[0].toFixed(2)}, ${pos[1].toFixed(2)}); the keypoint is there in ${atSlot} of ${hiddenRows.length} hidden scenes`);
        assert.ok(atSlot >= 0.75 * hiddenRows.length, `the keypoint at the slot in ${atSlot} of ${hiddenRows.length} hidden scenes`);
        const back = TextTransformerActorCritic.fromTensors(n.spec, n.readTensors());
        try {
          assert.equal(firstStepGoalError(back, val.d, hiddenRows, 'keypoints'), firstStepGoalError(n, val.d, hiddenRows, 'keypoints'));
        } finally {
          back.dispose();
        }
      }
      return { hidden: firstStepGoalError(n, val.d, hiddenRows, 'keypoints'), seen, before };
    } finally {
      n.dispose();
    }
  };
  const plain = await errors(false);
  const slot = await errors(true);
  console.log(`held-out first-step keypoint goal error, hidden dot: positions only ${plain.hidden.toFixed(4)}, with the slot ${slot.hidden.toFixed(4)}; visible dots: ${plain.seen.toFixed(4)} / ${slot.seen.toFixed(4)} (from ${slot.before.toFixed(3)})`);
  assert.ok(slot.hidden < 0.25 * plain.hidden, `hidden-dot goal error with the slot ${slot.hidden.toFixed(4)} vs positions only ${plain.hidden.toFixed(4)}`);
  assert.ok(slot.seen < 0.1 * slot.before, `visible-dot goal error ${slot.before.toFixed(3)} -> ${slot.seen.toFixed(4)}`);
  assert.throws(() => TextTransformerActorCritic.create({ ...base.spec, image: { ...im, keypoints: { ...kp, absent: 1 as unknown as boolean } } }, new Rng(1), { logStdInit: 0 }), /TextTransformerSpec\.image\.keypoints: expected .*absent and flips booleans/);
});

test('keypointFlips: a flipped row reads its image mirrored (the same coordinates and attention as the mirrored image, bit for bit); the goal loss scores each row under one of the four mirrorings with its keypoints mirrored back; acting never flips', async () => {
  await initBackend({ report: null });
  const { d, first } = dots(8, 12);
  const n = net(1, true, false, { flips: true, wordDropout: 0 }); // no word dropout: the mirroring is the goal loss's only draw
  try {
    assert.equal(n.spec.image?.keypoints?.flips, true);
    const rows = first.length;
    // The episodes' first steps, and their goals (each episode's last state).
    const { batch } = labelledBatch(d, first, null, 1);
    const obs = batch.obs;
    const goalObs = observationsAt(d, episodeEnds(d), first, 1);
    const imageOffset = n.spec.image?.offset as number;
    const mirrored = (f: number): { rows: number; flat: Float32Array } => {
      const flat = obs.flat.slice();
      for (let r = 0; r < rows; r++) {
        for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) {
          const sx = f & 1 ? SIZE - 1 - x : x;
          const sy = f & 2 ? SIZE - 1 - y : y;
          flat[r * d.obsDim + imageOffset + (y * SIZE + x) * 3 + c] = obs.flat[r * d.obsDim + imageOffset + (sy * SIZE + sx) * 3 + c];
        }
      }
      return { rows, flat };
    };
    const ids = n.tokenIds(obs);
    const parts = n as unknown as { wordInputs(ids: Int32Array): tf.Tensor2D; vars: Map<string, tf.Variable>; stateCols: Int32Array };
    const read = (o: { rows: number; flat: Float32Array }, flips: Uint8Array | null): [number[], number[]] =>
      tf.tidy(() => {
        const k = n.keypoints(o, parts.wordInputs(ids), ids, flips);
        return [[...k.coords.dataSync()], [...k.attention.dataSync()]];
      });
    for (const f of [1, 2, 3]) assert.deepEqual(read(obs, new Uint8Array(rows).fill(f)), read(mirrored(f), null), `mirroring ${f}`);
    assert.notDeepEqual(read(obs, new Uint8Array(rows).fill(1))[0], read(obs, null)[0]);
    // The goal loss (inside a gradient): each row's error is the one of its keypoints under some mirroring, mapped back.
    const candidates = [0, 1, 2, 3].map((f) =>
      tf.tidy(() => {
        const c = tf.tensor2d(read(mirrored(f), null)[0], [rows, 2]);
        const back = tf.mul(c, tf.tensor2d([f & 1 ? -1 : 1, f & 2 ? -1 : 1], [1, 2])) as tf.Tensor2D;
        return [...tf.mean(tf.square(tf.sub(keypointGoalPrediction(n.spec, parts.vars, back), stateTargets(n.spec, parts.stateCols, goalObs, rows))), 1).dataSync()];
      }),
    );
    const plain = tf.tidy(() => [...n.keypointGoalError(batch.obs, goalObs).dataSync()]);
    plain.forEach((e, r) => assert.ok(Math.abs(e - candidates[0][r]) < 1e-6, `acting path row ${r}: ${e} vs ${candidates[0][r]}`));
    let scored: number[] = [];
    tf.tidy(() => void tf.variableGrads(() => {
      const e = n.keypointGoalError(batch.obs, goalObs);
      scored = [...e.dataSync()];
      return tf.sum(e) as tf.Scalar;
    }));
    const used = scored.map((e, r) => candidates.findIndex((c) => Math.abs(c[r] - e) < 1e-6));
    assert.ok(used.every((f) => f >= 0), `each row scored under one mirroring: ${used}`);
    assert.ok(new Set(used).size > 1, `the mirrorings are drawn per row: ${used}`);
  } finally {
    n.dispose();
  }
  assert.throws(() => net(1, true, false, { flips: 'yes' as unknown as boolean }), /keypointFlips/);
});


/** `dots`' demonstrations labelled with each episode's named dot (its last state, a pixel), in normalized image coordinates. */
function withDotLabels(set: ReturnType<typeof dots>): ReturnType<typeof dots> {
  const { d } = set;
  const ends = episodeEnds(d);
  const labels = new Float32Array(d.rows * 2);
  const S = SPACE.flatDim;
  for (let r = 0; r < d.rows; r++) {
    for (let a = 0; a < 2; a++) {
      // The state's place is 2 px / (SIZE - 1) - 1; pixel px's centre lies at px + 0.5 of SIZE.
      const px = ((d.obs[ends[r] * S + stateAt + a] + 1) / 2) * (SIZE - 1);
      labels[2 * r + a] = (2 * (px + 0.5)) / SIZE - 1;
    }
  }
  return { ...set, d: { ...d, keypointLabels: labels } };
}
/** The state's first column in SPACE's flat layout (Dict keys flatten in sorted order: image, instruction, state). */
const stateAt = SPACE.flatDim - 2;

/** Mean distance (keypoint-map coordinates) of the first keypoint to each first step's named dot, over `rows` of `set`. */
function firstKeypointDistance(n: TextTransformerActorCritic, set: ReturnType<typeof dots>): number {
  const { d, first } = set;
  const { batch } = labelledBatch(d, first, null, 1);
  const coords = n.keypointCoords(batch.obs);
  const goals = observationsAt(d, episodeEnds(d), first, 1);
  const K = n.spec.image?.keypoints?.count as number;
  let sum = 0;
  for (let r = 0; r < first.length; r++) sum += Math.hypot(coords[r * K * 2] - goals[r * SPACE.flatDim + stateAt], coords[r * K * 2 + 1] - goals[r * SPACE.flatDim + stateAt + 1]);
  return sum / first.length;
}

test('keypointLabelLoss: labels in normalized image coordinates map onto the keypoint map exactly; they teach the first keypoint where the named twin is, faster than the goal loss alone; unlabelled rows add nothing; misuse is a typed error', async () => {
  await initBackend({ report: null });
  // Geometry: 128 x 128 at stride 3 (43 positions, pixel 1 + 3 i each): a label at position i's pixel centre is
  // that position's coordinate 2 i / 42 - 1; a NaN row is masked out.
  const big = { image: { offset: 0, height: 128, width: 128, channels: 3, patch: 8, grid: 4, keypoints: { count: 1, window: 7, stride: 3, features: 8 } } } as unknown as TextTransformerActorCritic['spec'];
  const norm = (px: number): number => (2 * (px + 0.5)) / 128 - 1;
  const { points, mask } = keypointLabelTargets(big, { points: Float32Array.of(norm(1 + 3 * 5), norm(1 + 3 * 40), NaN, 0.3), weight: 1 }, 2);
  const p = points.dataSync();
  assert.ok(Math.abs(p[0] - (10 / 42 - 1)) < 1e-6 && Math.abs(p[1] - (80 / 42 - 1)) < 1e-6, `${p[0]}, ${p[1]}`);
  assert.deepEqual([...mask.dataSync()], [1, 0]);
  assert.deepEqual([p[2], p[3]], [0, 0]);
  tf.dispose([points, mask]);

  // Learning: colour twins (a red block, a red cross), told apart by shape only; one keypoint, 300 steps each.
  const train = withDotLabels(dots(160, 11, { twins: true }));
  const val = dots(60, 12, { twins: true });
  const trained = async (labelWeight: number): Promise<{ before: number; after: number }> => {
    const n = net(1, true, false, { twins: true, keypointContext: 4 });
    try {
      const before = firstKeypointDistance(n, val);
      const memory = tf.memory().numTensors;
      await new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 300, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 300, startGoalLoss: 1, keypointLabelLoss: labelWeight })).fit();
      assert.equal(tf.memory().numTensors, memory);
      return { before, after: firstKeypointDistance(n, val) };
    } finally {
      n.dispose();
    }
  };
  const labelled = await trained(10);
  const goalOnly = await trained(0);
  console.log(`keypointLabelLoss: held-out first keypoint to the named twin ${labelled.before.toFixed(3)} -> ${labelled.after.toFixed(3)} (goal loss alone -> ${goalOnly.after.toFixed(3)})`);
  // Within one map position (2 / 15) of the named twin, and nearer than the goal loss alone gets in the same steps
  // (measured 0.096 against 0.157; the same draws, so only the label term differs).
  assert.ok(labelled.after < 0.12 && labelled.before > 0.3, `${labelled.before} -> ${labelled.after}`);
  assert.ok(labelled.after < 0.75 * goalOnly.after, `with labels ${labelled.after}, goal loss alone ${goalOnly.after}`);

  // Unlabelled rows (NaN) add nothing: the error equals the unlabelled one exactly.
  const n = net(2, true);
  try {
    const { batch } = labelledBatch(train.d, train.first.slice(0, 6), null, 1);
    const goals = observationsAt(train.d, episodeEnds(train.d), train.first.slice(0, 6), 1);
    const plain = tf.tidy(() => n.keypointGoalError(batch.obs, goals).dataSync().slice());
    const none = tf.tidy(() => n.keypointGoalError(batch.obs, goals, { points: new Float32Array(12).fill(NaN), weight: 5 }).dataSync().slice());
    assert.deepEqual(none, plain);
    const some = tf.tidy(() => n.keypointGoalError(batch.obs, goals, { points: Float32Array.from({ length: 12 }, (_, i) => (i < 2 ? 0.9 : NaN)), weight: 5 }).dataSync().slice());
    assert.ok(some[0] > plain[0]);
    assert.deepEqual(some.slice(1), plain.slice(1));
    assert.throws(() => new BehaviorCloning(n, { train: train.d, val: val.d }, resolveBcConfig({ keypointLabelLoss: 1 })), /BehaviorCloning\.config\.keypointLabelLoss: expected startGoalLoss > 0 \(it scores the same rows\) and training demonstrations with keypointLabels, got keypointLabelLoss 1 with startGoalLoss 0/);
    assert.throws(() => new BehaviorCloning(n, { train: val.d, val: val.d }, resolveBcConfig({ keypointLabelLoss: 1, startGoalLoss: 1 })), /with startGoalLoss 1 and no keypoint labels\. Set startGoalLoss, and label the dataset/);
    assert.throws(() => new BehaviorCloning(n, { train: { ...train.d, keypointLabels: new Float32Array(3) }, val: val.d }, resolveBcConfig({ keypointLabelLoss: 1, startGoalLoss: 1 })), /BehaviorCloning\.train\.keypointLabels: expected Float32Array \[320 x 2\]/);
  } finally {
    n.dispose();
  }
});
