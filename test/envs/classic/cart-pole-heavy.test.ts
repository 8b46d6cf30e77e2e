import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../envs/classic/register.js';
import { make, spec } from '../../../src/registry/registry.js';
import { CartPole } from '../../../envs/classic/cart-pole.js';

// The changed-dynamics variant of reward transfer (issue 14).
test('CartPole-heavy-v0: CartPole-v1 spaces, limits and reward with a longer, heavier pole (the same pushes move it differently); bad pole options are refused', () => {
  assert.equal(spec('CartPole-heavy-v0').maxEpisodeSteps, 500);
  const base = make('CartPole-v1');
  const heavy = make('CartPole-heavy-v0');
  try {
    assert.equal(heavy.observationSpace.toString(), base.observationSpace.toString());
    assert.equal(heavy.actionSpace.toString(), base.actionSpace.toString());
    const state = [0, 0, 0.05, 0];
    base.reset({ options: { state } });
    heavy.reset({ options: { state } });
    const b = base.step(1);
    const h = heavy.step(1);
    assert.equal(h.reward, 1);
    // The same push turns the longer, heavier pole less.
    const thetaDot = (r: typeof b): number => (r.obs as Float32Array)[3];
    assert.ok(thetaDot(h) > thetaDot(b) && thetaDot(h) !== thetaDot(b), `theta_dot after one push: heavy ${thetaDot(h)}, original ${thetaDot(b)}`);
  } finally {
    base.close();
    heavy.close();
  }
  // The defaults are Gymnasium's: explicit values equal to them change nothing.
  const a = new CartPole();
  const c = new CartPole({ massPoleKg: 0.1, poleHalfLengthM: 0.5 });
  a.reset({ seed: 4 });
  c.reset({ seed: 4 });
  for (let t = 0; t < 20; t++) assert.deepEqual(c.step(t % 2).obs, a.step(t % 2).obs);
  assert.throws(() => new CartPole({ massPoleKg: 0 }), { name: 'InvalidArgument', message: /^CartPole\.massPoleKg: expected a positive number or undefined, got 0\. Pass e\.g\. 0\.1 or omit it/ });
  assert.throws(() => new CartPole({ poleHalfLengthM: Number.NaN }), { message: /^CartPole\.poleHalfLengthM: expected a positive number or undefined, got NaN/ });
});
