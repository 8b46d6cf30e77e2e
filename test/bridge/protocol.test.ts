import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, FRAME_KIND_ACTION, FRAME_KIND_OBS } from '../../src/bridge/binary-frame.js';
import { ActionGuard, decodeAction } from '../../src/bridge/action-guard.js';
import { tokensEqual } from '../../src/bridge/token-auth.js';
import { RateLimiter } from '../../src/bridge/rate-limiter.js';
import { BridgeProtocolError } from '../../src/bridge/errors.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { MultiDiscrete } from '../../src/core/spaces/multi-discrete.js';
import { Dict } from '../../src/core/spaces/dict.js';

test('binary frames round-trip and reject every malformed header field', () => {
  const f = encodeFrame(FRAME_KIND_OBS, 4294967295, Float32Array.of(1.5, -2, 3e-3), -0.25, true, false);
  assert.equal(f.byteLength, 24 + 12);
  const d = decodeFrame(f);
  assert.deepEqual({ ...d, values: Array.from(d.values) }, { kind: FRAME_KIND_OBS, seq: 4294967295, reward: -0.25, terminated: true, truncated: false, values: [1.5, -2, Math.fround(3e-3)] });
  const bad = (mutate: (v: DataView) => void, msg: string): void => {
    const g = encodeFrame(FRAME_KIND_ACTION, 1, Float32Array.of(0));
    mutate(new DataView(g.buffer));
    assert.throws(() => decodeFrame(g, 'F'), (e: unknown) => e instanceof BridgeProtocolError && e.bridgeCode === 'BAD_FRAME' && e.message === msg);
  };
  bad((v) => v.setUint8(0, 0), "F.magic: expected 0x4c ('L'), got 0x0. See the binary frame layout in docs/bridge-protocol.md.");
  bad((v) => v.setUint8(1, 2), 'F.version: expected 1, got 2. See the binary frame layout in docs/bridge-protocol.md.');
  bad((v) => v.setUint8(2, 7), 'F.kind: expected 1 (obs) or 2 (action), got 7. See the binary frame layout in docs/bridge-protocol.md.');
  bad((v) => v.setUint8(3, 8), 'F.flags: expected only bits 0 (terminated), 1 (truncated) and 2 (packed), got 0x8. See the binary frame layout in docs/bridge-protocol.md.');
  bad((v) => v.setUint32(16, 1000, true), 'F.n: expected 24 + 4 x n = 28 bytes to match n, got n = 1000. See the binary frame layout in docs/bridge-protocol.md.');
  bad((v) => v.setFloat64(8, NaN, true), 'F.reward: expected a finite number, got NaN. See the binary frame layout in docs/bridge-protocol.md.');
  assert.throws(() => decodeFrame(new Uint8Array(3), 'F'), { message: 'F.length: expected at least 24 bytes, got 3 bytes. See the binary frame layout in docs/bridge-protocol.md.' });
});

test('ActionGuard clips Box actions, replaces invalid ones by the safe action, checks the safe action itself', () => {
  const out = new Float64Array(2);
  const g = new ActionGuard(new Box(-1, 1, [2]), [0, 0]);
  assert.equal(g.guard(Float32Array.of(3, -0.5), out), null);
  assert.deepEqual(Array.from(out), [1, -0.5]);
  assert.equal(g.guard([0.1, NaN], out), 'non_finite');
  assert.deepEqual(Array.from(out), [0, 0]);
  assert.equal(g.guard([0.1], out), 'wrong_shape');
  assert.equal(g.guard('left', out), 'wrong_shape');
  const d = new ActionGuard(new Discrete(3), [1]);
  const o1 = new Float64Array(1);
  assert.equal(d.guard(2, o1), null);
  assert.equal(o1[0], 2);
  assert.equal(d.guard(3, o1), 'out_of_space');
  assert.equal(o1[0], 1);
  assert.equal(d.guard(1.5, o1), 'out_of_space');
  assert.equal(d.lastFaultDetail, 'element 0 = 1.5 is not an integer');
  const m = new ActionGuard(new MultiDiscrete([2, 3]), [0, 0]);
  assert.equal(m.guard(Int32Array.of(1, 3), out), 'out_of_space');
  assert.deepEqual(decodeAction(new MultiDiscrete([2, 3]), [1, 2]), Int32Array.of(1, 2));
  assert.equal(decodeAction(new Discrete(3), [2]), 2);
  assert.throws(() => new ActionGuard(new Box(-1, 1, [2]), [0, 5], 'R'), {
    message: 'R.safeAction: expected an action inside Box(-1.0, 1.0, (2,), float32) (2 numbers), got [0, 5] (element 1 = 5 is outside [-1.0, 1.0]). Announce a safe action the robot can always apply, e.g. zeros.',
  });
  assert.throws(() => new ActionGuard(new Dict({ a: new Discrete(2) }), [0]), { name: 'InvalidSpace' });
});

test('tokensEqual compares in constant time whatever the lengths; RateLimiter refills at its rate', () => {
  assert.equal(tokensEqual('abc', 'abc'), true);
  assert.equal(tokensEqual('abc', 'abd'), false);
  assert.equal(tokensEqual('', 'abc'), false);
  assert.equal(tokensEqual('a'.repeat(10000), 'abc'), false);
  const rl = new RateLimiter(100, 2);
  assert.deepEqual([rl.take(0), rl.take(0), rl.take(0)], [true, true, false]);
  assert.equal(rl.take(5), false); // 0.5 token
  assert.equal(rl.take(10), true); // 1 token after 10 ms at 100/s
});
