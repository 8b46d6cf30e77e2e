import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { policyKind, resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { labelledBatch, type Demonstrations } from '../../agents/algos/bc/demonstrations.js';
import { SPACE, SIZE, dotsNet, deterministicActions } from './fixtures/dots.js';

/** One-step episodes on a bare table: the state is uniform in [-1, 1]^2 and the action a fixed nonlinear function of it. */
function curve(rows: number, seed: number): Demonstrations {
  const rng = new Rng(seed);
  const od = SPACE.flatDim;
  const obs = new Float32Array(rows * od);
  const actions = new Float32Array(rows * 2);
  const image = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) image.set([190, 150, 110], 3 * i);
  for (let r = 0; r < rows; r++) {
    const s = Float32Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1));
    SPACE.flattenInto({ state: s, instruction: 'touch red', image }, obs, r * od);
    actions[2 * r] = 0.8 * Math.sin(3 * s[0]) * s[1];
    actions[2 * r + 1] = s[0] * s[0] - 0.5 * Math.abs(s[1]);
  }
  return { obsDim: od, actDim: 2, rows, obs, actions, episodeStart: new Uint8Array(rows).fill(1) };
}

function net(actorHidden: number): TextTransformerActorCritic {
  const config = resolvePolicyConfig({ kind: 'text-transformer', embeddings: 'learned', embedDim: 8, dModel: 16, layers: 1, heads: 2, imagePatch: 4, imageGrid: 2, actorHidden, ...textPolicyInputs(SPACE, ['touch red']) });
  return policyKind('text-transformer').create(config, { obsDim: SPACE.flatDim, head: { kind: 'gaussian', dim: 2 } }, new Rng(5)) as TextTransformerActorCritic;
}

/** Mean squared error of the deterministic action over `d`. */
function actionError(n: TextTransformerActorCritic, d: Demonstrations): number {
  const actions = deterministicActions(n, { rows: d.rows, flat: d.obs });
  let sq = 0;
  for (let i = 0; i < actions.length; i++) sq += (actions[i] - d.actions[i]) ** 2;
  return sq / actions.length;
}

test('actorHidden: the MLP actor head on the raw state fits a precise nonlinear action map that the linear head on the state token fits worse in the same steps', async () => {
  await initBackend({ report: null });
  const train = curve(800, 1);
  const val = curve(200, 2);
  const errors: number[] = [];
  for (const hidden of [0, 64]) {
    const n = net(hidden);
    try {
      const bc = new BehaviorCloning(n, { train, val }, resolveBcConfig({ maxSteps: 500, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 500 }));
      await bc.fit();
      errors.push(actionError(n, val));
    } finally {
      n.dispose();
    }
  }
  console.log(`held-out action MSE: linear head ${errors[0].toFixed(4)}, MLP head (64) ${errors[1].toFixed(4)}`);
  assert.ok(errors[1] < 0.5 * errors[0], `held-out action MSE: linear head ${errors[0].toFixed(4)}, MLP head ${errors[1].toFixed(4)}`);
});

test('actorHidden: the head reads the keypoint coordinates (and the first frame\'s with memory) as the trunk does, detached with their own goal head; weights travel with the checkpoint; bad widths are refused', async () => {
  await initBackend({ report: null });
  const n = dotsNet(2, true, true, {});
  const spec = { ...n.spec, actorHidden: 8 };
  n.dispose();
  const h = TextTransformerActorCritic.create(spec, new Rng(3), { logStdInit: 0 });
  try {
    // Input: state token (16) + numeric state (2) + 2 keypoints x 2 coordinates, twice (current and first frame).
    const w1 = h.readTensors().find((t) => t.name === 'head.actor_mlp.w1');
    assert.deepEqual(w1?.shape, [16 + 2 + 8, 8]);
    assert.deepEqual(h.readTensors().find((t) => t.name === 'head.actor.weight')?.shape, [8, 2]);
    const before = tf.memory().numTensors;
    const d = curve(6, 9);
    const batch = { ...labelledBatch(d, [0, 1, 2, 3], null, 1).batch, firstObs: d.obs.slice(0, 4 * d.obsDim) };
    const kpVars = h.variables().filter((g) => /tok\.kp\.(w1|b1|wq|bq|log_temp)$/.test(g.variable.name)).map((g) => g.variable);
    const mlpVars = h.variables().filter((g) => /head\.actor_mlp\./.test(g.variable.name)).map((g) => g.variable);
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(h.evaluate(batch).logProb)) as tf.Scalar, [...kpVars, ...mlpVars]);
    // The action loss reaches the head's weights, not the keypoint features (they learn from their goal head only).
    assert.deepEqual(Object.keys(grads).map((k) => k.split('/').pop()).sort(), ['head.actor_mlp.b1', 'head.actor_mlp.b2', 'head.actor_mlp.w1', 'head.actor_mlp.w2']);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    const back = TextTransformerActorCritic.fromTensors(h.spec, h.readTensors());
    try {
      const obs = { rows: 4, flat: d.obs.slice(0, 4 * d.obsDim) };
      assert.deepEqual(deterministicActions(back, obs), deterministicActions(h, obs));
    } finally {
      back.dispose();
    }
  } finally {
    h.dispose();
  }
  // Masking the image hides the keypoints from the MLP head's direct path as well (categorical head, two images).
  const cat = TextTransformerActorCritic.create({ ...spec, head: { kind: 'categorical', nvec: [3] }, image: { ...(spec.image as NonNullable<typeof spec.image>), keypoints: { count: 2, window: 3, stride: 1, features: 8 } } }, new Rng(4), { logStdInit: 0 });
  try {
    const rng = new Rng(6);
    const flat = new Float32Array(2 * SPACE.flatDim);
    for (let r = 0; r < 2; r++) SPACE.flattenInto({ state: Float32Array.of(0.5, -0.5), instruction: 'touch red', image: Uint8Array.from({ length: SIZE * SIZE * 3 }, () => rng.integer(0, 256)) }, flat, r * SPACE.flatDim);
    const seen = cat.probabilities({ rows: 2, flat });
    assert.notDeepEqual([...seen.subarray(0, 3)], [...seen.subarray(3, 6)], 'different images, different outputs');
    const blind = cat.probabilities({ rows: 2, flat }, { maskImage: true });
    assert.deepEqual([...blind.subarray(0, 3)], [...blind.subarray(3, 6)], 'image masked: no effect through the head either');
  } finally {
    cat.dispose();
  }
  for (const bad of [-1, 1.5]) {
    assert.throws(() => TextTransformerActorCritic.create({ ...spec, actorHidden: bad }, new Rng(1), { logStdInit: 0 }), /TextTransformerSpec\.actorHidden: expected an integer >= 0/);
    assert.throws(() => net(bad), /actorHidden/);
  }
});

