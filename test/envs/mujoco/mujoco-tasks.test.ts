import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reacher } from '../../../envs/mujoco/reacher.js';
import { InvertedPendulum } from '../../../envs/mujoco/inverted-pendulum.js';
import { ArmReach } from '../../../envs/mujoco/arm-reach.js';
import { ArmPush } from '../../../envs/mujoco/arm-push.js';
import '../../../envs/mujoco/register.js';
import { make, makeAsync, spec } from '../../../src/registry/registry.js';
import { checkEnv } from '../../../src/core/check-env.js';
import { Rng } from '../../../src/core/rng.js';
import { BackendError, InvalidAction, InvalidArgument, ResetNeeded } from '../../../src/core/errors.js';
import { loadedMujoco } from '../../../sim/load-mujoco.js';
import type { Env } from '../../../src/core/env.js';

const IDS = ['Reacher-v5', 'InvertedPendulum-v5', 'ArmReach-v0', 'ArmPush-v0'] as const;

test('importing the tasks loads nothing; constructing before loadMujoco explains what to do', () => {
  assert.equal(loadedMujoco(), undefined);
  assert.throws(
    () => new Reacher(),
    (e: unknown) =>
      e instanceof BackendError &&
      (e as Error).message ===
        "Reacher-v5: expected the MuJoCo WASM module to be loaded before construction, got it is not loaded yet. Use await makeAsync('Reacher-v5') or await loadMujoco() first.",
  );
});

test('registrations: time limits, reward thresholds, prepare and module', () => {
  assert.equal(spec('Reacher-v5').maxEpisodeSteps, 50);
  assert.equal(spec('Reacher-v5').rewardThreshold, -3.75);
  assert.equal(spec('InvertedPendulum-v5').maxEpisodeSteps, 1000);
  assert.equal(spec('InvertedPendulum-v5').rewardThreshold, 950);
  assert.equal(spec('ArmReach-v0').maxEpisodeSteps, 50);
  assert.equal(spec('ArmPush-v0').maxEpisodeSteps, 150);
  for (const id of IDS) {
    assert.equal(typeof spec(id).prepare, 'function');
    assert.match(spec(id).module ?? '', /envs\/mujoco\/register\.(ts|js)$/);
  }
});

for (const id of IDS) {
  test(`${id}: checkEnv passes, same seed gives the same episode`, async () => {
    const env = await makeAsync(id);
    checkEnv(env, { seed: 5, steps: 60, makeFresh: () => make(id) });
    const run = (e: Env<Float64Array, Float32Array>, seed: number): number[] => {
      const rng = new Rng(seed);
      const out: number[] = [...e.reset({ seed }).obs];
      for (let t = 0; t < 40; t++) {
        const a = e.actionSpace.sample(rng) as Float32Array;
        const r = e.step(a);
        out.push(...r.obs, r.reward, Number(r.terminated), Number(r.truncated));
        if (r.terminated || r.truncated) out.push(...e.reset().obs);
      }
      return out;
    };
    const a = make(id);
    const b = make(id);
    const first = run(a, 11);
    assert.deepEqual(run(b, 11), first);
    assert.notDeepEqual(run(b, 12), first);
    a.close();
    b.close();
  });
}

test('actions: wrong length and NaN are InvalidAction; out-of-range values pass (MuJoCo clamps)', async () => {
  await makeAsync('Reacher-v5');
  const env = new Reacher();
  assert.throws(() => env.step([0, 0]), ResetNeeded);
  env.reset({ seed: 0 });
  assert.throws(
    () => env.step([0.1]),
    (e: unknown) =>
      e instanceof InvalidAction &&
      (e as Error).message ===
        'Reacher-v5.step.action: expected 2 finite numbers (values outside Box(-1.0, 1.0, (2,), float32) are clamped by MuJoCo), got [0.1]. Pass a Float32Array of the action space shape.',
  );
  assert.throws(() => env.step([0, NaN]), InvalidAction);
  // The control cost uses the raw action while MuJoCo clamps ctrl to [-1, 1] (as Gymnasium).
  const r = env.step([3, 0]);
  assert.equal(r.info.rewardCtrl, -9);
  assert.deepEqual(Array.from(env.world.ctrl()), [3, 0]);
  env.close();
  env.close();
});

