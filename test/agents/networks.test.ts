import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { matMul, fastTanh, biasAdd, oneHot } from '../../agents/tf-ops.js';
import { MlpActorCritic } from '../../agents/policies/mlp-actor-critic.js';
import { JsActorCritic } from '../../agents/policies/js-actor-critic.js';
import type { MlpSpec } from '../../agents/policies/param-layout.js';
import { paramLayout } from '../../agents/policies/param-layout.js';
import { initMlpParams } from '../../agents/policies/orthogonal-init.js';
import { Rng } from '../../src/core/rng.js';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('fast ops match tfjs built-ins in value and gradient', async () => {
  await initBackend({ report: null });
  const rng = new Rng(0);
  const a = tf.tensor2d(rng.fillNormal(new Float32Array(6 * 5)), [6, 5]);
  const b = tf.tensor2d(rng.fillNormal(new Float32Array(5 * 3)), [5, 3]);
  const bias = tf.tensor2d(rng.fillNormal(new Float32Array(3)), [1, 3]);
  const ours = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(fastTanh(biasAdd(matMul(x as tf.Tensor2D, y as tf.Tensor2D), z as tf.Tensor2D))));
  const ref = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), z))));
  const g1 = ours([a, b, bias]);
  const g2 = ref([a, b, bias]);
  for (let i = 0; i < 3; i++) assert.ok(maxDiff(g1[i].dataSync(), g2[i].dataSync()) < 1e-5, `gradient ${i}`);
  assert.deepEqual(Array.from(oneHot(Int32Array.of(2, 0), 3).dataSync()), [0, 0, 1, 1, 0, 0]);
  tf.dispose([a, b, bias, ...g1, ...g2]);
});

test('orthogonal init: hidden weights have orthonormal columns times sqrt(2); output layers scaled 0.01 / 1; biases 0', () => {
  const spec: MlpSpec = { obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'gaussian', dim: 2 } };
  const layout = paramLayout(spec);
  const theta = initMlpParams(spec, layout, new Rng(5), { logStdInit: -0.5 });
  const entry = (name: string) => layout.find((e) => e.name === name)!;
  const gram = (name: string): number[][] => {
    const e = entry(name);
    const [r, c] = e.shape;
    const small = Math.min(r, c);
    const g: number[][] = [];
    for (let i = 0; i < small; i++) {
      g.push([]);
      for (let j = 0; j < small; j++) {
        let s = 0;
        for (let k = 0; k < Math.max(r, c); k++) s += r >= c ? theta[e.offset + k * c + i] * theta[e.offset + k * c + j] : theta[e.offset + i * c + k] * theta[e.offset + j * c + k];
        g[i].push(s);
      }
    }
    return g;
  };
  for (const [name, gain] of [['actor.0.weight', Math.SQRT2], ['actor.1.weight', Math.SQRT2], ['critic.2.weight', 1], ['actor.2.weight', 0.01]] as const) {
    const g = gram(name);
    g.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? gain * gain : 0)) < 1e-5, `${name} gram[${i}][${j}] = ${v}`)));
  }
  const b = entry('actor.0.bias');
  assert.ok(theta.subarray(b.offset, b.offset + b.size).every((x) => x === 0));
  const ls = entry('actor.log_std');
  assert.deepEqual(Array.from(theta.subarray(ls.offset, ls.offset + ls.size)), [-0.5, -0.5]);
});

for (const spec of [
  { obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } },
  { obsDim: 11, hidden: [32], activation: 'relu', head: { kind: 'gaussian', dim: 3 } },
  { obsDim: 5, hidden: [16, 8], activation: 'tanh', head: { kind: 'categorical', nvec: [3, 2] } },
] as MlpSpec[]) {
  test(`the plain-JS rollout pass equals the tfjs network, and JS log-probs equal tfjs log-probs (${spec.head.kind}, ${spec.activation})`, async () => {
    await initBackend({ report: null });
    const rng = new Rng(9);
    const net = MlpActorCritic.create(spec, rng, { logStdInit: -0.3 });
    // Perturb every parameter so biases and log-std matter.
    const theta = net.readParams().map((v) => v + 0.1 * rng.normal());
    net.writeParams(theta);
    const js = new JsActorCritic(spec, theta);
    const B = 7;
    const obs = rng.fillNormal(new Float32Array(B * spec.obsDim));
    const { actorOut, value } = net.forward(tf.tensor2d(obs, [B, spec.obsDim]));
    const out = new Float64Array(B * js.outDim);
    const vals = new Float64Array(B);
    for (let i = 0; i < B; i++) {
      js.actorRow(obs, i * spec.obsDim, out, i * js.outDim);
      vals[i] = js.valueRow(obs, i * spec.obsDim);
    }
    assert.ok(maxDiff(out, actorOut.dataSync()) < 1e-4);
    assert.ok(maxDiff(vals, value.dataSync()) < 1e-4);
    // Sample in JS, score in tfjs.
    const dist = net.dist;
    const actions = new Float32Array(B * dist.actDim);
    const lp = new Float64Array(B);
    for (let i = 0; i < B; i++) lp[i] = dist.sampleRow(out, i * js.outDim, js.logStd, rng, false, actions, i * dist.actDim);
    const input = new Float32Array(B * dist.actInputDim);
    dist.encodeActions(actions, B, input);
    const ev = net.evaluateTensors(tf.tensor2d(obs, [B, spec.obsDim]), tf.tensor2d(input, [B, dist.actInputDim]));
    assert.ok(maxDiff(lp, ev.logProb.dataSync()) < 1e-4, `log-probs ${lp} vs ${ev.logProb.dataSync()}`);
    tf.dispose([actorOut, value, ev.logProb, ev.entropy, ev.value]);
    net.dispose();
  });
}
