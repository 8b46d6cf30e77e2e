/**
 * Inference latency of an exported policy against lamkit's own paths
 * (issue 18): batch 1 and batch 64, for an MLP (CartPole shape: obs 4,
 * Discrete(2), 64x64 tanh) and a transformer step (obs 21, Box(6); d 128,
 * 4 heads, 2 layers, MLP x4, window 16, the cache full), through
 *   - lamkit's plain-JS forward (`MlpPolicy.act` / `TransformerPolicy.act`, deterministic),
 *   - tfjs on its default backend (MLP: `MlpActorCritic.forward` + read back,
 *     and the `--format tfjs` graph model;
 *     transformer: no cached step exists in tfjs, so the whole window through
 *     `evaluate`, what acting with tfjs costs per step),
 *   - ONNX Runtime Node (`policy.onnx` from `lamkit export`), through its
 *     public async `run` and synchronously (`createOrtNodeSyncSession`),
 *   - ONNX Runtime Web (wasm, one thread) in headless Chromium.
 * Each figure is the median of timed calls after a warm-up, printed beside
 * its target (issue 18: ORT Node MLP batch-1 <= 15 us; transformer step <= 1 ms)
 * and the load average. `--quick` times fewer calls.
 *
 *   npm run bench:export [-- --quick]
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../agents/backend.js';
import { Rng } from '../src/core/rng.js';
import { Box } from '../src/core/spaces/box.js';
import { Discrete } from '../src/core/spaces/discrete.js';
import type { Space } from '../src/core/spaces/space.js';
import { MlpActorCritic } from '../agents/policies/mlp-actor-critic.js';
import { TransformerActorCritic } from '../agents/policies/transformer/transformer-actor-critic.js';
import type { ActorCritic } from '../agents/policies/actor-critic.js';
import { capturePolicy } from '../agents/policies/policy-state.js';
import { saveCheckpoint } from '../agents/checkpoint/save-checkpoint.js';
import { loadPolicy } from '../agents/checkpoint/load-policy.js';
import { exportPolicy } from '../agents/export/export-policy.js';
import { OnnxGraph } from '../agents/export/onnx-graph.js';
import { createOrtNodeSyncSession } from '../agents/export/ort-node-sync.js';
import { openOrtWebPage } from '../test/helpers/ort-web.js';

const QUICK = process.argv.includes('--quick');
const CALLS = QUICK ? 300 : 2000;
const BATCHES = [1, 64];
const dir = mkdtempSync(join(tmpdir(), 'lamkit-bench-export-'));
const backend = await initBackend({ report: null });

interface Row {
  model: string;
  path: string;
  batch: number;
  us: number;
  target: number | null;
  load: number;
}
const rows: Row[] = [];
const record = (model: string, path: string, batch: number, us: number, target: number | null = null): void => {
  const load = loadavg()[0];
  rows.push({ model, path, batch, us, target, load });
  const vs = target === null ? '' : ` (target <= ${target} us: ${us <= target ? 'met' : 'NOT met'})`;
  console.log(`${model.padEnd(11)} ${path.padEnd(34)} batch ${String(batch).padStart(2)}: ${us.toFixed(1).padStart(8)} us/call${vs}  [load ${load.toFixed(1)}]`);
};

/** Median microseconds per call of `f` (sync or async) after a warm-up; at most `calls` calls and about `budgetMs` of timed calls. */
async function median(f: () => unknown, calls = CALLS, budgetMs = QUICK ? 1000 : 4000): Promise<number> {
  const t0 = performance.now();
  let warm = 0;
  while (warm < Math.min(200, calls) && (warm < 5 || performance.now() - t0 < budgetMs / 4)) {
    await f();
    warm++;
  }
  const perCallMs = (performance.now() - t0) / warm;
  const n = Math.max(5, Math.min(calls, Math.floor(budgetMs / perCallMs)));
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t[i] = (performance.now() - s) * 1000;
  }
  t.sort();
  return t[n >> 1];
}

