import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { PPO, type PpoTrainingState } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';
import { ppoCheckpoint, ppoStateFromCheckpoint } from '../../agents/algos/ppo/ppo-checkpoint.js';

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

async function run(policy: Record<string, unknown>, stopAtStep: number | undefined, resumeFrom: string | null, saveTo: string | null): Promise<{ final: PpoTrainingState; rows: MetricRow[] }> {
  const vec = await makeVec('Pendulum-v1', { numEnvs: 2 });
  const metrics = new MetricStream();
  const rows: MetricRow[] = [];
  metrics.subscribe((r) => rows.push(r));
  let final: PpoTrainingState | null = null;
  const onCheckpoint = (s: PpoTrainingState): void => {
    final = s;
    if (saveTo) saveCheckpoint(saveTo, ppoCheckpoint(s, { envId: 'Pendulum-v1', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' }));
  };
  const ppo = resumeFrom ? await PPO.restore(vec, ppoStateFromCheckpoint(readCheckpoint(resumeFrom).data, 'test'), { metrics, onCheckpoint }) : await PPO.create(vec, config, { metrics, onCheckpoint, policy });
  try {
    await ppo.learn({ stop: () => stopAtStep !== undefined && ppo.step >= stopAtStep });
  } finally {
    ppo.dispose();
    await vec.close();
  }
  return { final: final as unknown as PpoTrainingState, rows };
}

const strip = (rows: MetricRow[]): unknown[] => rows.map(({ wall_s: _w, 'perf/sps': _s, ...rest }) => rest);

const bytes = (s: PpoTrainingState): Buffer[] => s.policy.tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));

for (const [label, policy] of [
  ['mlp, explicit gradient', { kind: 'mlp' }],
  ['window-mlp (sequence policy, chunked autodiff)', { kind: 'window-mlp', window: 3, hidden: [32] }],
  ['transformer (cached rollouts, chunked autodiff)', { kind: 'transformer', dModel: 16, layers: 2, heads: 2, window: 4 }],
] as const) test(`${label}: a run interrupted after a checkpoint and resumed from disk equals the uninterrupted run bit for bit`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-resume-'));
  try {
    const whole = await run(policy, undefined, null, null);
    const first = await run(policy, 256, null, join(dir, 'checkpoint'));
    assert.equal(first.final.globalStep, 256);
    const rest = await run(policy, undefined, dir, null);
    assert.equal(rest.final.globalStep, 512);
    assert.equal(rest.final.policy.kind, policy.kind);
    assert.deepEqual(bytes(rest.final), bytes(whole.final));
    const groups = rest.final.policy.groups.map((g) => g.name);
    assert.deepEqual(Object.keys(rest.final.optimizer.groups), groups);
    for (const g of groups) {
      const [a, b] = [rest.final.optimizer.groups[g], whole.final.optimizer.groups[g]];
      assert.deepEqual(Buffer.from(a.m.buffer), Buffer.from(b.m.buffer));
      assert.deepEqual(Buffer.from(a.v.buffer), Buffer.from(b.v.buffer));
      assert.equal(a.step, b.step);
    }
    assert.deepEqual(rest.final.normalizer, whole.final.normalizer);
    assert.deepEqual(rest.final.rng, whole.final.rng);
    // Every metric (losses, episode returns) after the checkpoint matches too.
    const after = whole.rows.filter((r) => r.global_step > 256);
    assert.ok(after.length > 0);
    assert.deepEqual(strip(rest.rows), strip(after));
    // And training changed something (the test would be empty otherwise).
    assert.notDeepEqual(bytes(first.final), bytes(whole.final));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
