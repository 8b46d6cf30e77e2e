import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { Box } from '../../src/core/spaces/box.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { FileFormatError, InvalidArgument } from '../../src/core/errors.js';
import { PPO, type PpoTrainingState } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig, type ResolvedPpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { PPO_BASE_DEFAULTS } from '../../agents/algos/ppo/task-defaults.js';
import { ppoCheckpoint, ppoStateFromCheckpoint } from '../../agents/algos/ppo/ppo-checkpoint.js';
import { SelfImitation } from '../../agents/algos/ppo/self-imitation.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';
import { TestEnv } from '../helpers/test-env.js';
import { tensorBytes, trainOn } from '../helpers/ppo-resume.js';

test('SelfImitation keeps only episodes that report success, the last `capacity` of them, and round-trips its state', () => {
  const si = new SelfImitation(2, 2, 1, 2);
  const step = (i: number, o: number, a: number): void => si.record(i, Float32Array.of(o, -o), Float32Array.of(a), 0);
  step(0, 1, 0.1);
  step(1, 9, 0.9);
  step(0, 2, 0.2);
  si.finish(0, 1); // kept: 2 steps
  si.finish(1, 0); // failed: dropped
  assert.equal(si.size, 1);
  step(1, 3, 0.3);
  si.finish(1, -1); // the task reports no success: dropped
  assert.equal(si.size, 1);
  for (let e = 0; e < 2; e++) {
    for (let t = 0; t < 3 + e; t++) step(0, 10 * (e + 1) + t, e);
    si.finish(0, 1);
  }
  // Capacity 2: the first kept episode is gone, the two newest remain, oldest first.
  assert.equal(si.size, 2);
  const d = si.demonstrations();
  assert.ok(d);
  assert.equal(d.rows, 3 + 4);
  assert.deepEqual(Array.from(d.episodeStart), [1, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(d.obs.filter((_, k) => k % 2 === 0)), [10, 11, 12, 20, 21, 22, 23]);
  assert.deepEqual(Array.from(d.actions), [0, 0, 0, 1, 1, 1, 1]);
  // A running episode dropped at an env reset never joins.
  step(1, 5, 0.5);
  si.dropRunning();
  step(1, 6, 0.6);
  si.finish(1, 1);
  assert.deepEqual(Array.from(si.demonstrations()!.obs.slice(-2)), [6, -6]);
  const state = si.getState();
  const back = new SelfImitation(2, 2, 1, 2);
  back.setState(state, 'test');
  assert.deepEqual(back.demonstrations(), si.demonstrations());
  assert.throws(() => back.setState({ ...state, lengths: [...state.lengths, 2] }, 'ck.selfImitation'), (e: unknown) => e instanceof FileFormatError && /^ck\.selfImitation: expected/.test(e.message));
});

test('selfImitationCoef < 0 and a zero replay size are typed config errors', () => {
  const base = { ...PPO_BASE_DEFAULTS, seed: 0, totalSteps: 64, numEnvs: 1, numSteps: 64, numMinibatches: 1 };
  assert.throws(() => resolvePpoConfig({ ...base, selfImitationCoef: -1 }), (e: unknown) => e instanceof InvalidArgument && /selfImitationCoef/.test(e.message));
  assert.throws(() => resolvePpoConfig({ ...base, selfImitationEpisodes: 0 }), (e: unknown) => e instanceof InvalidArgument && /selfImitationEpisodes/.test(e.message));
});

/**
 * Episodes of 8 steps, random observations, reward 0 everywhere; success when
 * the episode's actions sum above 0. Group advantages of zero rewards are 0,
 * so PPO's own objective gives the actor no gradient: whatever moves it is
 * self-imitation.
 */
function successVec(n: number): SyncVectorEnv {
  return new SyncVectorEnv(
    Array.from({ length: n }, () => () => {
      let sum = 0;
      return new TestEnv({
        observationSpace: new Box(-1, 1, [2], 'float32'),
        actionSpace: new Box(-1, 1, [1], 'float32'),
        reset: ({ rng }) => {
          sum = 0;
          return { obs: Float32Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1)), info: {} };
        },
        step: (a: Float32Array, { rng, t }) => {
          sum += a[0];
          const end = t + 1 === 8;
          return { obs: Float32Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1)), reward: 0, terminated: end, truncated: false, info: end ? { isSuccess: sum > 0 } : {} };
        },
      });
    }),
  );
}

const config = (coef: number, totalSteps = 320): ResolvedPpoConfig =>
  resolvePpoConfig({ ...PPO_BASE_DEFAULTS, seed: 7, totalSteps, numEnvs: 8, numSteps: 8, numMinibatches: 2, updateEpochs: 4, learningRate: 3e-3, annealLr: false, normalizeObs: false, normalizeReward: false, groupSize: 2, selfImitationCoef: coef, selfImitationBatch: 32 });
