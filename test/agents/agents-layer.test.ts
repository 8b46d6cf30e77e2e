import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { ppoCheckpoint, ppoStateFromCheckpoint, stripDerived } from '../../agents/algos/ppo/ppo-checkpoint.js';
import { ChunkAssembler } from '../../agents/algos/ppo/chunk-assembler.js';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import type { NamedTensor } from '../../agents/policies/actor-critic.js';
import { InvalidArgument } from '../../src/core/errors.js';

const FIXTURES = new URL('../fixtures/checkpoint-v1/', import.meta.url).pathname;
const bytesOf = (tensors: NamedTensor[], group: string): Buffer[] => tensors.filter((t) => t.group === group).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));

test('checkpoints written by lamkit 0.1 (format v1) load: the same actions and values as main computed before the change', async () => {
  // Recorded with main at 289e84c (test/fixtures/checkpoint-v1 was written by that version's `lamkit train`).
  const cases = [
    { dir: 'cartpole', obs: [0.01, 0.02, -0.03, 0.04, 0.2, -0.1, 0.05, -0.3], actions: [1, 1], values: [14.765361126088163, 10.357172366459537] },
    { dir: 'pendulum', obs: [0.5, -0.5, 0.3, -0.9, 0.1, 2.0], actions: [0.10052966326475143, -0.06841660290956497], values: [-25.778930790347836, -29.02849450455229] },
  ];
  for (const c of cases) {
    const policy = await loadPolicy(join(FIXTURES, c.dir));
    assert.equal(policy.kind, 'mlp');
    assert.equal(policy.globalStep, 4096);
    const x = Float32Array.from(c.obs);
    assert.deepEqual(Array.from(await policy.act(x, { deterministic: true })), c.actions, c.dir);
    assert.deepEqual(Array.from(policy.value(x)), c.values, c.dir);
  }
});

