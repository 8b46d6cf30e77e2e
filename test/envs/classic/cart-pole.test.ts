import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CartPole } from '../../../envs/classic/cart-pole.js';
import { make } from '../../../src/registry/registry.js';
import '../../../envs/classic/register.js';
import { InvalidAction, InvalidArgument, ResetNeeded } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';

test('an action outside Discrete(2) is an InvalidAction naming the value and the space', () => {
  const env = make('CartPole-v1');
  env.reset({ seed: 0 });
  assert.throws(
    () => env.step(2),
    (e: unknown) =>
      e instanceof InvalidAction && e.message === 'CartPole.step.action: expected an action in Discrete(2), got 2. Pass 0 (push left) or 1 (push right).',
  );
  assert.throws(() => env.step(0.5), /got 0\.5\./);
  assert.throws(() => env.step('1'), /got "1"\./);
  assert.throws(() => env.step(-1), InvalidAction);
});

test('step before reset throws ResetNeeded, bare and through make', () => {
  assert.throws(() => new CartPole().step(0), ResetNeeded);
  assert.throws(
    () => make('CartPole-v1').step(0),
    (e: unknown) => e instanceof ResetNeeded && e.message === 'CartPole-v1.step: expected reset() before step(), got step() on an env that was never reset. Call env.reset() first.',
  );
});

test('reset: seeded draws lie in [-0.05, 0.05]; options low/high and state are honoured and validated', () => {
  const env = new CartPole();
  const { obs, info } = env.reset({ seed: 3 });
  assert.deepEqual(info, {});
  assert.ok(obs instanceof Float32Array && obs.length === 4);
  for (const v of obs) assert.ok(Math.abs(v) <= 0.05);
  assert.deepEqual(env.reset({ seed: 3 }).obs, obs);
  for (const v of env.reset({ options: { low: 0.1, high: 0.2 } }).obs) assert.ok(v >= Math.fround(0.1) && v <= Math.fround(0.2));
  env.reset({ options: { state: [0.1, -0.2, 0.03, 0.4] } });
  assert.deepEqual(Array.from(env.state ?? []), [0.1, -0.2, 0.03, 0.4]);
  assert.throws(
    () => env.reset({ options: { state: [1, 2, 3] } }),
    (e: unknown) =>
      e instanceof InvalidArgument &&
      e.message === 'CartPole.reset.options.state: expected 4 finite numbers [x, x_dot, theta, theta_dot], got [1, 2, 3]. Pass e.g. { state: [0, 0, 0.05, 0] }.',
  );
  assert.throws(() => env.reset({ options: { state: [0, 0, NaN, 0] } }), InvalidArgument);
  assert.throws(() => env.reset({ options: { low: 1, high: 0 } }), /CartPole\.reset\.options\.low\/high: expected finite numbers with low <= high/);
});

test('termination at 12 degrees gives reward 1, and steps after it reward 0 (Gymnasium behaviour)', () => {
  const env = new CartPole();
  env.reset({ options: { state: [0, 0, 0.2094, 1] } });
  const r1 = env.step(1);
  assert.equal(r1.terminated, true);
  assert.equal(r1.reward, 1);
  const r2 = env.step(1);
  assert.equal(r2.terminated, true);
  assert.equal(r2.reward, 0);
  // Termination on the cart position too.
  env.reset({ options: { state: [2.399, 1, 0, 0] } });
  assert.equal(env.step(0).terminated, true);
  // A new episode resets the counter.
  env.reset({ seed: 0 });
  assert.equal(env.step(0).reward, 1);
});

test('suttonBartoReward gives 0 per step and -1 on termination', () => {
  const env = new CartPole({ suttonBartoReward: true });
  env.reset({ options: { state: [0, 0, 0, 0] } });
  assert.equal(env.step(0).reward, 0);
  env.reset({ options: { state: [0, 0, 0.2094, 1] } });
  assert.equal(env.step(0).reward, -1);
});

test('observations are new Float32Arrays inside the observation space; same seed, same trajectory through make', () => {
  const run = (): number[][] => {
    const env = make('CartPole-v1');
    const rng = new Rng(11);
    const out: number[][] = [Array.from(env.reset({ seed: 11 }).obs as Float32Array)];
    let prev: Float32Array | null = null;
    for (let t = 0; t < 100; t++) {
      const r = env.step(env.actionSpace.sample(rng));
      assert.notEqual(r.obs, prev);
      prev = r.obs as Float32Array;
      out.push(Array.from(prev));
      if (r.terminated || r.truncated) out.push(Array.from(env.reset().obs as Float32Array));
    }
    return out;
  };
  assert.deepEqual(run(), run());
});