test('keypoint goalInput: the goal head\'s prediction from the first frame\'s keypoints joins the MLP head\'s input detached (the action loss never trains that head), masked with the image; it needs a goal head and an MLP head', async () => {
  await initBackend({ report: null });
  const n = dotsNet(2, true, true, {});
  const base = { ...n.spec, actorHidden: 8 };
  n.dispose();
  const im = base.image as NonNullable<typeof base.image>;
  const spec = { ...base, image: { ...im, keypoints: { ...(im.keypoints as NonNullable<typeof im.keypoints>), goalInput: true } } };
  const h = TextTransformerActorCritic.create(spec, new Rng(3), { logStdInit: 0 });
  try {
    // Input: state token (16) + numeric state (2) + 2 keypoints x 2 coordinates twice + predicted goal (2) + goal - state (2).
    assert.deepEqual(h.readTensors().find((t) => t.name === 'head.actor_mlp.w1')?.shape, [16 + 2 + 8 + 4, 8]);
    const d = curve(6, 9);
    const rows = 4;
    const obs = { rows, flat: d.obs.slice(0, rows * d.obsDim) };
    const batch = { ...labelledBatch(d, [0, 1, 2, 3], null, 1).batch, firstObs: d.obs.slice(0, rows * d.obsDim) };
    const goalVars = h.variables().filter((g) => /head\.kp_goal\./.test(g.variable.name)).map((g) => g.variable);
    const mlpVars = h.variables().filter((g) => /head\.actor_mlp\./.test(g.variable.name)).map((g) => g.variable);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(h.evaluate(batch).logProb)) as tf.Scalar, [...goalVars, ...mlpVars]);
    assert.deepEqual(Object.keys(grads).map((k) => k.split('/').pop()).sort(), ['head.actor_mlp.b1', 'head.actor_mlp.b2', 'head.actor_mlp.w1', 'head.actor_mlp.w2']);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    // The prediction reaches the actions: moving the goal head's output bias moves them; back, they are as before.
    const acted = deterministicActions(h, obs);
    const goal = h.keypointGoalState(obs);
    assert.equal(goal.length, rows * 2);
    const tensors = h.readTensors();
    const shifted = tensors.map((t) => (t.name === 'head.kp_goal.b2' ? { ...t, data: t.data.map((x) => x + 1) } : t));
    h.writeTensors(shifted);
    // The goal the head reads (keypointGoalState) moves by exactly the output bias' shift.
    h.keypointGoalState(obs).forEach((g, i) => assert.ok(Math.abs(g - goal[i] - 1) < 1e-5, `goal ${i}: ${goal[i]} -> ${g}`));
    for (let r = 0; r < rows; r++) h.resetEpisode(r);
    const moved = deterministicActions(h, obs);
    assert.ok(moved.some((a, i) => Math.abs(a - acted[i]) > 1e-6), 'a different predicted goal, different actions');
    h.writeTensors(tensors);
    for (let r = 0; r < rows; r++) h.resetEpisode(r);
    assert.deepEqual(deterministicActions(h, obs), acted);
  } finally {
    h.dispose();
  }
  // Masking the image hides the predicted goal too (categorical head, two images, no memory).
  const cat = TextTransformerActorCritic.create({ ...spec, head: { kind: 'categorical', nvec: [3] }, image: { ...im, keypoints: { count: 2, window: 3, stride: 1, features: 8, goal: true, goalInput: true } } }, new Rng(4), { logStdInit: 0 });
  try {
    const rng = new Rng(6);
    const flat = new Float32Array(2 * SPACE.flatDim);
    for (let r = 0; r < 2; r++) SPACE.flattenInto({ state: Float32Array.of(0.5, -0.5), instruction: 'touch red', image: Uint8Array.from({ length: SIZE * SIZE * 3 }, () => rng.integer(0, 256)) }, flat, r * SPACE.flatDim);
    const blind = cat.probabilities({ rows: 2, flat }, { maskImage: true });
    assert.deepEqual([...blind.subarray(0, 3)], [...blind.subarray(3, 6)], 'image masked: no effect through the goal input either');
  } finally {
    cat.dispose();
  }
  assert.throws(() => TextTransformerActorCritic.create({ ...spec, actorHidden: 0 }, new Rng(1), { logStdInit: 0 }), /TextTransformerSpec\.image\.keypoints\.goalInput: expected a keypoint goal head \(goal\) and an MLP actor head/);
  assert.throws(() => TextTransformerActorCritic.create({ ...spec, image: { ...im, keypoints: { ...(im.keypoints as NonNullable<typeof im.keypoints>), goal: false, goalInput: true } } }, new Rng(1), { logStdInit: 0 }), /goalInput: expected a keypoint goal head/);
});
