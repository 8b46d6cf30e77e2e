/**
 * The transformer's hand-written backward passes (agents/nn/attention.ts,
 * agents/nn/transformer-layers.ts) against tfjs's own autodiff of plain ops:
 * the attention block with ALiBi, the causal band, episode cuts and dropout;
 * LayerNorm; GELU; and the whole policy's loss gradient for every parameter
 * (a reference forward written here from plain tfjs ops, autodiff only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { multiHeadAttention } from '../../agents/nn/attention.js';
import { layerNorm, gelu, LAYER_NORM_EPS } from '../../agents/nn/transformer-layers.js';
import { TransformerActorCritic, dropoutMask } from '../../agents/policies/transformer/transformer-actor-critic.js';
import { alibiSlopes, type TransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';

const TOL = 1e-4;

/** `||a - b|| / ||b||` (b nonzero), the relative error of a gradient. */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const nb = tf.norm(b).dataSync()[0];
    assert.ok(nb > 1e-6, `reference gradient is ~0 (norm ${nb}): the comparison would prove nothing`);
    return tf.norm(tf.sub(a, b)).dataSync()[0] / nb;
  });
}

/** The additive ALiBi + causal-band + episode-cut bias `[H*count x span x span]` (head-major), written independently of the policy's. */
function bandBias(count: number, span: number, heads: number, window: number, episodeStart: Uint8Array): Float32Array {
  const slopes = alibiSlopes(heads);
  const out = new Float32Array(count * heads * span * span);
  for (let c = 0; c < count; c++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < span; i++)
        for (let j = 0; j < span; j++) {
          let visible = j <= i && i - j < window;
          for (let t = j + 1; t <= i && visible; t++) if (episodeStart[c * span + t]) visible = false;
          out[((h * count + c) * span + i) * span + j] = visible ? -slopes[h] * (i - j) : -1e9;
        }
  return out;
}

/** Plain-op attention (autodiff): per-head split (head-major batches), scores, softmax, dropout, weighted sum, merge. */
function refAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, bias: tf.Tensor3D, keep: tf.Tensor3D | null, count: number, span: number, heads: number): tf.Tensor2D {
  const d = q.shape[1];
  const dh = d / heads;
  const split = (t: tf.Tensor2D): tf.Tensor3D => tf.reshape(tf.transpose(tf.reshape(t, [count, span, heads, dh]), [2, 0, 1, 3]), [heads * count, span, dh]);
  let p = tf.softmax(tf.add(tf.div(tf.matMul(split(q), split(k), false, true), Math.sqrt(dh)), bias)) as tf.Tensor3D;
  if (keep) p = tf.mul(p, keep);
  return tf.reshape(tf.transpose(tf.reshape(tf.matMul(p, split(v)), [heads, count, span, dh]), [1, 2, 0, 3]), [count * span, d]);
}

function refLayerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LAYER_NORM_EPS))), gamma), beta);
}

function refGelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
}

test('multiHeadAttention: value and gradient equal tfjs autodiff of the plain ops (ALiBi, causal band, episode cut, dropout)', async () => {
  await initBackend({ report: null });
  const count = 3;
  const span = 9;
  const heads = 4;
  const d = 16;
  const window = 5;
  const episodeStart = new Uint8Array(count * span);
  episodeStart[0] = episodeStart[span] = episodeStart[2 * span] = 1;
  episodeStart[span + 4] = 1; // an episode starts inside the second chunk
  const rng = new Rng(3);
  for (const withDropout of [false, true]) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const qkv = tf.tensor2d(rng.fillNormal(new Float32Array(count * span * 3 * d)), [count * span, 3 * d]);
      const r = tf.tensor2d(rng.fillNormal(new Float32Array(count * span * d)), [count * span, d]);
      const bias = tf.tensor3d(bandBias(count, span, heads, window, episodeStart), [count * heads, span, span]);
      const keep = withDropout ? tf.tensor3d(dropoutMask(count * heads * span * span, 0.3, rng), [count * heads, span, span]) : null;
      const fast = tf.valueAndGrad((x: tf.Tensor) => tf.sum(tf.mul(multiHeadAttention(x as tf.Tensor2D, bias, keep, count, span, heads), r)))(qkv);
      const ref = tf.valueAndGrad((x: tf.Tensor) => {
        const [q, k, v] = tf.split(x, 3, 1) as tf.Tensor2D[];
        return tf.sum(tf.mul(refAttention(q, k, v, bias, keep, count, span, heads), r));
      })(qkv);
      const out = multiHeadAttention(qkv, bias, keep, count, span, heads);
      const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
      assert.ok(relErr(out, refAttention(q, k, v, bias, keep, count, span, heads)) < TOL, 'forward differs');
      const e = relErr(fast.grad, ref.grad);
      assert.ok(e < TOL, `gradient relative error ${e} (dropout ${withDropout})`);
      // The mask holds in the backward too: a query's gradient never reaches a key it cannot see (key 8 of chunk 0 is seen only by query 8).
      const g = tf.valueAndGrad((x: tf.Tensor) => tf.sum(tf.slice(multiHeadAttention(x as tf.Tensor2D, bias, keep, count, span, heads), [0, 0], [8, d])))(qkv).grad;
      assert.equal(tf.abs(tf.slice(g, [8, d], [1, 2 * d])).max().dataSync()[0], 0, 'a later token\'s key/value got a gradient from earlier outputs');
    });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  }
});

