import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * Trimmed mean as `scipy.stats.trim_mean(values, proportion)`: sorts the
 * values, cuts `floor(proportion * n)` from each end and averages the rest.
 * With `proportion` 0.25 this is the interquartile mean (IQM) of Agarwal et
 * al., "Deep Reinforcement Learning at the Edge of the Statistical Precipice"
 * (NeurIPS 2021), as rliable's `aggregate_iqm` computes it: whole values are
 * cut (no fractional weights), so 4 values keep the middle 2 and 3 values
 * keep all 3.
 *
 * @param values the scores, any order (not modified).
 * @param proportion fraction cut from each end, in [0, 0.5).
 * @throws InvalidArgument for no values, a NaN value or a proportion outside [0, 0.5).
 */
export function trimMean(values: ArrayLike<number>, proportion: number): number {
  if (!(proportion >= 0 && proportion < 0.5)) {
    throw new InvalidArgument(formatError('trimMean.proportion', 'a number in [0, 0.5)', describeValue(proportion), 'Pass 0.25 for the interquartile mean'));
  }
  const n = values.length;
  if (n === 0) throw new InvalidArgument(formatError('trimMean.values', 'at least one value', 'none', 'Pass the scores of at least one run'));
  const sorted = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(sorted[i])) throw new InvalidArgument(formatError('trimMean.values', 'numbers', `NaN at index ${i}`, 'Drop runs without a score'));
  }
  sorted.sort();
  return meanOfSortedSlice(sorted, Math.floor(proportion * n));
}

/**
 * Interquartile mean: the mean of the middle 50% of the values (25% trimmed
 * mean, {@link trimMean} with 0.25), robust to outlier runs yet using half
 * the data, unlike the median. rliable computes it over all runs of all
 * tasks together (the values of a runs x tasks matrix, flattened).
 */
export function interquartileMean(values: ArrayLike<number>): number {
  return trimMean(values, 0.25);
}

/** Mean of `sorted[cut .. n - cut)`; `sorted` must be sorted ascending. Used on the bootstrap's hot path. */
export function meanOfSortedSlice(sorted: ArrayLike<number>, cut: number): number {
  const end = sorted.length - cut;
  let sum = 0;
  for (let i = cut; i < end; i++) sum += sorted[i];
  return sum / (end - cut);
}

/**
 * The `q`-th percentile (q in [0, 100]) of ascending-sorted values with
 * linear interpolation between the closest ranks: numpy's default
 * `np.percentile(values, q)` (method "linear", Hyndman & Fan type 7), which
 * the percentile bootstrap of rliable (through `arch`) uses.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || !(q >= 0 && q <= 100)) {
    throw new InvalidArgument(formatError('percentileOfSorted', 'at least one value and q in [0, 100]', `${n} values, q ${describeValue(q)}`, 'Pass sorted values and a percentage'));
  }
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
