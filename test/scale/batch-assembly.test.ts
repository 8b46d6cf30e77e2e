import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { MetricStream } from '../../src/streams/metrics.js';
import { BrokerRolloutSource, TakenSeqs } from '../../agents/scale/broker-rollout-source.js';
import { encodeRollout, type RolloutMeta } from '../../agents/scale/rollout-message.js';
import type { BrokerRun } from '../../agents/scale/broker-run.js';

// The learner's batch assembly against a scripted stream (no server): which rollouts make an update.

function rollout(steps: number, envs: number, obsDim: number, actDim: number, salt: number): RolloutBuffer {
  const b = new RolloutBuffer(steps, envs, obsDim, actDim);
  for (const a of [b.obs, b.rawObs, b.lastRawObs, b.values, b.envRewards, b.logProbs]) for (let i = 0; i < a.length; i++) a[i] = salt + i * 1e-3;
  b.actions.fill(salt % 2);
  b.valid.fill(1);
  return b;
}

/** A CartPole PPO learner (4 sub-envs x 16 steps, seed 3) and a metric stream for `body`, closed after it. */
async function withLearner(body: (ppo: PPO, metrics: MetricStream) => Promise<void>): Promise<void> {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 3, totalSteps: 64 * 4, numEnvs: 4, numSteps: 16, numMinibatches: 2, updateEpochs: 1 });
  const vec = await makeVec('CartPole-v1', { numEnvs: 4 });
  const metrics = new MetricStream();
  const ppo = await PPO.create(vec, config);
  try {
    await body(ppo, metrics);
  } finally {
    ppo.dispose();
    await vec.close();
    metrics.complete();
  }
}

test('--rollouts-per-update 2 at --max-policy-lag 2: versions never mix within an update (an older rollout is dropped, a newer one restarts the batch); the update is held until acknowledged after it', async () => {
  await withLearner(async (ppo, metrics) => {
    // Two local updates: the learner is at version 2, so rollouts of versions 0-2 are within the lag.
    for (let i = 0; i < 2; i++) {
      await ppo.collect();
      ppo.update();
    }
    const { obsDim, actDim } = ppo.rollout;
    const acked: string[] = [];
    const stream: Array<{ id: string; version: number; salt: number }> = [
      { id: 'a', version: 1, salt: 10 }, // starts a batch at version 1
      { id: 'b', version: 2, salt: 20 }, // newer: the batch restarts at version 2 (a dropped)
      { id: 'c', version: 1, salt: 30 }, // older than the batch: dropped
      { id: 'd', version: 2, salt: 40 }, // completes the batch {b, d}
      { id: 'e', version: 2, salt: 50 }, // not taken by this update
    ];
    const sent = new Map(stream.map((m, seq) => [m.id, rollout(16, 2, obsDim, actDim, m.salt)]));
    const messages = stream.map((m, seq) => {
      const meta: RolloutMeta = { workerId: `w-${m.id}`, instance: 'i', seq, policyVersion: m.version, learnerId: 'L', envId: 'CartPole-v1', seed: 1, episodes: [{ return: m.salt, length: 5 }], collectSeconds: 0.01 };
      return { data: encodeRollout(meta, sent.get(m.id)!, new Float64Array([m.salt, m.salt + 1]), true), info: { pending: 1 }, ackAck: async () => (acked.push(m.id), true), term: () => assert.fail(`${m.id} rejected`) };
    });
    const broker = { nextRollout: async () => messages.shift() ?? null, publishWeights: async () => {}, publishStats: () => {} } as unknown as BrokerRun;
    const source = new BrokerRolloutSource({ broker, envId: 'CartPole-v1', maxPolicyLag: 2, maxQueued: 1, rolloutsPerUpdate: 2, learnerId: 'L', metrics, stop: () => false, log: () => {} });
    const episodes = await source.collect(ppo);
    assert.deepEqual(episodes!.map((e) => e.return), [20, 40], "the update's episodes are those of b and d");
    assert.deepEqual(acked.sort(), ['a', 'c'], 'a and c dropped (acknowledged, not trained on); b and d held until after the update');
    assert.equal(source.stats.dropped, 2);
    assert.equal(messages.length, 1, 'e left in the stream');
    // b fills sub-envs 0-1, d sub-envs 2-3, every step row.
    const b = ppo.rollout;
    for (let t = 0; t < 16; t++) {
      for (const [slot, id] of [[0, 'b'], [1, 'd']] as const) {
        for (let i = 0; i < 2; i++) assert.equal(b.values[t * 4 + slot * 2 + i], sent.get(id)!.values[t * 2 + i]);
      }
    }
    const rows: Array<Record<string, number>> = [];
    const sub = metrics.rows$.subscribe((r) => rows.push(r as Record<string, number>));
    ppo.update();
    await source.afterUpdate(ppo);
    sub.unsubscribe();
    assert.deepEqual(acked.sort(), ['a', 'b', 'c', 'd']);
    const row = rows.find((r) => r['broker/batch_rollouts'] !== undefined)!;
    assert.deepEqual([row['broker/batch_rollouts'], row['broker/batch_workers'], row['broker/batch_versions'], row['broker/rollout_age']], [2, 2, 1, 0], 'two rollouts of two workers, one version: the current one (age 0)');
  });
});

