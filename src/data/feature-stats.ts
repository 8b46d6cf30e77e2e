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

/**
 * Per-episode statistics of one feature, one row per episode, in the
 * layout of the episodes file's `stats/<feature>/<stat>` columns
 * (`[rows x dim]` each, `count` `[rows]`): a recorder appends each
 * episode's row into arrays it reuses from commit to commit instead of
 * keeping five small arrays per feature and episode alive until the commit.
 * Rows are computed as {@link computeStats} and aggregated as
 * {@link aggregateStats} (the same arithmetic, so the same numbers).
 */
export class StatsRows {
  rows = 0;
  min: Float64Array;
  max: Float64Array;
  mean: Float64Array;
  std: Float64Array;
  count: Float64Array;
  private capacity = 64;

  constructor(readonly dim: number) {
    this.min = new Float64Array(this.capacity * dim);
    this.max = new Float64Array(this.capacity * dim);
    this.mean = new Float64Array(this.capacity * dim);
    this.std = new Float64Array(this.capacity * dim);
    this.count = new Float64Array(this.capacity);
  }

  /** Appends the statistics of `values [n x dim]` (n >= 1) as a row, by the two passes of {@link computeStats}. */
  add(values: ArrayLike<number>, n: number): void {
    const dim = this.dim;
    const o = this.reserve();
    const { min, max, mean, std } = this;
    for (let j = 0; j < dim; j++) {
      min[o + j] = Infinity;
      max[o + j] = -Infinity;
      mean[o + j] = 0;
      std[o + j] = 0;
    }
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < dim; j++) {
        const v = values[r * dim + j];
        if (v < min[o + j]) min[o + j] = v;
        if (v > max[o + j]) max[o + j] = v;
        mean[o + j] += v;
      }
    }
    for (let j = 0; j < dim; j++) mean[o + j] = mean[o + j] / n;
    // std holds the sum of squared deviations until the last line.
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < dim; j++) {
        const d = values[r * dim + j] - mean[o + j];
        std[o + j] += d * d;
      }
    }
    for (let j = 0; j < dim; j++) std[o + j] = Math.sqrt(std[o + j] / n);
    this.count[this.rows] = n;
    this.rows++;
  }

  /** Appends statistics computed elsewhere (e.g. an image's, over sampled frames) as a row. */
  addStats(s: FeatureStats): void {
    const o = this.reserve();
    this.min.set(s.min, o);
    this.max.set(s.max, o);
    this.mean.set(s.mean, o);
    this.std.set(s.std, o);
    this.count[this.rows] = s.count[0];
    this.rows++;
  }

  /** {@link aggregateStats} of `prior` (when given) followed by every row. */
  aggregate(prior?: FeatureStats): FeatureStats {
    const dim = this.dim;
    // Float64Array accumulators and loops over this class's own arrays: no boxed numbers (the same float64 arithmetic).
    const mean = new Float64Array(dim);
    const m2 = new Float64Array(dim);
    const min = new Float64Array(dim).fill(Infinity);
    const max = new Float64Array(dim).fill(-Infinity);
    let n = 0;
    if (prior && prior.count[0] > 0) {
      // The first step of the fold below, written out (n = 0 before it), so the numbers match aggregateStats' exactly.
      const nb = prior.count[0];
      for (let j = 0; j < dim; j++) {
        const delta = prior.mean[j] - mean[j];
        mean[j] += (delta * nb) / nb;
        m2[j] += prior.std[j] * prior.std[j] * nb + (delta * delta * 0 * nb) / nb;
        if (prior.min[j] < min[j]) min[j] = prior.min[j];
        if (prior.max[j] > max[j]) max[j] = prior.max[j];
      }
      n = nb;
    }
    const { count, min: rMin, max: rMax, mean: rMean, std: rStd } = this;
    for (let k = 0; k < this.rows; k++) {
      const nb = count[k];
      if (nb <= 0) continue;
      const total = n + nb;
      const o = k * dim;
      for (let j = 0; j < dim; j++) {
        const delta = rMean[o + j] - mean[j];
        mean[j] += (delta * nb) / total;
        m2[j] += rStd[o + j] * rStd[o + j] * nb + (delta * delta * n * nb) / total;
        if (rMin[o + j] < min[j]) min[j] = rMin[o + j];
        if (rMax[o + j] > max[j]) max[j] = rMax[o + j];
      }
      n = total;
    }
    if (n === 0) return prior ?? { min: new Array<number>(dim).fill(0), max: new Array<number>(dim).fill(0), mean: Array.from(mean), std: Array.from(mean), count: [0] };
    return { min: Array.from(min), max: Array.from(max), mean: Array.from(mean), std: Array.from(m2, (s) => Math.sqrt(s / n)), count: [n] };
  }

  /** Empties the rows (the arrays are kept for the next ones). */
  clear(): void {
    this.rows = 0;
  }

  private reserve(): number {
    if (this.rows === this.capacity) {
      this.capacity *= 2;
      const grow = (a: Float64Array, w: number): Float64Array => {
        const b = new Float64Array(this.capacity * w);
        b.set(a);
        return b;
      };
      this.min = grow(this.min, this.dim);
      this.max = grow(this.max, this.dim);
      this.mean = grow(this.mean, this.dim);
      this.std = grow(this.std, this.dim);
      this.count = grow(this.count, 1);
    }
    return this.rows * this.dim;
  }
}
