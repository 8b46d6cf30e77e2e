import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { HeadSpec } from '../../policies/param-layout.js';
import type { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import { spaceEntries, spaceSignature } from '../../policies/transformer/transformer-spec.js';
import { type Demonstrations, labelledBatchFor, sampleStarts } from '../bc/demonstrations.js';

/** One earlier task's share of the replay buffer. */
export interface ReplayEntry {
  taskId: string;
  io: { obsDim: number; head: HeadSpec };
  data: Demonstrations;
}

/**
 * Rehearsal (experience replay for continual learning; Rolnick et al.
 * 2019, arXiv:1811.11682): a buffer of at most `capacity` steps of earlier
 * tasks' demonstrations, split evenly between them (whole episodes, drawn
 * with the run's Rng), replayed in every training step of a later task
 * through that task's own tokenizers and heads on the shared trunk.
 */
export class RehearsalBuffer {
  readonly capacity: number;
  private readonly entries: ReplayEntry[] = [];
  private readonly full: ReplayEntry[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgument(formatError('RehearsalBuffer.capacity', 'a positive integer (steps kept)', String(capacity), 'Pass e.g. --rehearsal-size 2000'));
    this.capacity = capacity;
  }

  /** The tasks held, in order. */
  get tasks(): readonly ReplayEntry[] {
    return this.entries;
  }

  /** Adds a finished task and re-splits the capacity evenly over every task held. */
  add(entry: ReplayEntry, rng: Rng): void {
    this.full.push(entry);
    const share = Math.floor(this.capacity / this.full.length);
    this.entries.length = 0;
    for (const e of this.full) this.entries.push({ ...e, data: subsampleEpisodes(e.data, share, rng.spawn()) });
  }

  /** Steps held now. */
  get size(): number {
    return this.entries.reduce((a, e) => a + e.data.rows, 0);
  }
}

/** Whole episodes of `d`, in a random order, until `maxRows` steps (at least one episode). */
export function subsampleEpisodes(d: Demonstrations, maxRows: number, rng: Rng): Demonstrations {
  const starts: number[] = [];
  for (let r = 0; r < d.rows; r++) if (d.episodeStart[r]) starts.push(r);
  const order = rng.permutation(starts.length);
  const picked: Array<[number, number]> = [];
  let rows = 0;
  for (const k of order) {
    const s = starts[k];
    const e = k + 1 < starts.length ? starts[k + 1] : d.rows;
    if (picked.length > 0 && rows + (e - s) > maxRows) continue;
    picked.push([s, e]);
    rows += e - s;
  }
  picked.sort((a, b) => a[0] - b[0]);
  const out: Demonstrations = { obsDim: d.obsDim, actDim: d.actDim, rows, obs: new Float32Array(rows * d.obsDim), actions: new Float32Array(rows * d.actDim), episodeStart: new Uint8Array(rows) };
  let row = 0;
  for (const [s, e] of picked) {
    out.obs.set(d.obs.subarray(s * d.obsDim, e * d.obsDim), row * d.obsDim);
    out.actions.set(d.actions.subarray(s * d.actDim, e * d.actDim), row * d.actDim);
    out.episodeStart[row] = 1;
    row += e - s;
  }
  return out;
}

/**
 * Mean NLL of a minibatch of `entry`'s demonstrations under `net`, through
 * the tokenizers and heads `net` holds for that task's spaces (active or
 * banked) and the shared trunk: the loss behaviour cloning trains with (the
 * network's label context; with action chunking, the whole chunk's
 * targets). Differentiable in the trunk; call inside the training step's tape.
 */
export function replayNll(net: TransformerActorCritic, entry: ReplayEntry, o: { batchSize: number; seqLen: number }, rng: Rng): tf.Scalar {
  const sig = spaceSignature(entry.io);
  const space = spaceEntries(net.spec).find((e) => spaceSignature(e) === sig);
  if (!space) throw new InvalidArgument(formatError('replayNll.entry', `a task whose spaces the network holds (${spaceEntries(net.spec).map((e) => spaceSignature(e)).join(', ')})`, sig, 'Replay only tasks the model was trained on'));
  const { batch, weights } = labelledBatchFor(net, entry.data, sampleStarts(entry.data, o.batchSize, rng), o.seqLen);
  return tf.tidy(() => {
    const { logProb } = net.evaluateSpace(batch, space);
    const w = tf.tensor1d(weights);
    return tf.div(tf.neg(tf.sum(tf.mul(logProb, w))), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
  });
}
