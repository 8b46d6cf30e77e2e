import type { Rng } from '../core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { percentileOfSorted } from './interquartile-mean.js';

/**
 * Scores of one method on a suite: `scores[task][run]` (rliable's
 * `num_runs x num_tasks` matrix, task-major). Tasks may have different
 * numbers of runs.
 */
export type TaskScores = ReadonlyArray<ArrayLike<number>>;

/** Options of {@link stratifiedBootstrap}. */
export interface BootstrapOptions {
  /** Seeded source of the resampling indices (only `integer` is used). */
  rng: Pick<Rng, 'integer'>;
  /** Bootstrap replications. Default 50,000 (rliable's `get_interval_estimates`). */
  reps?: number;
  /** Two-sided coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
}

/** A point estimate with its percentile-bootstrap confidence interval, per component of the statistic. */
export interface BootstrapResult {
  /** The statistic on the data as given. */
  estimate: number[];
  /** Lower bound: percentile `100 (1 - confidence) / 2` of the replicates. */
  lower: number[];
  /** Upper bound: percentile `100 (1 + confidence) / 2` of the replicates. */
  upper: number[];
}

/** A scalar estimate with its interval. */
export interface IntervalEstimate {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Stratified percentile bootstrap (rliable's `StratifiedBootstrap` /
 * `StratifiedIndependentBootstrap` with `method='percentile'`): each
 * replication resamples, with replacement and independently, the runs of
 * every task of every method (runs are never mixed across tasks or
 * methods), applies `statistic`, and the interval is the pair of
 * percentiles of the replicates (numpy's linear interpolation). This
 * measures the uncertainty of an aggregate if the experiment were repeated
 * with other seeds on the same tasks (rliable's default `task_bootstrap=False`).
 *
 * Draw order, so a seed gives the same interval everywhere: for each
 * replication, method, task, run: `rng.integer(0, runsOfTask)`.
 *
 * @param samples one {@link TaskScores} per method (one for a single aggregate, two for a comparison).
 * @param statistic maps resampled scores (same layout as `samples`) to a number or a vector
 *   (e.g. a performance profile). Its arguments are buffers reused across replications: read them, do not keep them.
 * @throws InvalidArgument for a task without runs, NaN scores or bad options.
 */
export function stratifiedBootstrap(samples: readonly TaskScores[], statistic: (resampled: Float64Array[][]) => number | ArrayLike<number>, options: BootstrapOptions): BootstrapResult {
  const reps = options.reps ?? 50_000;
  const confidence = options.confidence ?? 0.95;
  if (!(Number.isInteger(reps) && reps >= 1)) throw new InvalidArgument(formatError('stratifiedBootstrap.reps', 'a positive integer', describeValue(reps), 'Pass e.g. 2000'));
  if (!(confidence > 0 && confidence < 1)) throw new InvalidArgument(formatError('stratifiedBootstrap.confidence', 'a number in (0, 1)', describeValue(confidence), 'Pass e.g. 0.95'));
  const data = samples.map((tasks, m) =>
    tasks.map((runs, t) => {
      if (runs.length === 0) throw new InvalidArgument(formatError(`stratifiedBootstrap.samples[${m}][${t}]`, 'at least one run per task', 'none', 'Leave out tasks without runs'));
      const a = Float64Array.from(runs as ArrayLike<number>);
      if (a.some(Number.isNaN)) throw new InvalidArgument(formatError(`stratifiedBootstrap.samples[${m}][${t}]`, 'numeric scores', describeValue(runs), 'Drop runs without a score'));
      return a;
    }),
  );
  const asVector = (v: number | ArrayLike<number>): number[] => (typeof v === 'number' ? [v] : Array.from(v));
  const estimate = asVector(statistic(data));
  const dim = estimate.length;
  const replicates = Array.from({ length: dim }, () => new Float64Array(reps));
  const buffers = data.map((tasks) => tasks.map((runs) => new Float64Array(runs.length)));
  const { rng } = options;
  for (let r = 0; r < reps; r++) {
    for (let m = 0; m < data.length; m++) {
      for (let t = 0; t < data[m].length; t++) {
        const src = data[m][t];
        const dst = buffers[m][t];
        const n = src.length;
        for (let i = 0; i < n; i++) dst[i] = src[rng.integer(0, n)];
      }
    }
    const value = statistic(buffers);
    if (typeof value === 'number') replicates[0][r] = value;
    else for (let k = 0; k < dim; k++) replicates[k][r] = value[k];
  }
  const tail = (100 * (1 - confidence)) / 2;
  const lower: number[] = [];
  const upper: number[] = [];
  for (const column of replicates) {
    column.sort();
    lower.push(percentileOfSorted(column, tail));
    upper.push(percentileOfSorted(column, 100 - tail));
  }
  return { estimate, lower, upper };
}

/** Flattens task-major scores into one array (all runs of all tasks). */
export function flattenScores(scores: TaskScores): Float64Array {
  let n = 0;
  for (const runs of scores) n += runs.length;
  const out = new Float64Array(n);
  let k = 0;
  for (const runs of scores) for (let i = 0; i < runs.length; i++) out[k++] = runs[i];
  return out;
}
