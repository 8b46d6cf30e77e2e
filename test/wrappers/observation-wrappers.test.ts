import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlattenObservation } from '../../src/wrappers/flatten-observation.js';
import { FrameStack } from '../../src/wrappers/frame-stack.js';
import { TransformObservation } from '../../src/wrappers/transform-observation.js';
import { NormalizeObservation } from '../../src/wrappers/normalize-observation.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Tuple } from '../../src/core/spaces/tuple.js';
import { InvalidArgument, InvalidSpace } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { CartPole } from '../../envs/classic/cart-pole.js';
import { TestEnv } from '../helpers/test-env.js';

test('FlattenObservation flattens a Dict observation and bounds the flat Box', () => {
  const space = new Dict({ pos: new Box(-1, 1, [2]), mode: new Discrete(3), extra: new Tuple([new Box(0, 5, [1])]) });
  const env = new FlattenObservation(
    new TestEnv<Record<string, unknown>>({
      observationSpace: space as never,
      reset: () => ({ obs: { pos: Float32Array.of(0.5, -0.5), mode: 2, extra: [Float32Array.of(4)] }, info: {} }),
    }),
  );
  // Sorted keys: extra, mode, pos.
  assert.equal(env.observationSpace.toString(), 'Box([0.0 0.0 0.0 0.0 -1.0 -1.0], [5.0 1.0 1.0 1.0 1.0 1.0], (6,), float32)');
  const { obs } = env.reset();
  assert.deepEqual(Array.from(obs), [4, 0, 0, 1, 0.5, -0.5]);
  assert.ok(env.observationSpace.contains(obs));
});

test('FrameStack keeps the last k observations, oldest first, padded with the reset observation', () => {
  const env = new FrameStack(new TestEnv({ episodeLength: 10 }), 3);
  assert.equal(env.observationSpace.toString(), 'Box(-inf, inf, (3, 1), float32)');
  assert.deepEqual(Array.from(env.reset().obs), [0, 0, 0]);
  assert.deepEqual(Array.from(env.step(0).obs), [0, 0, 1]);
  assert.deepEqual(Array.from(env.step(0).obs), [0, 1, 2]);
  const third = env.step(0).obs;
  assert.deepEqual(Array.from(third), [1, 2, 3]);
  assert.deepEqual(Array.from(env.step(0).obs), [2, 3, 4]);
  assert.deepEqual(Array.from(third), [1, 2, 3], 'returned observations are not reused');
  assert.deepEqual(Array.from(env.reset().obs), [0, 0, 0]);
});

test('FrameStack zero and custom padding, Discrete observations, validation', () => {
  const cart = new FrameStack(new CartPole(), 2, { padding: 'zero' });
  const { obs } = cart.reset({ options: { state: [0.1, 0.2, 0.3, 0.4] } });
  assert.deepEqual(Array.from(obs), [0, 0, 0, 0, ...Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4))]);
  assert.ok(cart.observationSpace.contains(obs));
  const custom = new FrameStack(new TestEnv(), 2, { padding: Float32Array.of(-7) });
  assert.deepEqual(Array.from(custom.reset().obs), [-7, 0]);
  const discrete = new FrameStack(new TestEnv<number>({ observationSpace: new Discrete(4), reset: () => ({ obs: 3, info: {} }) }), 2);
  assert.equal(discrete.observationSpace.toString(), 'MultiDiscrete([4 4])');
  assert.deepEqual(Array.from(discrete.reset().obs), [3, 3]);
  assert.throws(() => new FrameStack(new TestEnv(), 0), InvalidArgument);
  assert.throws(() => new FrameStack(new CartPole(), 2, { padding: [1] }), /FrameStack\.padding: expected 'reset', 'zero' or a value of Box/);
  assert.throws(() => new FrameStack(new TestEnv({ observationSpace: new Dict({}) as never }), 2), InvalidSpace);
});

test('TransformObservation applies the function and can replace the space', () => {
  const env = new TransformObservation(new CartPole(), (o: Float32Array) => o.map((v) => 2 * v), new Box(-10, 10, [4]) as never);
  const { obs } = env.reset({ options: { state: [0.25, 0, 0, 0] } });
  assert.equal(obs[0], 0.5);
  assert.equal(env.observationSpace.toString(), 'Box(-10.0, 10.0, (4,), float32)');
  assert.equal(new TransformObservation(new CartPole(), (o) => o).observationSpace.toString(), new CartPole().observationSpace.toString());
});

test('NormalizeObservation normalizes with running statistics, can be frozen, and its state round-trips', () => {
  const rng = new Rng(0);
  const inner = new TestEnv<Float32Array>({
    observationSpace: new Box(-Infinity, Infinity, [2]) as never,
    reset: () => ({ obs: Float32Array.of(10 + rng.normal(), -3 + 5 * rng.normal()), info: {} }),
    step: () => ({ obs: Float32Array.of(10 + rng.normal(), -3 + 5 * rng.normal()), reward: 0, terminated: false, truncated: false, info: {} }),
  });
  const env = new NormalizeObservation(inner);
  assert.equal(env.observationSpace.toString(), 'Box(-inf, inf, (2,), float32)');
  env.reset();
  const late: number[][] = [];
  for (let t = 0; t < 3000; t++) {
    const { obs } = env.step(0);
    if (t >= 2000) late.push(Array.from(obs));
  }
  for (let i = 0; i < 2; i++) {
    const xs = late.map((o) => o[i]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean) < 0.1, `dim ${i} mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.1, `dim ${i} std ${std}`);
  }
  assert.ok(Math.abs(env.obsRms.mean[0] - 10) < 0.1 && Math.abs(env.obsRms.mean[1] + 3) < 0.4);

  const saved = JSON.parse(JSON.stringify(env.getState()));
  env.updateRunningMean = false;
  const count = env.obsRms.count;
  env.step(0);
  assert.equal(env.obsRms.count, count, 'frozen statistics do not change');

  const evalEnv = new NormalizeObservation(new CartPole());
  assert.throws(() => evalEnv.setState(saved), InvalidArgument, 'shape (2,) state refused for a (4,) observation');
  const twin = new NormalizeObservation(inner);
  twin.setState(saved);
  twin.updateRunningMean = false;
  assert.deepEqual(twin.observation(Float32Array.of(10, -3)), env.observation(Float32Array.of(10, -3)));
  assert.throws(() => new NormalizeObservation(new TestEnv({ observationSpace: new Discrete(2) as never }) as never), InvalidSpace);
});
