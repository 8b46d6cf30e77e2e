import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { policyKind, resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import { firstStepGoalError } from './fixtures/goal-error.js';
import { episodeEnds, episodeStartRows, observationsAt, labelledBatch, type Demonstrations } from '../../agents/algos/bc/demonstrations.js';

const SPACE = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }) });

test('episodeEnds and observationsAt: each row maps to the last row of its own episode; chunks that cross an episode start follow the row', () => {
  // Episodes of lengths 3, 1, 2; observation = row index.
  const d: Demonstrations = { obsDim: 1, actDim: 1, rows: 6, obs: Float32Array.of(0, 1, 2, 3, 4, 5), actions: new Float32Array(6), episodeStart: Uint8Array.of(1, 0, 0, 1, 1, 0) };
  const ends = episodeEnds(d);
  assert.deepEqual([...ends], [2, 2, 2, 3, 5, 5]);
  assert.deepEqual([...observationsAt(d, ends, [0, 3, 4], 1)], [2, 3, 5]);
  // Chunks of 3 from rows 1 and 4: rows 1, 2, 3 (3 starts the next episode) and 4, 5, past the end (the last row).
  assert.deepEqual([...observationsAt(d, ends, [1, 4], 3)], [2, 2, 3, 5, 5, 5]);
});

test('episodeStartRows: the rows of each episode\'s first steps (startGoalSteps), fewer in short episodes; rows before the first episode start are no episode\'s', () => {
  // A torn head (rows 0-1), then episodes of lengths 3, 1, 2.
  const d: Demonstrations = { obsDim: 1, actDim: 1, rows: 8, obs: new Float32Array(8), actions: new Float32Array(8), episodeStart: Uint8Array.of(0, 0, 1, 0, 0, 1, 1, 0) };
  assert.deepEqual([...episodeStartRows(d, 1)], [2, 5, 6]);
  assert.deepEqual([...episodeStartRows(d, 2)], [2, 3, 5, 6, 7]);
  assert.deepEqual([...episodeStartRows(d, 5)], [2, 3, 4, 5, 6, 7]);
  assert.throws(() => resolveBcConfig({ startGoalSteps: 0 }), /startGoalSteps/);
});

/**
 * Episodes that walk the state from (0, 0) to a goal the instruction names ("go left": (-1, 0), "go right": (1, 0),
 * "go up": (0, 1)) in 8 steps; the action is the step. At an episode's first step the state is the same for every
 * goal: only the words tell where the episode will end.
 */
function walks(episodes: number, seed: number): { d: Demonstrations; first: number[] } {
  const goals: Record<string, [number, number]> = { 'go left': [-1, 0], 'go right': [1, 0], 'go up': [0, 1] };
  const names = Object.keys(goals);
  const rng = new Rng(seed);
  const len = 8;
  const rows = episodes * len;
  const od = SPACE.flatDim;
  const obs = new Float32Array(rows * od);
  const actions = new Float32Array(rows * 2);
  const episodeStart = new Uint8Array(rows);
  const first: number[] = [];
  for (let e = 0; e < episodes; e++) {
    const name = names[rng.integer(0, names.length)];
    const [gx, gy] = goals[name];
    first.push(e * len);
    for (let t = 0; t < len; t++) {
      const r = e * len + t;
      episodeStart[r] = t === 0 ? 1 : 0;
      const f = t / (len - 1);
      SPACE.flattenInto({ state: Float32Array.of(f * gx, f * gy), instruction: name }, obs, r * od);
      actions[r * 2] = gx / (len - 1);
      actions[r * 2 + 1] = gy / (len - 1);
    }
  }
  return { d: { obsDim: od, actDim: 2, rows, obs, actions, episodeStart }, first };
}

function goalNet(goalHead: boolean): TextTransformerActorCritic {
  const config = resolvePolicyConfig({ kind: 'text-transformer', embeddings: 'learned', embedDim: 8, dModel: 16, layers: 1, heads: 2, goalHead, ...textPolicyInputs(SPACE, ['go left', 'go right', 'go up']) });
  return policyKind('text-transformer').create(config, { obsDim: SPACE.flatDim, head: { kind: 'gaussian', dim: 2 } }, new Rng(3)) as TextTransformerActorCritic;
}


test('goalLoss: the goal head learns where each episode ends from the words alone at the first step; tensors do not leak', async () => {
  await initBackend({ report: null });
  const net = goalNet(true);
  const train = walks(48, 1);
  const val = walks(12, 2);
  try {
    const before = firstStepGoalError(net, val.d, val.first);
    const tensors = tf.memory().numTensors;
    const metrics: number[] = [];
    const bc = new BehaviorCloning(net, { train: train.d, val: val.d }, resolveBcConfig({ maxSteps: 300, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 300, goalLoss: 1 }), { emit: (m: Record<string, number>) => void (m['losses/goal_mse'] !== undefined && metrics.push(m['losses/goal_mse'])) } as never);
    await bc.fit();
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked across training steps');
    const after = firstStepGoalError(net, val.d, val.first);
    // The goals' spread: a head that ignores the words scores at least their variance around the mean goal (~0.33 per coordinate).
    assert.ok(before > 0.2, `untrained first-step goal error ${before}`);
    assert.ok(after < 0.03, `first-step goal error ${before.toFixed(3)} -> ${after.toFixed(4)}: the words name the goal`);
    assert.equal(metrics.length, 300, 'losses/goal_mse every step');
    assert.ok(metrics[metrics.length - 1] < 0.1 * metrics[0], `goal MSE ${metrics[0]} -> ${metrics[metrics.length - 1]}`);
    // The head travels with the checkpoint.
    const back = TextTransformerActorCritic.fromTensors(net.spec, net.readTensors());
    try {
      assert.equal(back.goalHead, true);
      assert.ok(Math.abs(firstStepGoalError(back, val.d, val.first) - after) < 1e-6);
    } finally {
      back.dispose();
    }
  } finally {
    net.dispose();
  }
});

test('goalLoss on a network without a goal head is a typed error naming the field', async () => {
  await initBackend({ report: null });
  const net = goalNet(false);
  const { d } = walks(4, 1);
  try {
    assert.equal(net.goalHead, false);
    assert.throws(() => new BehaviorCloning(net, { train: d, val: d }, resolveBcConfig({ goalLoss: 0.5 })), (e: unknown) => e instanceof InvalidArgument && /BehaviorCloning\.config\.goalLoss: expected 0 for a network without a goal head/.test((e as Error).message));
    assert.throws(() => resolveBcConfig({ goalLoss: -1 }), /goalLoss/);
  } finally {
    net.dispose();
  }
});
