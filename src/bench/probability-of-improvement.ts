import { InvalidArgument, formatError } from '../core/errors.js';
import { stratifiedBootstrap, type BootstrapOptions, type IntervalEstimate, type TaskScores } from './stratified-bootstrap.js';

/**
 * Probability of improvement of X over Y (rliable's
 * `probability_of_improvement`): for each task, the Mann-Whitney U
 * statistic over all pairs of runs, P(X > Y) + P(X = Y) / 2, then the mean
 * over tasks. Rank-based, so raw returns of different tasks need no
 * normalization. 0.5: neither is better; 1: every run of X beats every run
 * of Y on every task.
 *
 * @param x `x[task][run]`; @param y `y[task][run]`, the same tasks in the same order (run counts may differ).
 */
export function probabilityOfImprovement(x: TaskScores, y: TaskScores): number {
  if (x.length !== y.length || x.length === 0) {
    throw new InvalidArgument(formatError('probabilityOfImprovement', 'scores of X and Y on the same (non-empty) list of tasks', `${x.length} and ${y.length} tasks`, 'Pass the tasks both methods ran'));
  }
  let sum = 0;
  for (let t = 0; t < x.length; t++) sum += pairwiseWinRate(x[t], y[t]);
  return sum / x.length;
}

/** P(a > b) + P(a = b) / 2 over all pairs of one task's runs (U / (n_a n_b)). */
function pairwiseWinRate(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let u = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      if (a[i] > b[j]) u += 1;
      else if (a[i] === b[j]) u += 0.5;
    }
  }
  return u / (a.length * b.length);
}

/**
 * {@link probabilityOfImprovement} with its percentile-bootstrap interval,
 * resampling the runs of X and of Y independently within each task
 * (rliable's `StratifiedIndependentBootstrap`). Default 2,000 replications.
 */
export function probabilityOfImprovementInterval(x: TaskScores, y: TaskScores, options: BootstrapOptions): IntervalEstimate {
  const r = stratifiedBootstrap([x, y], (s) => probabilityOfImprovement(s[0], s[1]), { ...options, reps: options.reps ?? 2000 });
  return { estimate: r.estimate[0], lower: r.lower[0], upper: r.upper[0] };
}