test('a v1 checkpoint resumes training: its flat Adam state becomes the actor/critic groups, network fields leave the PPO config', async () => {
  const ck = readCheckpoint(join(FIXTURES, 'pendulum'));
  assert.equal(ck.version, 1);
  const state = ppoStateFromCheckpoint(ck.data, 'test');
  assert.equal(state.optimizer.groups.actor.step, state.update * state.config.updateEpochs * state.config.numMinibatches);
  assert.equal(state.policy.kind, 'mlp');
  assert.ok(!('hidden' in state.config));
  const vec = await makeVec('Pendulum-v1', { numEnvs: state.config.numEnvs });
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-v1-'));
  try {
    const ppo = await PPO.restore(vec, { ...state, config: resolvePpoConfig({ ...stripDerived(state.config as unknown as Record<string, unknown>), totalSteps: state.globalStep + state.config.batchSize }) });
    await ppo.learn();
    assert.equal(ppo.step, state.globalStep + state.config.batchSize);
    // Saved again, it is a v2 checkpoint.
    saveCheckpoint(join(dir, 'ck'), ppoCheckpoint(ppo.trainingState(), ck.data.meta));
    assert.equal(readCheckpoint(join(dir, 'ck')).version, 2);
    ppo.dispose();
  } finally {
    await vec.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const gradient of ['explicit', 'autodiff'] as const) {
  test(`a frozen parameter group stays bit-identical through PPO updates (${gradient} path); per-group AdamW state round-trips through a checkpoint`, async () => {
    const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 4, totalSteps: 1024, numEnvs: 2, numSteps: 128, numMinibatches: 4, updateEpochs: 2, weightDecay: 0.01, paramGroups: { critic: { frozen: true }, actor: { lrScale: 0.5 } } });
    const vec = await makeVec('Pendulum-v1', { numEnvs: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'lamkit-frozen-'));
    try {
      const ppo = await PPO.create(vec, config, { gradient });
      const before = ppo.trainingState().policy.tensors;
      await ppo.learn();
      const after = ppo.trainingState();
      assert.deepEqual(bytesOf(after.policy.tensors, 'critic'), bytesOf(before, 'critic'), 'critic unchanged');
      assert.notDeepEqual(bytesOf(after.policy.tensors, 'actor'), bytesOf(before, 'actor'), 'actor trained');
      assert.deepEqual(Object.keys(after.optimizer.groups), ['actor'], 'no optimizer state for the frozen group');
      assert.equal(after.optimizer.groups.actor.step, config.numUpdates * config.updateEpochs * config.numMinibatches);
      assert.deepEqual(after.policy.groups, [{ name: 'actor', trainable: true }, { name: 'critic', trainable: false }]);
      const meta = { envId: 'Pendulum-v1', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' };
      saveCheckpoint(join(dir, 'ck'), ppoCheckpoint(after, meta));
      const back = ppoStateFromCheckpoint(readCheckpoint(join(dir, 'ck')).data, 'test');
      assert.deepEqual(Buffer.from(back.optimizer.groups.actor.m.buffer), Buffer.from(after.optimizer.groups.actor.m.buffer));
      assert.deepEqual(Buffer.from(back.optimizer.groups.actor.v.buffer), Buffer.from(after.optimizer.groups.actor.v.buffer));
      assert.deepEqual(back.policy.groups, after.policy.groups);
      assert.deepEqual(back.config.paramGroups, config.paramGroups);
      ppo.dispose();
    } finally {
      await vec.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('PPO trains a second ActorCritic with no fast path (window-mlp, autodiff only) to CartPole mean 475', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 1, totalSteps: 60_000 });
  const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
  const ppo = await PPO.create(vec, config, { policy: { kind: 'window-mlp', window: 1 } });
  assert.equal(ppo.net.fastGradient(), null);
  const returns: number[] = [];
  let reached = -1;
  let tensors = -1;
  try {
    while (ppo.updates < config.numUpdates && reached < 0) {
      returns.push(...(await ppo.collect()).map((e) => e.return));
      ppo.update();
      // From the first update on (it creates the optimizer's moments), the count stays flat.
      if (tensors < 0) tensors = tf.memory().numTensors;
      const last = returns.slice(-20);
      if (last.length === 20 && last.reduce((a, b) => a + b, 0) / 20 >= 475) reached = ppo.step;
    }
    assert.ok(reached > 0, `mean of the last 20 episodes after ${ppo.step} steps: ${returns.slice(-20).reduce((a, b) => a + b, 0) / 20}`);
    assert.ok(returns.slice(0, 20).reduce((a, b) => a + b, 0) / 20 < 50, 'the untrained policy was poor');
    assert.equal(tf.memory().numTensors, tensors, 'no tensors leak across updates');
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('sequence policies: chunked minibatches score every step with the history it had during the rollout', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 2, totalSteps: 4 * 32 * 3, numEnvs: 4, numSteps: 32, seqLen: 8, numMinibatches: 4 });
  const vec = await makeVec('CartPole-v1', { numEnvs: 4, makeOptions: { disableEnvChecker: true } });
  const ppo = await PPO.create(vec, config, { policy: { kind: 'window-mlp', window: 5, hidden: [16] } });
  try {
    for (let rollout = 0; rollout < 3; rollout++) {
      await ppo.collect();
      const b = ppo.rollout;
      // Every chunk the updater will train on (history carried over from the previous rollout).
      const chunks = (ppo as unknown as { updater: { chunks: ChunkAssembler } }).updater.chunks;
      assert.equal(chunks.context, 4);
      const order = Int32Array.from({ length: chunks.numChunks }, (_, k) => k);
      const mb = chunks.tensors(order, 0, order.length, false);
      const { logProb, value } = ppo.net.evaluate(mb.batch);
      const lp = logProb.dataSync();
      const v = value.dataSync();
      let worst = 0;
      let starts = 0;
      for (let id = 0; id < order.length; id++) {
        const i = Math.floor(id / chunks.chunksPerEnv);
        const t0 = (id % chunks.chunksPerEnv) * 8;
        for (let s = 0; s < 8; s++) {
          const k = (t0 + s) * 4 + i;
          if (!b.valid[k]) continue;
          starts += b.episodeStarts[k];
          worst = Math.max(worst, Math.abs(lp[id * 8 + s] - b.logProbs[k]), Math.abs(v[id * 8 + s] - b.values[k]));
        }
      }
      assert.ok(worst < 1e-4, `rollout ${rollout}: max |evaluate - rollout| = ${worst}`);
      if (rollout === 2) assert.ok(starts > 4, 'episodes started inside the rollouts (history was cut there)');
      tf.dispose([logProb, value, mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, mb.weights!]);
      ppo.update();
    }
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('the reward hook relabels a rollout before GAE; update() trains on what it wrote', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 3, totalSteps: 2 * 256, normalizeReward: false });
  const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
  let calls = 0;
  const last = new Float64Array(config.numEnvs);
  const ppo: PPO = await PPO.create(vec, config, {
    rewardHook: (rollout) => {
      calls += 1;
      // V(observation after the last step) under the rollout's network (the update changes it).
      ppo.net.value({ rows: rollout.numEnvs, flat: Float32Array.from(rollout.lastRawObs) }, last);
      assert.deepEqual(Array.from(rollout.rewards), Array.from(rollout.envRewards), 'the hook sees the env rewards, unscaled');
      // A learned reward would read rawObs / actions here; this one pays for a centred cart.
      for (let k = 0; k < rollout.rewards.length; k++) rollout.rewards[k] = -Math.abs(rollout.rawObs[k * 4]);
    },
  });
  try {
    await ppo.learn();
    assert.equal(calls, config.numUpdates);
    const b = ppo.rollout;
    const ref = new RolloutBuffer(b.numSteps, b.numEnvs, b.obsDim, b.actDim);
    for (const k of ['values', 'terminated', 'truncated', 'valid'] as const) ref[k].set(b[k]);
    for (let k = 0; k < b.rewards.length; k++) ref.rewards[k] = -Math.abs(b.rawObs[k * 4]);
    ref.computeReturnsAndAdvantage(last, config.gamma, config.gaeLambda);
    assert.deepEqual(Array.from(b.returns), Array.from(ref.returns));
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('network and algorithm configs are separate; errors name the field and the fix', () => {
  assert.deepEqual(resolvePolicyConfig(undefined), { kind: 'mlp', hidden: [64, 64], activation: 'tanh', logStdInit: 0 });
  assert.deepEqual(resolvePolicyConfig({ kind: 'window-mlp', window: 3 }), { kind: 'window-mlp', hidden: [64, 64], activation: 'tanh', logStdInit: 0, window: 3 });
  assert.throws(() => resolvePolicyConfig({ kind: 'lstm' }), {
    name: 'InvalidArgument',
    message: 'policy.kind: expected a registered policy kind (mlp, window-mlp, transformer), got "lstm". Pick one of those, or register yours with registerPolicyKind.',
  });
  assert.throws(() => resolvePolicyConfig({ hidden: [0] }), (err: Error) => err instanceof InvalidArgument && err.message.startsWith('policy.hidden.0: expected '));
  assert.throws(() => resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 1, totalSteps: 1000, hidden: [32] }), {
    message: 'PpoConfig.hidden: expected no network fields in the algorithm config, got hidden. Network fields moved to the policy config: pass {"policy": {"kind": "mlp", "hidden": ...}}.',
  });
});
