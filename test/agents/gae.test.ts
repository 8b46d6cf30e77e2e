import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { ChainVectorEnv } from './fixtures/chain-vector-env.js';

const close = (a: ArrayLike<number>, b: number[], eps = 1e-9): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < eps, `index ${i}: ${a[i]} vs ${b[i]}`);
};

/**
 * One sub-env, 6 steps, reward 1 per real step, gamma 0.9:
 * steps 0-2 an episode that TERMINATES at step 2; step 3 the next-step
 * autoreset step (not a transition, its value 7.0 = V(final obs) must not
 * leak into a terminated episode); steps 4-5 a new episode TRUNCATED at
 * step 5, bootstrapped with lastValues = V(final obs) = 2.0.
 */
function chainBuffer(endAt2: 'terminated' | 'truncated'): RolloutBuffer {
  const b = new RolloutBuffer(6, 1, 1, 1);
  b.rewards.set([1, 1, 1, 0, 1, 1]);
  b.values.set([0.5, 0.4, 0.3, 7.0, 0.2, 0.1]);
  b.valid.set([1, 1, 1, 0, 1, 1]);
  (endAt2 === 'terminated' ? b.terminated : b.truncated)[2] = 1;
  b.truncated[5] = 1;
  return b;
}

test('GAE with lambda 1 gives Monte-Carlo returns: termination cuts, truncation bootstraps, reset steps are masked', () => {
  const b = chainBuffer('terminated');
  b.computeReturnsAndAdvantage(Float64Array.of(2.0), 0.9, 1.0);
  // returns: G5 = 1 + 0.9*2 = 2.8; G4 = 1 + 0.9*G5 = 3.52; G2 = 1; G1 = 1.9; G0 = 2.71.
  close(b.returns, [2.71, 1.9, 1.0, 0, 3.52, 2.8]);
  close(b.advantages, [2.71 - 0.5, 1.9 - 0.4, 1.0 - 0.3, 0, 3.52 - 0.2, 2.8 - 0.1]);
});

test('GAE bootstraps a mid-rollout truncation with V(true final observation) = values[t+1]', () => {
  const b = chainBuffer('truncated');
  b.computeReturnsAndAdvantage(Float64Array.of(2.0), 0.9, 1.0);
  // G2 = 1 + 0.9 * 7.0 = 7.3; G1 = 1 + 0.9 * 7.3 = 7.57; G0 = 1 + 0.9 * 7.57 = 7.813.
  close(b.returns, [7.813, 7.57, 7.3, 0, 3.52, 2.8]);
});

test('GAE with lambda 0.5 matches the hand-computed recursion', () => {
  const b = chainBuffer('terminated');
  b.computeReturnsAndAdvantage(Float64Array.of(2.0), 0.9, 0.5);
  // deltas: d5 = 1 + 0.9*2 - 0.1 = 2.7; d4 = 1 + 0.9*0.1 - 0.2 = 0.89;
  // d2 = 1 - 0.3 = 0.7; d1 = 1 + 0.9*0.3 - 0.4 = 0.87; d0 = 1 + 0.9*0.4 - 0.5 = 0.86.
  // A5 = 2.7; A4 = 0.89 + 0.45*2.7 = 2.105; A2 = 0.7; A1 = 0.87 + 0.45*0.7 = 1.185; A0 = 0.86 + 0.45*1.185 = 1.39325.
  close(b.advantages, [1.39325, 1.185, 0.7, 0, 2.105, 2.7]);
});

test('two sub-envs are independent columns of the (steps, envs) storage', () => {
  const b = new RolloutBuffer(2, 2, 1, 1);
  // env 0: terminates at t=1; env 1: continues, bootstrapped with lastValues[1] = 10.
  b.rewards.set([1, 2, 1, 2]);
  b.values.set([0, 0, 0, 0]);
  b.valid.fill(1);
  b.terminated[2] = 1;
  b.computeReturnsAndAdvantage(Float64Array.of(99, 10), 0.5, 1.0);
  close(b.returns, [1.5, 2 + 0.5 * (2 + 0.5 * 10), 1, 2 + 0.5 * 10]);
});

test('PPO rollouts over a next-step-autoreset chain env: flags, masks and advantages are wired as GAE requires', async () => {
  // Sub-env 0 terminates every 3 steps, sub-env 1 truncates every 2 steps.
  const vec = new ChainVectorEnv([
    { length: 3, end: 'terminated' },
    { length: 2, end: 'truncated' },
  ]);
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Chain-v0', true), seed: 3, totalSteps: 16, numEnvs: 2, numSteps: 8, numMinibatches: 1, updateEpochs: 1 });
  const ppo = await PPO.create(vec, config);
  try {
    await ppo.learn();
    const b = ppo.rollout;
    // Column 0: steps 0,1,2 real (terminated at 2), 3 reset, 4,5,6 real (terminated at 6), 7 reset.
    assert.deepEqual(Array.from({ length: 8 }, (_, t) => b.valid[t * 2]), [1, 1, 1, 0, 1, 1, 1, 0]);
    assert.deepEqual(Array.from({ length: 8 }, (_, t) => b.terminated[t * 2]), [0, 0, 1, 0, 0, 0, 1, 0]);
    // Column 1: real, real (truncated), reset, ...
    assert.deepEqual(Array.from({ length: 8 }, (_, t) => b.valid[t * 2 + 1]), [1, 1, 0, 1, 1, 0, 1, 1]);
    assert.deepEqual(Array.from({ length: 8 }, (_, t) => b.truncated[t * 2 + 1]), [0, 1, 0, 0, 1, 0, 0, 1]);
    // Returns by hand from the stored values (gamma 0.99 lambda ... set to the resolved config).
    const g = config.gamma;
    const lam = config.gaeLambda;
    const v = (t: number, i: number): number => b.values[t * 2 + i];
    // Sub-env 1, truncated at t=1: A1 = 1 + g V(final obs = obs at t=2) - V1; A0 = d0 + g lam A1.
    const a1 = 1 + g * v(2, 1) - v(1, 1);
    const a0 = 1 + g * v(1, 1) - v(0, 1) + g * lam * a1;
    assert.ok(Math.abs(b.advantages[1 * 2 + 1] - a1) < 1e-9);
    assert.ok(Math.abs(b.advantages[0 * 2 + 1] - a0) < 1e-9);
    // Sub-env 0, terminated at t=2: A2 = 1 - V2 (no bootstrap).
    assert.ok(Math.abs(b.advantages[2 * 2] - (1 - v(2, 0))) < 1e-9);
    assert.equal(b.advantages[3 * 2], 0);
  } finally {
    ppo.dispose();
  }
});
