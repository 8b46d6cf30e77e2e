import { RunningMeanStd, type RunningMeanStdState } from '../../../src/core/running-mean-std.js';

/** Serializable normalizer state (stored in checkpoints). */
export interface VecNormalizerState {
  obs: RunningMeanStdState | null;
  ret: RunningMeanStdState | null;
}

/** Options of {@link VecNormalizer}. */
export interface VecNormalizerOptions {
  normalizeObs: boolean;
  normalizeReward: boolean;
  clipObs: number;
  clipReward: number;
  /** Discount of the running return whose std scales rewards. */
  gamma: number;
}

/** Added to the variance under the square root when normalizing (and when undoing it). */
export const EPS = 1e-8;

/**
 * Observation normalization and reward scaling on the agent's side of a
 * vector env (SB3's `VecNormalize`), so the statistics travel with the
 * checkpoint and evaluation normalizes exactly as training did. Uses the
 * shared {@link RunningMeanStd}.
 *
 * - obs: `clip((x - mean) / sqrt(var + 1e-8), +-clipObs)`, statistics
 *   updated with every observation batch while training.
 * - reward: `clip(r / sqrt(var(G) + 1e-8), +-clipReward)` where
 *   `G <- gamma G + r` is each sub-env's running discounted return, reset at
 *   episode ends (Engstrom et al. 2020, arXiv:2005.12729, "reward scaling").
 */
export class VecNormalizer {
  readonly obsRms: RunningMeanStd | null;
  readonly retRms: RunningMeanStd | null;
  readonly options: VecNormalizerOptions;
  private readonly obsDim: number;
  private readonly returns: Float64Array;

  constructor(obsDim: number, numEnvs: number, options: VecNormalizerOptions) {
    this.obsDim = obsDim;
    this.options = { ...options };
    this.obsRms = options.normalizeObs ? new RunningMeanStd([obsDim]) : null;
    this.retRms = options.normalizeReward ? new RunningMeanStd([]) : null;
    this.returns = new Float64Array(numEnvs);
  }

  /**
   * Normalizes `raw [rows x obsDim]` into `out` (same layout); with `update`,
   * first merges the batch into the running statistics.
   */
  normalizeObs(raw: Float32Array, rows: number, out: Float32Array, update: boolean): void {
    const rms = this.obsRms;
    if (rms === null) {
      out.set(raw.subarray(0, rows * this.obsDim));
      return;
    }
    if (update) rms.update(raw.subarray(0, rows * this.obsDim), rows);
    normalizeRows(raw, rows, this.obsDim, rms.mean, rms.var, this.options.clipObs, out);
  }

  /**
   * Scales `raw [numEnvs]` rewards into `out`; `ended[i]` = 1 where sub-env
   * i's episode ended on this step (its running return restarts).
   */
  scaleRewards(raw: Float64Array, ended: Uint8Array, out: Float64Array): void {
    const rms = this.retRms;
    if (rms === null) {
      out.set(raw);
      return;
    }
    const n = this.returns.length;
    for (let i = 0; i < n; i++) this.returns[i] = this.returns[i] * this.options.gamma + raw[i];
    rms.update(this.returns, n);
    const scale = 1 / Math.sqrt(rms.var[0] + EPS);
    const c = this.options.clipReward;
    for (let i = 0; i < n; i++) {
      const r = raw[i] * scale;
      out[i] = r < -c ? -c : r > c ? c : r;
      if (ended[i]) this.returns[i] = 0;
    }
  }

  /** Forgets the running returns (all sub-envs start new episodes). */
  resetReturns(): void {
    this.returns.fill(0);
  }

  getState(): VecNormalizerState {
    return { obs: this.obsRms?.getState() ?? null, ret: this.retRms?.getState() ?? null };
  }

  setState(state: VecNormalizerState): void {
    if (this.obsRms && state.obs) this.obsRms.setState(state.obs);
    if (this.retRms && state.ret) this.retRms.setState(state.ret);
  }
}

/** `out[r, j] = clip((x[r, j] - mean[j]) / sqrt(var[j] + 1e-8), +-clip)` for `rows x dim` arrays. */
export function normalizeRows(x: ArrayLike<number>, rows: number, dim: number, mean: ArrayLike<number>, variance: ArrayLike<number>, clip: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let j = 0; j < dim; j++) {
      const v = (x[o + j] - mean[j]) / Math.sqrt(variance[j] + EPS);
      out[o + j] = v < -clip ? -clip : v > clip ? clip : v;
    }
  }
}
