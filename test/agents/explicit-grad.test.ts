import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { MlpActorCritic } from '../../agents/policies/mlp-actor-critic.js';
import { paramLayout, type MlpSpec } from '../../agents/policies/param-layout.js';
import { ExplicitPpoGrad } from '../../agents/policies/explicit-ppo-grad.js';
import { ppoLoss, type PpoLossCoefs } from '../../agents/algos/ppo/ppo-loss.js';
import type { MinibatchArrays } from '../../agents/algos/ppo/minibatch-assembler.js';
import { JsAdamW } from '../../agents/optim/js-adamw.js';
import { AdamW } from '../../agents/optim/adamw.js';
import { Rng } from '../../src/core/rng.js';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';

/** A random minibatch whose old log-probs sit near the network's own, so some ratios clip and some don't. */
function randomBatch(net: MlpActorCritic, rng: Rng, rows: number): MinibatchArrays {
  const { spec } = net;
  const obs = rng.fillNormal(new Float32Array(rows * spec.obsDim));
  const dist = net.dist;
  const actions = new Float32Array(rows * dist.actDim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dist.actDim; j++) {
      actions[r * dist.actDim + j] = spec.head.kind === 'categorical' ? Math.floor(rng.random() * spec.head.nvec[j]) : rng.normal();
    }
  }
  const input = new Float32Array(rows * dist.actInputDim);
  dist.encodeActions(actions, rows, input);
  const logp = tf.tidy(() => net.evaluateTensors(tf.tensor2d(obs, [rows, spec.obsDim]), tf.tensor2d(input, [rows, dist.actInputDim])).logProb.dataSync().slice());
  const oldLogProb = new Float32Array(rows).map((_, r) => logp[r] + (rng.random() - 0.5) * 0.6);
  const oldValues = rng.fillNormal(new Float32Array(rows));
  const returns = new Float32Array(rows).map((_, r) => oldValues[r] + (rng.random() - 0.5) * 2);
  return { rows, obs, actions, oldLogProb, advantages: rng.fillNormal(new Float32Array(rows)), returns, oldValues };
}

/** The gradient of the group variables (actor: actor layers then log-std; critic) scattered back into the flat layout. */
function toFlat(spec: MlpSpec, byGroup: Record<string, Float32Array>): Float32Array {
  const layout = paramLayout(spec);
  const out = new Float32Array(layout[layout.length - 1].offset + layout[layout.length - 1].size);
  for (const group of ['actor', 'critic']) {
    let off = 0;
    for (const e of layout.filter((x) => x.name.startsWith(`${group}.`))) {
      out.set(byGroup[group].subarray(off, off + e.size), e.offset);
      off += e.size;
    }
  }
  return out;
}

function autodiff(net: MlpActorCritic, mb: MinibatchArrays, c: PpoLossCoefs): { grad: Float32Array<ArrayBufferLike>; stats: Float32Array<ArrayBufferLike> } {
  const t = {
    batch: { obs: { rows: mb.rows, flat: mb.obs }, actions: mb.actions },
    oldLogProb: tf.tensor1d(mb.oldLogProb),
    advantages: tf.tensor1d(mb.advantages),
    returns: tf.tensor1d(mb.returns),
    oldValues: tf.tensor1d(mb.oldValues),
  };
  let stats: Float32Array<ArrayBufferLike> = new Float32Array(0);
  const { value, grads } = tf.variableGrads(() => {
    const out = ppoLoss(net, t, c);
    stats = out.stats.dataSync().slice() as Float32Array;
    return out.loss;
  }, net.variables().map((v) => v.variable));
  const byGroup = Object.fromEntries(net.variables().map((v) => [v.group, grads[v.variable.name].dataSync().slice() as Float32Array]));
  tf.dispose([value, ...Object.values(grads), t.oldLogProb, t.advantages, t.returns, t.oldValues]);
  return { grad: toFlat(net.spec, byGroup), stats };
}

const SPECS: Array<[string, MlpSpec, PpoLossCoefs]> = [
  ['tanh, Discrete(2), no entropy', { obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } }, { clipCoef: 0.2, clipVloss: false, entCoef: 0, vfCoef: 0.5 }],
  ['relu, MultiDiscrete([3,2]), entropy + value clipping', { obsDim: 5, hidden: [16, 8, 8], activation: 'relu', head: { kind: 'categorical', nvec: [3, 2] } }, { clipCoef: 0.1, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 }],
  ['tanh, Gaussian(2), entropy + value clipping', { obsDim: 3, hidden: [32], activation: 'tanh', head: { kind: 'gaussian', dim: 2 } }, { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.7 }],
];

for (const [name, spec, coefs] of SPECS) {
  test(`explicit PPO gradient equals tfjs autodiff of ppoLoss: ${name}`, async () => {
    await initBackend({ report: null });
    const rng = new Rng(7);
    const net = MlpActorCritic.create(spec, rng.spawn(), { logStdInit: -0.3 });
    const mb = randomBatch(net, rng, 96);
    const ref = autodiff(net, mb, coefs);
    const explicit = new ExplicitPpoGrad(spec);
    const grad = new Float32Array(net.numParams);
    const before = tf.memory().numTensors;
    const stats = explicit.compute(net.readParams(), mb, coefs, grad);
    explicit.compute(net.readParams(), mb, coefs, grad);
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives a call');
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < grad.length; i++) {
      scale = Math.max(scale, Math.abs(ref.grad[i]));
      worst = Math.max(worst, Math.abs(grad[i] - ref.grad[i]));
    }
    assert.ok(scale > 1e-3, 'the reference gradient is not trivially zero');
    assert.ok(worst < 2e-4 * scale + 1e-6, `max |explicit - autodiff| = ${worst} (gradient scale ${scale})`);
    stats.forEach((s, i) => assert.ok(Math.abs(s - ref.stats[i]) < 1e-4 * (1 + Math.abs(ref.stats[i])), `stat ${i}: ${s} vs ${ref.stats[i]}`));
    assert.ok(stats[4] > 0 && stats[4] < 1, `some but not all ratios clip (clipfrac ${stats[4]})`);
    explicit.dispose();
    net.dispose();
  });
}

