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
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';

const spec = (head: HeadSpec, over: Partial<TransformerSpec> = {}): TransformerSpec => ({ obsDim: 3, head, dModel: 16, layers: 2, heads: 2, mlpRatio: 2, window: 4, tasks: 2, taskIndex: 1, ...over });

/** Runs `steps` tokens through the cached rollout path (episode restarts at `resets`) and returns what the chunked full forward needs. */
function rollout(net: TransformerActorCritic, steps: number, resets: number[], seed: number) {
  const rng = new Rng(seed);
  const ad = net.dist.actDim;
  const obs = rng.fillNormal(new Float32Array(steps * 3));
  const actions = new Float32Array(steps * ad);
  const prevActions = new Float32Array(steps * ad);
  const episodeStart = new Uint8Array(steps);
  const logProbs = new Float64Array(steps);
  const values = new Float64Array(steps);
  const out = { actions: new Float32Array(ad), logProbs: new Float64Array(1), values: new Float64Array(1) };
  net.resetEpisode(0);
  for (let t = 0; t < steps; t++) {
    if (t === 0 || resets.includes(t)) {
      net.resetEpisode(0);
      episodeStart[t] = 1;
    } else {
      prevActions.set(actions.subarray((t - 1) * ad, t * ad), t * ad);
    }
    net.act({ rows: 1, flat: obs.subarray(t * 3, (t + 1) * 3) }, rng, false, out);
    actions.set(out.actions, t * ad);
    logProbs[t] = out.logProbs[0];
    values[t] = out.values[0];
  }
  return { obs, actions, prevActions, episodeStart, logProbs, values };
}

function fullForward(net: TransformerActorCritic, r: ReturnType<typeof rollout>, steps: number): { logProb: Float32Array; value: Float32Array } {
  return tf.tidy(() => {
    const ev = net.evaluate({ obs: { rows: steps, flat: r.obs }, actions: r.actions, prevActions: r.prevActions, chunks: { count: 1, context: 0, length: steps, episodeStart: r.episodeStart } });
    return { logProb: ev.logProb.dataSync().slice() as Float32Array, value: ev.value.dataSync().slice() as Float32Array };
  });
}

for (const head of [{ kind: 'categorical', nvec: [3, 2] }, { kind: 'gaussian', dim: 2 }] as HeadSpec[]) {
  test(`transformer (${head.kind}): the cached plain-JS rollout equals the full banded forward, past the window and across an episode start`, async () => {
    await initBackend({ report: null });
    const net = TransformerActorCritic.create(spec(head), new Rng(1), { logStdInit: -0.5 });
    try {
      const steps = 30; // window 4: 7x the window; an episode restarts at step 17
      const r = rollout(net, steps, [17], 2);
      const full = fullForward(net, r, steps);
      let worst = 0;
      for (let t = 0; t < steps; t++) worst = Math.max(worst, Math.abs(full.logProb[t] - r.logProbs[t]), Math.abs(full.value[t] - r.values[t]));
      assert.ok(worst < 1e-4, `max |full - cached| = ${worst}`);
      // The outputs really depend on history (the test would be empty otherwise).
      const alone = rollout(net, 1, [], 2);
      assert.notEqual(alone.values[0], r.values[5]);
    } finally {
      net.dispose();
    }
  });
}

test('transformer: the causal band holds (changing a later step never changes an earlier output; a step never sees past its window)', async () => {
  await initBackend({ report: null });
  const net = TransformerActorCritic.create(spec({ kind: 'gaussian', dim: 2 }, { layers: 1 }), new Rng(3), { logStdInit: 0 });
  try {
    const steps = 20;
    const r = rollout(net, steps, [], 4);
    const base = fullForward(net, r, steps);
    r.obs[12 * 3] += 5; // step 12's observation
    const changed = fullForward(net, r, steps);
    for (let t = 0; t < 12; t++) assert.equal(changed.value[t], base.value[t], `step ${t} before the change`);
    assert.notEqual(changed.value[12], base.value[12]);
    // One layer, window 4: step 16 sees steps 13-16 only, so it ignores step 12.
    for (let t = 16; t < steps; t++) assert.equal(changed.value[t], base.value[t], `step ${t} outside the window`);
  } finally {
    net.dispose();
  }
});

