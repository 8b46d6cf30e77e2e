/**
 * Retention figures of a continual-learning run from its matrix
 * `a[stage][task]` (performance of task j after training stage k; NaN for
 * tasks not yet seen), in the definitions of Chaudhry et al. 2018
 * (arXiv:1801.10112) and Lopez-Paz & Ranzato 2017 (GEM):
 * - average final performance: mean over tasks of `a[K-1][j]`;
 * - forgetting of task j < K-1: `max_{k < K-1} a[k][j] - a[K-1][j]` (the
 *   best it ever was minus where it ended), averaged over those tasks;
 *   for a lower-is-better metric (NLL) the sign is flipped so forgetting
 *   is always positive when a task got worse.
 */
export interface RetentionSummary {
  averageFinal: number;
  averageForgetting: number;
  /** Forgetting of each task but the last. */
  forgetting: number[];
}

export function retentionSummary(a: readonly (readonly number[])[], higherIsBetter: boolean): RetentionSummary {
  const K = a.length;
  const last = a[K - 1];
  const finals = last.filter((x) => Number.isFinite(x));
  const forgetting: number[] = [];
  for (let j = 0; j < K - 1; j++) {
    let best = higherIsBetter ? -Infinity : Infinity;
    for (let k = j; k < K - 1; k++) if (Number.isFinite(a[k][j])) best = higherIsBetter ? Math.max(best, a[k][j]) : Math.min(best, a[k][j]);
    forgetting.push(higherIsBetter ? best - last[j] : last[j] - best);
  }
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  return { averageFinal: mean(finals), averageForgetting: mean(forgetting), forgetting };
}
