import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../envs/mujoco/register.js';
import { make, makeAsync, spec } from '../../../src/registry/registry.js';
import { checkEnv } from '../../../src/core/check-env.js';
import { evaluatePolicy } from '../../../src/bench/evaluate-policy.js';
import { ArmReachExpert, ArmReachReversedExpert } from '../../../envs/mujoco/arm-reach-expert.js';
import { ArmReach, ArmReachReversed, ARM_REACH_REVERSED_GEARS } from '../../../envs/mujoco/arm-reach.js';
import { ARM_GEAR, armXml } from '../../../sim/assets/arm.js';

// The changed-dynamics variant of reward transfer on the arm (issue 14): only the shoulder yaw servo's gear differs.
test('ArmReach-reversed-v0: registered like ArmReach-v0, checkEnv clean, the same spaces and masses; the shoulder yaw turns the other way under the same command, the other joints alike', async () => {
  assert.equal(spec('ArmReach-reversed-v0').maxEpisodeSteps, spec('ArmReach-v0').maxEpisodeSteps);
  const env = await makeAsync('ArmReach-reversed-v0');
  try {
    checkEnv(env, { seed: 5, steps: 60, makeFresh: () => make('ArmReach-reversed-v0') });
  } finally {
    await env.close();
  }
  const base = new ArmReach();
  const rev = new ArmReachReversed();
  try {
    assert.equal(rev.observationSpace.toString(), base.observationSpace.toString());
    assert.equal(rev.actionSpace.toString(), base.actionSpace.toString());
    assert.deepEqual(Array.from(rev.world.model.body_mass as Float64Array), Array.from(base.world.model.body_mass as Float64Array));
    const start = { qpos: [0, 0.35, 1.45, 0, 1.34, 0], qvel: [0, 0, 0, 0, 0, 0], target: [0.4, 0, 0.2] };
    const b = base.reset({ seed: 1, options: start }).obs;
    const r = rev.reset({ seed: 1, options: start }).obs;
    assert.deepEqual(Array.from(r), Array.from(b), 'the same start');
    const act = Float32Array.of(0.5, 0.5, 0, 0, 0, 0);
    let ob = b;
    let or = r;
    for (let t = 0; t < 5; t++) {
      ob = base.step(act).obs;
      or = rev.step(act).obs;
    }
    assert.ok(ob[0] > 0.1 && Math.abs(or[0] + ob[0]) < 1e-3, `shoulder yaw ${ob[0]} vs ${or[0]}: mirrored`);
    assert.ok(Math.abs(or[1] - ob[1]) < 1e-3, `shoulder pitch ${ob[1]} vs ${or[1]}: unchanged`);
  } finally {
    base.close();
    rev.close();
  }
  assert.throws(() => armXml({ gears: [ARM_GEAR] }), { name: 'InvalidArgument', message: /^armXml\.gears: expected 6 finite non-zero numbers/ });
  assert.throws(() => armXml({ gears: [0, ...ARM_REACH_REVERSED_GEARS.slice(1)] }), /armXml\.gears/);
  assert.equal(armXml({ gears: Array(6).fill(ARM_GEAR) }), armXml(), 'default gears give the same model text');
});

test("ArmReach-reversed-v0: ArmReach-v0's scripted expert fails there (its policy does not transfer), while it succeeds on ArmReach-v0; the variant's own expert (yaw command negated) succeeds on the variant only", async () => {
  const run = async (id: string, Expert: typeof ArmReachExpert = ArmReachExpert): Promise<number> => {
    const env = await makeAsync(id);
    try {
      return (await evaluatePolicy(new Expert(env), env, { episodes: 10, seed: 100 })).successRate ?? NaN;
    } finally {
      await env.close();
    }
  };
  const ok = await run('ArmReach-v0');
  const reversed = await run('ArmReach-reversed-v0');
  assert.ok(ok >= 0.9, `ArmReach-v0 success ${ok}`);
  assert.ok(reversed <= 0.5, `ArmReach-reversed-v0 success ${reversed}`);
  const own = await run('ArmReach-reversed-v0', ArmReachReversedExpert);
  const ownOnBase = await run('ArmReach-v0', ArmReachReversedExpert);
  assert.ok(own >= 0.9, `ArmReachReversedExpert on ArmReach-reversed-v0: success ${own}`);
  assert.ok(ownOnBase <= 0.5, `ArmReachReversedExpert on ArmReach-v0: success ${ownOnBase}`);
});
