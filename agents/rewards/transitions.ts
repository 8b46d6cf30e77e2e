import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { HeadSpec } from '../policies/param-layout.js';

/**
 * A batch of transitions (s, a, s') as a learned reward reads them, flat.
 * Actions are in the stored form of the policy head (category indices for
 * discrete spaces, raw values for Box). Termination is an absorbing state
 * (Kostrikov et al. 2019, "Discriminator-Actor-Critic", arXiv:1809.02925):
 * a row with `absorbing = 1` IS the absorbing state (its obs/action are
 * ignored), and `terminated = 1` says s' is the absorbing state.
 */
export interface Transitions {
  obsDim: number;
  actDim: number;
  rows: number;
  /** `Float32Array [rows x obsDim]`: s (raw, as the env returned it). */
  obs: Float32Array;
  /** `Float32Array [rows x actDim]`: a (stored form). */
  actions: Float32Array;
  /** `Float32Array [rows x obsDim]`: s' (raw; unused where `terminated`). */
  nextObs: Float32Array;
  /** `Uint8Array [rows]`: 1 when the step ended the episode in a terminal state (s' absorbing). */
  terminated: Uint8Array;
  /** `Uint8Array [rows]`: 1 for a row standing for the absorbing state itself. */
  absorbing: Uint8Array;
}

/** Validates a {@link Transitions} object against the spaces it must fit (house-format errors naming `where`). */
export function checkTransitions(t: Transitions, obsDim: number, actDim: number, where: string): void {
  const bad = (what: string, expected: string, got: unknown, fix = 'Build transitions from a dataset recorded on this task'): never => {
    throw new InvalidArgument(formatError(`${where}.${what}`, expected, typeof got === 'string' ? got : describeValue(got), fix));
  };
  if (!(Number.isInteger(t.rows) && t.rows > 0)) bad('rows', 'at least one transition', t.rows, 'Record demonstrations first (lamkit record)');
  if (t.obsDim !== obsDim) bad('obsDim', `the task's observation size ${obsDim}`, t.obsDim);
  if (t.actDim !== actDim) bad('actDim', `the task's action size ${actDim}`, t.actDim);
  if (t.obs.length !== t.rows * obsDim) bad('obs', `Float32Array [${t.rows} x ${obsDim}]`, `${t.obs.length} values`);
  if (t.nextObs.length !== t.rows * obsDim) bad('nextObs', `Float32Array [${t.rows} x ${obsDim}]`, `${t.nextObs.length} values`);
  if (t.actions.length !== t.rows * actDim) bad('actions', `Float32Array [${t.rows} x ${actDim}]`, `${t.actions.length} values`);
  if (t.terminated.length !== t.rows || t.absorbing.length !== t.rows) bad('terminated/absorbing', `Uint8Array [${t.rows}]`, `${t.terminated.length} and ${t.absorbing.length}`);
}

/** Rows `idx` of `t` as a new {@link Transitions}. */
export function selectTransitions(t: Transitions, idx: ArrayLike<number>): Transitions {
  return selectFromParts([t], idx);
}

/**
 * Rows `idx` of `parts` taken one after another (as {@link concatTransitions}
 * would lay them out, without building that copy), as a new
 * {@link Transitions}; all parts of one obs / action size.
 */
export function selectFromParts(parts: readonly Transitions[], idx: ArrayLike<number>): Transitions {
  const { obsDim: od, actDim: ad } = parts[0];
  const starts: number[] = [];
  let total = 0;
  for (const p of parts) {
    starts.push(total);
    total += p.rows;
  }
  const n = idx.length;
  const out: Transitions = { obsDim: od, actDim: ad, rows: n, obs: new Float32Array(n * od), actions: new Float32Array(n * ad), nextObs: new Float32Array(n * od), terminated: new Uint8Array(n), absorbing: new Uint8Array(n) };
  for (let r = 0; r < n; r++) {
    // The last part starting at or before idx[r] (binary search).
    let lo = 0;
    let hi = parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= idx[r]) lo = mid;
      else hi = mid - 1;
    }
    const t = parts[lo];
    const k = idx[r] - starts[lo];
    out.obs.set(t.obs.subarray(k * od, (k + 1) * od), r * od);
    out.nextObs.set(t.nextObs.subarray(k * od, (k + 1) * od), r * od);
    out.actions.set(t.actions.subarray(k * ad, (k + 1) * ad), r * ad);
    out.terminated[r] = t.terminated[k];
    out.absorbing[r] = t.absorbing[k];
  }
  return out;
}

/** `count` absorbing-state rows (obs, action and next obs zero). */
export function absorbingRows(obsDim: number, actDim: number, count: number): Transitions {
  return { obsDim, actDim, rows: count, obs: new Float32Array(count * obsDim), actions: new Float32Array(count * actDim), nextObs: new Float32Array(count * obsDim), terminated: new Uint8Array(count), absorbing: new Uint8Array(count).fill(1) };
}

