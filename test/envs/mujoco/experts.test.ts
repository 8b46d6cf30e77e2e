import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../envs/mujoco/register.js';
import { makeAsync } from '../../../src/registry/registry.js';
import { ArmReachExpert } from '../../../envs/mujoco/arm-reach-expert.js';
import { ArmPushExpert } from '../../../envs/mujoco/arm-push-expert.js';
import { InvalidArgument } from '../../../src/core/errors.js';
import type { Env } from '../../../src/core/env.js';
import type { Policy } from '../../../src/core/policy.js';

/** Runs seeded episodes to the time limit; success = `info.isSuccess` on the last step (as Gymnasium-Robotics). */
async function successRate(id: string, makeExpert: (env: Env) => Policy, seeds: number[]): Promise<number> {
  const env = await makeAsync<Float64Array, Float32Array>(id);
  const expert = makeExpert(env);
  let successes = 0;
  for (const seed of seeds) {
    let { obs } = env.reset({ seed });
    for (;;) {
      const action = (await expert.act(Float32Array.from(obs))) as Float32Array;
      assert.ok(action.every((a) => a >= -1 && a <= 1));
      const r = env.step(action);
      obs = r.obs;
      if (r.terminated || r.truncated) {
        if (r.info.isSuccess === true) successes++;
        break;
      }
    }
  }
  expert.dispose?.();
  expert.dispose?.();
  env.close();
  return successes / seeds.length;
}

const SEEDS = Array.from({ length: 20 }, (_, i) => 7000 + i);

test('ArmReachExpert succeeds in >= 95% of seeded ArmReach-v0 episodes', async () => {
  const rate = await successRate('ArmReach-v0', (env) => new ArmReachExpert(env), SEEDS);
  assert.ok(rate >= 0.95, `success rate ${rate}`);
});

test('ArmPushExpert succeeds in >= 95% of seeded ArmPush-v0 episodes', async () => {
  const rate = await successRate('ArmPush-v0', (env) => new ArmPushExpert(env), SEEDS);
  assert.ok(rate >= 0.95, `success rate ${rate}`);
});

test('doing nothing does not solve the arm tasks (the success test can fail)', async () => {
  const idle = (env: Env): Policy => ({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: (obs) => new Float32Array((obs.length / env.observationSpace.flatDim) * 6) });
  assert.ok((await successRate('ArmReach-v0', idle, SEEDS.slice(0, 10))) <= 0.2);
  assert.equal(await successRate('ArmPush-v0', idle, SEEDS.slice(0, 10)), 0);
});

test('experts act on batches and refuse envs of another shape', async () => {
  const env = await makeAsync('ArmReach-v0');
  const expert = new ArmReachExpert(env);
  const o1 = Float32Array.from(env.reset({ seed: 1 }).obs);
  const o2 = Float32Array.from(env.reset({ seed: 2 }).obs);
  const batch = new Float32Array(42);
  batch.set(o1, 0);
  batch.set(o2, 21);
  const both = expert.act(batch);
  assert.deepEqual(Array.from(both.slice(0, 6)), Array.from(expert.act(o1)));
  assert.deepEqual(Array.from(both.slice(6)), Array.from(expert.act(o2)));
  const push = await makeAsync('ArmPush-v0');
  assert.throws(
    () => new ArmReachExpert(push),
    (e: unknown) => e instanceof InvalidArgument && (e as Error).message === 'ArmReachExpert.env: expected an env with 21 observations and 6 actions, got 30 and 6. Pass the task this expert is written for.',
  );
  expert.dispose();
  env.close();
  push.close();
});
