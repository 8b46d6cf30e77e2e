/**
 * Per-feature statistics as LeRobot stores them in `meta/stats.json` and in
 * the episodes' `stats/<feature>/<stat>` columns: element-wise `min`, `max`,
 * `mean`, `std` (population, numpy's default `np.std`) over frames, and
 * `count` (`[frames]`). Computed in float64.
 */
export interface FeatureStats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  count: [number];
}

/** The names of the statistics, in the order they are written. */
export const STAT_NAMES = ['min', 'max', 'mean', 'std', 'count'] as const;

/**
 * Statistics of `rows` rows of `dim` values each (`values [rows x dim]`), by
 * two passes (mean, then squared deviations), so one episode's numbers are
 * exact up to float64 rounding.
 */
export function computeStats(values: ArrayLike<number>, rows: number, dim: number): FeatureStats {
  const min = new Array<number>(dim).fill(Infinity);
  const max = new Array<number>(dim).fill(-Infinity);
  const mean = new Array<number>(dim).fill(0);
  const m2 = new Array<number>(dim).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const v = values[r * dim + j];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
      mean[j] += v;
    }
  }
  for (let j = 0; j < dim; j++) mean[j] = rows > 0 ? mean[j] / rows : 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const d = values[r * dim + j] - mean[j];
      m2[j] += d * d;
    }
  }
  const std = m2.map((s) => (rows > 0 ? Math.sqrt(s / rows) : 0));
  return { min: rows > 0 ? min : min.map(() => 0), max: rows > 0 ? max : max.map(() => 0), mean, std, count: [rows] };
}

/**
 * Combines the statistics of disjoint sets of frames (Chan et al.'s parallel
 * variance, as LeRobot's `aggregate_stats` weights means and variances by
 * count). Returns null for an empty list.
 */
export function aggregateStats(parts: readonly FeatureStats[]): FeatureStats | null {
  const nonEmpty = parts.filter((p) => p.count[0] > 0);
  if (nonEmpty.length === 0) return parts.length > 0 ? parts[0] : null;
  const dim = nonEmpty[0].mean.length;
  let n = 0;
  const mean = new Array<number>(dim).fill(0);
  const m2 = new Array<number>(dim).fill(0);
  const min = new Array<number>(dim).fill(Infinity);
  const max = new Array<number>(dim).fill(-Infinity);
  for (const p of nonEmpty) {
    const nb = p.count[0];
    const total = n + nb;
    for (let j = 0; j < dim; j++) {
      const delta = p.mean[j] - mean[j];
      mean[j] += (delta * nb) / total;
      m2[j] += p.std[j] * p.std[j] * nb + (delta * delta * n * nb) / total;
      if (p.min[j] < min[j]) min[j] = p.min[j];
      if (p.max[j] > max[j]) max[j] = p.max[j];
    }
    n = total;
  }
  return { min, max, mean, std: m2.map((s) => Math.sqrt(s / n)), count: [n] };
}
