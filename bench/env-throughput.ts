/**
 * Environment throughput (`npm run bench:env`): steps/s of CartPole-v1 and
 * Pendulum-v1 with random actions from a seeded Rng, as one env (through
 * `make`, and raw `unwrapped`), SyncVectorEnv of 8 and AsyncVectorEnv of 8 on
 * 2 workers, each beside Gymnasium 0.29.1's one-env figure on the reference
 * machine; MuJoCo Reacher-v5 sync vs async; then a sweep of a synthetic
 * env's per-step cost to find where AsyncVectorEnv overtakes SyncVectorEnv.
 *
 * Each figure is the best of REPEATS timed runs (the reference machine has 2
 * cores shared with other work: the best run is the least disturbed one).
 * Options: `--quick` (short runs), env `BENCH_MS` (time per run, default 1000).
 * Writes bench/results/env-throughput.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import '../envs/classic/register.js';
import '../envs/mujoco/register.js';
import { BUSY_ID } from './busy-env.js';
import { make } from '../src/registry/registry.js';
import { makeVec } from '../src/registry/make-vec.js';
import { Rng } from '../src/core/rng.js';
import { allocateActions, type ActionBatch, type VectorEnv } from '../src/core/vector-env.js';
import type { Env } from '../src/core/env.js';
import { reference } from './references.js';

const QUICK = process.argv.includes('--quick');
const RUN_MS = Number(process.env.BENCH_MS ?? (QUICK ? 300 : 1000));
const WARMUP_MS = Math.min(300, RUN_MS / 4);
const REPEATS = QUICK ? 1 : 3;
const NUM_ENVS = 8;
const NUM_WORKERS = 2;

/** Gymnasium 0.29.1, one env, on the reference machine kind (steps/s; docs/references.md). */
const GYMNASIUM: Record<string, [number, number]> = {
  'CartPole-v1': reference('gymnasium.cartpole.sps').value as [number, number],
  'Pendulum-v1': reference('gymnasium.pendulum.sps').value as [number, number],
};
const MAX_STEPS: Record<string, number> = { 'CartPole-v1': 500, 'Pendulum-v1': 200 };

interface Figure {
  task: string;
  setup: string;
  stepsPerSecond: number;
  reference?: string;
  ratioToGymnasium?: [number, number];
}
const figures: Figure[] = [];

/** Runs `chunk()` (which takes `stepsPerChunk` env steps) for WARMUP_MS, then REPEATS x RUN_MS; returns the best env steps/s. */
async function measure(chunk: () => void | Promise<void>, stepsPerChunk: number): Promise<number> {
  let best = 0;
  for (let run = -1; run < REPEATS; run++) {
    const ms = run < 0 ? WARMUP_MS : RUN_MS;
    let steps = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      await chunk();
      steps += stepsPerChunk;
      t = performance.now();
    }
    if (run >= 0) best = Math.max(best, (steps / (t - t0)) * 1000);
  }
  return best;
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

function report(f: Figure): void {
  figures.push(f);
  const ref = f.reference ? `   (${f.reference})` : '';
  console.log(`${f.task.padEnd(14)} ${f.setup.padEnd(34)} ${fmt(f.stepsPerSecond).padStart(8)} steps/s${ref}`);
}

function vsGymnasium(task: string, sps: number): Pick<Figure, 'reference' | 'ratioToGymnasium'> {
  const [lo, hi] = GYMNASIUM[task];
  const ratio: [number, number] = [sps / hi, sps / lo];
  return { reference: `Gymnasium 0.29.1 one env: ${fmt(lo)}-${fmt(hi)}; ${ratio[0].toFixed(1)}x-${ratio[1].toFixed(1)}x, goal >= 10x`, ratioToGymnasium: ratio };
}

/** One env, `env.actionSpace.sample(rng)` each step (as Gymnasium's `action_space.sample()`), reset at episode end. */
async function oneEnv(task: string, env: Env, capSteps: number | null): Promise<number> {
  const rng = new Rng(0);
  const space = env.actionSpace;
  env.reset({ seed: 0 });
  let t = 0;
  const CHUNK = 1000;
  return measure(() => {
    for (let i = 0; i < CHUNK; i++) {
      const r = env.step(space.sample(rng));
      t++;
      if (r.terminated || r.truncated || t === capSteps) {
        env.reset();
        t = 0;
      }
    }
  }, CHUNK);
}

