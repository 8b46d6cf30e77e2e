import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { make } from '../../../src/registry/registry.js';
import '../../../envs/classic/register.js';

/** One case of test/fixtures/classic_control.json (Gymnasium 0.29.1, see /work/shared/reference/README.md). */
interface ReplayCase {
  env: 'CartPole-v1' | 'Pendulum-v1';
  initialState: number[];
  initialObs: number[];
  actions: Array<number | number[]>;
  obs: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/classic_control.json', import.meta.url), 'utf8')) as { cases: ReplayCase[] };

/** Observations within 1e-5 relative (plus 1e-8 absolute for entries near 0). */
function assertObsClose(actual: ArrayLike<number>, expected: number[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-5 * Math.abs(expected[i]) + 1e-8;
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${where}[${i}]: got ${actual[i]}, Gymnasium ${expected[i]}`);
  }
}

test('the fixture covers what the acceptance criteria name', () => {
  const cart = fixture.cases.filter((c) => c.env === 'CartPole-v1');
  const pend = fixture.cases.filter((c) => c.env === 'Pendulum-v1');
  assert.ok(cart.some((c) => c.actions.length === 500 && c.truncated[499] && !c.terminated[499]), 'a CartPole case truncated at 500');
  assert.ok(cart.some((c) => c.terminated.at(-1)), 'a CartPole case that terminates');
  assert.ok(pend.some((c) => c.actions.some((a) => Math.abs((a as number[])[0]) > 2)), 'Pendulum torques outside [-2, 2]');
});

fixture.cases.forEach((c, k) => {
  test(`case ${k}: ${c.env}, ${c.actions.length} steps replayed through make() match Gymnasium`, () => {
    const env = make(c.env);
    const { obs } = env.reset({ options: { state: c.initialState } });
    assertObsClose(obs, c.initialObs, 'initialObs');
    for (let t = 0; t < c.actions.length; t++) {
      // Gymnasium's Pendulum action space is float32, so actions go in as Float32Array (numpy float32 maths).
      const action = c.env === 'Pendulum-v1' ? Float32Array.from(c.actions[t] as number[]) : c.actions[t];
      const r = env.step(action);
      assertObsClose(r.obs, c.obs[t], `step ${t} obs`);
      assert.ok(Math.abs(r.reward - c.rewards[t]) <= 1e-6, `step ${t} reward: got ${r.reward}, Gymnasium ${c.rewards[t]}`);
      assert.equal(r.terminated, c.terminated[t], `step ${t} terminated`);
      assert.equal(r.truncated, c.truncated[t], `step ${t} truncated`);
    }
    env.close();
  });
});
