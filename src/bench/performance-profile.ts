import { stratifiedBootstrap, type BootstrapOptions, type TaskScores } from './stratified-bootstrap.js';

/** A performance profile: at each threshold, the fraction of runs scoring above it, with its interval. */
export interface PerformanceProfile {
  /** Thresholds (ascending as given). */
  taus: number[];
  /** Fraction of all runs of all tasks with a score strictly above each tau. */
  fraction: number[];
  /** Lower bounds of the percentile-bootstrap interval at each tau. */
  lower: number[];
  /** Upper bounds. */
  upper: number[];
}

/**
 * Run-score distribution at each tau (rliable's `run_score_deviation`,
 * the default profile): `mean(scores > tau)` over every run of every task.
 */
export function runScoreDistribution(scores: TaskScores, taus: readonly number[]): number[] {
  let total = 0;
  for (const runs of scores) total += runs.length;
  return taus.map((tau) => {
    let above = 0;
    for (const runs of scores) for (let i = 0; i < runs.length; i++) if (runs[i] > tau) above++;
    return above / total;
  });
}

/**
 * Performance profile (rliable's `create_performance_profile` with
 * `use_score_distribution=True`): the run-score distribution at each tau,
 * with stratified percentile-bootstrap bands (default 2,000 replications,
 * as rliable). Scores of several tasks must share a unit (normalized).
 */
export function performanceProfile(scores: TaskScores, taus: readonly number[], options: BootstrapOptions): PerformanceProfile {
  const r = stratifiedBootstrap([scores], (s) => runScoreDistribution(s[0], taus), { ...options, reps: options.reps ?? 2000 });
  return { taus: [...taus], fraction: r.estimate, lower: r.lower, upper: r.upper };
}

/** `count` evenly spaced thresholds from `min` to `max` (inclusive), like `np.linspace`. */
export function linspace(min: number, max: number, count: number): number[] {
  if (count === 1) return [min];
  return Array.from({ length: count }, (_, i) => min + ((max - min) * i) / (count - 1));
}
