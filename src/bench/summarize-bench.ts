import { Rng } from '../core/rng.js';
import type { EvaluationRun } from './evaluate-job.js';
import { iqmInterval } from './aggregate-intervals.js';
import { percentileOfSorted } from './interquartile-mean.js';
import { performanceProfile, linspace } from './performance-profile.js';
import { probabilityOfImprovement, probabilityOfImprovementInterval } from './probability-of-improvement.js';
import type { BenchFailure, BenchPolicy, BenchResults, BenchTask, ImprovementResult, PolicyAggregate, PolicyTaskResult, ProfileResult } from './bench-results.js';

/** Thresholds per performance profile. */
const PROFILE_POINTS = 41;

/** What {@link summarizeBench} needs: the runs and how they were planned. */
export type BenchSummaryInput = Omit<BenchResults, 'format' | 'version' | 'tasks' | 'results' | 'aggregates' | 'profiles' | 'improvement'> & {
  /** Tasks in report order, with whether each has a scripted expert. */
  tasks: Array<{ envId: string; hasExpert: boolean }>;
  /** `policy.act` latency per `${policy}\u0000${envId}` (from the latency pass). */
  latency?: ReadonlyMap<string, { p50: number; p99: number; calls: number }>;
};

/** Key of a policy on a task in maps. */
export const pairKey = (policy: string, envId: string): string => `${policy}\u0000${envId}`;

/** A run's score: the mean return of its finished episodes (null when none finished or it failed). */
export function runScore(run: EvaluationRun): number | null {
  if (run.error || run.returns.length === 0) return null;
  return run.returns.reduce((a, b) => a + b, 0) / run.returns.length;
}

/**
 * Computes every figure of `results.json` from the runs: per policy and
 * task the pooled episode statistics and the IQM of run scores with its
 * stratified bootstrap interval; normalized scores (random 0, expert 1)
 * where the task has an expert; per policy the normalized IQM across those
 * tasks; performance profiles; probabilities of improvement. Each interval
 * uses a fresh `Rng(bootstrap.seed)`, so a figure does not depend on which
 * others were computed. Failed runs are listed in `failures`.
 */
