/**
 * Dataset throughput (`npm run bench:data`), the two figures of the
 * datasets issue:
 *
 * 1. Recording overhead: `recordEpisodes` (each episode journaled on the
 *    loop's thread; statistics, Parquet row groups and the commit on the
 *    writer thread by default) vs the bare `runEpisodes` loop, ArmReach-v0 with its scripted
 *    expert, same seeds. Runs alternate (bare, record, bare, ...) and the
 *    median of REPEATS pairs is reported, in wall and CPU time, split into
 *    the loop (to the last episode's journal write) and the final commit;
 *    every pair with the load it ran under; and the recorder's own cost
 *    isolated (the same episodes replayed from memory, see recorderCost).
 *    Target: <= 10 %.
 * 2. Reading a 1,000,000-frame dataset (state dim 30, action dim 6, 1,000
 *    episodes of 1,000 frames) into shuffled training batches of 256:
 *    frames/s of the first epoch (cold: decoding the files included) and of
 *    a second epoch (data in memory), and of the block-shuffle mode under a
 *    64 MiB budget (files of 25 MB); peak RSS. Target: >= 1M frames/s.
 *    Each read runs in a fresh child process, with the default allocator
 *    and with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (transparent huge
 *    pages for malloc) alternating, `--read-runs N` pairs (default 2), with
 *    the first epoch's minor page faults.
 *
 * Options: `--quick` (fewer episodes/frames); `--recording-only` (figure 1
 * only, nothing written); `--read-only [--dataset DIR]` (figure 2's read
 * part only, on DIR, which is written once when it holds no dataset and
 * reused after: e.g. for `node --cpu-prof`); `--no-offload` (record with `offload: false`: the
 * statistics, encoding and commit on the loop's thread, for comparison);
 * `--no-helper` (read with `helperThread: false`: decoding, first touch and
 * every batch on the iterating thread, for comparison with the default
 * helper thread).
 * Writes bench/results/data-throughput.json.
 *
 * CPU is reported twice: the process's (user + system, every thread: with
 * the default offloaded writer it includes the writer thread's work) and
 * the env loop's own thread (Linux `/proc/thread-self/schedstat`), which is
 * what slows the loop down when another core is free for the writer.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { runEpisodes } from '../src/core/run-episodes.js';
import { ArmReachExpert } from '../envs/mujoco/arm-reach-expert.js';
import { recordEpisodes } from '../src/data/record-episodes.js';
import { DatasetWriter } from '../src/data/dataset-writer.js';
import { openDataset } from '../src/data/lerobot-dataset.js';
import { iterateBatches } from '../src/data/dataset-batches.js';
import { Rng } from '../src/core/rng.js';
import type { Env, StepResult } from '../src/core/env.js';
import type { Policy } from '../src/core/policy.js';

const QUICK = process.argv.includes('--quick');
const OFFLOAD = !process.argv.includes('--no-offload');
const EPISODES = QUICK ? 100 : 400;
const REPEATS = QUICK ? 3 : 7;
const FRAMES = QUICK ? 200_000 : 1_000_000;
const EPISODE_FRAMES = 1000;
const STATE = 30;
const ACTION = 6;
const BATCH = 256;

const scratch = mkdtempSync(join(tmpdir(), 'lamkit-bench-data-'));
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** CPU time of this process (user + system) in ms: with other work on the 2 cores, wall time measures the load as much as the code. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time of this thread (the env loop's) in ms, from the scheduler's own clock (ns); NaN where the kernel does not expose it. */
const THREAD_CLOCK = '/proc/thread-self/schedstat';
const HAS_THREAD_CLOCK = existsSync(THREAD_CLOCK);
const mainCpuMs = (): number => (HAS_THREAD_CLOCK ? Number(readFileSync(THREAD_CLOCK, 'utf8').split(' ')[0]) / 1e6 : NaN);

