import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../envs/index.js';
import { initBackend } from '../../agents/backend.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { Rng } from '../../src/core/rng.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import type { TransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';
import type { HeadSpec } from '../../agents/policies/param-layout.js';
import type { EvalBatch } from '../../agents/policies/actor-critic.js';
import { capturePolicy, restorePolicy } from '../../agents/policies/policy-state.js';
import { KlReference } from '../../agents/algos/ppo/kl-reference.js';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import { ChunkAssembler } from '../../agents/algos/ppo/chunk-assembler.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import type { MetricRow } from '../../src/streams/metrics.js';
import { MetricStream } from '../../src/streams/metrics.js';
import { tensorBytes, trainPendulum } from '../helpers/ppo-resume.js';

const spec = (head: HeadSpec): TransformerSpec => ({ obsDim: 3, head, dModel: 16, layers: 2, heads: 2, mlpRatio: 2, window: 4, tasks: 1, taskIndex: 0 });

/** A chunk minibatch of random steps (2 chunks of 6 scored steps after the network's context). */
function randomBatch(net: TransformerActorCritic, seed: number): EvalBatch {
  const rng = new Rng(seed);
  const ctx = net.sequence.context;
  const count = 2;
  const rows = count * (ctx + 6);
  const ad = net.dist.actDim;
  const actions = new Float32Array(rows * ad);
  for (let i = 0; i < actions.length; i++) actions[i] = net.head.kind === 'categorical' ? rng.integer(0, net.head.nvec[i % ad]) : rng.normal();
  const episodeStart = new Uint8Array(rows);
  episodeStart[0] = 1;
  episodeStart[ctx + 6] = 1;
  episodeStart[ctx + 3] = 1; // an episode starts inside the first chunk
  return { obs: { rows, flat: rng.fillNormal(new Float32Array(rows * 3)) }, actions, prevActions: actions.slice(), chunks: { count, context: ctx, length: 6, episodeStart } };
}

function meanKl(kl: KlReference, net: TransformerActorCritic, batch: EvalBatch): tf.Scalar {
  const refOut = kl.outputs(batch);
  try {
    return tf.tidy(() => tf.mean(kl.rowKl(net, net.evaluate({ ...batch, withActorOut: true }).actorOut as tf.Tensor2D, refOut)) as tf.Scalar);
  } finally {
    tf.dispose([refOut.actorOut, ...(refOut.logStd ? [refOut.logStd] : [])]);
  }
}

for (const head of [{ kind: 'categorical', nvec: [3, 2] }, { kind: 'gaussian', dim: 2 }] as HeadSpec[]) {
  test(`KL to the reference (${head.kind}): 0 at the start, and once the policy moved its gradient points back to the reference`, async () => {
    await initBackend({ report: null });
    const net = TransformerActorCritic.create(spec(head), new Rng(1), { logStdInit: -0.5 });
    const kl = new KlReference(restorePolicy(capturePolicy(net), 'test'), 0.1, null);
    const before = tf.memory().numTensors;
    try {
      const batch = randomBatch(net, 2);
      const k0 = meanKl(kl, net, batch);
      assert.ok(Math.abs(k0.dataSync()[0]) < 1e-6, `KL at the start: ${k0.dataSync()[0]}`);
      k0.dispose();
      // Move the policy away: perturb every actor-side weight.
      const rng = new Rng(3);
      const refTensors = net.readTensors();
      net.writeTensors(refTensors.map((t) => (t.name.startsWith('head.value') ? t : { ...t, data: t.data.map((x) => x + 0.05 * rng.normal()) })));
      const vars = net.variables().map((g) => g.variable);
      const { value, grads } = tf.variableGrads(() => meanKl(kl, net, batch), vars);
      const k1 = value.dataSync()[0];
      assert.ok(k1 > 1e-4, `KL after the perturbation: ${k1}`);
      // <grad, theta - theta_ref> > 0: descending the penalty moves towards the reference.
      let dot = 0;
      const byName = new Map(refTensors.map((t) => [t.name, t.data]));
      for (const v of vars) {
        const g = grads[v.name];
        if (!g) continue;
        const ref = byName.get(v.name.slice(v.name.indexOf('/') + 1)) as Float32Array;
        const gv = g.dataSync();
        const cur = v.dataSync();
        for (let i = 0; i < gv.length; i++) dot += gv[i] * (cur[i] - ref[i]);
      }
      assert.ok(dot > 0, `<grad KL, theta - theta_ref> = ${dot}`);
      // A small step against the gradient lowers the KL.
      tf.tidy(() => vars.forEach((v) => grads[v.name] && v.assign(tf.sub(v, tf.mul(grads[v.name], 0.002)))));
      net.paramsChanged();
      const k2 = meanKl(kl, net, batch);
      assert.ok(k2.dataSync()[0] < k1, `KL after a step against its gradient: ${k2.dataSync()[0]} (before ${k1})`);
      tf.dispose([k2, value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    } finally {
      kl.dispose();
      net.dispose();
    }
  });
}

test('rollout history: each sub-env keeps its own window (no mixing), and resetEpisode starts that one afresh', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec({ kind: 'gaussian', dim: 2 }), new Rng(5), { logStdInit: -0.5 });
  const solo = TransformerActorCritic.fromTensors(net.spec, net.readTensors());
  try {
    const N = 3;
    const steps = 12;
    const rng = new Rng(6);
    const obs = rng.fillNormal(new Float32Array(steps * N * 3));
    const values = new Float64Array(steps * N);
    const out = { actions: new Float32Array(N * 2), logProbs: new Float64Array(N), values: new Float64Array(N) };
    for (let i = 0; i < N; i++) net.resetEpisode(i);
    const resetAt = 7; // sub-env 1 starts a new episode at step 7
    for (let t = 0; t < steps; t++) {
      if (t === resetAt) net.resetEpisode(1);
      // Deterministic actions: the same inputs must give the same outputs in the single-env replay.
      net.act({ rows: N, flat: obs.subarray(t * N * 3, (t + 1) * N * 3) }, null, true, out);
      values.set(out.values, t * N);
    }
    // Replay each sub-env alone through a copy of the network.
    const one = { actions: new Float32Array(2), logProbs: new Float64Array(1), values: new Float64Array(1) };
    for (let i = 0; i < N; i++) {
      solo.resetEpisode(0);
      for (let t = 0; t < steps; t++) {
        if (i === 1 && t === resetAt) solo.resetEpisode(0);
        solo.act({ rows: 1, flat: obs.subarray((t * N + i) * 3, (t * N + i + 1) * 3) }, null, true, one);
        assert.equal(one.values[0], values[t * N + i], `sub-env ${i} step ${t}`);
      }
    }
    // The reset really cut the history: without it, sub-env 1's step 7 differs.
    solo.resetEpisode(0);
    let unreset = 0;
    for (let t = 0; t <= resetAt; t++) {
      solo.act({ rows: 1, flat: obs.subarray((t * N + 1) * 3, (t * N + 2) * 3) }, null, true, one);
      unreset = one.values[0];
    }
    assert.notEqual(unreset, values[resetAt * N + 1]);
  } finally {
    net.dispose();
    solo.dispose();
  }
});

test('chunk minibatches hold one sub-env each, with its episode starts and history carried across rollouts', () => {
  const N = 3;
  const T = 8;
  const buf = new RolloutBuffer(T, N, 2, 1);
  const asm = new ChunkAssembler(buf, 4, 3);
  // obs = (sub-env, global step); an episode of sub-env 2 starts at step 5.
  const fill = (offset: number): void => {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) {
        const k = t * N + i;
        buf.obs[k * 2] = i;
        buf.obs[k * 2 + 1] = offset + t;
        buf.actions[k] = 100 * i + offset + t;
        buf.episodeStarts[k] = (offset === 0 && t === 0) || (i === 2 && offset + t === 5) ? 1 : 0;
        buf.valid[k] = 1;
      }
    }
  };
  fill(0);
  asm.carryContext(true);
  const all = Int32Array.from({ length: asm.numChunks }, (_, k) => k);
  let mb = asm.tensors(all, 0, all.length, false);
  const check = (offset: number): void => {
    const c = mb.batch.chunks!;
    const span = c.context + c.length;
    for (let k = 0; k < c.count; k++) {
      const env = Math.floor(k / asm.chunksPerEnv);
      for (let q = 0; q < span; q++) {
        const r = k * span + q;
        const step = offset + (k % asm.chunksPerEnv) * 4 - c.context + q;
        if (step < 0) {
          assert.equal(c.episodeStart[r], 1, 'padding before the run is marked as episode starts');
          continue;
        }
        assert.equal(mb.batch.obs.flat[r * 2], env, `chunk ${k} row ${q} comes from sub-env ${env}`);
        assert.equal(mb.batch.obs.flat[r * 2 + 1], step);
        assert.equal(c.episodeStart[r], step === 0 || (env === 2 && step === 5) ? 1 : 0, `episode start of sub-env ${env} at step ${step}`);
        if (!c.episodeStart[r]) assert.equal(mb.batch.prevActions![r], 100 * env + step - 1, 'the previous action is its own sub-env\'s');
        else assert.equal(mb.batch.prevActions![r], 0, 'no previous action at an episode start');
      }
    }
  };
  check(0);
  tf.dispose([mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, mb.weights!]);
  // The next rollout: its first chunk's context is the end of this one, per sub-env.
  asm.carryContext(false);
  fill(T);
  mb = asm.tensors(all, 0, all.length, false);
  check(T);
  tf.dispose([mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, mb.weights!]);
});

