import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { PPO, type PpoTrainingState } from '../../agents/algos/ppo/ppo.js';
import { CorrelatedNoise } from '../../agents/algos/ppo/correlated-noise.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { PPO_BASE_DEFAULTS, ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { restorePolicy } from '../../agents/policies/policy-state.js';
import { tensorBytes, trainPendulum } from '../helpers/ppo-resume.js';

/** Lag-1 correlation and standard deviation of per-row series `e[t * rows + i]` (pairs within each row). */
function stats(e: Float64Array, rows: number): { corr: number; std: number } {
  const steps = e.length / rows;
  let sxy = 0;
  let sxx = 0;
  let sq = 0;
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < steps; t++) {
      const x = e[t * rows + i];
      sq += x * x;
      if (t + 1 < steps) {
        sxy += x * e[(t + 1) * rows + i];
        sxx += x * x;
      }
    }
  }
  return { corr: sxy / sxx, std: Math.sqrt(sq / e.length) };
}

test('CorrelatedNoise: N(0, 1) deviates with lag-1 correlation rho per row; an episode start draws fresh; mode rows draw nothing', () => {
  const rows = 3;
  const dim = 2;
  const steps = 4000;
  const noise = new CorrelatedNoise(new Rng(7), rows, dim, 0.8);
  const e = new Float64Array(steps * rows);
  for (let t = 0; t < steps; t++) {
    noise.begin(false);
    for (let i = 0; i < rows; i++) for (let j = 0; j < dim; j++) {
      const v = noise.normal();
      if (j === 0) e[t * rows + i] = v;
    }
  }
  const s = stats(e, rows);
  assert.ok(Math.abs(s.corr - 0.8) < 0.03, `lag-1 correlation ${s.corr}`);
  assert.ok(Math.abs(s.std - 1) < 0.06, `std ${s.std}`);

  // The first deviates of a run, and of a row after resetRow, are the base generator's draws themselves.
  const twin = new Rng(11);
  const fresh = new CorrelatedNoise(new Rng(11), 2, 1, 0.9);
  fresh.begin(false);
  const a0 = fresh.normal();
  assert.equal(a0, twin.normal());
  assert.equal(fresh.normal(), twin.normal());
  fresh.resetRow(1);
  fresh.begin(false);
  const z0 = twin.normal();
  const z1 = twin.normal();
  assert.equal(fresh.normal(), 0.9 * a0 + Math.sqrt(1 - 0.9 * 0.9) * z0, 'row 0 continues its AR(1) path');
  assert.equal(fresh.normal(), z1, 'row 1 starts again from a fresh draw');

  // Rows acting by the mode draw nothing: the deviates go to the sampled rows, and one more is an error.
  const masked = new CorrelatedNoise(new Rng(3), 3, 2, 0.5);
  const plain = new Rng(3);
  masked.begin(Uint8Array.of(1, 0, 1));
  assert.equal(masked.normal(), plain.normal());
  assert.equal(masked.normal(), plain.normal());
  assert.throws(() => masked.normal(), (err: unknown) => err instanceof InvalidArgument && /CorrelatedNoise.normal/.test(err.message) && /begin\(\)/.test(err.message));
  assert.throws(() => masked.random(), (err: unknown) => err instanceof InvalidArgument && /Gaussian action head/.test(err.message));
  assert.throws(() => masked.uniform(), (err: unknown) => err instanceof InvalidArgument && /Gaussian action head/.test(err.message));
  assert.throws(() => masked.nextUint32(), (err: unknown) => err instanceof InvalidArgument && /Gaussian action head/.test(err.message));
  assert.throws(() => new CorrelatedNoise(new Rng(0), 1, 1, 1), (err: unknown) => err instanceof InvalidArgument && /\[0, 1\)/.test(err.message));
});

