import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { MetricStream, METRIC_KEYS } from '../../src/streams/metrics.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { PPO_BASE_DEFAULTS } from '../../agents/algos/ppo/task-defaults.js';

// Pinned here (not read from the task-defaults table) so tuning the table cannot weaken the test.
const config = resolvePpoConfig({
  ...PPO_BASE_DEFAULTS,
  seed: 1,
  totalSteps: 25_600,
  numEnvs: 8,
  numSteps: 64,
  learningRate: 1e-3,
  annealLr: true,
  gamma: 0.98,
  gaeLambda: 0.8,
  numMinibatches: 2,
  updateEpochs: 10,
  entCoef: 0,
  clipCoef: 0.2,
  annealClip: true,
  normalizeObs: false,
  normalizeReward: false,
});

test('PPO learns CartPole-v1 (mean return of the last 20 episodes > 150 after 25.6k steps), tensors do not leak, metrics use the documented keys', async () => {
  const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
  const metrics = new MetricStream();
  const tensorsAtUpdate: number[] = [];
  const keys = new Set<string>();
  metrics.subscribe((row) => {
    for (const k of Object.keys(row)) keys.add(k);
    if (row['losses/policy_loss'] !== undefined) tensorsAtUpdate.push(tf.memory().numTensors);
  });
  const ppo = await PPO.create(vec, config, { metrics });
  const before = tf.memory().numTensors;
  try {
    const result = await ppo.learn();
    const last = result.episodes.slice(-20);
    const mean = last.reduce((a, e) => a + e.return, 0) / last.length;
    assert.ok(mean > 150, `mean return of the last 20 episodes: ${mean}`);
    // The untrained policy scores ~20: make sure the first episodes were poor (a real learning curve).
    const first = result.episodes.slice(0, 20).reduce((a, e) => a + e.return, 0) / 20;
    assert.ok(first < 50, `first 20 episodes: ${first}`);
    assert.equal(tensorsAtUpdate.length, config.numUpdates);
    assert.ok(tensorsAtUpdate.every((n) => n === tensorsAtUpdate[0]), `numTensors per update: ${tensorsAtUpdate.join(',')}`);
    assert.equal(tf.memory().numTensors, before);
    for (const k of ['charts/episodic_return', 'charts/episodic_length', 'losses/policy_loss', 'losses/value_loss', 'losses/entropy', 'losses/approx_kl', 'losses/clipfrac', 'perf/sps']) {
      assert.ok(keys.has(k), `metric ${k} emitted`);
    }
    for (const k of keys) assert.ok(k === 'global_step' || k === 'wall_s' || (METRIC_KEYS as readonly string[]).includes(k), `unexpected key ${k}`);
  } finally {
    ppo.dispose();
    await vec.close();
  }
});
