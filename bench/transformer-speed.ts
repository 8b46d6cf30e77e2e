/**
 * The transformer policy's two speed figures (issue 12's targets):
 * - training step: loss + gradient + AdamW for a batch of 32 windows of
 *   T = 20 steps (d = 128, 4 heads, 2 layers), on the default backend;
 *   reference measured here: 1.5 steps/s with tfjs's own matmul gradient,
 *   6.5/s with the explicit-transpose one (shared FINDINGS.md); target >= 10/s;
 * - control step: one cached plain-JS decoder step of a running policy
 *   (batch 1, T = 20, d = 128, 2 layers, heads included); reference: a naive
 *   plain-JS step with a cache, 0.6-0.9 ms (FINDINGS.md); target <= 1 ms.
 *
 *   npm run bench:transformer -- [--steps 20] [--batch 32]   (node --import tsx bench/transformer-speed.ts)
 *
 * Writes bench/results/transformer-speed.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../agents/backend.js';
import { Rng } from '../src/core/rng.js';
import { TransformerActorCritic } from '../agents/policies/transformer/transformer-actor-critic.js';
import { AdamW } from '../agents/optim/adamw.js';
import { benchArgs } from './ppo-goal-run.js';

const args = benchArgs(process.argv.slice(2));
const T = Number(args.get('window') ?? 20);
const batch = Number(args.get('batch') ?? 32);
const iters = Number(args.get('steps') ?? 20);
const info = await initBackend({ report: null });
const load0 = loadavg()[0];
const rng = new Rng(0);
const net = TransformerActorCritic.create({ obsDim: 21, head: { kind: 'gaussian', dim: 6 }, dModel: 128, layers: 2, heads: 4, mlpRatio: 4, window: T, tasks: 1, taskIndex: 0 }, rng, { logStdInit: 0 });
const adam = new AdamW(net.variables(), ['tokenizers', 'trunk', 'heads'], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });

// Training step: a behaviour-cloning style loss (-log pi(a | window)) on `batch` windows of T steps, every step scored.
const rows = batch * T;
const obs = rng.fillNormal(new Float32Array(rows * 21));
const actions = rng.fillNormal(new Float32Array(rows * 6));
const prevActions = new Float32Array(rows * 6);
const episodeStart = new Uint8Array(rows);
for (let b = 0; b < batch; b++) {
  episodeStart[b * T] = 1;
  for (let t = 1; t < T; t++) prevActions.set(actions.subarray((b * T + t - 1) * 6, (b * T + t) * 6), (b * T + t) * 6);
}
const chunks = { count: batch, context: 0, length: T, episodeStart };
let adamCpuUs = 0;
const step = (): void => {
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(net.evaluate({ obs: { rows, flat: obs }, actions, prevActions, chunks }).logProb)) as tf.Scalar, adam.trainableVariables());
  const c0 = process.cpuUsage();
  const norm = adam.apply(grads, 1e-4, 1);
  norm.dataSync();
  const c = process.cpuUsage(c0);
  adamCpuUs += c.user + c.system;
  tf.dispose([value, norm, ...Object.values(grads)]);
};
for (let i = 0; i < 3; i++) step();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
adamCpuUs = 0;
for (let i = 0; i < iters; i++) step();
const adamCpuMs = adamCpuUs / 1000 / iters;
const trainPerSec = iters / ((performance.now() - t0) / 1000);
// CPU time per step: the comparable figure on a shared, loaded machine (wall time stretches with the neighbours).
const cpu = process.cpuUsage(cpu0);
const trainCpuMs = (cpu.user + cpu.system) / 1000 / iters;
const kernels = (await tf.profile(step)).kernels.length;

// Control step: warm the cache past the window, then time steady-state steps.
const out = { actions: new Float32Array(6), logProbs: new Float64Array(1), values: new Float64Array(1) };
const o = rng.fillNormal(new Float32Array(21));
for (let i = 0; i < 200; i++) net.act({ rows: 1, flat: o }, rng, true, out);
const n = 2000;
const lat: number[] = [];
for (let i = 0; i < n; i++) {
  const s = performance.now();
  net.act({ rows: 1, flat: o }, rng, true, out);
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
const p50 = lat[Math.floor(n * 0.5)];
const p99 = lat[Math.floor(n * 0.99)];
const load1 = loadavg()[0];
console.log(`transformer training step (T ${T}, d 128, 4 heads, 2 layers, batch ${batch}, ${kernels} kernels): ${trainPerSec.toFixed(1)} steps/s, ${trainCpuMs.toFixed(1)} CPU-ms/step (${(1000 / trainCpuMs).toFixed(1)} steps per CPU-second) | reference 1.5/s (tfjs gradient), 6.5/s (explicit-transpose), 6.7/s quiet before the explicit attention/LayerNorm/GELU backwards (docs/benchmarks.md) | target >= 10/s | backend ${info.name}`);
console.log(`  of which AdamW (${adam.trainableVariables().length} variables): ${adamCpuMs.toFixed(1)} CPU-ms/step | reference 13-18 CPU-ms, 583 kernels (tensor AdamW before the flat JS path, docs/benchmarks.md)`);
console.log(`transformer control step (batch 1, T ${T}, d 128, 2 layers, cached plain JS): p50 ${(p50 * 1000).toFixed(0)} us, p99 ${(p99 * 1000).toFixed(0)} us | reference 600-900 us (naive cached JS) | target <= 1000 us`);
console.log(`load ${load0.toFixed(1)}->${load1.toFixed(1)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/transformer-speed.json', JSON.stringify({ backend: info.name, window: T, batch, trainStepsPerSecond: trainPerSec, trainCpuMsPerStep: trainCpuMs, adamCpuMsPerStep: adamCpuMs, kernels, controlStepUs: { p50: p50 * 1000, p99: p99 * 1000 }, load: [load0, load1] }, null, 2));
net.dispose();
adam.dispose();