/**
 * Minor page faults (first touches of memory; ~5 ms a MiB on the 2-core
 * VM, see docs/benchmarks.md) of this thread (the env loop's, Linux
 * `/proc/thread-self/stat` field 10; NaN elsewhere) and of the whole process
 * (every thread: the writer thread's, V8's and libuv's helpers').
 */
const HAS_THREAD_STAT = existsSync('/proc/thread-self/stat');
const faults = (): { loop: number; all: number } => {
  const all = process.resourceUsage().minorPageFault;
  if (!HAS_THREAD_STAT) return { loop: NaN, all };
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return { loop: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]), all };
};

interface Pair {
  bareMs: number;
  recordMs: number;
  /** Recorded run up to the last episode's journal write (before the final commit). */
  loopMs: number;
  bareCpuMs: number;
  recordCpuMs: number;
  loopCpuMs: number;
  /** CPU of the env loop's thread alone. */
  bareMainMs: number;
  recordMainMs: number;
  /** Minor page faults of the env loop's thread and of the process's other threads, bare and recorded. */
  bareLoopFaults: number;
  recordLoopFaults: number;
  bareOtherFaults: number;
  recordOtherFaults: number;
  /** 1-minute load average after the pair. */
  load: number;
}

async function recordingOverhead(): Promise<{ bareMs: number; recordMs: number; overhead: number; loopOverhead: number; commitMs: number; cpuOverhead: number; loopCpuOverhead: number; commitCpuMs: number; bareCpuMs: number; recordCpuMs: number; mainOverhead: number; bareMainMs: number; recordMainMs: number; faults: { bareLoop: number; recordLoop: number; bareOther: number; recordOther: number }; steps: number; pairs: Pair[]; isolated: { bareCpuMs: number; recordCpuMs: number; costCpuMs: number; costWallMs: number; costMainMs: number; minBareCpuMs: number } }> {
  const env = await makeAsync('ArmReach-v0');
  const expert = new ArmReachExpert(env);
  await runEpisodes(env, expert, { episodes: 20, seed: 0, deterministic: true }); // warm-up (JIT, MuJoCo)
  // Also starts the offloaded writer's thread (kept between recordings).
  await recordEpisodes(expert, env, { out: join(scratch, 'warm'), episodes: 20, seed: 0, offload: OFFLOAD });
  const pairs: Pair[] = [];
  let steps = 0;
  for (let r = 0; r < REPEATS; r++) {
    let c0 = cpuMs();
    let m0 = mainCpuMs();
    let f0 = faults();
    let t0 = performance.now();
    const bare = await runEpisodes(env, expert, { episodes: EPISODES, seed: 1000, deterministic: true, keepEpisodes: false });
    const bareMs = performance.now() - t0;
    const bareCpuMs = cpuMs() - c0;
    const bareMainMs = mainCpuMs() - m0;
    let f1 = faults();
    const bareLoopFaults = f1.loop - f0.loop;
    const bareOtherFaults = f1.all - f0.all - bareLoopFaults;
    const out = join(scratch, `rec-${r}`);
    let lastEpisodeAt = 0;
    let lastEpisodeCpu = 0;
    let finished = 0;
    c0 = cpuMs();
    m0 = mainCpuMs();
    f0 = faults();
    t0 = performance.now();
    await recordEpisodes(expert, env, {
      out,
      episodes: EPISODES,
      seed: 1000,
      offload: OFFLOAD,
      // Only the last episode reads the CPU clock: process.cpuUsage() (a getrusage call) per
      // episode would be charged to the recorded side alone.
      onEpisode: () => {
        if (++finished < EPISODES) return;
        lastEpisodeAt = performance.now();
        lastEpisodeCpu = cpuMs();
      },
    });
    const recordMs = performance.now() - t0;
    const recordCpuMs = cpuMs() - c0;
    const recordMainMs = mainCpuMs() - m0;
    f1 = faults();
    const recordLoopFaults = f1.loop - f0.loop;
    const recordOtherFaults = f1.all - f0.all - recordLoopFaults;
    rmSync(out, { recursive: true, force: true });
    steps = bare.steps;
    pairs.push({ bareMs, recordMs, loopMs: lastEpisodeAt - t0, bareCpuMs, recordCpuMs, loopCpuMs: lastEpisodeCpu - c0, bareMainMs, recordMainMs, bareLoopFaults, recordLoopFaults, bareOtherFaults, recordOtherFaults, load: loadavg()[0] });
  }
  const isolated = await recorderCost(env, expert, QUICK ? 5 : 15);
  env.close();
  const med = (f: (p: Pair) => number): number => median(pairs.map(f));
  return {
    bareMs: med((p) => p.bareMs),
    recordMs: med((p) => p.recordMs),
    overhead: med((p) => p.recordMs / p.bareMs - 1),
    loopOverhead: med((p) => p.loopMs / p.bareMs - 1),
    commitMs: med((p) => p.recordMs - p.loopMs),
    cpuOverhead: med((p) => p.recordCpuMs / p.bareCpuMs - 1),
    loopCpuOverhead: med((p) => p.loopCpuMs / p.bareCpuMs - 1),
    commitCpuMs: med((p) => p.recordCpuMs - p.loopCpuMs),
    bareCpuMs: med((p) => p.bareCpuMs),
    recordCpuMs: med((p) => p.recordCpuMs),
    mainOverhead: med((p) => p.recordMainMs / p.bareMainMs - 1),
    bareMainMs: med((p) => p.bareMainMs),
    recordMainMs: med((p) => p.recordMainMs),
    faults: { bareLoop: med((p) => p.bareLoopFaults), recordLoop: med((p) => p.recordLoopFaults), bareOther: med((p) => p.bareOtherFaults), recordOther: med((p) => p.recordOtherFaults) },
    steps,
    pairs,
    isolated: { ...isolated, minBareCpuMs: Math.min(...pairs.map((p) => p.bareCpuMs)) },
  };
}

