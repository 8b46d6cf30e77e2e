import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { runEpisodes } from '../../src/core/run-episodes.js';
import { MetricStream } from '../../src/streams/metrics.js';
import type { Policy } from '../../src/core/policy.js';
import { gailTrainer } from '../../agents/algos/gail/gail-trainer.js';
import type { Transitions } from '../../agents/rewards/transitions.js';
import type { Demonstrations } from '../../agents/algos/bc/demonstrations.js';
import { TestEnv } from '../helpers/test-env.js';

/**
 * A symmetric fork: from position 0, action 0 steps left and 1 steps right;
 * reaching -3 or +3 ends the episode (terminated) with reward 1 either way,
 * 12 steps truncate. Both sides pay the same, so only the demonstrations
 * say which to take (and surviving longer earns nothing).
 */
function fork(): TestEnv<Float32Array, number> {
  let pos = 0;
  return new TestEnv<Float32Array, number>({
    observationSpace: new Box(-1, 1, [1], 'float32') as never,
    actionSpace: new Discrete(2) as never,
    reset: () => ((pos = 0), { obs: Float32Array.of(0), info: {} }),
    step: (a, ctx) => {
      pos += a === 0 ? -1 : 1;
      const end = Math.abs(pos) === 3;
      return { obs: Float32Array.of(pos / 3), reward: end ? 1 : 0, terminated: end, truncated: !end && ctx.t + 1 >= 12, info: {} };
    },
  });
}

/** `episodes` demonstrations that always take `action` (3 steps each, the last into the terminal state). */
function demos(action: number, episodes: number): { transitions: Transitions; demonstrations: Demonstrations } {
  const dir = action === 0 ? -1 : 1;
  const n = 3 * episodes;
  const obs = Float32Array.from({ length: n }, (_, i) => (dir * (i % 3)) / 3);
  const nextObs = Float32Array.from({ length: n }, (_, i) => (dir * ((i % 3) + 1)) / 3);
  return {
    transitions: { obsDim: 1, actDim: 1, rows: n, obs, nextObs, actions: new Float32Array(n).fill(action), terminated: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 1 : 0)), absorbing: new Uint8Array(n) },
    demonstrations: { obsDim: 1, actDim: 1, rows: n, obs, actions: new Float32Array(n).fill(action), episodeStart: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)) },
  };
}

/** Trains GAIL on demonstrations of `action` and returns the fraction of 50 sampled episodes that end on the left. */
// gamma 0.9 suits a 3-step task; at 0.99 the absorbing state's tail (gamma / (1 - gamma) x its reward,
// expert-like here because every demonstration terminates) outweighs the per-step rewards that tell the sides apart.
async function leftFraction(action: number): Promise<number> {
  const vec = new SyncVectorEnv([fork, fork, fork, fork]);
  const config = gailTrainer.resolveConfig({ ...gailTrainer.defaults('fork', true), seed: 3, totalSteps: 6144, numEnvs: 4, numSteps: 64, entCoef: 0.01, gamma: 0.9 }, 'test');
  let policy: Policy | null = null;
  await gailTrainer.run({
    vec, config, policy: undefined, from: null, resume: null, metrics: new MetricStream(),
    meta: { envId: 'fork', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' },
    save: () => {}, stop: () => false, recoverable: () => false, log: () => {},
    afterUpdate: async (at) => {
      if (at.last) policy = at.policy();
    },
    imitation: { ...demos(action, 20), expert: null, makeEnv: null, aggregateDir: null, envId: 'fork' },
  } as Parameters<typeof gailTrainer.run>[0]);
  await vec.close();
  const p = policy as Policy | null;
  assert.ok(p);
  let left = 0;
  const env = fork();
  const run = await runEpisodes(env, p, { episodes: 50, seed: 100, deterministic: false, onStep: (s) => void (s.terminated && (s.nextObs as Float32Array)[0] < 0 && left++) });
  p.dispose?.();
  return left / run.episodeCount;
}

test('GAIL reproduces a choice the task does not reward: demonstrations that go left give >= 90% left episodes, demonstrations that go right give <= 10%', async () => {
  const left = await leftFraction(0);
  const right = await leftFraction(1);
  assert.ok(left >= 0.9, `left demonstrations: ${(100 * left).toFixed(0)}% of episodes end left`);
  assert.ok(right <= 0.1, `right demonstrations: ${(100 * right).toFixed(0)}% of episodes end left`);
});
