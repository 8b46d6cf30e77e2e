import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../envs/mujoco/register.js';
import { makeAsync, spec } from '../../../src/registry/registry.js';
import { InvertedPendulum, InvertedPendulumDamped } from '../../../envs/mujoco/inverted-pendulum.js';
import { DAMPED_JOINT_DAMPING } from '../../../sim/assets/inverted-pendulum-damped.js';

// The changed-dynamics variant of reward transfer (issue 14): only the joint damping differs.
test('InvertedPendulum-damped-v0: registered like InvertedPendulum-v5, the same spaces and masses, 10x joint damping, so the same actions move it differently', async () => {
  assert.equal(spec('InvertedPendulum-damped-v0').maxEpisodeSteps, spec('InvertedPendulum-v5').maxEpisodeSteps);
  assert.equal(spec('InvertedPendulum-damped-v0').rewardThreshold, 950);
  const base = await makeAsync('InvertedPendulum-v5');
  const damped = await makeAsync('InvertedPendulum-damped-v0');
  try {
    assert.equal(damped.observationSpace.toString(), base.observationSpace.toString());
    assert.equal(damped.actionSpace.toString(), base.actionSpace.toString());
    const b = new InvertedPendulum();
    const d = new InvertedPendulumDamped();
    try {
      assert.deepEqual(Array.from(b.world.model.dof_damping as Float64Array), [1, 1]);
      assert.deepEqual(Array.from(d.world.model.dof_damping as Float64Array), [DAMPED_JOINT_DAMPING, DAMPED_JOINT_DAMPING]);
      assert.deepEqual(Array.from(d.world.model.body_mass as Float64Array), Array.from(b.world.model.body_mass as Float64Array));
    } finally {
      b.close();
      d.close();
    }
    // Same start, same pushes: the damped cart moves less.
    const start = { qpos: [0, 0.01], qvel: [0, 0] };
    base.reset({ seed: 1, options: start });
    damped.reset({ seed: 1, options: start });
    let xb = 0;
    let xd = 0;
    for (let t = 0; t < 5; t++) {
      xb = (base.step(Float64Array.of(1)).obs as Float64Array)[0];
      xd = (damped.step(Float64Array.of(1)).obs as Float64Array)[0];
    }
    assert.ok(xd > 0 && xd < xb, `cart position after 5 pushes: damped ${xd}, original ${xb}`);
  } finally {
    base.close();
    damped.close();
  }
});