/**
 * The recorder's own cost, isolated: the same episodes replayed from memory
 * (the env's observations and results and the expert's actions, captured
 * once), so env and policy cost ~nothing; a recorded replay minus a bare
 * replay is what recording adds (journal, copies, statistics, commit).
 * Short runs, so the minimum of many is taken: less sensitive to other work
 * on the machine than the difference of two ~1 s loops. In the real loop
 * MuJoCo competes for the caches, so this is a lower bound of the overhead.
 */
async function recorderCost(env: Awaited<ReturnType<typeof makeAsync>>, expert: ArmReachExpert, runs: number): Promise<{ bareCpuMs: number; recordCpuMs: number; costCpuMs: number; costWallMs: number; costMainMs: number }> {
  const resets: unknown[] = [];
  const results: Array<StepResult<unknown>> = [];
  const actions: Float32Array[] = [];
  const capture: Policy = {
    observationSpace: expert.observationSpace,
    actionSpace: expert.actionSpace,
    act: (obs, o) => {
      const a = expert.act(obs, o);
      actions.push(Float32Array.from(a));
      return a;
    },
  };
  await runEpisodes(env, capture, {
    episodes: EPISODES,
    seed: 1000,
    deterministic: true,
    keepEpisodes: false,
    onEpisodeStart: (s) => void resets.push(structuredClone(s.obs)),
    onStep: (s) => void results.push({ obs: structuredClone(s.nextObs), reward: s.reward, terminated: s.terminated, truncated: s.truncated, info: { ...s.info } }),
  });
  const replay = (): { env: Env<unknown, unknown>; policy: Policy } => {
    let e = 0;
    let t = 0;
    let a = 0;
    const dt = (env.unwrapped as { dt?: number }).dt;
    const replayEnv = {
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      metadata: env.metadata,
      reset: () => ({ obs: resets[e++], info: {} }),
      step: () => results[t++],
      close: () => {},
      unwrapped: { dt },
    } as unknown as Env<unknown, unknown>;
    return { env: replayEnv, policy: { observationSpace: expert.observationSpace, actionSpace: expert.actionSpace, act: () => actions[a++] } };
  };
  const bare: Array<[number, number, number]> = [];
  const recorded: Array<[number, number, number]> = [];
  for (let r = 0; r < runs; r++) {
    let { env: re, policy } = replay();
    let c0 = cpuMs();
    let m0 = mainCpuMs();
    let t0 = performance.now();
    await runEpisodes(re, policy, { episodes: EPISODES, seed: 1000, deterministic: true, keepEpisodes: false });
    bare.push([cpuMs() - c0, performance.now() - t0, mainCpuMs() - m0]);
    ({ env: re, policy } = replay());
    const out = join(scratch, `replay-${r}`);
    c0 = cpuMs();
    m0 = mainCpuMs();
    t0 = performance.now();
    await recordEpisodes(policy, re, { out, episodes: EPISODES, seed: 1000, offload: OFFLOAD });
    recorded.push([cpuMs() - c0, performance.now() - t0, mainCpuMs() - m0]);
    rmSync(out, { recursive: true, force: true });
  }
  const min = (xs: number[]): number => Math.min(...xs);
  const bareCpuMs = min(bare.map((x) => x[0]));
  const recordCpuMs = min(recorded.map((x) => x[0]));
  return { bareCpuMs, recordCpuMs, costCpuMs: recordCpuMs - bareCpuMs, costWallMs: min(recorded.map((x) => x[1])) - min(bare.map((x) => x[1])), costMainMs: min(recorded.map((x) => x[2])) - min(bare.map((x) => x[2])) };
}

