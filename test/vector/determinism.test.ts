import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import '../../envs/classic/register.js';
import { make } from '../../src/registry/registry.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { Rng } from '../../src/core/rng.js';
import { allocateActions, type ActionBatch } from '../../src/core/vector-env.js';
import type { Env } from '../../src/core/env.js';
import type { Space } from '../../src/core/spaces/space.js';
import { rollout, type Trajectory } from './rollout.js';

const NUM_ENVS = 4;
const STATES: Record<string, number[]> = { 'CartPole-v1': [0.1, -0.2, 0.03, 0.4], 'Pendulum-v1': [0.5, -0.25] };
const SEED = 123;

/** Actions drawn from a seeded Rng through the action space's own sampler, one batch per step. */
function actionSchedule(space: Space<unknown>, steps: number): ActionBatch[] {
  const rng = new Rng(7);
  return Array.from({ length: steps }, () => {
    const batch = allocateActions(space, NUM_ENVS);
    const d = batch.length / NUM_ENVS;
    for (let i = 0; i < NUM_ENVS; i++) {
      const a = space.sample(rng);
      if (typeof a === 'number') batch[i] = a;
      else batch.set(a as ArrayLike<number>, i * d);
    }
    return batch;
  });
}

/** The same rollout with NUM_ENVS separate `make(id)` envs, emulating next-step autoreset by hand. */
function referenceRollout(id: string, schedule: ActionBatch[]): Trajectory {
  const envs: Env[] = Array.from({ length: NUM_ENVS }, () => make(id));
  const space = envs[0].observationSpace;
  const flat = (o: unknown): number[] => Array.from(space.flatten(o));
  const out: Trajectory = { obs: [], rewards: [], terminated: [], truncated: [], episodes: [] };
  out.obs.push(envs.flatMap((e, i) => flat(e.reset({ seed: SEED + i }).obs)));
  const ended = new Array<boolean>(NUM_ENVS).fill(false);
  const ret = new Array<number>(NUM_ENVS).fill(0);
  const len = new Array<number>(NUM_ENVS).fill(0);
  for (const batch of schedule) {
    const obs: number[] = [], rewards: number[] = [], term: number[] = [], trunc: number[] = [];
    const episodes: Trajectory['episodes'][number] = [];
    envs.forEach((env, i) => {
      if (ended[i]) {
        obs.push(...flat(env.reset().obs));
        rewards.push(0), term.push(0), trunc.push(0);
        ended[i] = false;
        ret[i] = 0;
        len[i] = 0;
        return;
      }
      const d = batch.length / NUM_ENVS;
      const action = env.actionSpace.kind === 'Discrete' ? batch[i] : batch.slice(i * d, (i + 1) * d);
      const r = env.step(action);
      obs.push(...flat(r.obs));
      rewards.push(r.reward), term.push(Number(r.terminated)), trunc.push(Number(r.truncated));
      ret[i] += r.reward;
      len[i] += 1;
      ended[i] = r.terminated || r.truncated;
      if (ended[i]) episodes.push({ env: i, r: ret[i], l: len[i], success: -1 });
    });
    out.obs.push(obs), out.rewards.push(rewards), out.terminated.push(term), out.truncated.push(trunc);
    out.episodes.push(episodes.length > 0 ? episodes : null);
  }
  return out;
}

describe('same seed, same trajectory across make and the vector envs', () => {
  // CartPole: random actions end episodes after ~10-40 steps (terminations and autoresets);
  // Pendulum: 230 steps cross the TimeLimit truncation at 200.
  for (const [id, steps] of [['CartPole-v1', 300], ['Pendulum-v1', 230]] as const) {
    test(`${id}: SyncVectorEnv and AsyncVectorEnv equal ${NUM_ENVS} make() envs seeded ${SEED} + i`, async () => {
      const expected = referenceRollout(id, actionSchedule(make(id).actionSpace, steps));
      assert.ok(expected.episodes.some((e) => e !== null), 'the rollout must cross episode ends');
      for (const mode of ['sync', 'async'] as const) {
        const vec = await makeVec(id, { numEnvs: NUM_ENVS, vectorizationMode: mode, numWorkers: 2 });
        try {
          const schedule = actionSchedule(vec.singleActionSpace, steps);
          const got = await rollout(vec, SEED, steps, (s) => schedule[s]);
          // Observations are float32 in both; rewards float64 in both: exact equality.
          assert.deepEqual(got, expected, `${mode} differs from make()`);
          // A second seeded reset replays the same episode.
          const again = await rollout(vec, SEED, 20, (s) => schedule[s]);
          assert.deepEqual(again.obs, got.obs.slice(0, 21));
          // reset options reach every sub-env (here: start from a given state).
          const options = { state: STATES[id] };
          const single = Array.from(make(id).observationSpace.flatten(make(id).reset({ options }).obs));
          const { obs } = await vec.reset({ options });
          assert.deepEqual(Array.from(obs), Array.from({ length: NUM_ENVS }, () => single).flat());
        } finally {
          await vec.close();
        }
      }
    });
  }
});