test('JsAdamW matches AdamW over groups (clipping, per-group lr scale and weight decay, a frozen group) and their states are interchangeable', async () => {
  await initBackend({ report: null });
  const rng = new Rng(3);
  // Flat layout [a: 0..20) [b: 20..35) [a: 35..50): group a owns two ranges, as the MLP's actor owns its layers and the log-std.
  const n = 50;
  const ranges = new Map<string, Array<[number, number]>>([
    ['a', [[0, 20], [35, 15]]],
    ['b', [[20, 15]]],
    ['frozen', []],
  ]);
  const theta = rng.fillNormal(new Float32Array(n));
  const gather = (flat: Float32Array, g: string): Float32Array => Float32Array.from((ranges.get(g) ?? []).flatMap(([o, k]) => Array.from(flat.subarray(o, o + k))));
  const va = tf.variable(tf.tensor1d(gather(theta, 'a')), true, 'adamw-test-a');
  const vb = tf.variable(tf.tensor1d(gather(theta, 'b')), true, 'adamw-test-b');
  const vf = tf.variable(tf.tensor1d(rng.fillNormal(new Float32Array(4))), true, 'adamw-test-frozen');
  const frozenBefore = vf.dataSync().slice();
  const options = { beta1: 0.9, beta2: 0.999, eps: 1e-5, weightDecay: 0.01 };
  const groupOptions = { b: { lrScale: 0.5, weightDecay: 0 } };
  const tfAdam = new AdamW([{ group: 'a', variable: va }, { group: 'b', variable: vb }, { group: 'frozen', variable: vf }], ['a', 'b'], options, groupOptions);
  const js = new JsAdamW(ranges, ['a', 'b'], options, groupOptions);
  for (let k = 0; k < 5; k++) {
    const g = rng.fillNormal(new Float32Array(n));
    const grads = { [va.name]: tf.tensor1d(gather(g, 'a')), [vb.name]: tf.tensor1d(gather(g, 'b')) };
    const norm = tfAdam.apply(grads, 1e-2, 0.5);
    const jsNorm = js.apply(theta, g, 1e-2, 0.5);
    assert.ok(Math.abs(norm.dataSync()[0] - jsNorm) < 1e-4);
    tf.dispose([norm, ...Object.values(grads)]);
  }
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  };
  close(va.dataSync(), gather(theta, 'a'), 'group a');
  close(vb.dataSync(), gather(theta, 'b'), 'group b');
  assert.deepEqual(vf.dataSync(), frozenBefore, 'the frozen group is bit-identical');
  const state = js.getState();
  assert.deepEqual(Object.keys(state.groups), ['a', 'b'], 'no state for the frozen group');
  assert.equal(state.groups.a.step, 5);
  // JsAdamW -> JsAdamW continues bit for bit; JsAdamW -> AdamW continues within float rounding.
  const copy = new JsAdamW(ranges, ['a', 'b'], options, groupOptions);
  copy.setState(state);
  tfAdam.setState(state);
  const t2 = theta.slice();
  const g = rng.fillNormal(new Float32Array(n));
  js.apply(theta, g, 1e-3, Infinity);
  copy.apply(t2, g, 1e-3, Infinity);
  assert.deepEqual(t2, theta);
  assert.throws(() => copy.setState({ groups: { a: { step: 1, m: new Float32Array(3), v: new Float32Array(35) } } }), {
    message: 'JsAdamW.setState.groups.a.m: expected Float32Array [35], got Float32Array(3) [0, 0, 0]. Load optimizer state saved with the same network.',
  });
  assert.throws(() => new JsAdamW(ranges, [], options, { c: { lrScale: 1 } }), { message: 'JsAdamW.groupOptions.c: expected a parameter group of the network (a, b, frozen), got \"c\". Fix the group name.' });
  tf.dispose([va, vb, vf]);
  tfAdam.dispose();
  tfAdam.dispose();
});

test('PPO trains the same with the explicit and the autodiff gradient path (one update, parameters agree)', async () => {
  const config = resolvePpoConfig({ ...ppoDefaultsFor('CartPole-v1', true), seed: 5, totalSteps: 256, updateEpochs: 3, clipVloss: true, entCoef: 0.01 });
  const thetas: Float32Array[] = [];
  for (const gradient of ['explicit', 'autodiff'] as const) {
    const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
    const ppo = await PPO.create(vec, config, { gradient });
    await ppo.learn();
    thetas.push((ppo.net as MlpActorCritic).readParams());
    ppo.dispose();
    await vec.close();
  }
  let worst = 0;
  let moved = 0;
  const init = (() => {
    const rng = new Rng(5);
    const net = MlpActorCritic.create({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } }, rng.spawn(), { logStdInit: 0 });
    const t = net.readParams();
    net.dispose();
    return t;
  })();
  for (let i = 0; i < thetas[0].length; i++) {
    worst = Math.max(worst, Math.abs(thetas[0][i] - thetas[1][i]));
    moved = Math.max(moved, Math.abs(thetas[1][i] - init[i]));
  }
  assert.ok(moved > 1e-3, `the update moved the parameters (max ${moved})`);
  assert.ok(worst < 1e-4, `max |explicit - autodiff| after one update: ${worst}`);
});