test('transformer through PPO (chunked sequence minibatches): CartPole-v1 learns on a small budget, tensors stay flat', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 1, totalSteps: 40_000, learningRate: 1e-3, seqLen: 16 });
  const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
  const ppo = await PPO.create(vec, config, { policy: { kind: 'transformer', dModel: 32, layers: 1, heads: 2, window: 4 } });
  const returns: number[] = [];
  let tensors = -1;
  try {
    while (ppo.updates < config.numUpdates) {
      returns.push(...(await ppo.collect()).map((e) => e.return));
      ppo.update();
      if (tensors < 0) tensors = tf.memory().numTensors;
      const last = returns.slice(-20);
      if (last.length === 20 && last.reduce((a, b) => a + b, 0) / 20 >= 200) break;
    }
    const mean = returns.slice(-20).reduce((a, b) => a + b, 0) / 20;
    assert.ok(mean >= 200, `mean of the last 20 episodes after ${ppo.step} steps: ${mean}`);
    assert.ok(returns.slice(0, 20).reduce((a, b) => a + b, 0) / 20 < 50, 'the untrained policy was poor');
    assert.equal(tf.memory().numTensors, tensors, 'no tensors leak across updates');
  } finally {
    ppo.dispose();
    await vec.close();
  }
});

const NORMS_AND_BIASES = ['ln1.gamma', 'ln1.beta', 'ln2.gamma', 'ln2.beta', 'mlp.b1', 'mlp.b2'];
const ALL_SIX = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2'] as const;
for (const { targets, extra, kind } of [{ targets: ['wq', 'wv'], extra: false, kind: 'lora' }, { targets: ['wv', 'w1', 'w2'], extra: false, kind: 'lora' }, { targets: ['wq', 'wv'], extra: true, kind: 'lora' }, { targets: ALL_SIX, extra: false, kind: 'vera' }, { targets: ['wq', 'wv', 'w1', 'w2'], extra: false, kind: 'dora' }] as const) test(`${kind === 'vera' ? 'VeRA (rank 40 > dModel 16)' : kind === 'dora' ? 'DoRA' : 'LoRA'} on ${targets.join(', ')}${extra ? ' with the norms and biases' : ''}: adapters start as a no-op, training them leaves every base weight bit-identical, and the merged model equals the adapter model`, async () => {
  await initBackend({ report: null });
  const { AdamW } = await import('../../agents/optim/adamw.js');
  const base = TransformerActorCritic.create(spec({ kind: 'gaussian', dim: 2 }), new Rng(5), { logStdInit: 0 });
  const vera = kind === 'vera';
  const net = base.withLora({ ...(vera ? { kind, rank: 40, alpha: 40 } : { kind, rank: 2, alpha: 4 }), targets: [...targets], ...(extra ? { norms: true, biases: true } : {}) }, new Rng(6));
  try {
    const loraNames = net.readTensors().filter((t) => t.group === 'lora').map((t) => t.name);
    const extraNames = extra ? [...Array.from({ length: net.spec.layers }, (_, l) => NORMS_AND_BIASES.map((n) => `blocks.${l}.${n}`)).flat(), 'ln_f.gamma', 'ln_f.beta'] : [];
    assert.equal(loraNames.length, (kind === 'dora' ? 3 : 2) * targets.length * net.spec.layers + extraNames.length, `an A and a B (VeRA: a d and a b; DoRA: and an m) per target and block: ${loraNames.join(', ')}`);
    for (const n of extraNames) assert.ok(loraNames.includes(n), `${n} trains with the adapters`);
    const baseBefore = new Map(base.readTensors().map((t) => [t.name, t.data]));
    if (vera) {
      // Only the vectors are parameters: d [rank] and b [out] per projection; the random matrices come from the spec's seed.
      const sizes = new Map(net.readTensors().filter((t) => t.group === 'lora').map((t) => [t.name, t.data.length]));
      assert.deepEqual([sizes.get('blocks.0.attn.wq.vera_d'), sizes.get('blocks.0.attn.wq.vera_b'), sizes.get('blocks.1.mlp.w1.vera_b'), sizes.get('blocks.1.mlp.w2.vera_b')], [40, 16, 32, 16]);
      assert.ok(Number.isInteger(net.spec.lora?.seed), `the seed is drawn into the spec: ${net.spec.lora?.seed}`);
      const again = base.withLora({ kind: 'vera', rank: 40, alpha: 40, targets: [...targets] }, new Rng(6));
      assert.equal(again.spec.lora?.seed, net.spec.lora?.seed, 'same rng, same seed');
      again.dispose();
    } else if (kind === 'dora') {
      // m starts as the norms of W's columns (the weights into each output).
      const W = baseBefore.get('blocks.1.mlp.w1')!;
      const m = net.readTensors().find((t) => t.name === 'blocks.1.mlp.w1.dora_m')!.data;
      assert.equal(m.length, 32);
      for (const j of [0, 31]) assert.ok(Math.abs(m[j] - Math.hypot(...Array.from({ length: 16 }, (_, i) => W[i * 32 + j]))) < 1e-6, `m[${j}]`);
    }
    if (!vera && (targets as readonly string[]).includes('w1')) assert.ok(loraNames.includes('blocks.0.mlp.w1.lora_b') && loraNames.includes('blocks.0.mlp.w2.lora_a'), 'MLP projections get adapters');
    assert.deepEqual(net.paramGroups().map((g) => g.name), ['tokenizers', 'trunk', 'heads', 'lora']);
    const r = rollout(base, 12, [], 7);
    const before = fullForward(base, r, 12);
    const start = fullForward(net, r, 12);
    if (kind === 'dora') for (let t = 0; t < 12; t++) assert.ok(Math.abs(start.value[t] - before.value[t]) < 1e-6, `DoRA starts as the base up to rounding (step ${t})`);
    else assert.deepEqual(Array.from(start.value), Array.from(before.value), 'B = 0: the adapted network starts equal to the base');
    for (const g of ['tokenizers', 'trunk', 'heads']) net.setTrainable(g, false);
    const trainable = net.paramGroups().filter((g) => g.trainable);
    const share = trainable.reduce((a, g) => a + g.size, 0) / net.paramGroups().reduce((a, g) => a + g.size, 0);
    assert.ok(share > 0 && share < (targets.length > 2 || extra ? 0.2 : 0.1), `trainable share ${share}`);
    const frozenBefore = net.readTensors().filter((t) => t.group !== 'lora');
    const adam = new AdamW(net.variables(), ['lora'], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    for (let k = 0; k < 5; k++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.evaluate({ obs: { rows: 12, flat: r.obs }, actions: r.actions, prevActions: r.prevActions, chunks: { count: 1, context: 0, length: 12, episodeStart: r.episodeStart } }).value)) as tf.Scalar, adam.trainableVariables());
      tf.dispose([value, adam.apply(grads, 1e-2, Infinity), ...Object.values(grads)]);
    }
    net.paramsChanged();
    adam.dispose();
    const frozenAfter = net.readTensors().filter((t) => t.group !== 'lora');
    assert.deepEqual(frozenAfter.map((t) => Buffer.from(t.data.buffer)), frozenBefore.map((t) => Buffer.from(t.data.buffer)), 'base weights bit-identical');
    const adapted = fullForward(net, r, 12);
    assert.notDeepEqual(Array.from(adapted.value), Array.from(before.value), 'the adapters changed the outputs');
    const trained = new Map(net.readTensors().map((t) => [t.name, t.data]));
    for (const n of extraNames) assert.notDeepEqual(Array.from(trained.get(n)!), Array.from(baseBefore.get(n)!), `${n} trained`);
    const merged = net.merged();
    try {
      assert.equal(merged.spec.lora, undefined);
      for (const t of merged.readTensors().filter((x) => extraNames.includes(x.name))) {
        assert.equal(t.group, 'trunk', `${t.name} is back in the trunk`);
        assert.deepEqual(Array.from(t.data), Array.from(trained.get(t.name)!), `${t.name} keeps its trained values`);
      }
      // Saved and restored (the seed in the spec regenerates the random matrices), the adapter model is the same.
      const restored = TransformerActorCritic.fromTensors(JSON.parse(JSON.stringify(net.spec)), net.readTensors());
      const again = fullForward(restored, r, 12);
      restored.dispose();
      assert.deepEqual(Array.from(again.value), Array.from(adapted.value), 'restored from spec and tensors: bit-identical outputs');
      const m = fullForward(merged, r, 12);
      for (let t = 0; t < 12; t++) assert.ok(Math.abs(m.value[t] - adapted.value[t]) < 1e-5 && Math.abs(m.logProb[t] - adapted.logProb[t]) < 1e-5, `step ${t}`);
      // The cached JS pass folds the adapters in too.
      const cached = rollout(net, 12, [], 8);
      const full = fullForward(net, cached, 12);
      for (let t = 0; t < 12; t++) assert.ok(Math.abs(cached.values[t] - full.value[t]) < 1e-4 && Math.abs(cached.logProbs[t] - full.logProb[t]) < 1e-4, `cached step ${t}`);
    } finally {
      merged.dispose();
    }
  } finally {
    net.dispose();
    base.dispose();
  }
});

