import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeVec } from '../../src/registry/make-vec.js';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { AsyncEnvVector } from '../../src/vector/async-env-vector.js';
import { toAsyncEnv, type AsyncEnv } from '../../src/core/env.js';
import type { ActionBatch, VectorEnv } from '../../src/core/vector-env.js';
import type { Space } from '../../src/core/spaces/space.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { MultiDiscrete } from '../../src/core/spaces/multi-discrete.js';
import { MultiBinary } from '../../src/core/spaces/multi-binary.js';
import { TestEnv } from '../helpers/test-env.js';
import { CountingEnv, COUNTING_ID } from './fixtures/counting-env.js';
import { rollout, type Trajectory } from './rollout.js';

// CountingEnv: reset with seed s gives episodes of 2 + (s % 4) steps, reward t on step t,
// observation [resets, t, lastAction], info.isSuccess = (lastAction === 1).

type Kind = 'sync' | 'async' | 'async-env';
const KINDS: Kind[] = ['sync', 'async', 'async-env'];
const opened: VectorEnv[] = [];
after(async () => {
  for (const v of opened) await v.close();
});

async function build(kind: Kind, numEnvs: number, makeOptions: Record<string, unknown> = {}): Promise<VectorEnv> {
  let vec: VectorEnv;
  if (kind === 'async-env') {
    vec = new AsyncEnvVector(Array.from({ length: numEnvs }, () => toAsyncEnv(new CountingEnv())));
  } else {
    vec = await makeVec(COUNTING_ID, { numEnvs, vectorizationMode: kind, numWorkers: kind === 'async' ? 2 : undefined, makeOptions });
  }
  opened.push(vec);
  return vec;
}