/** The rows of `parts` one after another, as a new {@link Transitions} (all of one obs / action size). */
export function concatTransitions(...parts: Transitions[]): Transitions {
  const cat = <T extends Float32Array | Uint8Array>(pick: (t: Transitions) => T): T => {
    const arrays = parts.map(pick);
    const out = new (arrays[0].constructor as { new (n: number): T })(arrays.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of arrays) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
  const [a] = parts;
  return { obsDim: a.obsDim, actDim: a.actDim, rows: parts.reduce((n, t) => n + t.rows, 0), obs: cat((t) => t.obs), actions: cat((t) => t.actions), nextObs: cat((t) => t.nextObs), terminated: cat((t) => t.terminated), absorbing: cat((t) => t.absorbing) };
}

/**
 * How a reward network turns transitions into input features: observations
 * standardized with fixed statistics (the demonstrations'), discrete actions
 * one-hot, continuous ones clipped to the action bounds (so the raw
 * Gaussian samples a policy stores do not give it away by being out of
 * range), plus one absorbing-state indicator.
 */
export class FeatureEncoder {
  readonly obsDim: number;
  readonly head: HeadSpec;
  /** Width of the encoded action. */
  readonly actFeatures: number;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;

  /**
   * @param stats observation mean and variance (`obsDim` each).
   * @param bounds Box action bounds for a Gaussian head (null: no clipping).
   * @param keep the observation dimensions encoded (the others are 0); null: all.
   */
  constructor(obsDim: number, head: HeadSpec, stats: { mean: ArrayLike<number>; var: ArrayLike<number> }, private readonly bounds: { low: ArrayLike<number>; high: ArrayLike<number> } | null, keep: readonly number[] | null = null) {
    this.obsDim = obsDim;
    this.head = head;
    this.actFeatures = head.kind === 'categorical' ? head.nvec.reduce((a, b) => a + b, 0) : head.dim;
    if (stats.mean.length !== obsDim || stats.var.length !== obsDim) throw new InvalidArgument(formatError('FeatureEncoder.stats', `mean and var of length ${obsDim}`, `${stats.mean.length} and ${stats.var.length}`));
    this.mean = Float32Array.from(stats.mean);
    this.invStd = Float32Array.from(stats.var, (v) => 1 / Math.sqrt(v + 1e-8));
    if (keep) {
      for (const j of keep) {
        if (!(Number.isInteger(j) && j >= 0 && j < obsDim)) throw new InvalidArgument(formatError('FeatureEncoder.keep', `observation indices in [0, ${obsDim})`, describeValue(j), `Name dimensions of the ${obsDim}-dimensional observation`));
      }
      const kept = new Set(keep);
      for (let j = 0; j < obsDim; j++) if (!kept.has(j)) this.invStd[j] = 0;
    }
  }

  /** Standardized observations of rows (zeros on absorbing rows), clipped to +-10: `Float32Array [rows x obsDim]`. */
  observations(obs: Float32Array, absorbing: Uint8Array, rows: number): Float32Array {
    const od = this.obsDim;
    const out = new Float32Array(rows * od);
    for (let r = 0; r < rows; r++) {
      if (absorbing[r]) continue;
      for (let j = 0; j < od; j++) {
        const v = (obs[r * od + j] - this.mean[j]) * this.invStd[j];
        out[r * od + j] = v < -10 ? -10 : v > 10 ? 10 : v;
      }
    }
    return out;
  }

  /** Encoded actions: `Float32Array [rows x actFeatures]` (zeros on absorbing rows). */
  actions(actions: Float32Array, absorbing: Uint8Array, rows: number): Float32Array {
    const w = this.actFeatures;
    const out = new Float32Array(rows * w);
    const h = this.head;
    if (h.kind === 'categorical') {
      const ad = h.nvec.length;
      for (let r = 0; r < rows; r++) {
        if (absorbing[r]) continue;
        let offset = 0;
        for (let c = 0; c < ad; c++) {
          const k = actions[r * ad + c];
          if (!(Number.isInteger(k) && k >= 0 && k < h.nvec[c])) {
            throw new InvalidArgument(formatError(`FeatureEncoder.actions[${r}][${c}]`, `a category index in [0, ${h.nvec[c]})`, describeValue(k), 'Pass actions in the stored form of the policy head (index minus the space start)'));
          }
          out[r * w + offset + k] = 1;
          offset += h.nvec[c];
        }
      }
      return out;
    }
    for (let r = 0; r < rows; r++) {
      if (absorbing[r]) continue;
      for (let j = 0; j < w; j++) {
        let v = actions[r * w + j];
        if (this.bounds) v = Math.min(this.bounds.high[j], Math.max(this.bounds.low[j], v));
        out[r * w + j] = v;
      }
    }
    return out;
  }
}
