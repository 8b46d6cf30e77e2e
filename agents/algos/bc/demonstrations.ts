import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { Rng } from '../../../src/core/rng.js';
import type { ActorCritic, EvalBatch } from '../../policies/actor-critic.js';

/**
 * Labelled steps in memory, episodes back to back (what a dataset split
 * becomes before supervised training). Actions are in the stored form of
 * the policy head: category indices from 0 for discrete spaces, raw values
 * for Box.
 */
export interface Demonstrations {
  obsDim: number;
  actDim: number;
  /** Steps in all. */
  rows: number;
  /** `Float32Array [rows x obsDim]`. */
  obs: Float32Array;
  /** `Float32Array [rows x actDim]`. */
  actions: Float32Array;
  /** `Uint8Array [rows]`: 1 at each episode's first step. */
  episodeStart: Uint8Array;
  /**
   * Optional `Float32Array [rows x 2]`: where the image keypoints should find what the step is about (an image point
   * in normalized image coordinates, x right, y down, -1 and 1 at the image's edges; NaN: no label), for behaviour
   * cloning's `keypointLabelLoss` (`lamkit finetune` fills it from the dataset's `lamkit.keypointLabels`).
   */
  keypointLabels?: Float32Array;
}

/** The keypoint labels (`d.keypointLabels`) of rows `starts`, `Float32Array [starts x 2]`; null where `d` has none. */
export function keypointLabelsAt(d: Demonstrations, starts: ArrayLike<number>): Float32Array | null {
  const all = d.keypointLabels;
  if (!all) return null;
  const out = new Float32Array(2 * starts.length);
  for (let i = 0; i < starts.length; i++) (out[2 * i] = all[2 * starts[i]]), (out[2 * i + 1] = all[2 * starts[i] + 1]);
  return out;
}

/** A supervised minibatch: what the network scores, and which scored rows are real labelled steps. */
export interface LabelledBatch {
  batch: EvalBatch;
  /** `Float32Array [scoredRows]`: 1 for a labelled step, 0 for padding past the data's end. */
  weights: Float32Array;
}

/** Validates a {@link Demonstrations} object (house-format errors naming `where`). */
export function checkDemonstrations(d: Demonstrations, where: string): void {
  const bad = (what: string, expected: string, got: unknown): never => {
    throw new InvalidArgument(formatError(`${where}.${what}`, expected, describeValue(got), 'Build demonstrations from a recorded dataset'));
  };
  if (!(Number.isInteger(d.rows) && d.rows > 0)) bad('rows', 'a positive integer', d.rows);
  if (!(d.obs instanceof Float32Array) || d.obs.length !== d.rows * d.obsDim) bad('obs', `Float32Array [${d.rows} x ${d.obsDim}]`, d.obs);
  if (!(d.actions instanceof Float32Array) || d.actions.length !== d.rows * d.actDim) bad('actions', `Float32Array [${d.rows} x ${d.actDim}]`, d.actions);
  if (!(d.episodeStart instanceof Uint8Array) || d.episodeStart.length !== d.rows || d.episodeStart[0] !== 1) bad('episodeStart', `Uint8Array [${d.rows}] starting with 1`, d.episodeStart);
  if (d.keypointLabels !== undefined && (!(d.keypointLabels instanceof Float32Array) || d.keypointLabels.length !== d.rows * 2)) bad('keypointLabels', `Float32Array [${d.rows} x 2]`, d.keypointLabels);
}

/**
 * The minibatch of steps `starts` (flat row indices). For a memoryless
 * network (`context === null`) each start is one scored row. For a sequence
 * network each start opens a chunk of `length` scored steps preceded by
 * `context` history rows, cut at the episode start the way rollouts cut
 * history (rows before it are padding marked as episode starts); scored
 * rows past the data's end are padding with weight 0.
 *
 * With `chunk > 1` (action chunking, sequence networks) the batch also
 * carries `chunkTargets`: for each scored row the actions of its step and
 * the `chunk - 1` steps after it, masked (0) past the end of its episode.
 */