describe('next-step autoreset against hand-computed episodes', () => {
  for (const kind of KINDS) {
    test(`${kind}: 2 sub-envs with episode lengths 2 and 3`, async () => {
      const vec = await build(kind, 2);
      assert.equal(vec.autoresetMode, 'next_step');
      const actions = new Int32Array(2);
      const r0 = await vec.reset({ seed: 0 }); // lengths 2 + 0, 2 + 1
      assert.deepEqual(Array.from(r0.obs), [1, 0, 0, 1, 0, 0]);
      assert.equal(r0.info.episode, undefined);

      actions.set([1, 1]);
      let r = await vec.step(actions);
      assert.deepEqual(Array.from(r.obs), [1, 1, 1, 1, 1, 1]);
      assert.deepEqual(Array.from(r.rewards), [1, 1]);
      assert.equal(r.info.episode, undefined);

      actions.set([1, 0]);
      r = await vec.step(actions); // sub-env 0 terminates (t = 2): its true final observation
      assert.deepEqual(Array.from(r.obs), [1, 2, 1, 1, 2, 0]);
      assert.deepEqual(Array.from(r.rewards), [2, 2]);
      assert.deepEqual(Array.from(r.terminated), [1, 0]);
      assert.deepEqual(Array.from(r.truncated), [0, 0]);
      const ep = r.info.episode;
      assert.ok(ep);
      assert.deepEqual(Array.from(ep.mask), [1, 0]);
      assert.equal(ep.r[0], 3);
      assert.equal(ep.l[0], 2);
      assert.equal(ep.success[0], 1);
      assert.ok(ep.t[0] >= 0);

      actions.set([1, 0]);
      r = await vec.step(actions); // sub-env 0: autoreset (action ignored, reward 0, flags 0); sub-env 1 terminates
      assert.deepEqual(Array.from(r.obs), [2, 0, 0, 1, 3, 0]);
      assert.deepEqual(Array.from(r.rewards), [0, 3]);
      assert.deepEqual(Array.from(r.terminated), [0, 1]);
      assert.deepEqual(Array.from(r.info.episode!.mask), [0, 1]);
      assert.deepEqual([r.info.episode!.r[0], r.info.episode!.l[0], r.info.episode!.success[0]], [0, 0, -1]); // cleared where mask = 0
      assert.equal(r.info.episode!.r[1], 6);
      assert.equal(r.info.episode!.l[1], 3);
      assert.equal(r.info.episode!.success[1], 0);

      actions.set([0, 1]);
      r = await vec.step(actions); // sub-env 0's new episode starts at t = 1: the reset step was not a step
      assert.deepEqual(Array.from(r.obs), [2, 1, 0, 2, 0, 0]);
      assert.deepEqual(Array.from(r.rewards), [1, 0]);
      assert.deepEqual(Array.from(r.terminated), [0, 0]);
      assert.equal(r.info.episode, undefined);

      r = await vec.step(actions); // sub-env 0's second episode: length 2 again (unseeded reset keeps it), return 1 + 2
      assert.deepEqual(Array.from(r.terminated), [1, 0]);
      assert.equal(r.info.episode!.r[0], 3);
      assert.equal(r.info.episode!.l[0], 2);
      assert.equal(r.info.episode!.success[0], 0);
    });
  }

  test('sync, async (2 workers) and AsyncEnvVector give identical trajectories and episode statistics', async () => {
    const numEnvs = 5;
    const actionsAt = (s: number): Int32Array => Int32Array.from({ length: numEnvs }, (_, i) => (s * 7 + i * 3) % 2);
    const runs: Trajectory[] = [];
    for (const kind of KINDS) runs.push(await rollout(await build(kind, numEnvs), 0, 40, actionsAt));
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
    // Every episode of sub-env i lasts 2 + (i % 4) steps and returns L (L + 1) / 2.
    const ended = runs[0].episodes.flatMap((e) => e ?? []);
    assert.ok(ended.length > 20);
    for (const e of ended) {
      const L = 2 + (e.env % 4);
      assert.equal(e.l, L);
      assert.equal(e.r, (L * (L + 1)) / 2);
    }
  });

  for (const kind of ['sync', 'async'] as const) {
    test(`${kind}: TimeLimit truncation from makeOptions autoresets the same way`, async () => {
      const vec = await build(kind, 2, { maxEpisodeSteps: 3 });
      const actions = new Int32Array(2).fill(1);
      await vec.reset({ seed: [3, 1] }); // lengths 5 (cut at 3) and 3 (terminates at 3, truncated too)
      await vec.step(actions);
      await vec.step(actions);
      const r = await vec.step(actions);
      assert.deepEqual(Array.from(r.terminated), [0, 1]);
      assert.deepEqual(Array.from(r.truncated), [1, 1]);
      assert.deepEqual(Array.from(r.info.episode!.l), [3, 3]);
      const next = await vec.step(actions);
      assert.deepEqual(Array.from(next.obs), [2, 0, 0, 2, 0, 0]);
      assert.deepEqual(Array.from(next.rewards), [0, 0]);
      assert.deepEqual(Array.from(next.truncated), [0, 0]);
    });
  }

  test('infoKeys batches numeric info fields (NaN where absent), sync and async', async () => {
    for (const mode of ['sync', 'async'] as const) {
      const vec = await makeVec(COUNTING_ID, { numEnvs: 2, vectorizationMode: mode, numWorkers: mode === 'async' ? 1 : undefined, infoKeys: ['t', 'missing'] });
      opened.push(vec);
      await vec.reset({ seed: 0 });
      await vec.step(new Int32Array(2));
      const r = await vec.step(new Int32Array(2));
      assert.deepEqual(Array.from(r.info.t as Float64Array), [2, 2], mode);
      assert.ok((r.info.missing as Float64Array).every(Number.isNaN), mode);
    }
  });

  test('each sub-env gets its own row of the action batch, for every batchable action space', async () => {
    const echo = <A>(actionSpace: Space<A>, toObs: (a: A) => number[]) => (): TestEnv<Float32Array, A> =>
      new TestEnv<Float32Array, A>({
        actionSpace,
        observationSpace: new Box<Float32Array>(-10, 10, [2]),
        step: (a) => ({ obs: Float32Array.from(toObs(a)), reward: 0, terminated: false, truncated: false, info: {} }),
      });
    const cases: Array<[string, () => TestEnv<Float32Array, any>, ActionBatch, number[]]> = [
      ['Box', echo(new Box(-5, 5, [2]), (a) => Array.from(a as ArrayLike<number>)), Float32Array.of(1.5, -2, 3, 4.25, -5, 0), [1.5, -2, 3, 4.25, -5, 0]],
      ['Discrete', echo(new Discrete(3), (a) => [a, a]), Int32Array.of(2, 0, 1), [2, 2, 0, 0, 1, 1]],
      ['MultiDiscrete', echo(new MultiDiscrete([3, 4]), (a) => Array.from(a)), Int32Array.of(2, 3, 0, 1, 1, 0), [2, 3, 0, 1, 1, 0]],
      ['MultiBinary', echo(new MultiBinary([2]), (a) => Array.from(a)), Int32Array.of(1, 0, 0, 1, 1, 1), [1, 0, 0, 1, 1, 1]],
    ];
    for (const [name, factory, actions, expected] of cases) {
      const sync = new SyncVectorEnv([factory, factory, factory]);
      const conc = new AsyncEnvVector([factory(), factory(), factory()]);
      opened.push(sync, conc);
      for (const vec of [sync, conc]) {
        await vec.reset();
        const r = await vec.step(actions);
        assert.deepEqual(Array.from(r.obs), expected, `${name} in ${vec.constructor.name}`);
      }
    }
  });

  test('AsyncEnvVector awaits its sub-envs concurrently', async () => {
    const delayMs = 100;
    const slow = (): AsyncEnv<unknown, number> => {
      const inner = toAsyncEnv(new CountingEnv());
      const wait = (): Promise<void> => new Promise((res) => setTimeout(res, delayMs));
      return { ...inner, reset: async (a) => (await wait(), inner.reset(a)), step: async (a) => (await wait(), inner.step(a)) };
    };
    const vec = new AsyncEnvVector([slow(), slow(), slow(), slow()]);
    opened.push(vec);
    await vec.reset({ seed: 0 });
    const t0 = performance.now();
    await vec.step(new Int32Array(4));
    const ms = performance.now() - t0;
    // One after another they take 4 x 100 ms; concurrent, 100 ms plus timer lateness (tens of ms on a loaded machine).
    assert.ok(ms < 3.5 * delayMs, `4 sub-envs of ${delayMs} ms each took ${ms.toFixed(0)} ms: not concurrent`);
  });
});
