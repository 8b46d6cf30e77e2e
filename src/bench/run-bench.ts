import { cpus, loadavg } from 'node:os';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { loadBenchSources, type BenchSourcesModule } from './bench-sources.js';
import { EPISODE_SEED_STRIDE, type EvaluationJob, type EvaluationRun } from './evaluate-job.js';
import { runEvaluationJobs } from './evaluation-pool.js';
import { measureInferenceLatency, type LatencyFigures } from './inference-latency.js';
import { summarizeBench, pairKey, runScore } from './summarize-bench.js';
import type { BenchFailure, BenchPolicy, BenchResults, TrainingRunResult } from './bench-results.js';
import type { CurveSeries } from './charts/learning-curve-chart.js';

/** Options of {@link runBench}. */
export interface RunBenchOptions {
  /** The policies in report order. `random` / `expert` roles may list every task: tasks without an expert are skipped for `expert`. */
  policies: BenchPolicy[];
  /** The tasks, in report order. */
  envs: string[];
  /** Run seeds (one score per seed and source: the mean return of its episodes). */
  seeds: number[];
  /** Episodes per run, 1 to 10,000. */
  episodes: number;
  /** Take the distribution's mode (default true, as `lamkit eval`). */
  deterministic?: boolean;
  /** Where envs and policies come from (in the worker threads and for the latency pass). */
  sources: BenchSourcesModule;
  /** Worker threads (default: min(jobs, cores)); 0: evaluate in this thread. */
  workers?: number;
  /** Add the random and expert references on tasks with an expert, for normalized scores (default true). */
  references?: boolean;
  /** Bootstrap settings: `reps` (default 50,000), `profileReps` (default 2,000), `confidence` (0.95), `seed` (0). */
  bootstrap?: { reps?: number; profileReps?: number; confidence?: number; seed?: number };
  /** `policy.act` calls timed per policy and task after the evaluation (default 1,000; 0 skips the pass). */
  latencyCalls?: number;
  /** Ctrl-C: runs stop within one env step; the result covers what finished. */
  signal?: AbortSignal;
  /** Progress: called as each run finishes. */
  onRun?: (run: EvaluationRun, done: number, total: number) => void;
  /** Recorded in the results. */
  command?: string | null;
  /** Failures found while planning (e.g. an unreadable checkpoint), kept in the results. */
  failures?: BenchFailure[];
  training?: TrainingRunResult[];
  curves?: CurveSeries[];
}

/**
 * Evaluates policies x tasks x seeds and computes every figure of
 * `results.json` (see {@link BenchResults}): the evaluation runs in worker
 * threads (fixed seeds, so the figures do not depend on the number of
 * workers), then a single-threaded pass times `policy.act`, then
 * {@link summarizeBench} computes IQMs with stratified bootstrap intervals,
 * normalized scores, profiles and probabilities of improvement. A policy
 * that fails (a missing or corrupt checkpoint) is listed in `failures`;
 * the other results are kept.
 */
export async function runBench(options: RunBenchOptions): Promise<BenchResults> {
  const { seeds, episodes, envs } = options;
  if (!(Number.isInteger(episodes) && episodes >= 1 && episodes <= EPISODE_SEED_STRIDE)) {
    throw new InvalidArgument(formatError('runBench.episodes', `an integer in [1, ${EPISODE_SEED_STRIDE}]`, describeValue(episodes), 'Pass e.g. 20'));
  }
  if (seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0 && s * EPISODE_SEED_STRIDE <= Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgument(formatError('runBench.seeds', 'one or more non-negative integers', describeValue(seeds), 'Pass e.g. [0, 1, 2]'));
  }
  if (envs.length === 0) throw new InvalidArgument(formatError('runBench.envs', 'at least one task id', 'none', 'Pass e.g. ["CartPole-v1"]'));
  const load0 = loadavg()[0];
  const sources = await loadBenchSources(options.sources);
  const hasExpert = new Map(envs.map((id) => [id, sources.hasExpert(id)]));
  const policies = withReferences(options.policies, envs, hasExpert, options.references ?? true);

  const jobs: EvaluationJob[] = [];
  for (const p of policies) {
    for (const { source, envId } of p.sources) {
      if (!envs.includes(envId) || (p.role === 'expert' && !hasExpert.get(envId))) continue;
      for (const seed of seeds) jobs.push({ index: jobs.length, policy: p.label, source, envId, seed, episodes, deterministic: options.deterministic ?? true });
    }
  }
  let done = 0;
  const runs = await runEvaluationJobs(jobs, { sources: options.sources, workers: options.workers, signal: options.signal, onRun: (run) => options.onRun?.(run, ++done, jobs.length) });
  const workers = options.workers ?? Math.min(jobs.length, cpus().length);

  // Latency, alone in this thread: the first source of each policy on each task that ran.
  const latencyCalls = options.latencyCalls ?? 1000;
  const latency = new Map<string, LatencyFigures>();
  if (latencyCalls > 0) {
    for (const run of runs) {
      const key = pairKey(run.policy, run.envId);
      if (options.signal?.aborted) break;
      if (latency.has(key) || runScore(run) === null) continue;
      const env = await sources.makeEnv(run.envId);
      try {
        const policy = await sources.makePolicy(run.source, env, run.envId, run.seed);
        try {
          latency.set(key, await measureInferenceLatency(policy, env, { calls: latencyCalls, seed: run.seed * EPISODE_SEED_STRIDE }));
        } finally {
          policy.dispose?.();
        }
      } finally {
        await env.close();
      }
    }
  }

  return summarizeBench({
    createdAt: new Date().toISOString(),
    command: options.command ?? null,
    machine: { cpuModel: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}`, loadAvg1m: [load0, loadavg()[0]] },
    settings: {
      episodes,
      seeds: [...seeds],
      episodeSeedStride: EPISODE_SEED_STRIDE,
      deterministic: options.deterministic ?? true,
      workers,
      bootstrap: { reps: options.bootstrap?.reps ?? 50_000, profileReps: options.bootstrap?.profileReps ?? 2000, confidence: options.bootstrap?.confidence ?? 0.95, seed: options.bootstrap?.seed ?? 0 },
      latencyCalls,
    },
    interrupted: options.signal?.aborted ?? false,
    tasks: envs.map((envId) => ({ envId, hasExpert: hasExpert.get(envId) as boolean })),
    policies,
    runs,
    training: options.training ?? [],
    curves: options.curves ?? [],
    failures: options.failures ?? [],
    latency,
  });
}

/** Adds `random` and `expert` (not listed) where a task has an expert and they are missing; drops expert sources of tasks without one. */
function withReferences(policies: BenchPolicy[], envs: string[], hasExpert: Map<string, boolean>, references: boolean): BenchPolicy[] {
  const out = policies.map((p) => (p.role === 'expert' ? { ...p, sources: p.sources.filter((s) => hasExpert.get(s.envId)) } : p));
  const expertTasks = envs.filter((id) => hasExpert.get(id));
  if (!references || expertTasks.length === 0) return out;
  for (const role of ['random', 'expert'] as const) {
    const existing = out.find((p) => p.role === role);
    if (!existing) out.push({ label: role, role, listed: false, sources: expertTasks.map((envId) => ({ source: role, envId })) });
    else for (const envId of expertTasks) if (!existing.sources.some((s) => s.envId === envId)) existing.sources.push({ source: role, envId });
  }
  return out;
}
