import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipAction } from '../../src/wrappers/clip-action.js';
import { RescaleAction } from '../../src/wrappers/rescale-action.js';
import { Box, type BoxArray } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { InvalidArgument, InvalidSpace } from '../../src/core/errors.js';
import { Pendulum } from '../../envs/classic/pendulum.js';
import { TestEnv } from '../helpers/test-env.js';

function recordingEnv(low: number[], high: number[]): TestEnv<Float32Array, BoxArray> {
  return new TestEnv<Float32Array, BoxArray>({
    actionSpace: new Box(low, high, [low.length]),
    step: (a) => ({ obs: Float32Array.of(0), reward: 0, terminated: false, truncated: false, info: { action: Array.from(a) } }),
  });
}

test('ClipAction clips into the inner box and widens its own action space', () => {
  const env = new ClipAction(recordingEnv([-1, 0], [1, 2]));
  assert.equal(env.actionSpace.toString(), 'Box(-inf, inf, (2,), float32)');
  env.reset();
  assert.deepEqual(env.step(Float32Array.of(-5, 3)).info.action, [-1, 2]);
  assert.deepEqual(env.step(Float32Array.of(0.5, 1)).info.action, [0.5, 1]);
  assert.throws(() => new ClipAction(new TestEnv({ actionSpace: new Discrete(2) }) as never), InvalidSpace);
  assert.throws(() => env.step(Float32Array.of(1)), /ClipAction\.step\.action: expected 2 numbers/);
});

test('ClipAction on Pendulum equals clipping by hand', () => {
  const a = new ClipAction(new Pendulum());
  const b = new Pendulum();
  a.reset({ seed: 4 });
  b.reset({ seed: 4 });
  assert.deepEqual(a.step(Float32Array.of(7)), b.step(Float32Array.of(2)));
});

test('RescaleAction maps [min, max] affinely onto the inner bounds', () => {
  const env = new RescaleAction(recordingEnv([-2, 0], [2, 10]), -1, 1);
  assert.equal(env.actionSpace.toString(), 'Box(-1.0, 1.0, (2,), float32)');
  env.reset();
  assert.deepEqual(env.step(Float32Array.of(-1, -1)).info.action, [-2, 0]);
  assert.deepEqual(env.step(Float32Array.of(1, 1)).info.action, [2, 10]);
  assert.deepEqual(env.step(Float32Array.of(0, 0.5)).info.action, [0, 7.5]);
  const perDim = new RescaleAction(recordingEnv([0], [1]), [10], [20]);
  perDim.reset();
  assert.deepEqual(perDim.step(Float32Array.of(15)).info.action, [0.5]);
});

test('RescaleAction validates its arguments', () => {
  assert.throws(
    () => new RescaleAction(recordingEnv([0], [1]), 1, 1),
    (e: unknown) =>
      e instanceof InvalidArgument && e.message === 'RescaleAction: expected minAction < maxAction in every dimension, got minAction[0]=1, maxAction[0]=1. Pass e.g. -1 and 1.',
  );
  assert.throws(() => new RescaleAction(recordingEnv([0], [Infinity]), -1, 1), /expected a Box bounded on both sides/);
  assert.throws(() => new RescaleAction(recordingEnv([0, 0], [1, 1]), [-1], 1), /RescaleAction\.minAction: expected a finite number or 2 finite numbers/);
});
