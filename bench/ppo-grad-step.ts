/**
 * Cost of one PPO gradient step (loss, gradient, grad-norm clip, Adam) of
 * the 64x64 tanh actor-critic, explicit path (agents/policies/explicit-ppo-grad.ts
 * + JsAdamW) beside the autodiff path (ppoLoss under tf.variableGrads +
 * the tensor AdamW), per minibatch size, with the tfjs kernel count of each.
 *
 *   node --import tsx bench/ppo-grad-step.ts [--rows 256,1024] [--obs 4]
 *
 * Writes bench/results/ppo-grad-step.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../agents/backend.js';
import { MlpActorCritic } from '../agents/policies/mlp-actor-critic.js';
import type { MlpSpec } from '../agents/policies/param-layout.js';
import { ExplicitPpoGrad } from '../agents/policies/explicit-ppo-grad.js';
import { ppoLoss } from '../agents/algos/ppo/ppo-loss.js';
import type { MinibatchArrays } from '../agents/algos/ppo/minibatch-assembler.js';
import { JsAdamW } from '../agents/optim/js-adamw.js';
import { AdamW } from '../agents/optim/adamw.js';
import { Rng } from '../src/core/rng.js';
import { benchArgs } from './ppo-goal-run.js';

const args = benchArgs(process.argv.slice(2));
const rowsList = (args.get('rows') ?? '256,1024').split(',').map(Number);
const obsDim = Number(args.get('obs') ?? 4);
const info = await initBackend({ report: null });
const spec: MlpSpec = { obsDim, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } };
const coefs = { clipCoef: 0.2, clipVloss: false, entCoef: 0, vfCoef: 0.5 };
const adamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-5, weightDecay: 0 };
const results: Array<Record<string, number | string>> = [];
const load0 = loadavg()[0];

for (const m of rowsList) {
  const rng = new Rng(1);
  const net = MlpActorCritic.create(spec, rng.spawn(), { logStdInit: 0 });
  const mb: MinibatchArrays = {
    rows: m,
    obs: rng.fillNormal(new Float32Array(m * obsDim)),
    actions: new Float32Array(m).map(() => (rng.random() < 0.5 ? 0 : 1)),
    oldLogProb: new Float32Array(m).fill(-Math.LN2),
    advantages: rng.fillNormal(new Float32Array(m)),
    returns: rng.fillNormal(new Float32Array(m)),
    oldValues: rng.fillNormal(new Float32Array(m)),
  };
  // Explicit path.
  const ex = new ExplicitPpoGrad(spec);
  const fast = net.fastGradient();
  const jsAdam = new JsAdamW(fast.groupRanges, ['actor', 'critic'], adamOptions);
  const theta = net.readParams();
  const grad = new Float32Array(net.numParams);
  const explicitStep = (): void => {
    ex.compute(theta, mb, coefs, grad);
    jsAdam.apply(theta, grad, 1e-4, 0.5);
  };
  // Autodiff path.
  const t = {
    batch: { obs: { rows: m, flat: mb.obs }, actions: mb.actions },
    oldLogProb: tf.tensor1d(mb.oldLogProb),
    advantages: tf.tensor1d(mb.advantages),
    returns: tf.tensor1d(mb.returns),
    oldValues: tf.tensor1d(mb.oldValues),
  };
  const adamW = new AdamW(net.variables(), ['actor', 'critic'], adamOptions);
  const autodiffStep = (): void => {
    const { value, grads } = tf.variableGrads(() => ppoLoss(net, t, coefs).loss, adamW.trainableVariables());
    const norm = adamW.apply(grads, 1e-4, 0.5);
    norm.dataSync();
    tf.dispose([value, norm, ...Object.values(grads)]);
  };
  const time = (f: () => void): number => {
    for (let i = 0; i < 30; i++) f();
    const n = 300;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t0) / n) * 1000;
  };
  const kernels = async (f: () => void): Promise<number> => (await tf.profile(f)).kernels.length;
  const row = {
    rows: m,
    explicitUs: Math.round(time(explicitStep)),
    autodiffUs: Math.round(time(autodiffStep)),
    explicitKernels: await kernels(explicitStep),
    autodiffKernels: await kernels(autodiffStep),
  };
  results.push(row);
  console.log(`PPO gradient step, 64x64 tanh, obs ${obsDim}, minibatch ${m}: explicit ${row.explicitUs} us (${row.explicitKernels} kernels) | autodiff ${row.autodiffUs} us (${row.autodiffKernels} kernels) | backend ${info.name}`);
  tf.dispose([t.oldLogProb, t.advantages, t.returns, t.oldValues]);
  adamW.dispose();
  net.dispose();
}
const load1 = loadavg()[0];
console.log(`load ${load0.toFixed(1)}->${load1.toFixed(1)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ppo-grad-step.json', JSON.stringify({ backend: info.name, obsDim, load: [load0, load1], results }, null, 2));
