import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { encodeRollout, decodeRolloutInto, type RolloutMeta } from '../../agents/scale/rollout-message.js';
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
