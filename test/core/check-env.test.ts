import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnv } from '../../src/core/check-env.js';
import { EnvCheckError } from '../../src/core/errors.js';
import { OrderEnforcing } from '../../src/wrappers/order-enforcing.js';
import { Box } from '../../src/core/spaces/box.js';
import type { Env, StepResult } from '../../src/core/env.js';
import { CartPole } from '../../envs/classic/cart-pole.js';
import { TestEnv } from '../helpers/test-env.js';

function assertCheckFails(env: Env<unknown, unknown>, pattern: RegExp, options = {}): void {
  assert.throws(
    () => checkEnv(env, options),
    (e: unknown) => {
      assert.ok(e instanceof EnvCheckError, `expected EnvCheckError, got ${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

const ok = (obs: unknown): StepResult<unknown> => ({ obs, reward: 0, terminated: false, truncated: false, info: {} });

test('a correct env passes (bare, wrapped, and with a fresh-instance factory)', () => {
  checkEnv(new CartPole());
  checkEnv(new OrderEnforcing(new CartPole()), { makeFresh: () => new OrderEnforcing(new CartPole()) });
  checkEnv(new TestEnv({ episodeLength: 3 }), { steps: 10 });
});

test('spaces must be Space instances', () => {
  const env = new TestEnv();
  Object.defineProperty(env, 'observationSpace', { value: { shape: [1] } });
  assertCheckFails(env as never, /^checkEnv\(TestEnv\)\.observationSpace: expected a Space instance \(Box, Discrete, \.\.\.\), got \{shape\}/);
});

test('reset must return { obs, info } with obs in the space', () => {
  assertCheckFails(new TestEnv({ reset: () => Float32Array.of(0) as never }), /^checkEnv\(TestEnv\)\.reset\(\{ seed: 0 \}\): expected an object \{ obs, info \}, got Float32Array\(1\) \[0\]\. Return \{ obs, info \}/);
  assertCheckFails(
    new TestEnv({ reset: () => ({ obs: Float32Array.of(0, 1), info: {} }) }),
    /reset\(\{ seed: 0 \}\)\.obs: expected a value in Box\(-inf, inf, \(1,\), float32\), got Float32Array\(2\) \[0, 1\] \(length 2 does not match shape \(1,\) \(1 values\)\)/,
  );
  assertCheckFails(new TestEnv({ reset: () => ({ obs: Float32Array.of(0), info: null as never }) }), /reset\(\{ seed: 0 \}\)\.info: expected an info object, got null/);
});

test('reset({ seed }) must be deterministic', () => {
  let calls = 0;
  const env = new TestEnv({ reset: () => ({ obs: Float32Array.of(calls++), info: {} }) });
  assertCheckFails(env, /^checkEnv\(TestEnv\)\.reset: expected the same observation from reset\(\{ seed: 0 \}\) twice, got different observations \(obs\[0\]: 0 vs 1\)\. Draw every random number from this\.rng/);
  // ...unless declared nondeterministic.
  calls = 0;
  checkEnv(new TestEnv({ reset: () => ({ obs: Float32Array.of(calls++), info: {} }) }), { nondeterministic: true });
});

test('reset({ seed }) must re-seed the env generator', () => {
  class IgnoresSeed extends TestEnv {
    override reset(): ReturnType<TestEnv['reset']> {
      // Forgets this.seedRng(args): the stream just continues.
      this.random.random();
      return { obs: Float32Array.of(0), info: {} };
    }
  }
  assertCheckFails(
    new IgnoresSeed(),
    /^checkEnv\(IgnoresSeed\)\.reset: expected reset\(\{ seed \}\) to re-seed the env generator \(same seed: same state, other seed: other state\), got a different generator state after two resets with seed 0\. Call this\.seedRng\(args\)/,
  );
});

test('steps must be deterministic given the seed and the actions', () => {
  let global = 0;
  const env = new TestEnv({ step: () => ok(Float32Array.of(global++ % 7)) });
  assertCheckFails(env, /^checkEnv\(TestEnv\)\.step: expected the same trajectory from two rollouts of the same env with the same seed and seeded actions, got a difference at record 1\.obs\[0\]/);
  const seeded = new TestEnv({ step: (_a, { rng }) => ok(Float32Array.of(rng.random())) });
  checkEnv(seeded);
});

test('a fresh instance must reproduce the trajectory', () => {
  let instances = 0;
  const factory = (): Env<unknown, unknown> => {
    const offset = instances++;
    return new OrderEnforcing(new TestEnv({ step: (_a, { t }) => ok(Float32Array.of(t + offset)) })) as never;
  };
  assertCheckFails(factory(), /expected the same trajectory from the env and a fresh instance from makeFresh\(\)/, { makeFresh: factory });
});

test('step results are type-checked', () => {
  assertCheckFails(new TestEnv({ step: () => ({ ...ok(Float32Array.of(0)), reward: NaN }) }), /step \(step 0\)\.reward: expected a finite number, got NaN/);
  assertCheckFails(new TestEnv({ step: () => ({ ...ok(Float32Array.of(0)), terminated: 0 as never }) }), /step \(step 0\)\.terminated: expected a boolean, got 0\. Return true\/false, never a number or a single `done`/);
  assertCheckFails(
    new TestEnv({ observationSpace: new Box(0, 1, [1]) as never, step: () => ok(Float32Array.of(2)) }),
    /step \(step 0\)\.obs: expected a value in Box\(0\.0, 1\.0, \(1,\), float32\), got Float32Array\(1\) \[2\] \(element 0 = 2 is outside \[0\.0, 1\.0\]\)/,
  );
});

test('observations must not be reused across steps', () => {
  const buffer = new Float32Array(1);
  const env = new TestEnv({
    reset: () => ({ obs: buffer, info: {} }),
    step: (_a, { t }) => {
      buffer[0] = t + 1;
      return ok(buffer);
    },
  });
  assertCheckFails(env, /expected observations owned by the caller, got the previous observation changed after step\(\)/);
});

test('step before reset must throw ResetNeeded on a fresh OrderEnforcing env or factory instance', () => {
  const noGuard = (): Env<unknown, unknown> => new TestEnv() as never;
  assertCheckFails(
    noGuard(),
    /^checkEnv\(TestEnv\)\.makeFresh\(\)\.step: expected ResetNeeded from step\(\) before the first reset\(\), got a result \{obs, reward, terminated, truncated, info\}\. Wrap the env with OrderEnforcing/,
    { makeFresh: noGuard },
  );
  const throwsOther = (): Env<unknown, unknown> =>
    new TestEnv({
      step: () => {
        throw new TypeError('state is undefined');
      },
    }) as never;
  assertCheckFails(throwsOther(), /makeFresh\(\)\.step: expected ResetNeeded from step\(\) before the first reset\(\), got TypeError: state is undefined/, { makeFresh: throwsOther });
});

test('close must be callable twice', () => {
  let closed = false;
  const env = new TestEnv();
  env.close = () => {
    if (closed) throw new Error('already closed');
    closed = true;
  };
  assertCheckFails(env, /^checkEnv\(TestEnv\)\.close: expected close\(\) to succeed when called twice, got Error: already closed on the second call/);
  const kept = new TestEnv();
  checkEnv(kept, { skipClose: true });
  assert.equal(kept.closeCount, 0);
});
