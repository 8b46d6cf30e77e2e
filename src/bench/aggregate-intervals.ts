import { meanOfSortedSlice } from './interquartile-mean.js';
import { stratifiedBootstrap, type BootstrapOptions, type IntervalEstimate, type TaskScores } from './stratified-bootstrap.js';

/**
 * IQM over all runs of all tasks (rliable's `aggregate_iqm` on a runs x
 * tasks matrix) with its stratified percentile-bootstrap interval. Scores
 * of several tasks must share a unit (normalized scores); for one task,
 * pass `[runs]`.
 */
export function iqmInterval(scores: TaskScores, options: BootstrapOptions): IntervalEstimate {
  let total = 0;
  for (const runs of scores) total += runs.length;
  const pooled = new Float64Array(total);
  const cut = Math.floor(0.25 * total);
  const iqm = (resampled: Float64Array[][]): number => {
    let k = 0;
    for (const runs of resampled[0]) for (let i = 0; i < runs.length; i++) pooled[k++] = runs[i];
    pooled.sort();
    return meanOfSortedSlice(pooled, cut);
  };
  const r = stratifiedBootstrap([scores], iqm, options);
  return { estimate: r.estimate[0], lower: r.lower[0], upper: r.upper[0] };
}

/** Mean over all runs of all tasks with its stratified percentile-bootstrap interval. */
export function meanInterval(scores: TaskScores, options: BootstrapOptions): IntervalEstimate {
  const mean = (resampled: Float64Array[][]): number => {
    let sum = 0;
    let n = 0;
    for (const runs of resampled[0]) for (let i = 0; i < runs.length; i++, n++) sum += runs[i];
    return sum / n;
  };
  const r = stratifiedBootstrap([scores], mean, options);
  return { estimate: r.estimate[0], lower: r.lower[0], upper: r.upper[0] };
}
