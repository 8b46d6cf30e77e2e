import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { encodeRollout, decodeRolloutInto, readRollout, type RolloutMeta } from '../../agents/scale/rollout-message.js';
import { parseTrainBrokerFlags, checkRolloutsPerUpdate } from '../../src/cli/commands/train-broker.js';
import { encodeWeights, decodeWeights } from '../../agents/scale/weights-message.js';
import { packMessage } from '../../agents/scale/binary-message.js';
import { parseBrokerFlags } from '../../agents/scale/broker-options.js';
import { FileFormatError, InvalidArgument } from '../../src/core/errors.js';

function filled(steps: number, envs: number, obsDim: number, actDim: number, salt: number): RolloutBuffer {
  const b = new RolloutBuffer(steps, envs, obsDim, actDim);
  for (const a of [b.obs, b.rawObs, b.lastRawObs, b.actions, b.logProbs, b.values, b.envRewards]) for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37 + salt) * 3;
  for (const a of [b.terminated, b.truncated, b.valid, b.episodeStarts]) for (let i = 0; i < a.length; i++) a[i] = (i * 7 + salt) % 3 === 0 ? 1 : 0;
  return b;
}

const meta: RolloutMeta = { workerId: 'w1', instance: 'abc', seq: 3, policyVersion: 17, learnerId: 'L', envId: 'CartPole-v1', seed: 9, episodes: [{ return: 12.5, length: 12 }], collectSeconds: 0.01 };

test('a rollout travels bit for bit: every buffer field, the last values and the meta; rewards are the env rewards', () => {
  const src = filled(5, 3, 4, 2, 1);
  const lastValues = new Float64Array([0.1, -2.5, 1e-9]);
  for (const withRaw of [true, false]) {
    const into = new RolloutBuffer(5, 3, 4, 2);
    const { meta: got, lastValues: lv } = decodeRolloutInto(encodeRollout(meta, src, lastValues, withRaw), into, 'test');
    assert.deepEqual(got, meta);
    assert.deepEqual(lv, lastValues);
    for (const f of ['obs', 'actions', 'logProbs', 'values', 'envRewards', 'terminated', 'truncated', 'valid', 'episodeStarts', 'lastRawObs'] as const) assert.deepEqual(into[f], src[f], f);
    assert.deepEqual(into.rawObs, withRaw ? src.rawObs : src.obs);
    assert.deepEqual(into.rewards, src.envRewards);
  }
});

test('a rollout of another shape or truncated bytes is a FileFormatError naming what differs', () => {
  const bytes = encodeRollout(meta, filled(5, 3, 4, 2, 1), new Float64Array(3), false);
  assert.throws(() => decodeRolloutInto(bytes, new RolloutBuffer(5, 2, 4, 2), 'rollout'), (e: Error) => e instanceof FileFormatError && e.message.startsWith("rollout.numEnvs: expected 2 (the learner's), got 3 from worker \"w1\"."));
  assert.throws(() => decodeRolloutInto(bytes.subarray(0, bytes.length - 8), new RolloutBuffer(5, 3, 4, 2), 'rollout'), (e: Error) => e instanceof FileFormatError && /inside the \d+-byte message/.test(e.message));
  assert.throws(() => decodeRolloutInto(new Uint8Array([1, 2]), new RolloutBuffer(5, 3, 4, 2), 'rollout'), FileFormatError);
  assert.throws(() => decodeRolloutInto(packMessage({ format: 'other' }, {}), new RolloutBuffer(5, 3, 4, 2), 'rollout'), /rollout.format: expected 'lamkit-rollout\/1', got "other"/);
});

test('weights travel bit for bit with their version and config', () => {
  const w = {
    version: 4, learnerId: 'L', envId: 'CartPole-v1', config: { numEnvs: 8, numSteps: 32 }, maxQueued: 1, maxPolicyLag: 0, finished: false,
    policy: { kind: 'mlp', spec: { obsDim: 4 }, groups: [{ name: 'actor', trainable: true }], tensors: [{ name: 'a.w', group: 'actor', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) }] },
    normalizer: { obs: null, ret: null },
  };
  assert.deepEqual(decodeWeights(encodeWeights(w), 'w'), w);
});