test('reset options: exact qpos/qvel, validated; arm targets and goals', async () => {
  await makeAsync('InvertedPendulum-v5');
  const pend = new InvertedPendulum();
  const { obs } = pend.reset({ options: { qpos: [0.1, -0.05], qvel: [0.2, 0] } });
  assert.deepEqual(Array.from(obs), [0.1, -0.05, 0.2, 0]);
  assert.throws(
    () => pend.reset({ options: { qpos: [0.1] } }),
    (e: unknown) => e instanceof InvalidArgument && /InvertedPendulum-v5.reset.options: expected qpos of 2 and qvel of 2 finite numbers/.test((e as Error).message),
  );
  assert.throws(() => new InvertedPendulum({ renderMode: 'human' }), /expected 'rgb_array' or undefined, got "human"/);
  await assert.rejects(pend.renderAsync(), /InvertedPendulum-v5.renderAsync: expected an env made with renderMode 'rgb_array', got renderMode undefined/);
  assert.deepEqual(pend.metadata.renderModes, ['rgb_array']);
  assert.equal(pend.metadata.renderFps, 25);
  pend.close();

  const reach = new ArmReach();
  const r0 = reach.reset({ seed: 1, options: { target: [0.4, 0.1, 0.2] } });
  assert.deepEqual(Array.from(r0.obs.slice(15, 18)), [0.4, 0.1, 0.2]);
  assert.equal(r0.info.isSuccess, false);
  assert.throws(() => reach.reset({ options: { target: [0.4] } }), /ArmReach-v0.reset.options.target: expected 3 finite numbers/);
  // Putting the target at the end effector is an immediate success.
  const ee = Array.from(reach.reset({ seed: 2 }).obs.slice(12, 15));
  const r1 = reach.reset({ seed: 2, options: { target: ee } });
  assert.equal(r1.info.isSuccess, true);
  const s = reach.step(new Float32Array(6));
  assert.ok(s.reward > -0.01 && s.reward <= 0);
  reach.close();

  const push = new ArmPush();
  const p0 = push.reset({ seed: 3 });
  const puck = p0.obs.slice(15, 17);
  const goal = p0.obs.slice(21, 23);
  assert.ok(Math.hypot(goal[0] - puck[0], goal[1] - puck[1]) >= 0.1);
  const p1 = push.reset({ seed: 3, options: { goal: [puck[0] + 0.01, puck[1]] } });
  assert.equal(p1.info.isSuccess, true);
  push.close();
});

test('ArmPush: the puck rests on the table and moves only when pushed', async () => {
  await makeAsync('ArmPush-v0');
  const env = new ArmPush();
  const { obs } = env.reset({ seed: 4 });
  let last = obs;
  for (let t = 0; t < 25; t++) last = env.step(new Float32Array(6)).obs;
  for (let i = 15; i < 17; i++) assert.ok(Math.abs(last[i] - obs[i]) < 1e-4, 'puck drifted while untouched');
  assert.ok(Math.abs(last[17] - 0.02) < 2e-3, `puck height ${last[17]}`);
  env.close();
});

test('ArmPush: rewardSuccessWeight adds its weight on each step that ends in success, nothing otherwise; bad reward options are typed errors', async () => {
  await makeAsync('ArmPush-v0');
  const plain = new ArmPush();
  const bonus = new ArmPush({ rewardSuccessWeight: 2.5 });
  const action = new Float32Array([0.1, -0.2, 0.3, 0, 0.1, -0.1]);
  for (const env of [plain, bonus]) env.reset({ seed: 7 });
  const far = [plain.step(action), bonus.step(action)];
  assert.equal(far[0].info.isSuccess, false);
  assert.equal(far[1].reward, far[0].reward, 'no bonus away from the goal');
  // The goal on the puck: every step ends in success.
  const p0 = plain.reset({ seed: 8 });
  const goal = [p0.obs[15], p0.obs[16]];
  bonus.reset({ seed: 8, options: { goal } });
  plain.reset({ seed: 8, options: { goal } });
  const near = [plain.step(new Float32Array(6)), bonus.step(new Float32Array(6))];
  assert.equal(near[0].info.isSuccess, true);
  assert.equal(near[1].reward, near[0].reward + 2.5);
  plain.close();
  bonus.close();
  assert.throws(() => new ArmPush({ rewardSuccessWeight: -1 }), (e: unknown) => e instanceof InvalidArgument && /^ArmPush-v0\.rewardSuccessWeight: expected a finite number >= 0, got -1\./.test((e as Error).message));
  assert.throws(() => make('ArmPush-v0', { kwargs: { rewardDistWeight: Number.NaN } }), /ArmPush-v0\.rewardDistWeight: expected a finite number >= 0, got NaN/);
  assert.throws(() => make('ArmPush-v0', { kwargs: { goalBonus: 1 } }), /ArmPush-v0 options: expected keys among .*, got goalBonus\./);
});