test('layerNorm and gelu: value and gradient equal tfjs autodiff of the plain ops', async () => {
  await initBackend({ report: null });
  const rng = new Rng(4);
  tf.tidy(() => {
    const x = tf.mul(tf.tensor2d(rng.fillNormal(new Float32Array(40 * 24)), [40, 24]), 2) as tf.Tensor2D;
    const gamma = tf.tensor1d(rng.fillNormal(new Float32Array(24)));
    const beta = tf.tensor1d(rng.fillNormal(new Float32Array(24)));
    const r = tf.tensor2d(rng.fillNormal(new Float32Array(40 * 24)), [40, 24]);
    const lossOf = (f: (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, g, b), r)) as tf.Scalar;
    const fast = tf.grads(lossOf(layerNorm))([x, gamma, beta]);
    const ref = tf.grads(lossOf(refLayerNorm))([x, gamma, beta]);
    assert.ok(relErr(layerNorm(x, gamma, beta), refLayerNorm(x, gamma, beta)) < TOL);
    ['x', 'gamma', 'beta'].forEach((name, i) => assert.ok(relErr(fast[i], ref[i]) < TOL, `layerNorm d${name}: ${relErr(fast[i], ref[i])}`));
    assert.ok(relErr(gelu(x), refGelu(x)) < TOL);
    const eg = relErr(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gelu(a as tf.Tensor2D), r)))(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(refGelu(a as tf.Tensor2D), r)))(x));
    assert.ok(eg < TOL, `gelu gradient relative error ${eg}`);
  });
});

/** The policy's loss through a forward written from plain tfjs ops (autodiff only), dropout masks drawn in the policy's order. */
function refLoss(net: TransformerActorCritic, spec: TransformerSpec, b: { obs: Float32Array; actions: Float32Array; prevActions: Float32Array; episodeStart: Uint8Array; count: number; span: number }, dropout: { rate: number; rng: Rng } | null): tf.Scalar {
  const p = (n: string): tf.Tensor2D => net.param(n) as unknown as tf.Tensor2D;
  const row = (n: string): tf.Tensor2D => tf.reshape(p(n), [1, -1]);
  const rows = b.count * b.span;
  const { dModel: d, heads: H } = spec;
  const ad = net.dist.actDim;
  const start = Float32Array.from(b.episodeStart);
  const prev = Float32Array.from(b.prevActions, (a, i) => (b.episodeStart[Math.floor(i / ad)] ? 0 : a));
  let x: tf.Tensor2D = tf.add(tf.add(tf.add(tf.add(tf.matMul(tf.tensor2d(b.obs, [rows, spec.obsDim]), p('tok.obs.weight')), row('tok.obs.bias')), tf.matMul(tf.tensor2d(prev, [rows, ad]), p('tok.act.weight'))), tf.matMul(tf.tensor2d(start, [rows, 1]), row('tok.start'))), tf.slice(p('task.embedding'), [spec.taskIndex, 0], [1, d]));
  const bias = tf.tensor3d(bandBias(b.count, b.span, H, spec.window, b.episodeStart), [b.count * H, b.span, b.span]);
  const drop = (t: tf.Tensor2D): tf.Tensor2D => (dropout ? tf.mul(t, tf.tensor(dropoutMask(t.size, dropout.rate, dropout.rng), t.shape)) : t);
  const proj = (h: tf.Tensor2D, n: string): tf.Tensor2D => {
    const base: tf.Tensor2D = tf.matMul(h, p(n));
    const lora = spec.lora;
    if (!lora || !lora.targets.some((t) => n.endsWith(`.${t}`))) return base;
    return tf.add(base, tf.mul(tf.matMul(tf.matMul(h, p(`${n}.lora_a`)), p(`${n}.lora_b`)), lora.alpha / lora.rank)) as tf.Tensor2D;
  };
  for (let l = 0; l < spec.layers; l++) {
    const pre = `blocks.${l}`;
    const h = refLayerNorm(x, p(`${pre}.ln1.gamma`), p(`${pre}.ln1.beta`));
    const keep = dropout ? tf.tensor3d(dropoutMask(b.count * H * b.span * b.span, dropout.rate, dropout.rng), [b.count * H, b.span, b.span]) : null;
    const o = refAttention(proj(h, `${pre}.attn.wq`), proj(h, `${pre}.attn.wk`), proj(h, `${pre}.attn.wv`), bias, keep, b.count, b.span, H);
    x = tf.add(x, drop(proj(o, `${pre}.attn.wo`))) as tf.Tensor2D;
    const h2 = refLayerNorm(x, p(`${pre}.ln2.gamma`), p(`${pre}.ln2.beta`));
    x = tf.add(x, drop(tf.add(tf.matMul(refGelu(tf.add(tf.matMul(h2, p(`${pre}.mlp.w1`)), row(`${pre}.mlp.b1`))), p(`${pre}.mlp.w2`)), row(`${pre}.mlp.b2`)))) as tf.Tensor2D;
  }
  const last = refLayerNorm(x, p('ln_f.gamma'), p('ln_f.beta'));
  const mu = tf.add(tf.matMul(last, p('head.actor.weight')), row('head.actor.bias'));
  const value = tf.add(tf.matMul(last, p('head.value.weight')), row('head.value.bias'));
  const logStd = row('head.actor.log_std');
  const z = tf.div(tf.sub(tf.tensor2d(b.actions, [rows, ad]), mu), tf.exp(logStd));
  const logProb = tf.sum(tf.sub(tf.sub(tf.mul(tf.square(z), -0.5), logStd), 0.5 * Math.log(2 * Math.PI)), 1);
  return tf.add(tf.neg(tf.mean(logProb)), tf.mul(tf.mean(tf.square(value)), 0.5));
}