/** A vector env stepped with random actions (drawn into one preallocated batch). */
async function vectorEnv(vec: VectorEnv, chunk = 50): Promise<number> {
  const rng = new Rng(0);
  const actions: ActionBatch = allocateActions(vec.singleActionSpace, vec.numEnvs);
  const space = vec.singleActionSpace;
  const discrete = space.kind === 'Discrete';
  const box = space.kind === 'Box' ? (space as unknown as { low: Float64Array; high: Float64Array }) : null;
  await vec.reset({ seed: 0 });
  try {
    return await measure(async () => {
      for (let s = 0; s < chunk; s++) {
        for (let i = 0; i < actions.length; i++) {
          actions[i] = discrete ? rng.integer(0, 2) : rng.uniform(box!.low[i % box!.low.length], box!.high[i % box!.high.length]);
        }
        await vec.step(actions);
      }
    }, chunk * vec.numEnvs);
  } finally {
    await vec.close();
  }
}

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`# env throughput: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load ${load}${QUICK ? ' (quick)' : ''}`);
  for (const task of ['CartPole-v1', 'Pendulum-v1']) {
    const made = await oneEnv(task, make(task, { disableEnvChecker: true }), null);
    report({ task, setup: 'one env, make()', stepsPerSecond: made, ...vsGymnasium(task, made) });
    const raw = await oneEnv(task, make(task).unwrapped, MAX_STEPS[task]);
    report({ task, setup: 'one env, raw (unwrapped)', stepsPerSecond: raw, ...vsGymnasium(task, raw) });
    const sync = await vectorEnv(await makeVec(task, { numEnvs: NUM_ENVS }));
    report({ task, setup: `SyncVectorEnv x${NUM_ENVS}`, stepsPerSecond: sync, ...vsGymnasium(task, sync) });
    const asyncSps = await vectorEnv(await makeVec(task, { numEnvs: NUM_ENVS, vectorizationMode: 'async', numWorkers: NUM_WORKERS }));
    report({ task, setup: `AsyncVectorEnv x${NUM_ENVS} on ${NUM_WORKERS} workers`, stepsPerSecond: asyncSps, ...vsGymnasium(task, asyncSps) });
  }

  // A real expensive step: MuJoCo Reacher-v5 (WASM physics, frameSkip substeps per step).
  const mj = 'Reacher-v5';
  const mjSync = await vectorEnv(await makeVec(mj, { numEnvs: NUM_ENVS }), 20);
  report({ task: mj, setup: `SyncVectorEnv x${NUM_ENVS}`, stepsPerSecond: mjSync, reference: `one step ~${(1e6 / mjSync).toFixed(0)} us` });
  const mjAsync = await vectorEnv(await makeVec(mj, { numEnvs: NUM_ENVS, vectorizationMode: 'async', numWorkers: NUM_WORKERS }), 20);
  report({ task: mj, setup: `AsyncVectorEnv x${NUM_ENVS} on ${NUM_WORKERS} workers`, stepsPerSecond: mjAsync, reference: `async/sync ${(mjAsync / mjSync).toFixed(2)}x` });

  console.log(`# break-even sweep: ${BUSY_ID} with a busy-waited step cost, ${NUM_ENVS} sub-envs, async on ${NUM_WORKERS} workers`);
  const costsUs = QUICK ? [0, 5, 20, 100] : [0, 1, 2, 5, 10, 20, 50, 100];
  const sweep: Array<{ stepCostUs: number; sync: number; async: number; ratio: number }> = [];
  for (const stepCostUs of costsUs) {
    const makeOptions = { kwargs: { stepCostUs } };
    const chunk = Math.max(2, Math.round(2000 / (stepCostUs * NUM_ENVS + 10)));
    const sync = await vectorEnv(await makeVec(BUSY_ID, { numEnvs: NUM_ENVS, makeOptions }), chunk);
    const asyncSps = await vectorEnv(await makeVec(BUSY_ID, { numEnvs: NUM_ENVS, vectorizationMode: 'async', numWorkers: NUM_WORKERS, makeOptions }), chunk);
    sweep.push({ stepCostUs, sync, async: asyncSps, ratio: asyncSps / sync });
    report({ task: `Busy ${stepCostUs}us`, setup: `SyncVectorEnv x${NUM_ENVS}`, stepsPerSecond: sync, reference: stepCostUs > 0 ? `ideal on one core ${fmt(1e6 / stepCostUs)}` : 'vector overhead only' });
    report({ task: `Busy ${stepCostUs}us`, setup: `AsyncVectorEnv x${NUM_ENVS} on ${NUM_WORKERS} workers`, stepsPerSecond: asyncSps, reference: `async/sync ${(asyncSps / sync).toFixed(2)}x` });
  }
  // Linear interpolation of async/sync across 1.
  let breakEvenUs: number | null = null;
  for (let k = 0; k < sweep.length; k++) {
    if (sweep[k].ratio >= 1) {
      breakEvenUs = k === 0 ? sweep[0].stepCostUs : sweep[k - 1].stepCostUs + ((1 - sweep[k - 1].ratio) / (sweep[k].ratio - sweep[k - 1].ratio)) * (sweep[k].stepCostUs - sweep[k - 1].stepCostUs);
      break;
    }
  }
  console.log(
    breakEvenUs === null
      ? `# AsyncVectorEnv never overtook SyncVectorEnv up to ${costsUs[costsUs.length - 1]} us per step`
      : `# break-even: AsyncVectorEnv (${NUM_WORKERS} workers) beats SyncVectorEnv above ~${breakEvenUs.toFixed(1)} us per sub-env step`,
  );

  console.log(`# load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2-core machine: figures are noisy above ~1)`);
  mkdirSync('bench/results', { recursive: true });
  const out = { date: new Date().toISOString(), node: process.version, cores: availableParallelism(), loadavgStart: load, loadavgEnd: loadavg(), runMs: RUN_MS, repeats: REPEATS, figures, sweep, breakEvenUs };
  const path = 'bench/results/env-throughput.json';
  writeFileSync(`${path}.tmp`, JSON.stringify(out, null, 2));
  renameSync(`${path}.tmp`, path);
  console.log(`# wrote ${path}`);
}

await main();