test('a rollout redelivered behind later ones (lost as the broker restarted, back after the ack wait) is a first receipt, not a duplicate; a second copy is a duplicate', async () => {
  await withLearner(async (ppo, metrics) => {
    await ppo.collect();
    ppo.update();
    const { obsDim, actDim } = ppo.rollout;
    const acked: number[] = [];
    // One worker instance; the learner is at version 1, the lag 0: seqs 0-2 are stale (dropped), 3 is trained on.
    const order: Array<{ seq: number; version: number }> = [{ seq: 0, version: 0 }, { seq: 2, version: 0 }, { seq: 1, version: 0 }, { seq: 1, version: 0 }, { seq: 3, version: 1 }];
    const messages = order.map(({ seq, version }) => {
      const meta: RolloutMeta = { workerId: 'w', instance: 'i', seq, policyVersion: version, learnerId: 'L', envId: 'CartPole-v1', seed: 1, episodes: [], collectSeconds: 0.01 };
      return { data: encodeRollout(meta, rollout(16, 4, obsDim, actDim, seq), new Float64Array(4), true), info: { pending: 1 }, ackAck: async () => (acked.push(seq), true), term: () => assert.fail(`${seq} rejected`) };
    });
    const broker = { nextRollout: async () => messages.shift() ?? null, publishWeights: async () => {}, publishStats: () => {} } as unknown as BrokerRun;
    const source = new BrokerRolloutSource({ broker, envId: 'CartPole-v1', maxPolicyLag: 0, maxQueued: 1, learnerId: 'L', metrics, stop: () => false, log: () => {} });
    assert.notEqual(await source.collect(ppo), null);
    const { received, dropped, duplicates, used } = source.stats;
    assert.deepEqual({ received, dropped, duplicates, used }, { received: 4, dropped: 3, duplicates: 1, used: 1 });
    assert.deepEqual(acked, [0, 2, 1, 1], 'the stale ones and the duplicate acknowledged at once; 3 held for its update');
    assert.deepEqual([0, 1, 2, 3, 4].map((s) => source.taken('w', 'i', s)), [true, true, true, true, false]);
    assert.equal(source.taken('w', 'other-instance', 0), false);
  });
});

test('TakenSeqs: each seq taken once, in any order; far out-of-order seqs wait until the gap fills', () => {
  const s = new TakenSeqs();
  assert.equal(s.has(0), false);
  assert.deepEqual([5, 0, 2, 1, 0, 5, 3, 4, 6].map((q) => s.take(q)), [true, true, true, true, false, false, true, true, true]);
  for (let q = 0; q <= 6; q++) assert.equal(s.has(q), true, `seq ${q}`);
  assert.equal(s.has(7), false);
});