test('LoRA with init pissa: A B holds each projection\'s top singular triplets, the rest stays frozen as the residual, outputs start as the base\'s and the base network is untouched', async () => {
  await initBackend({ report: null });
  const base = TransformerActorCritic.create(spec({ kind: 'gaussian', dim: 2 }), new Rng(5), { logStdInit: 0 });
  const baseBefore = base.readTensors().map((t) => Buffer.from(t.data.slice().buffer));
  const rank = 3;
  const alpha = 6;
  const net = base.withLora({ rank, alpha, targets: ['wq', 'w1'], init: 'pissa' }, new Rng(6));
  try {
    assert.deepEqual(base.readTensors().map((t) => Buffer.from(t.data.buffer)), baseBefore, 'the base network\'s weights are bit-identical');
    const before = new Map(base.readTensors().map((t) => [t.name, t.data]));
    const after = new Map(net.readTensors().map((t) => [t.name, t.data]));
    for (const name of ['blocks.0.attn.wq', 'blocks.1.mlp.w1']) {
      const W = before.get(name)!;
      const R = after.get(name)!;
      const A = after.get(`${name}.lora_a`)!;
      const B = after.get(`${name}.lora_b`)!;
      const cols = B.length / rank;
      const rows = A.length / rank;
      // residual + (alpha / rank) A B rebuilds W.
      let worst = 0;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += A[i * rank + k] * B[k * cols + j];
        worst = Math.max(worst, Math.abs(R[i * cols + j] + (alpha / rank) * s - W[i * cols + j]));
      }
      assert.ok(worst < 1e-6, `${name}: rebuilt within ${worst}`);
      // The adapters took the principal part: the residual has less energy than W by the top singular values squared,
      // and A's columns are orthogonal (U_r scaled), B's rows too (V_r^T scaled).
      const energy = (x: Float32Array) => x.reduce((a, v) => a + v * v, 0);
      let top = 0;
      let previous = Infinity;
      for (let k = 0; k < rank; k++) {
        let a2 = 0;
        let b2 = 0;
        for (let i = 0; i < rows; i++) a2 += A[i * rank + k] ** 2;
        for (let j = 0; j < cols; j++) b2 += B[k * cols + j] ** 2;
        assert.ok(Math.abs(a2 - b2) < 1e-4 * a2, `${name}: column ${k} of A and row ${k} of B share sqrt(S / scale)`);
        assert.ok(a2 <= previous, `${name}: singular values in descending order (the top ones, not any)`);
        previous = a2;
        top += ((alpha / rank) * a2) ** 2;
        for (let q = 0; q < k; q++) {
          let dot = 0;
          for (let i = 0; i < rows; i++) dot += A[i * rank + k] * A[i * rank + q];
          assert.ok(Math.abs(dot) < 1e-5 * a2, `${name}: A's columns ${q}, ${k} orthogonal`);
        }
      }
      assert.ok(Math.abs(energy(W) - energy(R) - top) < 1e-3 * energy(W), `${name}: residual energy ${energy(R)} = ${energy(W)} - ${top}`);
      assert.ok(top > (rank / Math.min(rows, cols)) * energy(W), `${name}: the top ${rank} directions hold more than an average share`);
    }
    for (const name of ['blocks.0.attn.wv', 'blocks.0.attn.wk', 'blocks.0.mlp.w2']) assert.deepEqual(after.get(name), before.get(name), `${name} (no adapter) unchanged`);
    const r = rollout(base, 12, [], 7);
    const a = fullForward(base, r, 12);
    const b = fullForward(net, r, 12);
    for (let t = 0; t < 12; t++) assert.ok(Math.abs(a.value[t] - b.value[t]) < 1e-4 && Math.abs(a.logProb[t] - b.logProb[t]) < 1e-4, `step ${t}: ${a.logProb[t]} vs ${b.logProb[t]}`);
    assert.throws(() => base.withLora({ rank, alpha, targets: ['wq'], init: 'svd' as never }, new Rng(6)), /lora\.init.*gaussian, pissa/);
    assert.throws(() => base.withLora({ rank, alpha, targets: ['wq'], kind: 'vera', init: 'pissa' }, new Rng(6)), /TransformerSpec\.lora\.init: expected 'gaussian' or absent with kind 'vera'/);
    assert.throws(() => base.withLora({ rank, alpha, targets: ['wq'], kind: 'vera', seed: -1 }, new Rng(6)), /TransformerSpec\.lora\.seed: expected an integer in \[0, 2\^32\) with kind 'vera'.*got -1/);
    assert.throws(() => base.withLora({ rank: 2000, alpha, targets: ['wq'], kind: 'vera' }, new Rng(6)), /TransformerSpec\.lora\.rank: expected an integer in \[1, 1024\] \(VeRA\), got 2000/);
    assert.throws(() => base.withLora({ rank: 20, alpha, targets: ['wq'] }, new Rng(6)), /TransformerSpec\.lora\.rank: expected an integer in \[1, 16\], got 20/);
    assert.throws(() => base.withLora({ rank, alpha, targets: ['wq'], kind: 'adalora' as never }, new Rng(6)), /TransformerSpec\.lora\.kind: expected one of lora, vera, dora, got "adalora"/);
  } finally {
    net.dispose();
    base.dispose();
  }
});