/** Saves `net` as a checkpoint with observation statistics and exports it to ONNX; returns both directories. */
function saveAndExport(name: string, net: ActorCritic, observationSpace: Space<unknown>, actionSpace: Space<unknown>): { ckpt: string; onnx: string } {
  const ckpt = join(dir, name);
  const d = observationSpace.flatDim;
  saveCheckpoint(ckpt, {
    meta: { envId: name, observationSpace, actionSpace, backend: backend.name },
    policy: capturePolicy(net),
    normalization: { obs: { mean: new Array(d).fill(0.1), var: new Array(d).fill(2), count: 100 }, ret: null, clipObs: 10 },
    algo: { name: 'ppo', config: {}, state: {}, optimizer: null },
  });
  const onnx = join(dir, `${name}-onnx`);
  exportPolicy(ckpt, onnx, { format: 'onnx' });
  return { ckpt, onnx };
}

const rng = new Rng(0);
const mlpObs = new Box(-5, 5, [4]);
const mlpNet = MlpActorCritic.create({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } }, rng, { logStdInit: 0 });
const mlp = saveAndExport('mlp', mlpNet, mlpObs, new Discrete(2));
const tSpec = { obsDim: 21, head: { kind: 'gaussian' as const, dim: 6 }, dModel: 128, layers: 2, heads: 4, mlpRatio: 4, window: 16, tasks: 1, taskIndex: 0 };
const tNet = TransformerActorCritic.create(tSpec, rng, { logStdInit: -0.5 });
const trans = saveAndExport('transformer', tNet, new Box(-10, 10, [21]), new Box(-1, 1, [6]));
const W = tSpec.window - 1;

// lamkit's plain-JS forward.
for (const [name, c] of [['mlp', mlp], ['transformer', trans]] as const) {
  const policy = await loadPolicy(c.ckpt);
  const d = policy.observationSpace.flatDim;
  for (const batch of BATCHES) {
    const obs = rng.fillNormal(new Float32Array(batch * d)) as Float32Array;
    for (let i = 0; i < W; i++) policy.act(obs, { deterministic: true }); // the transformer's cache holds a full window
    record(name, 'lamkit plain JS (Policy.act)', batch, await median(() => policy.act(obs, { deterministic: true })), name === 'transformer' && batch === 1 ? 1000 : null);
  }
}

// tfjs.
for (const batch of BATCHES) {
  const obs = rng.fillNormal(new Float32Array(batch * 4)) as Float32Array;
  record('mlp', `tfjs ${backend.name} (forward + read back)`, batch, await median(() => {
    const x = tf.tensor2d(obs, [batch, 4]);
    const { actorOut, value } = mlpNet.forward(x);
    actorOut.dataSync();
    value.dataSync();
    tf.dispose([x, actorOut, value]);
  }, QUICK ? 100 : 500));
  const T = tSpec.window;
  const flat = rng.fillNormal(new Float32Array(batch * T * 21)) as Float32Array;
  const episodeStart = new Uint8Array(batch * T);
  for (let b = 0; b < batch; b++) episodeStart[b * T] = 1;
  const acts = new Float32Array(batch * T * 6);
  record('transformer', `tfjs ${backend.name} (window of ${T}, evaluate)`, batch, await median(() => {
    const ev = tNet.evaluate({ obs: { rows: batch * T, flat }, actions: acts, prevActions: acts, chunks: { count: batch, context: 0, length: T, episodeStart } });
    ev.value.dataSync();
    tf.dispose([ev.logProb, ev.entropy, ev.value]);
  }, QUICK ? 10 : 40));
}

// The exported tfjs graph model of the MLP (lamkit export --format tfjs).
exportPolicy(mlp.ckpt, join(dir, 'mlp-tfjs'), { format: 'tfjs' });
const graphJson = JSON.parse(readFileSync(join(dir, 'mlp-tfjs', 'model.json'), 'utf8'));
const graphBin = readFileSync(join(dir, 'mlp-tfjs', 'weights.bin'));
const graph = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: graphJson.modelTopology, weightSpecs: graphJson.weightsManifest[0].weights, weightData: graphBin.buffer.slice(graphBin.byteOffset, graphBin.byteOffset + graphBin.byteLength), format: 'graph-model' }));
for (const batch of BATCHES) {
  const obs = rng.fillNormal(new Float32Array(batch * 4)) as Float32Array;
  record('mlp', `tfjs ${backend.name} graph model (export)`, batch, await median(() => {
    const x = tf.tensor2d(obs, [batch, 4]);
    const a = graph.execute({ obs: x }, 'action') as tf.Tensor;
    a.dataSync();
    tf.dispose([x, a]);
  }, QUICK ? 100 : 500));
}
graph.dispose();

