import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadMujoco } from '../../../sim/load-mujoco.js';
import { Reacher } from '../../../envs/mujoco/reacher.js';
import { InvertedPendulum } from '../../../envs/mujoco/inverted-pendulum.js';
import type { MujocoEnv } from '../../../envs/mujoco/mujoco-env.js';

interface Case {
  env: 'Reacher-v5' | 'InvertedPendulum-v5';
  initialQpos: number[];
  initialQvel: number[];
  initialObs: number[];
  actions: number[][];
  obs: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/mujoco_tasks.json', import.meta.url), 'utf8')) as { cases: Case[] };
const TIME_LIMIT = { 'Reacher-v5': 50, 'InvertedPendulum-v5': 1000 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('MuJoCo tasks replay Gymnasium reference episodes (mujoco_tasks.json)', async () => {
  await loadMujoco();
  assert.ok(fixture.cases.length >= 8);
  for (const [k, c] of fixture.cases.entries()) {
    const env: MujocoEnv = c.env === 'Reacher-v5' ? new Reacher() : new InvertedPendulum();
    try {
      const { obs: obs0 } = env.reset({ options: { qpos: c.initialQpos, qvel: c.initialQvel } });
      assert.ok(maxAbsDiff(obs0, c.initialObs) <= 1e-6, `case ${k} (${c.env}) initial obs differ`);
      let ret = 0;
      let expectedRet = 0;
      for (let t = 0; t < c.actions.length; t++) {
        const r = env.step(c.actions[t]);
        ret += r.reward;
        expectedRet += c.rewards[t];
        if (t < 10) {
          const d = maxAbsDiff(r.obs, c.obs[t]);
          assert.ok(d <= 1e-6, `case ${k} (${c.env}) step ${t}: obs differ by ${d}`);
          assert.ok(Math.abs(r.reward - c.rewards[t]) <= 1e-6, `case ${k} step ${t}: reward ${r.reward} vs ${c.rewards[t]}`);
        }
        assert.equal(r.terminated, c.terminated[t], `case ${k} (${c.env}) step ${t}: terminated`);
        // `truncated` comes from make's TimeLimit; the bare env never truncates.
        assert.equal(r.truncated || t + 1 === TIME_LIMIT[c.env], c.truncated[t], `case ${k} step ${t}: truncated`);
      }
      const rel = Math.abs(ret - expectedRet) / Math.max(1e-12, Math.abs(expectedRet));
      assert.ok(rel <= 1e-3, `case ${k} (${c.env}): return ${ret} vs ${expectedRet} (rel ${rel})`);
    } finally {
      env.close();
    }
  }
});
