import { loadavg } from 'node:os';
import '../envs/index.js';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { makeVec } from '../src/registry/make-vec.js';
import { Box } from '../src/core/spaces/box.js';
import { MetricStream } from '../src/streams/metrics.js';
import { PPO } from '../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../agents/algos/ppo/task-defaults.js';
import { initBackend } from '../agents/backend.js';

/** One PPO training run measured against a return goal (shared by the bench/ppo-*.ts scripts). */
export interface GoalRun {
  envId: string;
  seed: number;
  totalSteps: number;
  goal: number;
  /** Env steps when the mean of the last 20 episode returns first reached the goal, or null. */
  stepsToGoal: number | null;
  wallSecondsToGoal: number | null;
  cpuSecondsToGoal: number | null;
  stepsRun: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** Mean return of the last 20 episodes when the run stopped. */
  finalMean20: number;
  bestMean20: number;
  backend: string;
  loadAvg1mStart: number;
  loadAvg1mEnd: number;
  config: Record<string, unknown>;
}

/** How a {@link goalRun} trains besides the config. */
export interface GoalRunOptions {
  vectorization?: 'sync' | 'async';
  /** The network config (default: the mlp kind's defaults). */
  policy?: Record<string, unknown>;
  /** 'autodiff' ignores the network's fast gradient path. */
  gradient?: 'explicit' | 'autodiff';
}

/** `--policy <json>` and `--gradient <path>` of the bench scripts. */
export function goalRunOptions(args: Map<string, string>): GoalRunOptions {
  return {
    vectorization: args.get('vectorization') === 'async' ? 'async' : 'sync',
    ...(args.has('policy') ? { policy: JSON.parse(args.get('policy') as string) as Record<string, unknown> } : {}),
    ...(args.get('gradient') === 'autodiff' ? { gradient: 'autodiff' as const } : {}),
  };
}

/**
 * Trains PPO with the task's default config (plus `overrides`) and reports
 * when the mean of the last 20 episode returns first reaches `goal`. With
 * `stopAtGoal`, training stops at the first update after that.
 */
export async function goalRun(envId: string, seed: number, totalSteps: number, goal: number, stopAtGoal: boolean, overrides: Record<string, unknown> = {}, options: GoalRunOptions = {}): Promise<GoalRun> {
  const vectorization = options.vectorization ?? 'sync';
  const backend = await initBackend({ report: null });
  const probe = await makeAsync(envId);
  const discrete = !(probe.actionSpace instanceof Box);
  probe.close();
  const config = resolvePpoConfig({ ...ppoDefaultsFor(envId, discrete), seed, totalSteps, ...overrides });
  const vec = await makeVec(envId, { numEnvs: config.numEnvs, vectorizationMode: vectorization, makeOptions: { disableEnvChecker: true } });
  const metrics = new MetricStream();
  const recent: number[] = [];
  let sum = 0;
  let best = -Infinity;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const load0 = loadavg()[0];
  let hit: { step: number; wall: number; cpu: number } | null = null;
  metrics.subscribe((row) => {
    const r = row['charts/episodic_return'];
    if (r === undefined) return;
    recent.push(r);
    sum += r;
    if (recent.length > 20) sum -= recent.shift() as number;
    if (recent.length === 20) {
      best = Math.max(best, sum / 20);
      if (hit === null && sum / 20 >= goal) {
        const c = process.cpuUsage(cpu0);
        hit = { step: row.global_step, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
      }
    }
  });
  const ppo = await PPO.create(vec, config, { metrics, ...(options.policy ? { policy: options.policy } : {}), ...(options.gradient ? { gradient: options.gradient } : {}) });
  let stepsRun = 0;
  try {
    stepsRun = (await ppo.learn({ stop: () => stopAtGoal && hit !== null })).globalStep;
  } finally {
    ppo.dispose();
    await vec.close();
  }
  const c = process.cpuUsage(cpu0);
  const h = hit as { step: number; wall: number; cpu: number } | null;
  return {
    envId,
    seed,
    totalSteps,
    goal,
    stepsToGoal: h?.step ?? null,
    wallSecondsToGoal: h?.wall ?? null,
    cpuSecondsToGoal: h?.cpu ?? null,
    stepsRun,
    wallSeconds: (performance.now() - t0) / 1000,
    cpuSeconds: (c.user + c.system) / 1e6,
    finalMean20: recent.length > 0 ? sum / recent.length : NaN,
    bestMean20: best,
    backend: backend.name,
    loadAvg1mStart: load0,
    loadAvg1mEnd: loadavg()[0],
    config: { ...config, policy: options.policy ?? { kind: 'mlp' }, gradient: options.gradient ?? 'explicit' },
  };
}

/** Parses `--name value` pairs of a bench script's argv. */
export function benchArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out.set(argv[i].slice(2), 'true');
      else out.set(argv[i].slice(2), argv[++i]);
    }
  }
  return out;
}
