import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { PPO, type PpoTrainingState } from '../../agents/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/ppo/task-defaults.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';

// Pendulum exercises the Gaussian head, observation normalization and reward scaling.
const config = resolvePpoConfig({
  ...ppoDefaultsFor('Pendulum-v1', false),
  seed: 7,
  totalSteps: 512,
  numEnvs: 2,
  numSteps: 64,
  numMinibatches: 2,
  updateEpochs: 2,
  checkpointEvery: 256,
});

async function run(stopAtStep: number | undefined, resumeFrom: string | null, saveTo: string | null): Promise<{ final: PpoTrainingState; rows: MetricRow[] }> {
  const vec = await makeVec('Pendulum-v1', { numEnvs: 2 });
  const metrics = new MetricStream();
  const rows: MetricRow[] = [];
  metrics.subscribe((r) => rows.push(r));
  let final: PpoTrainingState | null = null;
  const onCheckpoint = (s: PpoTrainingState): void => {
    final = s;
    if (saveTo) saveCheckpoint(saveTo, s, { envId: 'Pendulum-v1', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' });
  };
  const ppo = resumeFrom ? await PPO.restore(vec, readCheckpoint(resumeFrom).state, { metrics, onCheckpoint }) : await PPO.create(vec, config, { metrics, onCheckpoint });
  try {
    await ppo.learn({ stopAtStep });
  } finally {
    ppo.dispose();
    await vec.close();
  }
  return { final: final as unknown as PpoTrainingState, rows };
}

const strip = (rows: MetricRow[]): unknown[] => rows.map(({ wall_s: _w, 'perf/sps': _s, ...rest }) => rest);

test('a run interrupted after a checkpoint and resumed from disk equals the uninterrupted run bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-resume-'));
  try {
    const whole = await run(undefined, null, null);
    const first = await run(256, null, join(dir, 'checkpoint'));
    assert.equal(first.final.globalStep, 256);
    const rest = await run(undefined, dir, null);
    assert.equal(rest.final.globalStep, 512);
    assert.deepEqual(Buffer.from(rest.final.theta.buffer), Buffer.from(whole.final.theta.buffer));
    assert.deepEqual(Buffer.from(rest.final.adam.m.buffer), Buffer.from(whole.final.adam.m.buffer));
    assert.deepEqual(Buffer.from(rest.final.adam.v.buffer), Buffer.from(whole.final.adam.v.buffer));
    assert.equal(rest.final.adam.step, whole.final.adam.step);
    assert.deepEqual(rest.final.normalizer, whole.final.normalizer);
    assert.deepEqual(rest.final.rng, whole.final.rng);
    // Every metric (losses, episode returns) after the checkpoint matches too.
    const after = whole.rows.filter((r) => r.global_step > 256);
    assert.ok(after.length > 0);
    assert.deepEqual(strip(rest.rows), strip(after));
    // And training changed something (the test would be empty otherwise).
    assert.notDeepEqual(Buffer.from(first.final.theta.buffer), Buffer.from(whole.final.theta.buffer));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