test('loadPolicy gives transformer checkpoints a plain-JS policy (no tfjs) that acts exactly as the network', async () => {
  await initBackend({ report: null });
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveCheckpoint } = await import('../../agents/checkpoint/save-checkpoint.js');
  const { loadPolicy } = await import('../../agents/checkpoint/load-policy.js');
  const { capturePolicy } = await import('../../agents/policies/policy-state.js');
  const { Box } = await import('../../src/core/spaces/box.js');
  const { TransformerPolicy } = await import('../../agents/policies/transformer/transformer-policy.js');
  const net = TransformerActorCritic.create(spec({ kind: 'gaussian', dim: 2 }), new Rng(9), { logStdInit: -1 });
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-tf-policy-'));
  try {
    saveCheckpoint(join(dir, 'ck'), { meta: { envId: 'test', observationSpace: new Box(-10, 10, [3]), actionSpace: new Box(-5, 5, [2]), backend: 'test' }, policy: capturePolicy(net), normalization: { obs: null, ret: null, clipObs: 10 }, algo: { name: 'bc', config: {}, state: {}, optimizer: null } });
    const policy = await loadPolicy(join(dir, 'ck'));
    assert.ok(policy instanceof TransformerPolicy);
    const r = rollout(net, 10, [], 11);
    const out = { actions: new Float32Array(2), logProbs: new Float64Array(1), values: new Float64Array(1) };
    net.resetEpisode(0);
    for (let t = 0; t < 10; t++) {
      const o = r.obs.subarray(t * 3, t * 3 + 3);
      net.act({ rows: 1, flat: o }, null, true, out);
      const a = policy.act(Float32Array.from(o), { deterministic: true }) as Float32Array;
      assert.deepEqual(Array.from(a), Array.from(out.actions).map((v) => Math.max(-5, Math.min(5, v))), `step ${t}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    net.dispose();
  }
});
