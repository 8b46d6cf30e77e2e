import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register, unregister, registeredIds, make, makeAsync, spec } from '../../src/registry/registry.js';
import '../../envs/index.js';
import { OrderEnforcing } from '../../src/wrappers/order-enforcing.js';
import { TimeLimit } from '../../src/wrappers/time-limit.js';
import { PassiveEnvChecker } from '../../src/wrappers/passive-env-checker.js';
import { Wrapper } from '../../src/core/wrapper.js';
import { RegistryError, EnvCheckError } from '../../src/core/errors.js';
import { CartPole } from '../../envs/classic/cart-pole.js';
import { Rng } from '../../src/core/rng.js';
import { TestEnv } from '../helpers/test-env.js';

test('the classic tasks are registered with Gymnasium settings', () => {
  const ids = registeredIds();
  assert.ok(ids.includes('CartPole-v1') && ids.includes('Pendulum-v1'));
  assert.deepEqual(ids, [...ids].sort());
  assert.equal(spec('CartPole-v1').maxEpisodeSteps, 500);
  assert.equal(spec('CartPole-v1').rewardThreshold, 475);
  assert.equal(spec('Pendulum-v1').maxEpisodeSteps, 200);
  assert.match(spec('CartPole-v1').module ?? '', /^file:.*envs\/classic\/register\.[jt]s$/); // .js when the tests run transpiled (scripts/test-js.mjs)
});

test('make wraps like Gymnasium: TimeLimit(OrderEnforcing(PassiveEnvChecker(env))) with spec set', () => {
  const env = make('CartPole-v1');
  assert.ok(env instanceof TimeLimit);
  assert.equal((env as TimeLimit<unknown, unknown>).maxEpisodeSteps, 500);
  const chain: string[] = [];
  let e: unknown = env;
  while (e instanceof Wrapper) {
    chain.push(e.constructor.name);
    e = e.env;
  }
  assert.deepEqual(chain, ['TimeLimit', 'OrderEnforcing', 'PassiveEnvChecker']);
  assert.ok(env.unwrapped instanceof CartPole);
  assert.equal(env.spec?.id, 'CartPole-v1');
  assert.equal(env.spec?.rewardThreshold, 475);
  assert.ok((env as Wrapper).findWrapper(OrderEnforcing));
  assert.ok((env as Wrapper).findWrapper(PassiveEnvChecker));
});

test('make options: maxEpisodeSteps override or removal, disableEnvChecker, kwargs', () => {
  const short = make('CartPole-v1', { maxEpisodeSteps: 3 });
  short.reset({ options: { state: [0, 0, 0, 0] } });
  short.step(0);
  short.step(1);
  assert.equal(short.step(0).truncated, true);
  assert.ok(!(make('CartPole-v1', { maxEpisodeSteps: null }) instanceof TimeLimit));
  assert.equal((make('CartPole-v1', { disableEnvChecker: true }) as Wrapper).findWrapper(PassiveEnvChecker), undefined);
  assert.equal((make('Pendulum-v1', { kwargs: { g: 9.81 } }).unwrapped as unknown as { g: number }).g, 9.81);
});

test('an unknown id is a RegistryError listing the registered versions or ids', () => {
  assert.throws(
    () => make('CartPole-v0'),
    (e: unknown) => e instanceof RegistryError && e.message.startsWith("make.id: expected a registered env id, got \"CartPole-v0\". Registered versions: CartPole-v1"),
  );
  assert.throws(() => make('NoSuchTask-v3'), /make\.id: expected a registered env id, got "NoSuchTask-v3"\. Registered ids: .*CartPole-v1/);
});

test('duplicate registration is refused unless override; bad ids are refused', () => {
  const id = 'TestRegistryDup-v0';
  register({ id, entryPoint: () => new TestEnv() });
  try {
    assert.throws(
      () => register({ id, entryPoint: () => new TestEnv() }),
      (e: unknown) =>
        e instanceof RegistryError && e.message === `register: expected a new id, got '${id}', which is already registered. Pick another id or pass { override: true }.`,
    );
    register({ id, entryPoint: () => new TestEnv({ episodeLength: 2 }), maxEpisodeSteps: 7 }, { override: true });
    assert.equal(spec(id).maxEpisodeSteps, 7);
  } finally {
    assert.equal(unregister(id), true);
  }
  assert.throws(() => register({ id: 'bad id!', entryPoint: () => new TestEnv() }), RegistryError);
  assert.throws(() => register({ id: 'X-v0', entryPoint: 3 as never }), /register\(X-v0\)\.entryPoint: expected a function/);
  assert.throws(() => register({ id: 'X-v0', entryPoint: () => new TestEnv(), maxEpisodeSteps: 0 }), RegistryError);
});

test('the passive checker catches a task whose first observation is outside its space', () => {
  const id = 'TestBadObs-v0';
  register({ id, entryPoint: () => new TestEnv({ reset: () => ({ obs: Float32Array.of(1, 2), info: {} }) }) });
  try {
    assert.throws(() => make(id).reset(), (e: unknown) => e instanceof EnvCheckError && /TestBadObs-v0\.reset\.obs: expected a value in Box/.test(e.message));
  } finally {
    unregister(id);
  }
});

test('same seed, same trajectory through make, for every classic task', async () => {
  for (const id of ['CartPole-v1', 'Pendulum-v1']) {
    const run = (): unknown[] => {
      const env = make(id);
      const rng = new Rng(5);
      const out: unknown[] = [Array.from(env.reset({ seed: 5 }).obs as ArrayLike<number>)];
      for (let t = 0; t < 60; t++) {
        const r = env.step(env.actionSpace.sample(rng));
        out.push([Array.from(r.obs as ArrayLike<number>), r.reward, r.terminated, r.truncated]);
        if (r.terminated || r.truncated) out.push(Array.from(env.reset().obs as ArrayLike<number>));
      }
      return out;
    };
    assert.deepEqual(run(), run(), id);
  }
  // makeAsync is the same for tasks without a prepare hook.
  const env = await makeAsync('CartPole-v1');
  assert.deepEqual(env.reset({ seed: 5 }).obs, make('CartPole-v1').reset({ seed: 5 }).obs);
});
