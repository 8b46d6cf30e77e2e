import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pendulum, angleNormalize } from '../../../envs/classic/pendulum.js';
import { make } from '../../../src/registry/registry.js';
import '../../../envs/classic/register.js';
import { InvalidAction, InvalidArgument, ResetNeeded } from '../../../src/core/errors.js';

const f32 = (x: number): Float32Array => Float32Array.of(x);

test('angleNormalize is Python-floored ((x + pi) % 2pi) - pi', () => {
  assert.equal(angleNormalize(Math.PI), -Math.PI);
  assert.equal(angleNormalize(0), ((0 + Math.PI) % (2 * Math.PI)) - Math.PI);
  assert.ok(Math.abs(angleNormalize(-0.5) + 0.5) < 1e-15);
  assert.ok(Math.abs(angleNormalize(-4) - (2 * Math.PI - 4)) < 1e-15);
  assert.ok(Math.abs(angleNormalize(7) - (7 - 2 * Math.PI)) < 1e-15);
});

test('reward is -(theta^2 + 0.1 thetaDot^2 + 0.001 u^2) of the pre-step state; torques are clipped to [-2, 2]', () => {
  const env = new Pendulum();
  env.reset({ options: { state: [Math.PI, 0] } });
  assert.equal(env.step(Float64Array.of(0) as unknown as Float32Array).reward, -(Math.PI * Math.PI));
  env.reset({ options: { state: [0.5, 1] } });
  const clipped = env.step(f32(5));
  assert.equal(env.lastTorque, 2);
  env.reset({ options: { state: [0.5, 1] } });
  const atLimit = env.step(f32(2));
  assert.deepEqual(clipped, atLimit);
  assert.ok(Math.abs(atLimit.reward + (0.25 + 0.1 + 0.004)) < 1e-8);
  assert.equal(atLimit.terminated, false);
  assert.equal(atLimit.truncated, false);
});

test('angular velocity is clipped to 8 rad/s', () => {
  const env = new Pendulum();
  env.reset({ options: { state: [0, 7.9] } });
  const { obs } = env.step(f32(2));
  assert.equal(obs[2], 8);
  assert.equal(env.state?.[1], 8);
});

test('invalid actions are InvalidAction errors; step before reset is ResetNeeded', () => {
  const env = new Pendulum();
  assert.throws(() => env.step(f32(0)), ResetNeeded);
  env.reset({ seed: 0 });
  assert.throws(
    () => env.step(f32(NaN)),
    (e: unknown) =>
      e instanceof InvalidAction &&
      e.message ===
        'Pendulum.step.action: expected an action in Box(-2.0, 2.0, (1,), float32) (one torque, not NaN), got Float32Array(1) [NaN]. Pass e.g. Float32Array.of(0.5); torques outside [-2, 2] are clipped.',
  );
  assert.throws(() => env.step(Float32Array.of(1, 2)), InvalidAction);
  assert.throws(() => env.step(0.5 as unknown as Float32Array), InvalidAction);
  assert.throws(() => env.step(['1'] as unknown as Float32Array), InvalidAction);
});

test('reset: defaults, x_init/y_init and state options', () => {
  const env = make('Pendulum-v1');
  for (let s = 0; s < 20; s++) {
    const { obs } = env.reset({ seed: s });
    assert.ok(Math.abs(obs[2]) <= 1);
  }
  const { obs } = env.reset({ seed: 1, options: { x_init: 0, y_init: 0 } });
  assert.deepEqual(Array.from(obs), [1, 0, 0]);
  const bare = new Pendulum();
  bare.reset({ options: { state: [1, -2] } });
  assert.deepEqual(Array.from(bare.state ?? []), [1, -2]);
  assert.throws(
    () => bare.reset({ options: { state: [1] } }),
    (e: unknown) =>
      e instanceof InvalidArgument &&
      e.message === 'Pendulum.reset.options.state: expected 2 finite numbers [theta, theta_dot], got [1]. Pass e.g. { state: [3.14, 0] }.',
  );
  assert.throws(() => bare.reset({ options: { x_init: 'a' } }), /Pendulum\.reset\.options\.x_init: expected a finite number, got "a"/);
  assert.throws(() => new Pendulum({ g: NaN }), InvalidArgument);
  assert.equal(new Pendulum({ g: 9.81 }).g, 9.81);
});

test('TimeLimit from make truncates at 200', () => {
  const env = make('Pendulum-v1');
  env.reset({ seed: 0 });
  for (let t = 1; t <= 200; t++) {
    const r = env.step(f32(0));
    assert.equal(r.truncated, t === 200);
  }
});