// ONNX Runtime Node's per-call floor: a graph that only copies its input (obs [1 x 4] -> Identity).
{
  const g = new OnnxGraph('floor');
  g.output(g.input('obs', 'float32', ['batch', 4]), 'action', 'float32', ['batch', 4]);
  const floor = await ort.InferenceSession.create(g.encode({ producerVersion: 'bench', docString: '', metadata: {} }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feeds = { obs: new ort.Tensor('float32', new Float32Array(4), [1, 4]) };
  record('(floor)', 'ONNX Runtime Node, Identity graph', 1, await median(() => floor.run(feeds)));
  await floor.release();
  const floorSync = createOrtNodeSyncSession(g.encode({ producerVersion: 'bench', docString: '', metadata: {} }));
  record('(floor)', 'ORT Node sync (runSync), Identity', 1, await median(() => floorSync.runSync(feeds)));
  floorSync.release();
}

// ONNX Runtime Node and Web: the same exported files.
const feedsFor = (name: string, batch: number): Record<string, number[]> =>
  name === 'mlp' ? { obs: [batch, 4] } : { obs: [batch, 21], past_keys: [tSpec.layers, batch, W, tSpec.dModel], past_values: [tSpec.layers, batch, W, tSpec.dModel], past_mask: [batch, W], prev_action: [batch, 6], has_prev: [batch, 1] };
for (const [name, c] of [['mlp', mlp], ['transformer', trans]] as const) {
  const session = await ort.InferenceSession.create(join(c.onnx, 'policy.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  for (const batch of BATCHES) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, dims] of Object.entries(feedsFor(name, batch))) feeds[k] = new ort.Tensor('float32', k === 'past_mask' ? new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1) : rng.fillNormal(new Float32Array(dims.reduce((a, b) => a * b, 1))) as Float32Array, dims);
    record(name, 'ONNX Runtime Node (1 thread)', batch, await median(() => session.run(feeds)), batch === 1 ? (name === 'mlp' ? 15 : 1000) : null);
  }
  await session.release();
  // The same native session called synchronously (createOrtNodeSyncSession: no setImmediate, no output wrapping).
  const sync = createOrtNodeSyncSession(join(c.onnx, 'policy.onnx'));
  for (const batch of BATCHES) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, dims] of Object.entries(feedsFor(name, batch))) feeds[k] = new ort.Tensor('float32', k === 'past_mask' ? new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1) : rng.fillNormal(new Float32Array(dims.reduce((a, b) => a * b, 1))) as Float32Array, dims);
    record(name, 'ORT Node sync (runSync, 1 thread)', batch, await median(() => sync.runSync(feeds)), batch === 1 ? (name === 'mlp' ? 15 : 1000) : null);
  }
  sync.release();
}
try {
  const page = await openOrtWebPage();
  try {
    for (const [name, c] of [['mlp', mlp], ['transformer', trans]] as const) {
      page.serve(`/model/${name}.onnx`, readFileSync(join(c.onnx, 'policy.onnx')));
      for (const batch of BATCHES) {
        const r = await page.call('latency', { url: `/model/${name}.onnx`, feeds: feedsFor(name, batch), iterations: QUICK ? 200 : 1000, warmup: 100 });
        record(name, 'ONNX Runtime Web (Chromium, wasm)', batch, r.medianUs);
      }
    }
  } finally {
    await page.close();
  }
} catch (err) {
  console.log(`ONNX Runtime Web: not measured (${(err as Error).message.split('\n')[0]})`);
}

mlpNet.dispose();
tNet.dispose();
rmSync(dir, { recursive: true, force: true });
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/export-latency.json', JSON.stringify({ date: new Date().toISOString(), quick: QUICK, backend: backend.name, transformer: tSpec, rows }, null, 2) + '\n');
console.log(`wrote bench/results/export-latency.json (load average now ${loadavg()[0].toFixed(1)})`);