export function labelledBatch(d: Demonstrations, starts: ArrayLike<number>, context: number | null, length: number, withActorOut = false, chunk = 1): LabelledBatch {
  const { obsDim: od, actDim: ad } = d;
  if (context === null) {
    const n = starts.length;
    const obs = new Float32Array(n * od);
    const actions = new Float32Array(n * ad);
    for (let r = 0; r < n; r++) {
      const k = starts[r];
      obs.set(d.obs.subarray(k * od, (k + 1) * od), r * od);
      actions.set(d.actions.subarray(k * ad, (k + 1) * ad), r * ad);
    }
    return { batch: { obs: { rows: n, flat: obs }, actions, withActorOut }, weights: new Float32Array(n).fill(1) };
  }
  const count = starts.length;
  const span = context + length;
  const rows = count * span;
  const obs = new Float32Array(rows * od);
  const actions = new Float32Array(rows * ad);
  const prevActions = new Float32Array(rows * ad);
  const episodeStart = new Uint8Array(rows).fill(1);
  const weights = new Float32Array(count * length);
  for (let c = 0; c < count; c++) {
    const s = starts[c];
    // The episode start at or before s bounds the history.
    let first = s;
    while (first > 0 && !d.episodeStart[first]) first--;
    for (let q = 0; q < span; q++) {
      const k = s - context + q;
      const row = c * span + q;
      const scored = q >= context;
      if (k < first && !scored) continue; // padding before the episode: zeros, marked as a start
      if (k >= d.rows) continue; // past the data: padding, weight 0
      obs.set(d.obs.subarray(k * od, (k + 1) * od), row * od);
      actions.set(d.actions.subarray(k * ad, (k + 1) * ad), row * ad);
      episodeStart[row] = d.episodeStart[k];
      if (!d.episodeStart[k]) prevActions.set(d.actions.subarray((k - 1) * ad, k * ad), row * ad);
      if (scored) weights[c * length + q - context] = 1;
    }
  }
  const batch: EvalBatch = { obs: { rows, flat: obs }, actions, prevActions, chunks: { count, context, length, episodeStart }, withActorOut };
  if (chunk > 1) batch.chunkTargets = chunkTargets(d, starts, length, weights, chunk);
  return { batch, weights };
}

/**
 * The labelled batch behaviour cloning trains `net` on: its label context
 * (`sequence.labelContext`, else `context`; none for a memoryless network,
 * one step per row) and, with action chunking, the chunk's targets. The
 * loss BC, rehearsal's replay and EWC's Fisher all take.
 */
export function labelledBatchFor(net: Pick<ActorCritic, 'sequence' | 'actionChunk'>, d: Demonstrations, starts: ArrayLike<number>, length: number): LabelledBatch {
  const context = net.sequence ? (net.sequence.labelContext ?? net.sequence.context) : null;
  return labelledBatch(d, starts, context, net.sequence ? length : 1, false, net.actionChunk ?? 1);
}

/** `actions [count x length x chunk x actDim]` and `mask [count x length x chunk]` of the scored rows (see {@link labelledBatch}). */
function chunkTargets(d: Demonstrations, starts: ArrayLike<number>, length: number, weights: Float32Array, chunk: number): NonNullable<EvalBatch['chunkTargets']> {
  const ad = d.actDim;
  const scored = starts.length * length;
  const actions = new Float32Array(scored * chunk * ad);
  const mask = new Float32Array(scored * chunk);
  for (let r = 0; r < scored; r++) {
    if (!weights[r]) continue;
    const k = starts[Math.floor(r / length)] + (r % length);
    for (let j = 0; j < chunk; j++) {
      const kk = k + j;
      // The chunk ends with the episode: the next row is another episode's start, or there is none.
      if (kk >= d.rows || (j > 0 && d.episodeStart[kk])) break;
      actions.set(d.actions.subarray(kk * ad, (kk + 1) * ad), (r * chunk + j) * ad);
      mask[r * chunk + j] = 1;
    }
  }
  return { chunk, actions, mask };
}

/** For each row, the last row of its episode (the row before the next episode start, or the data's last row). */
export function episodeEnds(d: Demonstrations): Int32Array {
  const out = new Int32Array(d.rows);
  let end = d.rows - 1;
  for (let k = d.rows - 1; k >= 0; k--) {
    out[k] = end;
    if (d.episodeStart[k]) end = k - 1;
  }
  return out;
}

/**
 * The rows of each episode's first `steps` steps, ascending (fewer where an episode is shorter); rows before the
 * data's first episode start belong to no whole episode and are left out. `steps` 1: the episode starts.
 */