test('PPO fine-tuning of a transformer: value warm-up leaves the actor untouched; kl_ref is reported, starts at 0, and the adaptive coefficient reacts', async () => {
  await initBackend({ report: null });
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 1, numEnvs: 2, numSteps: 32, seqLen: 16, numMinibatches: 2, updateEpochs: 2, totalSteps: 64 * 3, valueWarmupUpdates: 1, klRefCoef: 0.5, klRefTarget: 1e-6 });
  const vec = await makeVec('CartPole-v1', { numEnvs: 2, makeOptions: { disableEnvChecker: true } });
  const metrics = new MetricStream();
  const rows: MetricRow[] = [];
  metrics.subscribe({ next: (r) => void (r['charts/learning_rate'] !== undefined && rows.push(r)) });
  const ppo = await PPO.create(vec, config, { metrics, policy: { kind: 'transformer', dModel: 16, layers: 1, heads: 2, window: 4 } });
  try {
    const start = new Map(ppo.net.readTensors().map((t) => [t.name, t.data]));
    await ppo.collect();
    ppo.update();
    for (const t of ppo.net.readTensors()) {
      const same = t.data.every((x, i) => x === (start.get(t.name) as Float32Array)[i]);
      if (t.name.startsWith('head.value')) assert.ok(!same, `${t.name} trained during the warm-up`);
      else assert.ok(same, `${t.name} unchanged during the warm-up`);
    }
    assert.equal(rows[0]['charts/value_warmup'], 1);
    assert.equal(rows[0]['losses/kl_ref'], 0, 'the actor did not move: KL 0');
    await ppo.collect();
    ppo.update();
    assert.equal(rows[1]['charts/value_warmup'], 0);
    assert.ok((rows[1]['losses/kl_ref'] as number) > 0, 'the actor moved');
    assert.equal(rows[1]['charts/kl_ref_coef'], 0.5);
    assert.equal(ppo.trainingState().klRefCoef, 1, 'KL above 1.5 x target: the coefficient doubled');
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

test('PPO actorLogStd: sets the Gaussian log-std of the network (and of the KL reference: kl_ref 0 after a value warm-up update); refused for a categorical head', async () => {
  await initBackend({ report: null });
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 1, numEnvs: 2, numSteps: 16, numMinibatches: 1, updateEpochs: 1, totalSteps: 32, valueWarmupUpdates: 1, klRefCoef: 0.1, actorLogStd: -2 });
  const vec = await makeVec('Pendulum-v1', { numEnvs: 2, makeOptions: { disableEnvChecker: true } });
  const metrics = new MetricStream();
  const rows: MetricRow[] = [];
  metrics.subscribe({ next: (r) => void (r['charts/learning_rate'] !== undefined && rows.push(r)) });
  const ppo = await PPO.create(vec, config, { metrics, policy: { kind: 'transformer', dModel: 16, layers: 1, heads: 2, window: 4, logStdInit: -0.3 } });
  try {
    const logStd = ppo.net.readTensors().find((t) => t.name === 'head.actor.log_std');
    assert.deepEqual(Array.from(logStd?.data ?? []), [-2]);
    await ppo.collect();
    ppo.update();
    assert.equal(rows[0]['losses/kl_ref'], 0, 'the reference has the same log-std');
  } finally {
    ppo.dispose();
    await vec.close();
  }
  const cart = await makeVec('CartPole-v1', { numEnvs: 1, makeOptions: { disableEnvChecker: true } });
  try {
    const bad = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 1, totalSteps: 256, actorLogStd: -2 });
    await assert.rejects(PPO.create(cart, bad, { policy: { kind: 'mlp' } }), (e: Error) => /actorLogStd: expected a network with a Gaussian head/.test(e.message));
  } finally {
    await cart.close();
  }
});

