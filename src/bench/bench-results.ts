import type { EvaluationRun } from './evaluate-job.js';
import type { IntervalEstimate } from './stratified-bootstrap.js';
import type { CurveSeries } from './charts/learning-curve-chart.js';

/**
 * What `lamkit bench` writes to `results.json` (format `lamkit-bench-results`,
 * version 1; documented field by field in docs/bench-results.md). Every
 * figure of the report and of `lamkit bench --compare` is computed from it.
 */
export interface BenchResults {
  format: 'lamkit-bench-results';
  version: 1;
  /** ISO time the bench finished. */
  createdAt: string;
  /** The command line, when run from the CLI. */
  command: string | null;
  machine: BenchMachine;
  settings: BenchSettings;
  /** Stopped by Ctrl-C: the runs are those finished (or cut short) before it. */
  interrupted: boolean;
  tasks: BenchTask[];
  policies: BenchPolicy[];
  /** Every evaluation run (policy source x task x seed), in plan order. */
  runs: EvaluationRun[];
  /** Per policy and task. */
  results: PolicyTaskResult[];
  /** Per policy, across the tasks with normalized scores. */
  aggregates: PolicyAggregate[];
  /** Performance profiles: one per task (raw returns) and one across tasks in normalized units when any. */
  profiles: ProfileResult[];
  /** Probability of improvement for pairs of policies, over the tasks both ran. */
  improvement: ImprovementResult[];
  /** Training runs of `lamkit bench train` (empty otherwise). */
  training: TrainingRunResult[];
  /** Learning curves from training `metrics.jsonl` files (episodic returns). */
  curves: CurveSeries[];
  /** Policies that could not run (missing or corrupt checkpoint, ...), each naming the file. */
  failures: BenchFailure[];
}

/** The machine and its load while the bench ran. */
export interface BenchMachine {
  cpuModel: string;
  cpus: number;
  node: string;
  platform: string;
  /** 1-minute load average at the start and at the end. */
  loadAvg1m: [number, number];
}

/** How the bench ran. */
export interface BenchSettings {
  /** Episodes per run. */
  episodes: number;
  /** Run seeds; episode k of seed s resets with `s * episodeSeedStride + k`. */
  seeds: number[];
  episodeSeedStride: number;
  deterministic: boolean;
  /** Worker threads of the evaluation (0: in the main thread). */
  workers: number;
  /** Replications of the IQM intervals (`reps`) and of profiles and probabilities of improvement (`profileReps`, rliable's 2,000); seed of their Rng. */
  bootstrap: { reps: number; profileReps: number; confidence: number; seed: number };
  /** `policy.act` calls timed per policy and task in the single-threaded latency pass (0: skipped). */
  latencyCalls: number;
}

/** A task of the bench and its normalization. */
export interface BenchTask {
  envId: string;
  /** A scripted expert exists, so scores are normalized: random 0, expert 1. */
  hasExpert: boolean;
  /** Mean run score of the random reference on this task, or null. */
  randomScore: number | null;
  /** Mean run score of the scripted expert, or null. */
  expertScore: number | null;
}

/** A policy row of the report: one label, one or more sources (checkpoints of several tasks or training seeds). */
export interface BenchPolicy {
  label: string;
  /** `policy` (a checkpoint), `random` or `expert`. */
  role: 'policy' | 'random' | 'expert';
  /** Listed by the user (false: added as a normalization reference). */
  listed: boolean;
  sources: Array<{ source: string; envId: string }>;
}

/** Figures of one policy on one task. */
export interface PolicyTaskResult {
  policy: string;
  envId: string;
  /** Runs with at least one finished episode (one score each: the mean return of its episodes). */
  runs: number;
  episodes: number;
  /** Mean and population std of the returns of all episodes (SB3's `evaluate_policy` figures). */
  meanReturn: number;
  stdReturn: number;
  /** IQM of the run scores with its stratified bootstrap interval. */
  iqm: IntervalEstimate;
  /** Fraction of successful episodes, null where the task does not report success. */
  successRate: number | null;
  /** IQM of normalized run scores (random 0, expert 1) with its interval, null without an expert. */
  normalized: IntervalEstimate | null;
  meanLength: number;
  /** Env steps per second of the evaluation loop (env and policy, one worker thread): the median over runs (the first run of each worker includes JIT warm-up). */
  stepsPerSecond: number;
  /** `policy.act` latency on one observation, measured alone in the main thread, or null when skipped. */
  latencyUs: { p50: number; p99: number; calls: number } | null;
}

/** A policy's IQM across tasks in normalized units. */
export interface PolicyAggregate {
  policy: string;
  /** Tasks included (those with an expert that the policy ran). */
  tasks: string[];
  normalizedIqm: IntervalEstimate;
}

/** A performance profile of every policy in one scope. */
export interface ProfileResult {
  /** A task id (raw returns) or `normalized` (all tasks with an expert). */
  scope: string;
  taus: number[];
  curves: Array<{ policy: string; fraction: number[]; lower: number[]; upper: number[] }>;
}

/** P(X > Y) over the tasks both ran. */
export interface ImprovementResult {
  x: string;
  y: string;
  tasks: string[];
  /** Averaged over `tasks`, with its interval. */
  probability: IntervalEstimate;
  /** P(x > y) on each task alone (point estimates), in `tasks` order. */
  perTask: number[];
}

/** One training run of `lamkit bench train`. */
export interface TrainingRunResult {
  algo: string;
  envId: string;
  seed: number;
  outDir: string;
  globalStep: number;
  wallSeconds: number;
  stepsPerSecond: number;
  finalMeanReturn20: number | null;
}

/** A policy source that could not be evaluated. */
export interface BenchFailure {
  policy: string;
  source: string;
  envId: string | null;
  error: { name: string; message: string };
}
