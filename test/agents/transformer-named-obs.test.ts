import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import { TransformerJs } from '../../agents/policies/transformer/transformer-js.js';
import { type TransformerSpec, checkTransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';
import { observationNames, featureNames } from '../../src/data/observation-names.js';
import { runRecord } from '../../src/cli/commands/record.js';

const gauss = { kind: 'gaussian' as const, dim: 2 };
const SOURCE = ['a.0', 'a.1', 'b.0', 'b.1', 'c.0'];
const spec = (over: Partial<TransformerSpec> = {}): TransformerSpec => ({ obsDim: 5, head: gauss, dModel: 16, layers: 2, heads: 2, mlpRatio: 2, window: 4, tasks: 2, taskIndex: 0, obsNames: SOURCE, otherSpaces: [{ obsDim: 3, head: { kind: 'categorical', nvec: [2] }, taskIndex: 1 }], ...over });

/** The JS pass's outputs over `obs` (one row of `obsDim` per step), each step's action being fixed numbers, for one episode. */
function rollout(net: TransformerActorCritic, obs: Float32Array, steps: number): Float64Array {
  const js = new TransformerJs(net.spec, new Map(net.readTensors().map((t) => [t.name, t.data])));
  const out = new Float64Array(steps * js.outDim);
  const action = new Float32Array(2);
  js.resetEpisode(0);
  for (let t = 0; t < steps; t++) {
    js.step(0, obs, t * net.spec.obsDim, out, t * js.outDim, true);
    action.set([Math.sin(t), Math.cos(3 * t) / 2]);
    js.recordAction(0, action, 0);
  }
  return out;
}

test('observationNames: fields that tile the observation name each dimension; a gap, an overlap or a range outside gives null', () => {
  assert.deepEqual(observationNames({ q: [0, 2], ee: [2, 3] }, 3), ['q.0', 'q.1', 'ee.0']);
  assert.equal(observationNames({ q: [0, 2] }, 3), null, 'gap');
  assert.equal(observationNames({ q: [0, 2], r: [1, 3] }, 3), null, 'overlap');
  assert.equal(observationNames({ q: [0, 4] }, 3), null, 'outside');
  assert.equal(observationNames(undefined, 3), null);
  assert.deepEqual(featureNames({ dtype: 'float32', shape: [2], names: ['x', 'y'] }, 2), ['x', 'y']);
  assert.equal(featureNames({ dtype: 'float32', shape: [2], names: null }, 2), null);
  assert.equal(featureNames({ dtype: 'float32', shape: [2], names: ['x'] }, 2), null, 'wrong length');
});

test('adaptedTo with named observations: the new tokenizer copies the source\'s columns by name, unknown ones start at zero, so the new task acts as the source does on the known fields (the rest zero)', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec(), new Rng(5), { logStdInit: -0.5 });
  const names = ['x.0', 'b.1', 'a.0', 'y.0', 'y.1', 'b.0'];
  const adapted = net.adaptedTo({ obsDim: 6, head: gauss, obsNames: names }, new Rng(6));
  try {
    assert.deepEqual(adapted.spec.obsNames, names);
    assert.deepEqual(adapted.spec.otherSpaces?.map((e) => e.obsNames ?? null), [SOURCE, null], 'the held spaces keep their names');
    const t = new Map(adapted.readTensors().map((x) => [x.name, x.data]));
    const d = 16;
    const emb = t.get('task.embedding')!;
    assert.deepEqual(Array.from(emb.subarray(2 * d, 3 * d)), Array.from(emb.subarray(0, d)), 'the new task row is the source task\'s');
    const w = t.get('tok.obs.weight')!;
    for (const i of [0, 3, 4]) assert.ok(w.subarray(i * d, (i + 1) * d).every((v) => v === 0), `unknown column ${names[i]} starts at zero`);
    // Same outputs over an episode: the new observation against the source's with the known fields placed by name, the rest 0.
    const steps = 6;
    const rng = new Rng(7);
    const newObs = rng.fillNormal(new Float32Array(steps * 6));
    const srcObs = new Float32Array(steps * 5);
    for (let s = 0; s < steps; s++) names.forEach((n, i) => SOURCE.includes(n) && (srcObs[s * 5 + SOURCE.indexOf(n)] = newObs[s * 6 + i]));
    const got = rollout(adapted, newObs, steps);
    const want = rollout(net, srcObs, steps);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `output ${k}: ${v} vs ${want[k]}`));
    // Changing an unknown field changes nothing at the start; a known one does.
    const moved = newObs.slice();
    moved[0] += 1;
    assert.deepEqual(Array.from(rollout(adapted, moved, 1)), Array.from(rollout(adapted, newObs, 1)));
    moved[2] += 1;
    assert.notDeepEqual(Array.from(rollout(adapted, moved, 1)), Array.from(rollout(adapted, newObs, 1)));
  } finally {
    net.dispose();
    adapted.dispose();
  }
});

test('adaptedTo without shared names keeps the old start: a fresh (nonzero) tokenizer and the mean task row; bad obsNames are a typed error', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec(), new Rng(5), { logStdInit: -0.5 });
  const adapted = net.adaptedTo({ obsDim: 4, head: gauss, obsNames: ['p.0', 'p.1', 'p.2', 'p.3'] }, new Rng(6));
  try {
    const t = new Map(adapted.readTensors().map((x) => [x.name, x.data]));
    const w = t.get('tok.obs.weight')!;
    for (let i = 0; i < 4; i++) assert.ok(w.subarray(i * 16, (i + 1) * 16).some((v) => v !== 0));
    const emb = t.get('task.embedding')!;
    for (let j = 0; j < 16; j++) assert.ok(Math.abs(emb[32 + j] - (emb[j] + emb[16 + j]) / 2) < 1e-6);
  } finally {
    net.dispose();
    adapted.dispose();
  }
  assert.throws(() => checkTransformerSpec(spec({ obsNames: ['a.0'] })), (e: unknown) => e instanceof InvalidArgument && /TransformerSpec.obsNames: expected 5 names/.test((e as Error).message));
});

test('lamkit record names observation.state\'s columns after the env\'s observation fields: ArmReach-v0 and ArmPush-v0 share qpos, qvel and ee', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-names-'));
  try {
    const cols: Record<string, string[]> = {};
    for (const env of ['ArmReach-v0', 'ArmPush-v0']) {
      await runRecord({ env, policy: 'random', episodes: '1', seed: '1', out: join(dir, env), progress: false });
      cols[env] = JSON.parse(readFileSync(join(dir, env, 'meta', 'info.json'), 'utf8')).features['observation.state'].names;
    }
    assert.equal(cols['ArmReach-v0'].length, 21);
    assert.equal(cols['ArmPush-v0'].length, 30);
    assert.deepEqual(cols['ArmReach-v0'].slice(0, 15), cols['ArmPush-v0'].slice(0, 15));
    assert.deepEqual(cols['ArmReach-v0'].slice(12, 16), ['ee.0', 'ee.1', 'ee.2', 'target.0']);
    assert.equal(cols['ArmPush-v0'][15], 'puck.0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