for (const variant of ['plain', 'dropout', 'lora'] as const) {
  test(`transformer policy (${variant}): the loss gradient of every parameter equals tfjs autodiff of a plain-op reference forward`, async () => {
    await initBackend({ report: null });
    const dropout = variant === 'dropout' ? 0.2 : 0;
    const spec: TransformerSpec = { obsDim: 5, head: { kind: 'gaussian', dim: 2 }, dModel: 16, layers: 2, heads: 4, mlpRatio: 2, window: 4, tasks: 2, taskIndex: 1, ...(dropout ? { dropout } : {}) };
    let net = TransformerActorCritic.create(spec, new Rng(7), { logStdInit: -0.3 });
    if (variant === 'lora') {
      const base = net;
      net = base.withLora({ rank: 2, alpha: 4, targets: ['wq', 'wv'] }, new Rng(8));
      base.dispose();
      // Nonzero adapters, so their gradients and the adapted projections matter.
      net.writeTensors(net.readTensors().map((t) => (t.name.endsWith('lora_b') ? { ...t, data: new Rng(9).fillNormal(new Float32Array(t.data.length)) } : t)));
    }
    try {
      const count = 2;
      const span = 10;
      const rows = count * span;
      const rng = new Rng(10);
      const obs = rng.fillNormal(new Float32Array(rows * 5));
      const actions = rng.fillNormal(new Float32Array(rows * 2));
      const prevActions = rng.fillNormal(new Float32Array(rows * 2));
      const episodeStart = new Uint8Array(rows);
      episodeStart[0] = episodeStart[span] = episodeStart[span + 6] = 1;
      const vars = net.variables().map((g) => g.variable);
      const before = tf.memory().numTensors;
      const fast = tf.variableGrads(() => {
        const ev = net.evaluate({ obs: { rows, flat: obs }, actions, prevActions, chunks: { count, context: 0, length: span, episodeStart }, dropoutRng: new Rng(11) });
        return tf.add(tf.neg(tf.mean(ev.logProb)), tf.mul(tf.mean(tf.square(ev.value)), 0.5)) as tf.Scalar;
      }, vars);
      const ref = tf.variableGrads(() => refLoss(net, net.spec, { obs, actions, prevActions, episodeStart, count, span }, dropout ? { rate: dropout, rng: new Rng(11) } : null), vars);
      try {
        assert.ok(Math.abs(fast.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-4 * Math.max(1, Math.abs(ref.value.dataSync()[0])), `loss ${fast.value.dataSync()[0]} vs reference ${ref.value.dataSync()[0]}`);
        const names = Object.keys(ref.grads);
        assert.equal(names.length, vars.length);
        const lora = names.filter((n) => n.includes('lora'));
        assert.equal(lora.length > 0, variant === 'lora');
        for (const name of names) {
          if (name.endsWith('task.embedding')) continue; // checked below: the inactive task's row has no gradient
          const e = relErr(fast.grads[name], ref.grads[name]);
          assert.ok(e < TOL, `${name}: relative gradient error ${e}`);
        }
        const te = Object.keys(ref.grads).find((n) => n.endsWith('task.embedding')) as string;
        assert.ok(relErr(fast.grads[te], ref.grads[te]) < TOL);
      } finally {
        tf.dispose([fast.value, ref.value, ...Object.values(fast.grads), ...Object.values(ref.grads)]);
      }
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    } finally {
      net.dispose();
    }
  });
}
