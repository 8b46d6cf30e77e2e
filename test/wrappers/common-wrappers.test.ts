import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeLimit } from '../../src/wrappers/time-limit.js';
import { OrderEnforcing } from '../../src/wrappers/order-enforcing.js';
import { PassiveEnvChecker } from '../../src/wrappers/passive-env-checker.js';
import { EnvCheckError, InvalidArgument, ResetNeeded } from '../../src/core/errors.js';
import { TestEnv } from '../helpers/test-env.js';

test('TimeLimit truncates at the limit, keeps terminated, and restarts its count on reset', () => {
  const env = new TimeLimit(new TestEnv({ episodeLength: 3 }), 3);
  env.reset();
  assert.equal(env.step(0).truncated, false);
  assert.equal(env.elapsed, 1);
  env.step(0);
  const last = env.step(0);
  assert.deepEqual([last.terminated, last.truncated], [true, true], 'both flags on the same step');
  env.reset();
  assert.equal(env.elapsed, 0);
  assert.throws(
    () => new TimeLimit(new TestEnv(), 0),
    (e: unknown) => e instanceof InvalidArgument && e.message === 'TimeLimit.maxEpisodeSteps: expected a positive integer, got 0. Pass e.g. 500.',
  );
});

test('OrderEnforcing refuses step and render before reset', () => {
  const env = new OrderEnforcing(new TestEnv());
  assert.equal(env.hasResetBefore, false);
  assert.throws(() => env.step(0), ResetNeeded);
  assert.throws(() => env.render(), /TestEnv\.render: expected reset\(\) before render\(\)/);
  assert.doesNotThrow(() => new OrderEnforcing(new TestEnv(), { disableRenderOrderEnforcing: true }).render());
  env.reset();
  assert.equal(env.hasResetBefore, true);
  assert.equal(env.step(0).reward, 1);
});

test('PassiveEnvChecker checks the first step: flags must be booleans, reward finite', () => {
  const env = new PassiveEnvChecker(new TestEnv({ step: () => ({ obs: Float32Array.of(0), reward: 1, terminated: 1 as never, truncated: false, info: {} }) }));
  env.reset();
  assert.throws(
    () => env.step(0),
    (e: unknown) =>
      e instanceof EnvCheckError && e.message === 'TestEnv.step.terminated: expected a boolean, got 1. Return true/false, never a number or a single `done`.',
  );
  const nan = new PassiveEnvChecker(new TestEnv({ step: () => ({ obs: Float32Array.of(0), reward: NaN, terminated: false, truncated: false, info: {} }) }));
  nan.reset();
  assert.throws(() => nan.step(0), /TestEnv\.step\.reward: expected a finite number, got NaN/);
});