const policy = { kind: 'mlp', hidden: [16] };

/** Mean deterministic action over 32 fixed observations. */
async function meanAction(ppo: PPO): Promise<number> {
  const p = ppo.policy();
  let s = 0;
  for (let k = 0; k < 32; k++) s += (await p.act(Float32Array.of(Math.sin(k), Math.cos(3 * k)), { deterministic: true }))[0];
  return s / 32;
}

test('PPO self-imitation: solved episodes (and only they) fill the replay; cloning them moves the actor towards their actions, which PPO alone does not here; tensors flat', async () => {
  const run = async (coef: number): Promise<{ before: number; after: number; rows: MetricRow[]; state: PpoTrainingState; tensors: number[] }> => {
    const vec = successVec(8);
    const rows: MetricRow[] = [];
    const tensors: number[] = [];
    const metrics = new MetricStream();
    metrics.subscribe((r) => {
      rows.push(r);
      if (r['losses/policy_loss'] !== undefined) tensors.push(tf.memory().numTensors);
    });
    const ppo = await PPO.create(vec, config(coef), { policy, metrics });
    try {
      const before = await meanAction(ppo);
      await ppo.learn();
      return { before, after: await meanAction(ppo), rows, state: ppo.trainingState(), tensors };
    } finally {
      ppo.dispose();
      await vec.close();
    }
  };
  const off = await run(0);
  const on = await run(1);
  assert.equal(off.after, off.before, 'without self-imitation the actor has no gradient here');
  assert.ok(on.after > on.before + 0.1, `mean action ${on.before.toFixed(3)} -> ${on.after.toFixed(3)}`);
  const si = on.state.selfImitation;
  assert.ok(si);
  const solved = on.rows.filter((r) => r['charts/success'] === 1).length;
  assert.ok(solved > 0 && solved < 40, `solved ${solved} of 40 episodes`);
  assert.equal(si.lengths.length, solved, 'every solved episode, no other');
  assert.ok(si.lengths.every((n) => n === 8));
  for (let e = 0; e < si.lengths.length; e++) {
    const sum = si.actions.slice(e * 8, e * 8 + 8).reduce((a, b) => a + b, 0);
    assert.ok(sum > 0, `stored episode ${e}: its actions sum to ${sum}`);
  }
  const updates = on.rows.filter((r) => r['losses/policy_loss'] !== undefined);
  assert.equal(updates.length, 5);
  assert.ok(updates.every((r) => Number.isFinite(r['losses/self_imitation_nll'] as number) && (r['charts/self_imitation_episodes'] as number) > 0));
  assert.ok(!off.rows.some((r) => r['losses/self_imitation_nll'] !== undefined));
  assert.ok(on.tensors.every((n) => n === on.tensors[0]), `numTensors per update: ${on.tensors.join(',')}`);
});

test('PPO self-imitation with remote rollouts (a rolloutSource, `lamkit train --broker`) is a typed error: the learner never sees whole episodes', async () => {
  const vec = successVec(8);
  try {
    await assert.rejects(PPO.create(vec, config(1), { policy, rolloutSource: { collect: async () => null } }), (e: unknown) => e instanceof InvalidArgument && /^PPO\.config\.selfImitationCoef: expected 0 with remote rollout workers/.test((e as Error).message));
  } finally {
    await vec.close();
  }
});

test('PPO self-imitation: a run stopped at an update, saved and read back from a checkpoint (replay included), continues bit for bit', async () => {
  const c = config(1, 320);
  const train = (from: PpoTrainingState | null, stopAt?: number): Promise<PpoTrainingState> => trainOn(successVec(8), c, policy, from, stopAt);
  const whole = await train(null);
  const half = await train(null, 128);
  assert.ok((half.selfImitation?.lengths.length ?? 0) > 0, 'the replay has episodes at the stop');
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-sil-'));
  try {
    const meta = { envId: 'test', observationSpace: new Box(-1, 1, [2], 'float32'), actionSpace: new Box(-1, 1, [1], 'float32'), backend: 'test' };
    saveCheckpoint(join(dir, 'ck'), ppoCheckpoint(half, meta));
    const back = ppoStateFromCheckpoint(readCheckpoint(join(dir, 'ck')).data, 'test');
    assert.deepEqual(back.selfImitation, half.selfImitation);
    const rest = await train(back);
    assert.deepEqual(tensorBytes(rest.policy.tensors), tensorBytes(whole.policy.tensors));
    assert.deepEqual(rest.selfImitation, whole.selfImitation);
    // Without the replay the continuation differs: the replay is part of the state.
    const { selfImitation: _, ...withoutReplay } = half;
    const other = await train(withoutReplay);
    assert.notDeepEqual(tensorBytes(other.policy.tensors), tensorBytes(whole.policy.tensors));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