export function episodeStartRows(d: Demonstrations, steps: number): Int32Array {
  const firsts = episodeFirsts(d);
  const out: number[] = [];
  for (let r = 0; r < d.rows; r++) if (r - firsts[r] < steps && d.episodeStart[firsts[r]]) out.push(r);
  return Int32Array.from(out);
}

/** For each row, the first row of its episode (the nearest episode start at or before it; row 0 for rows before any). */
export function episodeFirsts(d: Demonstrations): Int32Array {
  const out = new Int32Array(d.rows);
  let first = 0;
  for (let k = 0; k < d.rows; k++) {
    if (d.episodeStart[k]) first = k;
    out[k] = first;
  }
  return out;
}

/**
 * `Float32Array [starts x length x obsDim]`: for each scored row of a batch
 * (`length` consecutive steps from each start; rows past the data repeat
 * the last one, and carry weight 0), the observation of row `index[row]`.
 * With `index` = {@link episodeEnds} of `d`, the last observation of the
 * row's episode (the hindsight goal of behaviour cloning's `goalLoss`);
 * with {@link episodeFirsts}, its first (`EvalBatch.firstObs`).
 */
export function observationsAt(d: Demonstrations, index: Int32Array, starts: ArrayLike<number>, length: number): Float32Array {
  const od = d.obsDim;
  const out = new Float32Array(starts.length * length * od);
  for (let c = 0; c < starts.length; c++) {
    for (let q = 0; q < length; q++) {
      const k = Math.min(starts[c] + q, d.rows - 1);
      const e = index[k];
      out.set(d.obs.subarray(e * od, (e + 1) * od), (c * length + q) * od);
    }
  }
  return out;
}

/**
 * Gives `batch` (built by {@link labelledBatch} from `starts`, `length`
 * steps each, no history context) the first observation of each row's
 * episode when `net` has episode memory (`ActorCritic.firstObsInput`);
 * otherwise leaves it as it is. `firsts`: {@link episodeFirsts} of `d`
 * (computed when absent).
 */
export function withFirstObs(net: Pick<ActorCritic, 'firstObsInput'>, d: Demonstrations, batch: EvalBatch, starts: ArrayLike<number>, length: number, firsts?: Int32Array): EvalBatch {
  if (net.firstObsInput === true) batch.firstObs = observationsAt(d, firsts ?? episodeFirsts(d), starts, length);
  return batch;
}

/** `count` start rows drawn uniformly from the data with `rng` (sequence chunks may start anywhere; they are cut at episode starts). */
export function sampleStarts(d: Demonstrations, count: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: count }, () => rng.integer(0, d.rows));
}

/** Start rows that cover every step once, in order (`length` steps per chunk; 1 for memoryless networks). */
export function coveringStarts(d: Demonstrations, length: number): Int32Array {
  return Int32Array.from({ length: Math.ceil(d.rows / length) }, (_, i) => i * length);
}

/** Per-feature mean and population variance of the observations (what observation normalization stores). */
export function observationStats(d: Demonstrations): { mean: number[]; var: number[]; count: number } {
  const od = d.obsDim;
  const mean = new Array<number>(od).fill(0);
  const variance = new Array<number>(od).fill(0);
  for (let r = 0; r < d.rows; r++) for (let j = 0; j < od; j++) mean[j] += d.obs[r * od + j] / d.rows;
  for (let r = 0; r < d.rows; r++) for (let j = 0; j < od; j++) variance[j] += (d.obs[r * od + j] - mean[j]) ** 2 / d.rows;
  return { mean, var: variance, count: d.rows };
}

/** Normalizes `d.obs` in place as policies do at inference: `clip((x - mean) / sqrt(var + 1e-8), +-clip)`. */
export function normalizeDemonstrations(d: Demonstrations, stats: { mean: ArrayLike<number>; var: ArrayLike<number> }, clip: number): void {
  const od = d.obsDim;
  for (let r = 0; r < d.rows; r++) {
    for (let j = 0; j < od; j++) {
      const v = (d.obs[r * od + j] - stats.mean[j]) / Math.sqrt(stats.var[j] + 1e-8);
      d.obs[r * od + j] = v < -clip ? -clip : v > clip ? clip : v;
    }
  }
}
