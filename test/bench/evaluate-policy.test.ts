import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../src/bench/evaluate-policy.js';
import { toAsyncEnv } from '../../src/core/env.js';
import type { ActOptions, Policy } from '../../src/core/policy.js';
import { Box } from '../../src/core/spaces/box.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { TestEnv } from '../helpers/test-env.js';
import { LineEnv } from '../bridge/fixtures.js';

/**
 * One-step episodes whose reward is the reset seed and whose success is
 * "the seed is even": seeds 0..3 give returns [0, 1, 2, 3] and successes
 * [true, false, true, false].
 */
function seedEchoEnv(): TestEnv {
  let seed = -1;
  return new TestEnv({
    reset: ({ args }) => ((seed = args?.seed ?? -1), { obs: Float32Array.of(0), info: {} }),
    step: () => ({ obs: Float32Array.of(1), reward: seed, terminated: true, truncated: false, info: { isSuccess: seed % 2 === 0 } }),
  });
}

const constant = (env: { observationSpace: Policy['observationSpace']; actionSpace: Policy['actionSpace'] }, calls: Array<ActOptions | undefined> = []): Policy => ({
  observationSpace: env.observationSpace,
  actionSpace: env.actionSpace,
  act: (_obs, o) => (calls.push(o), Int32Array.of(0)),
});

test('evaluatePolicy: per-episode returns, lengths, successes and SB3 aggregates (population std) by hand', async () => {
  const env = seedEchoEnv();
  const calls: Array<ActOptions | undefined> = [];
  const ev = await evaluatePolicy(constant(env, calls), env, { episodes: 4, seed: 0 });
  assert.deepEqual(ev.returns, [0, 1, 2, 3]);
  assert.deepEqual(ev.lengths, [1, 1, 1, 1]);
  assert.deepEqual(ev.successes, [true, false, true, false]);
  assert.deepEqual(ev.seeds, [0, 1, 2, 3]);
  assert.equal(ev.episodes, 4);
  assert.equal(ev.meanReturn, 1.5);
  assert.equal(ev.stdReturn, Math.sqrt((1.5 ** 2 + 0.5 ** 2 + 0.5 ** 2 + 1.5 ** 2) / 4)); // ddof 0, not 3
  assert.equal(ev.meanLength, 1);
  assert.equal(ev.successRate, 0.5);
  assert.equal(ev.aborted, false);
  assert.ok(calls.every((o) => o?.deterministic === true), 'deterministic by default');
  // Episode k uses seed + k from any start.
  const shifted = await evaluatePolicy(constant(env), env, { episodes: 2, seed: 5 });
  assert.deepEqual(shifted.returns, [5, 6]);
  assert.deepEqual(shifted.successes, [false, true]);
  await evaluatePolicy(constant(env, calls), env, { episodes: 1, deterministic: false });
  assert.equal(calls.at(-1)?.deterministic, false);
});

test('evaluatePolicy: the same seed gives the same figures, another seed other ones; an AsyncEnv gives the same', async () => {
  const env = new LineEnv();
  // Pushes the point away from 0 until |x| > 5: returns depend on the seeded start.
  const away: Policy = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: (obs) => Float32Array.of(obs[0] >= 0 ? 1 : -1) };
  const a = await evaluatePolicy(away, env, { episodes: 5, seed: 3 });
  const b = await evaluatePolicy(away, new LineEnv(), { episodes: 5, seed: 3 });
  const c = await evaluatePolicy(away, env, { episodes: 5, seed: 4 });
  const d = await evaluatePolicy(away, toAsyncEnv(new LineEnv()), { episodes: 5, seed: 3 });
  assert.deepEqual(b, a);
  assert.deepEqual(d, a);
  assert.notDeepEqual(c.returns, a.returns);
  assert.equal(new Set(a.returns).size, 5, 'episodes differ from one another (seed + k)');
  assert.equal(a.successRate, null, 'LineEnv never reports isSuccess');
  assert.deepEqual(a.successes, [null, null, null, null, null]);
});

test('evaluatePolicy: an abort signal stops early and the figures cover the finished episodes', async () => {
  const env = seedEchoEnv();
  const ctl = new AbortController();
  const ev = await evaluatePolicy(constant(env), env, { episodes: 10, signal: ctl.signal, onEpisode: (e) => void (e.episode === 2 && ctl.abort()) });
  assert.equal(ev.aborted, true);
  assert.equal(ev.episodes, 3);
  assert.deepEqual(ev.returns, [0, 1, 2]);
  assert.equal(ev.meanReturn, 1);
});

test('evaluatePolicy: bad options and a policy for other spaces give typed errors in the house format', async () => {
  const env = seedEchoEnv();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ episodes: 0 }, 'evaluatePolicy.episodes: expected a positive integer, got 0. Pass e.g. { episodes: 10 }.'],
    [{ episodes: Infinity }, 'evaluatePolicy.episodes: expected a positive integer, got Infinity. Pass e.g. { episodes: 10 }.'],
    [{ seed: 1.5 }, 'evaluatePolicy.seed: expected a safe integer, got 1.5. Pass e.g. { seed: 0 }; episode k uses seed + k.'],
    [{ deterministic: 'yes' }, 'evaluatePolicy.deterministic: expected a boolean, got "yes". Pass true for the distribution mode, false to sample.'],
  ];
  for (const [opts, message] of cases) {
    await assert.rejects(evaluatePolicy(constant(env), env, opts), (err: unknown) => err instanceof InvalidArgument && err.message === message);
  }
  await assert.rejects(evaluatePolicy({ ...constant(env), observationSpace: new Box(-1, 1, [3], 'float32') }, env), {
    name: 'InvalidArgument',
    message: 'evaluatePolicy.policy: expected a policy for Box(-inf, inf, (1,), float32) -> Discrete(2), got Box(-1.0, 1.0, (3,), float32) -> Discrete(2). Load the policy trained on this task.',
  });
  assert.equal(env.resetCount, 0, 'nothing ran');
});