test('broker flags: one auth method, files exist, secrets from the environment, errors in the house format', () => {
  assert.equal(parseBrokerFlags({}, 'lamkit worker'), null);
  assert.throws(() => parseBrokerFlags({ brokerToken: 'x' }, 'lamkit train'), (e: Error) => e instanceof InvalidArgument && e.message === 'lamkit train --broker-token: expected no such flag without --broker, got "(hidden)". Add --broker nats://host:4222, or drop the flag.');
  assert.throws(() => parseBrokerFlags({ broker: 'http://x:1' }, 'lamkit worker'), /lamkit worker --broker: expected a NATS server URL/);
  assert.throws(() => parseBrokerFlags({ broker: 'nats://u:secret@h:1,ftp://x' }, 'lamkit worker'), (e: Error) => !e.message.includes('secret'));
  assert.throws(() => parseBrokerFlags({ broker: 'nats://h:1', brokerToken: 't', brokerUser: 'u', brokerPassword: 'p' }, 'lamkit worker'), /one auth method/);
  assert.throws(() => parseBrokerFlags({ broker: 'nats://h:1', brokerUser: 'u' }, 'lamkit worker', {}), /--broker-user: expected a password/);
  assert.throws(() => parseBrokerFlags({ broker: 'nats://h:1', brokerNkeySeed: '/no/such/seed' }, 'lamkit worker'), /--broker-nkey-seed: expected an existing file/);
  assert.throws(() => parseBrokerFlags({ broker: 'nats://h:1', brokerRun: 'a.b' }, 'lamkit worker'), /--broker-run: expected a name of 1-64/);
  const o = parseBrokerFlags({ broker: 'nats://u:pw@h:1', brokerUser: 'u' }, 'lamkit worker', { LAMKIT_BROKER_PASSWORD: 'pw' })!;
  assert.equal(o.pass, 'pw');
  assert.equal(o.shownServers, 'nats://h:1');
  assert.equal(parseBrokerFlags({ broker: 'nats://h:1' }, 'lamkit worker', { LAMKIT_BROKER_TOKEN: 'tk' })!.token, 'tk');
  assert.deepEqual(parseBrokerFlags({ broker: 'tls://h:1' }, 'lamkit worker', {})!.tls, {});
});