async function writeBig(root: string): Promise<{ ms: number; bytes: number; files: number }> {
  const rng = new Rng(0);
  const scalar = (dtype: string) => ({ dtype, shape: [1], names: null });
  const t0 = performance.now();
  const w = await DatasetWriter.open(root, {
    fps: 30,
    features: {
      'observation.state': { dtype: 'float32', shape: [STATE], names: null },
      action: { dtype: 'float32', shape: [ACTION], names: null },
      'next.reward': scalar('float32'),
      'next.done': scalar('bool'),
      'next.terminated': scalar('bool'),
      'next.truncated': scalar('bool'),
    },
    lamkit: { envId: null, spaces: null, dtSeconds: null, textFeatures: [] },
  }, { dataFileSizeMb: 25 });
  const state = new Float32Array(EPISODE_FRAMES * STATE);
  const action = new Float32Array(EPISODE_FRAMES * ACTION);
  const reward = new Float32Array(EPISODE_FRAMES);
  const done = new Uint8Array(EPISODE_FRAMES);
  done[EPISODE_FRAMES - 1] = 1;
  for (let e = 0; e < FRAMES / EPISODE_FRAMES; e++) {
    rng.fillNormal(state);
    rng.fillUniform(action, -1, 1);
    rng.fillNormal(reward);
    w.addEpisode({ length: EPISODE_FRAMES, task: `task ${e % 4}`, frames: { 'observation.state': state, action, 'next.reward': reward, 'next.done': done, 'next.terminated': done, 'next.truncated': new Uint8Array(EPISODE_FRAMES) } });
    sampleRss();
  }
  w.close();
  const ms = performance.now() - t0;
  const dataDir = join(root, 'data/chunk-000');
  const files = readdirSync(dataDir);
  return { ms, bytes: files.reduce((s, f) => s + statSync(join(dataDir, f)).size, 0), files: files.length };
}