test('noiseCorrelation: config bounds and a discrete head are typed errors', async () => {
  const base = { ...PPO_BASE_DEFAULTS, seed: 0, totalSteps: 1000, numEnvs: 4, numSteps: 10, numMinibatches: 1 };
  assert.throws(() => resolvePpoConfig({ ...base, noiseCorrelation: 1 }), (err: unknown) => err instanceof InvalidArgument && /noiseCorrelation/.test(err.message));
  assert.throws(() => resolvePpoConfig({ ...base, noiseCorrelation: -0.1 }), (err: unknown) => err instanceof InvalidArgument && /noiseCorrelation/.test(err.message));
  const vec = await makeVec('CartPole-v1', { numEnvs: 4 });
  try {
    await assert.rejects(PPO.create(vec, resolvePpoConfig({ ...base, noiseCorrelation: 0.5 }), { policy: { kind: 'mlp', hidden: [8] } }), (err: unknown) => err instanceof InvalidArgument && /PPO.config.noiseCorrelation: expected a Gaussian action head/.test(err.message) && /'categorical'/.test(err.message));
  } finally {
    await vec.close();
  }
});

/** One rollout of 16 Pendulum sub-envs x 100 steps (no episode ends) of a fresh MLP; returns each step's standardized noise (a - mode) / std of action 0. */
async function rolloutNoise(rho: number): Promise<Float64Array> {
  const N = 16;
  const T = 100;
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 2, totalSteps: N * T, numEnvs: N, numSteps: T, numMinibatches: 1, noiseCorrelation: rho, normalizeObs: false });
  const vec = await makeVec('Pendulum-v1', { numEnvs: N });
  const ppo = await PPO.create(vec, config, { policy: { kind: 'mlp', hidden: [8] } });
  const net = restorePolicy(ppo.trainingState().policy, 'test');
  try {
    await ppo.collect();
    const b = ppo.rollout;
    const logStd = net.readTensors().find((t) => t.name === 'actor.log_std')?.data[0] as number;
    const mode = { actions: new Float32Array(N), logProbs: new Float64Array(N), values: new Float64Array(N) };
    const e = new Float64Array(N * T);
    for (let t = 0; t < T; t++) {
      net.act({ rows: N, flat: b.obs.subarray(t * N * 3, (t + 1) * N * 3) }, null, true, mode);
      for (let i = 0; i < N; i++) e[t * N + i] = (b.actions[t * N + i] - mode.actions[i]) / Math.exp(logStd);
    }
    return e;
  } finally {
    net.dispose();
    ppo.dispose();
    await vec.close();
  }
}

test('noiseCorrelation in PPO: the rollout\'s exploration noise has the configured lag-1 correlation and unit scale; 0 keeps it independent', async () => {
  const corr = stats(await rolloutNoise(0.9), 16);
  assert.ok(Math.abs(corr.corr - 0.9) < 0.05, `rho 0.9: lag-1 correlation ${corr.corr}`);
  assert.ok(Math.abs(corr.std - 1) < 0.3, `rho 0.9: std ${corr.std}`);
  const white = stats(await rolloutNoise(0), 16);
  assert.ok(Math.abs(white.corr) < 0.1, `rho 0: lag-1 correlation ${white.corr}`);
  assert.ok(Math.abs(white.std - 1) < 0.1, `rho 0: std ${white.std}`);
});

test('noiseCorrelation: a run stopped at a checkpoint and restored equals the uninterrupted run bit for bit (episodes restart there)', async () => {
  const raw = { ...ppoDefaultsFor('Pendulum-v1', false), seed: 4, totalSteps: 512, numEnvs: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2, noiseCorrelation: 0.7, checkpointEvery: 256 };
  const config = resolvePpoConfig(raw);
  const policy = { kind: 'mlp', hidden: [16] };
  const bytes = (s: PpoTrainingState): Buffer[] => tensorBytes(s.policy.tensors);
  const whole = await trainPendulum(config, policy, null);
  const half = await trainPendulum(config, policy, null, 256);
  const rest = await trainPendulum(config, policy, half);
  assert.equal(rest.globalStep, 512);
  assert.deepEqual(bytes(rest), bytes(whole));
  assert.deepEqual(rest.rng, whole.rng);
  const white = await trainPendulum(resolvePpoConfig({ ...raw, noiseCorrelation: 0 }), policy, null);
  assert.notDeepEqual(bytes(white), bytes(whole), 'the correlated noise changes the run');
});