test('an update assembled from K rollouts side by side: each sub-env column bit for bit, and GAE equal to each rollout alone (exact)', () => {
  const T = 7;
  const [obsDim, actDim] = [3, 2];
  const parts = [filled(T, 2, obsDim, actDim, 1), filled(T, 2, obsDim, actDim, 5), filled(T, 2, obsDim, actDim, 9)];
  const lasts = [new Float64Array([0.5, -1]), new Float64Array([2, 0.25]), new Float64Array([-0.75, 1.5])];
  const into = new RolloutBuffer(T, 6, obsDim, actDim);
  const lastValues = new Float64Array(6);
  // Placed out of arrival order: slot j holds whichever rollout came j-th.
  for (const [slot, k] of [[0, 2], [1, 0], [2, 1]]) {
    const r = readRollout(encodeRollout({ ...meta, seq: k }, parts[k], lasts[k], true), into, 3, 'test');
    assert.equal(r.meta.seq, k);
    lastValues.set(r.place(slot), slot * 2);
  }
  const order = [2, 0, 1];
  for (let slot = 0; slot < 3; slot++) {
    const src = parts[order[slot]];
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 2; i++) {
        const k = t * 6 + slot * 2 + i;
        const s0 = t * 2 + i;
        for (const f of ['logProbs', 'values', 'envRewards', 'rewards', 'terminated', 'truncated', 'valid', 'episodeStarts'] as const) assert.equal(into[f][k], (f === 'rewards' ? src.envRewards : src[f])[s0], `${f}[${t}, ${slot * 2 + i}]`);
        assert.deepEqual(into.obs.subarray(k * obsDim, (k + 1) * obsDim), src.obs.subarray(s0 * obsDim, (s0 + 1) * obsDim));
        assert.deepEqual(into.rawObs.subarray(k * obsDim, (k + 1) * obsDim), src.rawObs.subarray(s0 * obsDim, (s0 + 1) * obsDim));
        assert.deepEqual(into.actions.subarray(k * actDim, (k + 1) * actDim), src.actions.subarray(s0 * actDim, (s0 + 1) * actDim));
      }
    }
    assert.deepEqual(into.lastRawObs.subarray(slot * 2 * obsDim, (slot + 1) * 2 * obsDim), src.lastRawObs);
  }
  into.computeReturnsAndAdvantage(lastValues, 0.97, 0.9);
  for (let slot = 0; slot < 3; slot++) {
    const src = parts[order[slot]];
    src.rewards.set(src.envRewards);
    src.computeReturnsAndAdvantage(lasts[order[slot]], 0.97, 0.9);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 2; i++) {
        assert.equal(into.advantages[t * 6 + slot * 2 + i], src.advantages[t * 2 + i]);
        assert.equal(into.returns[t * 6 + slot * 2 + i], src.returns[t * 2 + i]);
      }
    }
  }
  // A rollout of the learner's whole numEnvs is not a third of it; a bad slot is refused.
  assert.throws(() => readRollout(encodeRollout(meta, filled(T, 6, obsDim, actDim, 1), new Float64Array(6), false), into, 3, 'rollout'), (e: Error) => e instanceof FileFormatError && e.message.startsWith("rollout.numEnvs: expected 2 (the learner's numEnvs 6 / --rollouts-per-update 3), got 6 from worker \"w1\"."));
  assert.throws(() => readRollout(encodeRollout(meta, parts[0], lasts[0], false), into, 3, 'rollout').place(3), InvalidArgument);
});

test('--rollouts-per-update: an integer 1-16, only with --broker, a divisor of the learner numEnvs (typed errors saying how to keep the batch)', () => {
  assert.equal(parseTrainBrokerFlags({ broker: 'nats://h:1' })!.rolloutsPerUpdate, 1);
  assert.equal(parseTrainBrokerFlags({ broker: 'nats://h:1', rolloutsPerUpdate: '4' })!.rolloutsPerUpdate, 4);
  assert.throws(() => parseTrainBrokerFlags({ rolloutsPerUpdate: '2' }), (e: Error) => e instanceof InvalidArgument && e.message.startsWith('lamkit train --rollouts-per-update: expected no such flag without --broker, got "2".'));
  assert.throws(() => parseTrainBrokerFlags({ broker: 'nats://h:1', rolloutsPerUpdate: '0' }), /--rollouts-per-update: expected an integer >= 1, got "0"/);
  assert.throws(() => parseTrainBrokerFlags({ broker: 'nats://h:1', rolloutsPerUpdate: '17' }), /--rollouts-per-update: expected at most 16/);
  checkRolloutsPerUpdate(8, 32, 4);
  assert.throws(() => checkRolloutsPerUpdate(1, 2048, 2), (e: Error) => e instanceof InvalidArgument && e.message === `lamkit train --rollouts-per-update: expected a divisor of the learner's numEnvs (1): each of the 2 rollouts of an update has numEnvs / 2 sub-envs x numSteps, got 2. Keep the batch of 2048 steps with --num-envs 2 --config '{"numSteps": 1024}', or pass a divisor of 1.`);
  assert.throws(() => checkRolloutsPerUpdate(8, 32, 3), /Pass --num-envs 24 \(a batch of 768 steps\), or a divisor of 8/);
});
