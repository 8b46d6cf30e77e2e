import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../envs/mujoco/register.js';
import { make, makeAsync, spec } from '../../../src/registry/registry.js';
import { checkEnv } from '../../../src/core/check-env.js';
import { evaluatePolicy } from '../../../src/bench/evaluate-policy.js';
import { RandomPolicy } from '../../../src/bench/random-policy.js';
import { ArmPushDiscExpert } from '../../../envs/mujoco/arm-push-expert.js';
import { ArmPush, ArmPushDisc, ARM_PUSH_OBS, ARM_PUSH_DISC_MASS, ARM_PUSH_DISC_RADIUS, ARM_PUSH_DISC_REGION, ARM_PUSH_PUCK_HIGH } from '../../../envs/mujoco/arm-push.js';
import { armXml } from '../../../sim/assets/arm.js';

// lamkit-base's related pushing task (issue 12): ArmPush-v0's spaces and field names, a bigger, heavier disc, another part of the table.
test('ArmPushDisc-v0: registered like ArmPush-v0, checkEnv clean, the same spaces and observation names; a 0.045 m, 0.3 kg disc that starts on one side of the table, never where the puck starts', async () => {
  assert.equal(spec('ArmPushDisc-v0').maxEpisodeSteps, spec('ArmPush-v0').maxEpisodeSteps);
  const env = await makeAsync('ArmPushDisc-v0');
  try {
    checkEnv(env, { seed: 5, steps: 60, makeFresh: () => make('ArmPushDisc-v0') });
  } finally {
    await env.close();
  }
  const push = new ArmPush();
  const disc = new ArmPushDisc();
  try {
    assert.equal(disc.observationSpace.toString(), push.observationSpace.toString());
    assert.equal(disc.actionSpace.toString(), push.actionSpace.toString());
    assert.deepEqual(disc.metadata.observationFields, ARM_PUSH_OBS);
    const m = disc.world.model;
    const puckBody = disc.world.id('body', 'puck');
    const puckGeom = disc.world.id('geom', 'puck');
    assert.ok(Math.abs((m.body_mass as Float64Array)[puckBody] - ARM_PUSH_DISC_MASS) < 1e-12);
    assert.ok(Math.abs((m.geom_size as Float64Array)[3 * puckGeom] - ARM_PUSH_DISC_RADIUS) < 1e-12);
    let sides = 0;
    for (let seed = 0; seed < 40; seed++) {
      const o = disc.reset({ seed }).obs;
      const [px, py, gx, gy] = [o[ARM_PUSH_OBS.puck[0]], o[ARM_PUSH_OBS.puck[0] + 1], o[ARM_PUSH_OBS.goal[0]], o[ARM_PUSH_OBS.goal[0] + 1]];
      const r = ARM_PUSH_DISC_REGION;
      assert.ok(px >= r.puckLow[0] - 1e-9 && px <= r.puckHigh[0] + 1e-9 && Math.abs(py) >= r.puckLow[1] - 1e-9 && Math.abs(py) <= r.puckHigh[1] + 1e-9, `disc start (${px}, ${py})`);
      assert.ok(Math.abs(py) > ARM_PUSH_PUCK_HIGH[1], 'never inside ArmPush-v0 start box');
      assert.ok(Math.sign(gy) === Math.sign(py) && Math.abs(gy) >= r.goalLow[1] - 1e-9 && gx >= r.goalLow[0] - 1e-9 && gx <= r.goalHigh[0] + 1e-9, `goal (${gx}, ${gy}) on the disc's side`);
      if (py > 0) sides++;
    }
    assert.ok(sides > 5 && sides < 35, `both sides drawn (${sides} of 40 at +y)`);
  } finally {
    push.close();
    disc.close();
  }
  assert.throws(() => armXml({ puck: true, puckRadius: 0 }), { name: 'InvalidArgument', message: /^armXml\.puckRadius\/puckMass: expected a radius in \(0, 0\.1\] m/ });
  assert.throws(() => armXml({ puck: true, puckMass: -1 }), /armXml\.puckRadius\/puckMass/);
  assert.equal(armXml({ puck: true, puckRadius: 0.03, puckMass: 0.1 }), armXml({ puck: true }), 'the defaults give the same model text');
});

test('ArmPushDisc-v0: its scripted expert (the push expert told the radius) succeeds; random actions do not', async () => {
  const env = await makeAsync('ArmPushDisc-v0');
  try {
    const expert = await evaluatePolicy(new ArmPushDiscExpert(env), env, { episodes: 10, seed: 100 });
    assert.ok((expert.successRate ?? 0) >= 0.9, `expert success ${expert.successRate}`);
    const random = await evaluatePolicy(new RandomPolicy(env, 3), env, { episodes: 5, seed: 100 });
    assert.ok((random.successRate ?? 1) <= 0.2 && random.meanReturn < expert.meanReturn - 20, `random ${random.successRate} ${random.meanReturn}`);
  } finally {
    await env.close();
  }
});