async function readEpochs(root: string, budget?: number): Promise<{ mode: string; epochMs: number[]; framesPerSecond: number[]; framesPerCpuSecond: number[]; helperBatches: number; helperNote: string }> {
  const ds = await openDataset(root);
  const epochMs: number[] = [];
  let mode = '';
  let helperBatches = 0;
  const it = iterateBatches(ds, { batchSize: BATCH, epochs: 2, seed: 1, memoryBudgetBytes: budget, helperThread: process.argv.includes('--no-helper') ? false : 'auto', onHelperStats: (s) => (helperBatches = s.helperBatches) });
  const { planSampling } = await import('../src/data/dataset-batches.js');
  mode = planSampling(ds, { batchSize: BATCH, memoryBudgetBytes: budget }).mode;
  const epochCpu: number[] = [];
  let c0 = cpuMs();
  let t0 = performance.now();
  let frames = 0;
  let checksum = 0;
  for await (const b of it) {
    frames += b.size;
    checksum += b.columns['observation.state'][0];
    if (frames % (BATCH * 500) < BATCH) sampleRss();
    if (frames >= FRAMES) {
      epochMs.push(performance.now() - t0);
      epochCpu.push(cpuMs() - c0);
      frames -= FRAMES;
      t0 = performance.now();
      c0 = cpuMs();
    }
  }
  if (!Number.isFinite(checksum)) throw new Error('bad batch data');
  const helperNote = process.argv.includes('--no-helper') ? '; no helper thread (--no-helper)' : `; the helper thread assembled ${fmt(helperBatches)} of ${fmt((2 * FRAMES) / BATCH)} batches`;
  return { mode, epochMs, framesPerSecond: epochMs.map((ms) => FRAMES / (ms / 1000)), framesPerCpuSecond: epochCpu.map((ms) => FRAMES / (ms / 1000)), helperBatches, helperNote };
}

const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${fmt(100 * x, 1)} %`;

// --read-only [--dataset DIR]: figure 2's read part alone, on DIR (written there once if missing; reused after).
const READ_ONLY = process.argv.includes('--read-only');
const datasetArg = process.argv.indexOf('--dataset');
const DATASET_DIR = datasetArg >= 0 ? process.argv[datasetArg + 1] : null;
if (datasetArg >= 0 && (!DATASET_DIR || DATASET_DIR.startsWith('--'))) {
  console.error('bench:data --dataset: expected a directory, got nothing. Pass e.g. --dataset .lamkit-tmp/big-data');
  process.exit(2);
}
/** The glibc setting that makes malloc ask the kernel for transparent huge pages (glibc >= 2.35; Linux with THP `madvise` or `always`). */
const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** The read figures of one child process. */
interface ReadRun {
  hugePages: boolean;
  inMemory: Awaited<ReturnType<typeof readEpochs>>;
  blockShuffle: Awaited<ReturnType<typeof readEpochs>>;
  peakRssBytes: number;
  epoch1Faults: number;
}

/**
 * `--read-child`: the read figures in a process of their own, printed as one
 * JSON line. Each setting gets a fresh process: the allocator is chosen at
 * process start (GLIBC_TUNABLES is read by the dynamic loader) and the
 * first touch of fresh memory is part of what the first epoch measures.
 */
if (process.argv.includes('--read-child')) {
  const root = DATASET_DIR as string;
  const f0 = faults().all;
  const inMemory = await readEpochs(root);
  const epoch1Faults = faults().all - f0;
  const blockShuffle = await readEpochs(root, 64 * 2 ** 20);
  const run: ReadRun = { hugePages: (process.env.GLIBC_TUNABLES ?? '').includes(HUGE_PAGES), inMemory, blockShuffle, peakRssBytes: peakRss, epoch1Faults };
  process.stdout.write(JSON.stringify(run) + '\n');
  rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
}

/** Runs the read figures in a fresh child process, with or without huge pages for malloc. */
function readInChild(root: string, hugePages: boolean): ReadRun {
  const env = { ...process.env };
  if (hugePages) env.GLIBC_TUNABLES = HUGE_PAGES;
  else delete env.GLIBC_TUNABLES;
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--read-child', '--dataset', root, ...process.argv.filter((a) => a === '--no-helper' || a === '--quick')];
  const out = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`bench:data: the read child exited with ${out.status}: ${out.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as ReadRun;
}

