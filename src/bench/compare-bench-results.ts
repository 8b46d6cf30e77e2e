import { Rng } from '../core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import type { BenchResults } from './bench-results.js';
import { interquartileMean } from './interquartile-mean.js';
import { stratifiedBootstrap, flattenScores, type IntervalEstimate } from './stratified-bootstrap.js';
import { probabilityOfImprovementInterval } from './probability-of-improvement.js';
import { runScore } from './summarize-bench.js';

/** Options of {@link compareBenchResults}. */
export interface CompareOptions {
  /** A relative IQM drop larger than this (0.05 = 5%) that is also significant is a regression. Default 0.05. */
  threshold?: number;
  /** Confidence level of the bootstrap intervals. Default 0.95. */
  confidence?: number;
  /** Bootstrap replications. Default 10,000. */
  reps?: number;
  /** Seed of the bootstrap's Rng. Default 0. */
  seed?: number;
}

/** One policy on one task (or `all tasks (normalized)`), old against new. */
export interface CompareRow {
  /** The policy's label (`old -> new` when two differently named policies were paired). */
  policy: string;
  /** A task id, or `normalized` for the IQM of normalized scores across the tasks with an expert. */
  envId: string;
  oldRuns: number;
  newRuns: number;
  oldIqm: number;
  newIqm: number;
  /** newIqm - oldIqm with its interval (runs of old and new resampled independently, per task). */
  difference: IntervalEstimate;
  /** difference / |oldIqm| (interval scaled the same way), null when oldIqm is 0. */
  relative: IntervalEstimate | null;
  /** P(new > old) with its interval. */
  probabilityOfImprovement: IntervalEstimate;
  /**
   * `regression`: relative change below -threshold and the interval of the
   * difference entirely below 0; `improvement`: the mirror image; else `same`.
   */
  verdict: 'regression' | 'improvement' | 'same';
}

/** What {@link compareBenchResults} found. */
export interface CompareResult {
  threshold: number;
  confidence: number;
  reps: number;
  rows: CompareRow[];
  /** Rows with verdict `regression`. */
  regressions: number;
  /** Policy/task pairs present in only one of the files (not compared). */
  unmatched: string[];
}

/**
 * Compares two `results.json` files of `lamkit bench` policy by policy (by
 * label; a file with a single listed policy is paired with the other's
 * single listed policy when the labels differ) on every task both ran, and
 * on normalized scores across tasks: the IQM of the run scores of each, the
 * difference with a stratified bootstrap interval (old and new runs
 * resampled independently), the relative change and P(new > old). A row is
 * a regression when the IQM dropped by more than `threshold` (relative)
 * and the drop is significant (the whole interval of the difference lies
 * below 0), so noise alone does not fail a CI gate.
 */
export function compareBenchResults(older: BenchResults, newer: BenchResults, options: CompareOptions = {}): CompareResult {
  const threshold = options.threshold ?? 0.05;
  const confidence = options.confidence ?? 0.95;
  const reps = options.reps ?? 10_000;
  const seed = options.seed ?? 0;
  if (!(threshold >= 0)) throw new InvalidArgument(formatError('compareBenchResults.threshold', 'a non-negative fraction (0.05 = 5%)', describeValue(threshold), 'Pass e.g. 0.05'));
  for (const [name, r] of [['old', older], ['new', newer]] as const) {
    if (r?.format !== 'lamkit-bench-results' || r.version !== 1) {
      throw new InvalidArgument(formatError(`compareBenchResults.${name}`, 'a results.json of lamkit bench (format lamkit-bench-results, version 1)', describeValue(r?.format), 'Pass the results.json files two `lamkit bench` runs wrote'));
    }
  }
  const boot = { rng: new Rng(seed), reps, confidence };
  const pairs = pairPolicies(older, newer);
  const rows: CompareRow[] = [];
  const unmatched: string[] = [];
  for (const [oldLabel, newLabel] of pairs) {
    const label = oldLabel === newLabel ? oldLabel : `${oldLabel} -> ${newLabel}`;
    const oldNorm: number[][] = [];
    const newNorm: number[][] = [];
    const envIds = new Set([...older.tasks.map((t) => t.envId), ...newer.tasks.map((t) => t.envId)]);
    for (const envId of envIds) {
      const a = scores(older, oldLabel, envId);
      const b = scores(newer, newLabel, envId);
      if (a.length === 0 || b.length === 0) {
        if (a.length + b.length > 0) unmatched.push(`${label} on ${envId} (${a.length === 0 ? 'only in new' : 'only in old'})`);
        continue;
      }
      rows.push(compareScores(label, envId, [a], [b], threshold, { ...boot, rng: new Rng(seed) }));
      const na = normalizer(older, envId);
      const nb = normalizer(newer, envId);
      if (na && nb) {
        oldNorm.push(a.map(na));
        newNorm.push(b.map(nb));
      }
    }
    if (oldNorm.length > 1) rows.push(compareScores(label, 'normalized', oldNorm, newNorm, threshold, { ...boot, rng: new Rng(seed) }));
  }
  return { threshold, confidence, reps, rows, regressions: rows.filter((r) => r.verdict === 'regression').length, unmatched };
}