test('PPO freezeObsStats: the observation statistics stay as they started through rollouts (and move without it)', async () => {
  await initBackend({ report: null });
  for (const freeze of [true, false]) {
    const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 1, numEnvs: 2, numSteps: 16, numMinibatches: 1, updateEpochs: 1, totalSteps: 32, normalizeObs: true, freezeObsStats: freeze });
    const vec = await makeVec('Pendulum-v1', { numEnvs: 2, makeOptions: { disableEnvChecker: true } });
    const start = { mean: [0.5, 0.1, -0.2], var: [0.3, 0.4, 2], count: 1000 };
    const ppo = await PPO.create(vec, config, { policy: { kind: 'mlp', hidden: [8] }, normalization: { obs: start, ret: null } });
    try {
      await ppo.collect();
      const after = ppo.trainingState().normalizer.obs as { mean: number[]; count: number };
      if (freeze) assert.deepEqual({ mean: Array.from(after.mean), count: after.count }, { mean: start.mean, count: start.count });
      else assert.ok(after.count > start.count, `statistics updated: count ${after.count}`);
    } finally {
      ppo.dispose();
      await vec.close();
    }
  }
});

test('PPO with a KL reference resumes from a checkpoint on disk bit for bit: the reference travels in arrays.bin; a checkpoint without it is refused', async () => {
  await initBackend({ report: null });
  const { mkdtempSync, rmSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveCheckpoint } = await import('../../agents/checkpoint/save-checkpoint.js');
  const { readCheckpoint } = await import('../../agents/checkpoint/read-checkpoint.js');
  const { ppoCheckpoint, ppoStateFromCheckpoint } = await import('../../agents/algos/ppo/ppo-checkpoint.js');
  const { Box } = await import('../../src/core/spaces/box.js');
  type State = Awaited<ReturnType<PPO['trainingState']>>;
  // Group mode: every rollout starts at a boundary, so a restored run continues exactly.
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Pendulum-v1', false), seed: 3, totalSteps: 384, numEnvs: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2, groupSize: 2, learningRate: 3e-3, klRefCoef: 0.5, klRefTarget: 0.01 });
  const meta = { envId: 'Pendulum-v1', observationSpace: new Box(-8, 8, [3]), actionSpace: new Box(-2, 2, [1]), backend: 'wasm' };
  const bytes = (s: State): Buffer[] => tensorBytes(s.policy.tensors);
  const train = (from: State | null, stopAt?: number, options = {}): Promise<State> => trainPendulum(config, { kind: 'transformer', dModel: 16, layers: 1, heads: 2, window: 4 }, from, stopAt, options);
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-klref-'));
  try {
    const whole = await train(null);
    const half = await train(null, 128);
    assert.ok(half.reference, 'the state carries the reference');
    assert.notDeepEqual(bytes(half), tensorBytes(half.reference!.tensors), 'the policy moved away from its reference');
    saveCheckpoint(join(dir, 'ck'), ppoCheckpoint(half, meta));
    const loaded = ppoStateFromCheckpoint(readCheckpoint(join(dir, 'ck')).data, 'test');
    assert.deepEqual(loaded.reference!.tensors.map((t) => Array.from(t.data)), half.reference!.tensors.map((t) => Array.from(t.data)));
    const rest = await train(loaded);
    assert.equal(rest.globalStep, 384);
    assert.deepEqual(bytes(rest), bytes(whole), 'resumed from disk = uninterrupted');
    assert.equal(rest.klRefCoef, whole.klRefCoef, 'the adaptive coefficient continued');
    // The penalty matters here: towards another reference (the policy at the stop) the run ends elsewhere.
    const { restorePolicy: restore } = await import('../../agents/policies/policy-state.js');
    const other = await train(loaded, undefined, { reference: restore(half.policy, 'test') });
    assert.notDeepEqual(bytes(other), bytes(whole));
    // A checkpoint without the reference (as written before lamkit stored it) is refused with the fix.
    const ck = JSON.parse(readFileSync(join(dir, 'ck', 'checkpoint.json'), 'utf8'));
    delete ck.algo.state.reference;
    writeFileSync(join(dir, 'ck', 'checkpoint.json'), JSON.stringify(ck));
    const old = ppoStateFromCheckpoint(readCheckpoint(join(dir, 'ck')).data, 'test');
    const vec = await makeVec('Pendulum-v1', { numEnvs: 4 });
    try {
      await assert.rejects(PPO.restore(vec, old), /PPO\.restore\.state\.reference: expected the KL penalty's reference network.*--from/);
    } finally {
      await vec.close();
    }
    // A reference whose weights are missing from arrays.bin names the array and its size.
    const data = readCheckpoint(join(dir, 'ck')).data;
    const first = half.reference!.tensors[0];
    const { [`reference.${first.name}`]: _gone, ...arrays } = ppoCheckpoint(half, meta).algo.arrays!;
    assert.throws(() => ppoStateFromCheckpoint({ ...data, algo: { ...data.algo, state: ppoCheckpoint(half, meta).algo.state, arrays } }, 'test'), new RegExp(`test\\.algo\\.arrays\\.reference\\.${first.name.replace(/\./g, '\\.')}: expected ${first.data.length} float32 values.*got no such array`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