export function summarizeBench(input: BenchSummaryInput): BenchResults {
  const { settings } = input;
  const boot = (): { rng: Rng; reps: number; confidence: number } => ({ rng: new Rng(settings.bootstrap.seed), reps: settings.bootstrap.reps, confidence: settings.bootstrap.confidence });
  const profileBoot = (): { rng: Rng; reps: number; confidence: number } => ({ ...boot(), reps: settings.bootstrap.profileReps });

  // Run scores per policy and task.
  const scores = new Map<string, number[]>();
  const byPair = new Map<string, EvaluationRun[]>();
  const failures: BenchFailure[] = [...input.failures];
  for (const run of input.runs) {
    const key = pairKey(run.policy, run.envId);
    if (run.error) {
      if (!failures.some((f) => f.policy === run.policy && f.source === run.source && f.envId === run.envId)) failures.push({ policy: run.policy, source: run.source, envId: run.envId, error: run.error });
      continue;
    }
    const s = runScore(run);
    if (s === null) continue;
    (scores.get(key) ?? scores.set(key, []).get(key)!).push(s);
    (byPair.get(key) ?? byPair.set(key, []).get(key)!).push(run);
  }

  const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const tasks: BenchTask[] = input.tasks.map(({ envId, hasExpert }) => {
    const random = input.policies.find((p) => p.role === 'random');
    const expert = input.policies.find((p) => p.role === 'expert');
    return {
      envId,
      hasExpert,
      randomScore: random ? mean(scores.get(pairKey(random.label, envId)) ?? []) : null,
      expertScore: hasExpert && expert ? mean(scores.get(pairKey(expert.label, envId)) ?? []) : null,
    };
  });
  const normalizer = new Map<string, (s: number) => number>();
  for (const t of tasks) {
    if (t.hasExpert && t.randomScore !== null && t.expertScore !== null && t.expertScore !== t.randomScore) {
      const { randomScore: r, expertScore: e } = t;
      normalizer.set(t.envId, (s) => (s - r) / (e - r));
    }
  }

  const results: PolicyTaskResult[] = [];
  for (const p of input.policies) {
    for (const t of tasks) {
      const runs = byPair.get(pairKey(p.label, t.envId));
      if (!runs) continue;
      const s = scores.get(pairKey(p.label, t.envId)) as number[];
      const returns = runs.flatMap((r) => r.returns);
      const lengths = runs.flatMap((r) => r.lengths);
      const successes = runs.flatMap((r) => r.successes).filter((x): x is boolean => x !== null);
      const m = mean(returns) as number;
      const norm = normalizer.get(t.envId);
      // Median over runs: the first run in each worker also pays for JIT warm-up.
      const rates = runs.filter((r) => r.wallSeconds > 0).map((r) => r.steps / r.wallSeconds).sort((a, b) => a - b);
      results.push({
        policy: p.label,
        envId: t.envId,
        runs: s.length,
        episodes: returns.length,
        meanReturn: m,
        stdReturn: Math.sqrt(returns.reduce((a, x) => a + (x - m) ** 2, 0) / returns.length),
        iqm: iqmInterval([s], boot()),
        successRate: successes.length ? successes.filter(Boolean).length / successes.length : null,
        normalized: norm ? iqmInterval([s.map(norm)], boot()) : null,
        meanLength: mean(lengths) as number,
        stepsPerSecond: rates.length ? percentileOfSorted(rates, 50) : 0,
        latencyUs: input.latency?.get(pairKey(p.label, t.envId)) ?? null,
      });
    }
  }

  const normalizedScores = (label: string): { tasks: string[]; scores: number[][] } => {
    const out = { tasks: [] as string[], scores: [] as number[][] };
    for (const [envId, norm] of normalizer) {
      const s = scores.get(pairKey(label, envId));
      if (!s) continue;
      out.tasks.push(envId);
      out.scores.push(s.map(norm));
    }
    return out;
  };
  const aggregates: PolicyAggregate[] = [];
  for (const p of input.policies) {
    const n = normalizedScores(p.label);
    if (n.tasks.length > 0) aggregates.push({ policy: p.label, tasks: n.tasks, normalizedIqm: iqmInterval(n.scores, boot()) });
  }

  const profiles: ProfileResult[] = [];
  const profileOf = (scope: string, perPolicy: Array<{ policy: string; scores: number[][] }>, floor: number[]): void => {
    const all = perPolicy.flatMap((p) => p.scores.flat()).concat(floor);
    if (perPolicy.length === 0 || all.length === 0) return;
    const taus = linspace(Math.min(...all), Math.max(...all), PROFILE_POINTS);
    profiles.push({ scope, taus, curves: perPolicy.map((p) => ({ policy: p.policy, ...pick(performanceProfile(p.scores, taus, profileBoot())) })) });
  };
  for (const t of tasks) {
    profileOf(t.envId, input.policies.flatMap((p) => (scores.has(pairKey(p.label, t.envId)) ? [{ policy: p.label, scores: [scores.get(pairKey(p.label, t.envId)) as number[]] }] : [])), []);
  }
  if (normalizer.size > 0) profileOf('normalized', input.policies.map((p) => ({ policy: p.label, scores: normalizedScores(p.label).scores })).filter((p) => p.scores.length > 0), [0, 1]);

  const improvement: ImprovementResult[] = [];
  const listed = input.policies.filter((p) => p.listed);
  const pairs: Array<[BenchPolicy, BenchPolicy]> = [];
  for (let i = 0; i < listed.length; i++) for (let j = i + 1; j < listed.length; j++) pairs.push([listed[i], listed[j]]);
  if (listed.length === 1) for (const ref of input.policies.filter((p) => !p.listed)) pairs.push([listed[0], ref]);
  for (const [x, y] of pairs) {
    const shared = tasks.map((t) => t.envId).filter((id) => scores.has(pairKey(x.label, id)) && scores.has(pairKey(y.label, id)));
    if (shared.length === 0) continue;
    const sx = shared.map((id) => scores.get(pairKey(x.label, id)) as number[]);
    const sy = shared.map((id) => scores.get(pairKey(y.label, id)) as number[]);
    improvement.push({ x: x.label, y: y.label, tasks: shared, probability: probabilityOfImprovementInterval(sx, sy, profileBoot()), perTask: sx.map((s, t) => probabilityOfImprovement([s], [sy[t]])) });
  }

  const { latency: _latency, ...rest } = input;
  return { format: 'lamkit-bench-results', version: 1, ...rest, tasks, results, aggregates, profiles, improvement, failures };
}

function pick(p: { fraction: number[]; lower: number[]; upper: number[] }): { fraction: number[]; lower: number[]; upper: number[] } {
  return { fraction: p.fraction, lower: p.lower, upper: p.upper };
}