function compareScores(policy: string, envId: string, a: number[][], b: number[][], threshold: number, boot: { rng: Rng; reps: number; confidence: number }): CompareRow {
  const oldIqm = interquartileMean(flattenScores(a));
  const newIqm = interquartileMean(flattenScores(b));
  const na = a.reduce((n, r) => n + r.length, 0);
  const nb = b.reduce((n, r) => n + r.length, 0);
  const bufA = new Float64Array(na);
  const bufB = new Float64Array(nb);
  const iqmOf = (tasks: Float64Array[], buf: Float64Array): number => {
    let k = 0;
    for (const runs of tasks) for (let i = 0; i < runs.length; i++) buf[k++] = runs[i];
    return interquartileMean(buf);
  };
  const d = stratifiedBootstrap([a, b], (s) => iqmOf(s[1], bufB) - iqmOf(s[0], bufA), boot);
  const difference = { estimate: d.estimate[0], lower: d.lower[0], upper: d.upper[0] };
  const scale = Math.abs(oldIqm);
  const relative = scale > 1e-12 ? { estimate: difference.estimate / scale, lower: difference.lower / scale, upper: difference.upper / scale } : null;
  const probabilityOfImprovement = probabilityOfImprovementInterval(b, a, { ...boot, reps: Math.min(boot.reps, 2000) });
  const change = relative?.estimate ?? Math.sign(difference.estimate) * Infinity;
  const verdict = change < -threshold && difference.upper < 0 ? 'regression' : change > threshold && difference.lower > 0 ? 'improvement' : 'same';
  return { policy, envId, oldRuns: na, newRuns: nb, oldIqm, newIqm, difference, relative, probabilityOfImprovement, verdict };
}

/** Policies to compare: same labels; else the single listed policy of each file. */
function pairPolicies(older: BenchResults, newer: BenchResults): Array<[string, string]> {
  const newLabels = new Set(newer.policies.map((p) => p.label));
  const same = older.policies.filter((p) => newLabels.has(p.label) && p.listed).map((p): [string, string] => [p.label, p.label]);
  if (same.length > 0) return same;
  const a = older.policies.filter((p) => p.listed);
  const b = newer.policies.filter((p) => p.listed);
  if (a.length === 1 && b.length === 1) return [[a[0].label, b[0].label]];
  throw new InvalidArgument(
    formatError('lamkit bench --compare', 'the same policy labels in both files (or one policy in each)', `old: ${describeValue(a.map((p) => p.label))}, new: ${describeValue(b.map((p) => p.label))}`, 'Label the policies alike with --policies <label>=<checkpoint> when benchmarking'),
  );
}

function scores(r: BenchResults, policy: string, envId: string): number[] {
  return r.runs.filter((run) => run.policy === policy && run.envId === envId).map(runScore).filter((s): s is number => s !== null);
}

function normalizer(r: BenchResults, envId: string): ((s: number) => number) | null {
  const t = r.tasks.find((x) => x.envId === envId);
  if (!t || t.randomScore === null || t.expertScore === null || t.expertScore === t.randomScore) return null;
  const { randomScore: lo, expertScore: hi } = t;
  return (s) => (s - lo) / (hi - lo);
}
