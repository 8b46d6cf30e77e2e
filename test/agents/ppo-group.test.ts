import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { PPO, type PpoTrainingState } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { PPO_BASE_DEFAULTS, ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { tensorBytes, trainPendulum } from '../helpers/ppo-resume.js';

const close = (a: ArrayLike<number>, b: number[], eps = 1e-9): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < eps, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('group advantage: each step against the mean of the other members at the same step (leave-one-out), per group', () => {
  // 3 steps x 4 sub-envs, groups {0,1} and {2,3}, gamma 0.5, no episode ends: the last step bootstraps with lastValues.
  const b = new RolloutBuffer(3, 4, 1, 1);
  b.valid.fill(1);
  // rewards[t*4 + i]
  b.rewards.set([1, 0, 2, 2, 1, 0, 0, 4, 1, 0, 0, 0]);
  const last = Float64Array.of(2, 0, 0, 0);
  b.computeReturnsAndAdvantage(last, 0.5, 1);
  const returnsBefore = Array.from(b.returns);
  b.computeGroupAdvantage(last, 0.5, 2);
  // Reward-to-go: env 0: R2 = 1 + 0.5*2 = 2, R1 = 1 + 1 = 2, R0 = 1 + 1 = 2; env 1: 0, 0, 0;
  // env 2: R2 = 0, R1 = 0, R0 = 2; env 3: R2 = 0, R1 = 4, R0 = 2 + 2 = 4.
  close(b.advantages, [2 - 0, 0 - 2, 2 - 4, 4 - 2, 2 - 0, 0 - 2, 0 - 4, 4 - 0, 2 - 0, 0 - 2, 0 - 0, 0 - 0]);
  assert.deepEqual(Array.from(b.returns), returnsBefore, 'the critic targets stay GAE returns');
});

test('group advantage: termination cuts, invalid rows get 0 and are left out of the baseline', () => {
  // 3 steps x 3 sub-envs, one group. Env 0 terminates at t=0 (rows 1, 2 invalid); env 1 truncates at t=1 with V(final) = values[2*3+1] = 10.
  const b = new RolloutBuffer(3, 3, 1, 1);
  b.valid.set([1, 1, 1, 0, 1, 1, 0, 0, 1]);
  b.rewards.set([5, 1, 1, 0, 1, 1, 0, 0, 1]);
  b.terminated[0] = 1;
  b.truncated[4] = 1;
  b.values[7] = 10;
  const last = Float64Array.of(0, 0, 3);
  b.computeGroupAdvantage(last, 0.5, 3);
  // R: env 0: t0 5; env 1: t1 1 + 0.5*10 = 6, t0 1 + 0.5*6 = 4; env 2: t2 1 + 0.5*3 = 2.5, t1 1 + 1.25 = 2.25, t0 1 + 1.125 = 2.125.
  // t0: all three: 5 - (4 + 2.125)/2, 4 - (5 + 2.125)/2, 2.125 - (5 + 4)/2; t1: env 1 and 2 only; t2: env 2 alone -> 0.
  close(b.advantages, [5 - 3.0625, 4 - 3.5625, 2.125 - 4.5, 0, 6 - 2.25, 2.25 - 6, 0, 0, 0]);
});

test('groupSize must divide numEnvs: a typed error naming both', () => {
  assert.throws(() => resolvePpoConfig({ ...PPO_BASE_DEFAULTS, seed: 0, totalSteps: 1000, numEnvs: 4, numSteps: 10, numMinibatches: 1, groupSize: 3 }), (e: unknown) => e instanceof InvalidArgument && /groupSize/.test(e.message) && /numEnvs \(4\)/.test(e.message) && /got 3/.test(e.message));
  assert.throws(() => new RolloutBuffer(2, 4, 1, 1).computeGroupAdvantage(new Float64Array(4), 0.9, 3), InvalidArgument);
});

const base = { ...PPO_BASE_DEFAULTS, numEnvs: 8, numSteps: 200, learningRate: 1e-3, annealLr: true, gamma: 0.98, gaeLambda: 0.8, numMinibatches: 4, updateEpochs: 10, entCoef: 0, normalizeObs: false, normalizeReward: false };

test('group mode: members of a group start from the same state, groups from different ones, every rollout from fresh episodes; rows after an episode are not trained on', async () => {
  const config = resolvePpoConfig({ ...base, seed: 3, totalSteps: 3200, groupSize: 4 });
  const vec = await makeVec('CartPole-v1', { numEnvs: 8, makeOptions: { disableEnvChecker: true } });
  const rows: MetricRow[] = [];
  const metrics = new MetricStream();
  metrics.subscribe((r) => rows.push(r));
  const ppo = await PPO.create(vec, config, { metrics });
  try {
    for (let round = 0; round < 2; round++) {
      const episodes = await ppo.collect();
      const b = ppo.rollout;
      const first = (i: number): number[] => Array.from(b.rawObs.subarray(i * 4, i * 4 + 4));
      for (let i = 0; i < 8; i++) assert.equal(b.episodeStarts[i], 1, `round ${round}: sub-env ${i} starts an episode at row 0`);
      for (const g of [0, 4]) for (let i = g + 1; i < g + 4; i++) assert.deepEqual(first(i), first(g), `round ${round}: sub-env ${i} starts as ${g}`);
      assert.notDeepEqual(first(0), first(4), 'the two groups start from different states');
      // One episode per sub-env: every row after its first end is invalid, and no later episode is reported.
      for (let i = 0; i < 8; i++) {
        let ended = false;
        for (let t = 0; t < 200; t++) {
          const k = t * 8 + i;
          if (ended) assert.equal(b.valid[k], 0, `sub-env ${i} row ${t} after its episode`);
          else assert.equal(b.valid[k], 1);
          if (b.terminated[k] || b.truncated[k]) ended = true;
        }
      }
      assert.ok(episodes.length <= 8, `at most one episode per sub-env, got ${episodes.length}`);
      ppo.update();
    }
    // CartPole reports no success: no group-spread row.
    assert.ok(!rows.some((r) => r['charts/group_mixed_success'] !== undefined));
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('group mode learns CartPole-v1 (mean return of the last 16 episodes > 120 within 64k steps (170 here); first 16 < 50), tensors flat, same seed same run', async () => {
  const config = resolvePpoConfig({ ...base, seed: 1, totalSteps: 64_000, groupSize: 4 });
  const run = async (): Promise<{ first: number; last: number; returns: number[]; tensors: number[] }> => {
    const vec = await makeVec('CartPole-v1', { numEnvs: 8, makeOptions: { disableEnvChecker: true } });
    const metrics = new MetricStream();
    const tensors: number[] = [];
    metrics.subscribe((row) => {
      if (row['losses/policy_loss'] !== undefined) tensors.push(tf.memory().numTensors);
    });
    const ppo = await PPO.create(vec, config, { metrics });
    try {
      const result = await ppo.learn();
      const mean = (xs: { return: number }[]): number => xs.reduce((a, e) => a + e.return, 0) / xs.length;
      return { first: mean(result.episodes.slice(0, 16)), last: mean(result.episodes.slice(-16)), returns: result.episodes.map((e) => e.return), tensors };
    } finally {
      ppo.dispose();
      await vec.close();
    }
  };
  const a = await run();
  assert.ok(a.first < 50, `first 16 episodes: ${a.first}`);
  assert.ok(a.last > 120, `last 16 episodes: ${a.last}`);
  assert.ok(a.tensors.every((n) => n === a.tensors[0]), `numTensors per update: ${a.tensors.join(',')}`);
  const b = await run();
  assert.deepEqual(b.returns, a.returns);
});

test('group mode: a run stopped after any update and restored from its state equals the uninterrupted run bit for bit (every rollout starts at a boundary)', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 5, totalSteps: 512, numEnvs: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2, groupSize: 2 });
  const policy = { kind: 'mlp', hidden: [16] };
  const bytes = (s: PpoTrainingState): Buffer[] => tensorBytes(s.policy.tensors);
  const train = (from: PpoTrainingState | null, stopAt?: number): Promise<PpoTrainingState> => trainPendulum(config, policy, from, stopAt);
  const whole = await train(null);
  const half = await train(null, 256);
  assert.equal(half.globalStep, 256);
  const rest = await train(half);
  assert.equal(rest.globalStep, 512);
  assert.deepEqual(bytes(rest), bytes(whole));
  assert.deepEqual(rest.rng, whole.rng);
  assert.notDeepEqual(bytes(half), bytes(whole));
});

test('greedy group baseline: each sampled member against the greedy (first) member at the same step; the greedy rows get 0', () => {
  // 2 steps x 4 sub-envs, groups {0,1} and {2,3}, gamma 0.5. Env 2 (greedy) terminates at t=0: its reward-to-go at t=1 counts 0.
  const b = new RolloutBuffer(2, 4, 1, 1);
  b.valid.set([1, 1, 1, 1, 1, 1, 0, 1]);
  b.rewards.set([1, 2, 3, 0, 1, 0, 0, 5]);
  b.terminated[2] = 1;
  const last = Float64Array.of(0, 0, 0, 2);
  b.computeGroupAdvantage(last, 0.5, 2, true);
  // Reward-to-go: env 0: t1 1, t0 1 + 0.5 = 1.5; env 1: t1 0, t0 2; env 2: t0 3; env 3: t1 5 + 0.5*2 = 6, t0 0 + 3 = 3.
  close(b.advantages, [0, 2 - 1.5, 0, 3 - 3, 0, 0 - 1, 0, 6 - 0]);
});

test("groupBaseline 'greedy' needs groups: a typed error", () => {
  assert.throws(() => resolvePpoConfig({ ...PPO_BASE_DEFAULTS, seed: 0, totalSteps: 1000, numEnvs: 4, numSteps: 10, numMinibatches: 1, groupBaseline: 'greedy' }), (e: unknown) => e instanceof InvalidArgument && /groupBaseline: expected 'others' without groups/.test(e.message) && /Set groupSize >= 2/.test(e.message));
});

test('greedy group baseline in PPO: the first member of each group acts by the mode (the highest log-prob), is reported as charts/greedy_success, and is not trained on', async () => {
  const config = resolvePpoConfig({ ...PPO_BASE_DEFAULTS, seed: 2, totalSteps: 200, numEnvs: 4, numSteps: 50, numMinibatches: 2, updateEpochs: 2, normalizeObs: false, normalizeReward: false, groupSize: 2, groupBaseline: 'greedy' });
  const vec = await makeVec('ArmReach-v0', { numEnvs: 4 });
  const rows: MetricRow[] = [];
  const metrics = new MetricStream();
  metrics.subscribe((r) => rows.push(r));
  const ppo = await PPO.create(vec, config, { metrics, policy: { kind: 'mlp', hidden: [16] } });
  try {
    await ppo.collect();
    const b = ppo.rollout;
    // A Gaussian's log-prob is highest at its mean: the greedy rows all have the same, the sampled rows less.
    const greedyLp = b.logProbs[0];
    for (let t = 0; t < 50; t++) {
      for (const i of [0, 2]) if (b.valid[t * 4 + i]) assert.equal(b.logProbs[t * 4 + i], greedyLp, `greedy row t=${t} i=${i}`);
      for (const i of [1, 3]) if (b.valid[t * 4 + i]) assert.ok(b.logProbs[t * 4 + i] < greedyLp, `sampled row t=${t} i=${i}`);
    }
    // ArmReach-v0 reports success: the two greedy episodes under their own name, the two sampled ones as charts/success.
    assert.equal(rows.filter((r) => r['charts/greedy_success'] !== undefined).length, 2);
    assert.equal(rows.filter((r) => r['charts/success'] !== undefined).length, 2);
    const validBefore = Array.from(b.valid);
    ppo.update();
    for (let k = 0; k < b.valid.length; k++) assert.equal(b.valid[k], k % 4 === 0 || k % 4 === 2 ? 0 : validBefore[k], `row ${k}`);
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('greedy group baseline learns CartPole-v1 (mean return of the last 16 > 120 within 64k steps; first 16 < 50)', async () => {
  const config = resolvePpoConfig({ ...base, seed: 1, totalSteps: 64_000, groupSize: 4, groupBaseline: 'greedy' });
  const vec = await makeVec('CartPole-v1', { numEnvs: 8, makeOptions: { disableEnvChecker: true } });
  const returns: number[] = [];
  const metrics = new MetricStream();
  // Every episode counts, the greedy members' (sub-envs 0 and 4) too.
  metrics.subscribe((r) => {
    if (r['charts/episodic_return'] !== undefined) returns.push(r['charts/episodic_return'] as number);
  });
  const ppo = await PPO.create(vec, config, { metrics });
  try {
    await ppo.learn();
  } finally {
    ppo.dispose();
    await vec.close();
  }
  const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
  assert.ok(mean(returns.slice(0, 16)) < 50, `first 16 episodes: ${mean(returns.slice(0, 16))}`);
  assert.ok(mean(returns.slice(-16)) > 120, `last 16 episodes: ${mean(returns.slice(-16))}`);
});