/**
 * Figure 2's read part: READ_RUNS pairs of child processes, default
 * allocator and huge pages alternating (the first epoch's rate on the
 * 2-core VM is bimodal with the VM's memory state, so one run says little).
 */
const readRunsArg = process.argv.indexOf('--read-runs');
const READ_RUNS = readRunsArg >= 0 ? Number(process.argv[readRunsArg + 1]) : 2;
if (!Number.isInteger(READ_RUNS) || READ_RUNS < 1) {
  console.error(`bench:data --read-runs: expected a positive integer, got ${process.argv[readRunsArg + 1]}. Pass e.g. --read-runs 3`);
  process.exit(2);
}
function readFigures(root: string): ReadRun[] {
  const runs: ReadRun[] = [];
  const hugeOk = process.platform === 'linux';
  for (let r = 0; r < READ_RUNS; r++) {
    for (const hugePages of hugeOk ? [false, true] : [false]) {
      const run = readInChild(root, hugePages);
      runs.push(run);
      const label = hugePages ? `GLIBC_TUNABLES=${HUGE_PAGES}` : 'default allocator';
      const m = run.inMemory;
      const b = run.blockShuffle;
      console.log(`read into shuffled batches of ${BATCH}, ${label} (run ${r + 1}): ${m.mode}: epoch 1 (decode + shuffle) ${fmt(m.framesPerSecond[0])} frames/s, epoch 2 ${fmt(m.framesPerSecond[1])} frames/s (target >= 1,000,000); per CPU second ${fmt(m.framesPerCpuSecond[0])} and ${fmt(m.framesPerCpuSecond[1])}; epoch 1 page faults ${fmt(run.epoch1Faults)} (${fmt((run.epoch1Faults * 4) / 1024)} MiB of 4 KiB pages)${m.helperNote}`);
      console.log(`  ${b.mode} (budget 64 MiB): epoch 1 ${fmt(b.framesPerSecond[0])} frames/s, epoch 2 ${fmt(b.framesPerSecond[1])} frames/s; per CPU second ${fmt(b.framesPerCpuSecond[0])} and ${fmt(b.framesPerCpuSecond[1])}${b.helperNote}; peak RSS ${fmt(run.peakRssBytes / 2 ** 20)} MiB; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    }
  }
  return runs;
}

if (READ_ONLY) {
  const root = DATASET_DIR ?? join(scratch, 'big');
  if (!existsSync(join(root, 'meta/info.json'))) {
    const w = await writeBig(root);
    console.log(`wrote ${fmt(FRAMES)} frames to ${root} (${w.files} file(s), ${fmt(w.bytes / 2 ** 20, 1)} MiB) in ${fmt(w.ms)} ms`);
  }
  readFigures(root);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
}
const overhead = await recordingOverhead();
console.log(`recording overhead, ArmReach-v0 + expert, ${EPISODES} episodes (${overhead.steps} steps), median of ${REPEATS} alternating pairs, writer ${OFFLOAD ? 'offloaded to its thread (default)' : 'on the loop\'s thread (--no-offload)'} (target <= 10 %):`);
console.log(`  wall: bare ${fmt(overhead.bareMs)} ms, recorded ${fmt(overhead.recordMs)} ms -> ${pct(overhead.overhead)} in all; ${pct(overhead.loopOverhead)} while recording (every episode journaled), then ${fmt(overhead.commitMs)} ms for the final commit (data, episodes, tasks, stats files written and fsynced together, then info.json)`);
console.log(`  CPU (user + system; less disturbed by other work on the machine): bare ${fmt(overhead.bareCpuMs)} ms, recorded ${fmt(overhead.recordCpuMs)} ms -> ${pct(overhead.cpuOverhead)} in all; ${pct(overhead.loopCpuOverhead)} while recording, then ${fmt(overhead.commitCpuMs)} ms for the commit`);
console.log(`  CPU of the env loop's thread: bare ${fmt(overhead.bareMainMs)} ms, recorded ${fmt(overhead.recordMainMs)} ms -> ${pct(overhead.mainOverhead)} (the process figure above includes the writer thread's work)`);
const pf = overhead.faults;
console.log(`  minor page faults (4 KiB first touches, ~5 ms a MiB on the 2-core VM), median: env loop's thread bare ${fmt(pf.bareLoop)}, recorded ${fmt(pf.recordLoop)}; the other threads (writer, V8, libuv) bare ${fmt(pf.bareOther)}, recorded ${fmt(pf.recordOther)}`);
for (const [i, p] of overhead.pairs.entries()) {
  console.log(`  pair ${i + 1}: wall ${fmt(p.bareMs)} -> ${fmt(p.recordMs)} ms (${pct(p.recordMs / p.bareMs - 1)}; commit ${fmt(p.recordMs - p.loopMs)} ms), CPU ${fmt(p.bareCpuMs)} -> ${fmt(p.recordCpuMs)} ms (${pct(p.recordCpuMs / p.bareCpuMs - 1)}; commit ${fmt(p.recordCpuMs - p.loopCpuMs)} ms), loop thread ${pct(p.recordMainMs / p.bareMainMs - 1)}, page faults loop ${p.bareLoopFaults} -> ${p.recordLoopFaults} / other threads ${p.bareOtherFaults} -> ${p.recordOtherFaults}, load ${p.load.toFixed(1)}`);
}
const iso = overhead.isolated;
console.log(`  the recorder's own cost, isolated (the same ${EPISODES} episodes replayed from memory, min of ${QUICK ? 5 : 15}): bare replay ${fmt(iso.bareCpuMs, 1)} ms CPU, recorded replay ${fmt(iso.recordCpuMs, 1)} ms -> ${fmt(iso.costCpuMs, 1)} ms of CPU (${fmt(iso.costWallMs, 1)} ms wall) = ${pct(iso.costCpuMs / iso.minBareCpuMs)} of the bare loop's CPU (its min, ${fmt(iso.minBareCpuMs)} ms; a lower bound: MuJoCo shares the caches in the real loop); on the loop's own thread ${fmt(iso.costMainMs, 1)} ms = ${pct(iso.costMainMs / iso.minBareCpuMs)}`);
console.log(`  load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (process.argv.includes('--recording-only')) {
  rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
}

const big = join(scratch, 'big');
const writeCpu0 = cpuMs();
const written = await writeBig(big);
const writeCpuMs = cpuMs() - writeCpu0;
console.log(`write ${fmt(FRAMES)} frames (state ${STATE}, action ${ACTION}): ${fmt(written.ms)} ms = ${fmt(FRAMES / (written.ms / 1000))} frames/s; ${written.files} data file(s), ${fmt(written.bytes / 2 ** 20, 1)} MiB; ${fmt(FRAMES / (writeCpuMs / 1000))} frames per CPU second`);
const reads = readFigures(big);
rmSync(scratch, { recursive: true, force: true });

mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', 'data-throughput.json'),
  JSON.stringify({ date: new Date().toISOString(), quick: QUICK, offload: OFFLOAD, loadavg: loadavg(), recording: { env: 'ArmReach-v0', policy: 'ArmReachExpert', episodes: EPISODES, ...overhead, target: 0.1 }, write: { frames: FRAMES, state: STATE, action: ACTION, cpuMs: writeCpuMs, ...written }, read: { batchSize: BATCH, blockShuffleBudgetBytes: 64 * 2 ** 20, runs: reads, target: 1_000_000 } }, null, 2) + '\n',
);
