import * as tf from '@tensorflow/tfjs';
import { FileFormatError, formatError, describeValue } from '../../../src/core/errors.js';
import type { Rng } from '../../../src/core/rng.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import { type Demonstrations, labelledBatchFor, sampleStarts } from '../bc/demonstrations.js';

/** A self-imitation replay as saved state: its episodes back to back, and each one's length. */
export interface SelfImitationState {
  obs: Float32Array;
  actions: Float32Array;
  /** Steps of each stored episode, oldest first. */
  lengths: number[];
}

/**
 * Self-imitation for PPO (success-filtered: the episodes the policy itself
 * solved become demonstrations). Each sub-env's steps are gathered while its
 * episode runs (the observation as the network saw it, the action it took);
 * an episode whose task reports success is kept, any other is dropped. The
 * replay holds the last `capacity` kept episodes (oldest out first), and
 * {@link loss} is behaviour cloning's negative log-likelihood on a minibatch
 * of them (the network's label context and, with action chunking, the
 * chunk's targets), added to the PPO loss with its coefficient.
 *
 * Why: a policy fine-tuned from a few demonstrations succeeds from some
 * starts and not others; PPO's clipped steps move it slowly towards its own
 * successes, and forget each one after its rollout. Replaying them (Oh et
 * al. 2018, "Self-Imitation Learning", which imitates past actions whose
 * return beat the value estimate; here the task's own success decides) adds
 * demonstrations from the states the policy visits, as more expert demos
 * would.
 */
export class SelfImitation {
  readonly capacity: number;
  private readonly obsDim: number;
  private readonly actDim: number;
  /** Per sub-env: the running episode's observations and actions (grown as needed). */
  private readonly runObs: Float32Array[];
  private readonly runActions: Float32Array[];
  private readonly runLength: Int32Array;
  /** Kept episodes, oldest first. */
  private episodes: Array<{ obs: Float32Array; actions: Float32Array }> = [];
  private cached: Demonstrations | null = null;

  constructor(numEnvs: number, obsDim: number, actDim: number, capacity: number) {
    this.capacity = capacity;
    this.obsDim = obsDim;
    this.actDim = actDim;
    this.runObs = Array.from({ length: numEnvs }, () => new Float32Array(64 * obsDim));
    this.runActions = Array.from({ length: numEnvs }, () => new Float32Array(64 * actDim));
    this.runLength = new Int32Array(numEnvs);
  }

  /** Episodes in the replay. */
  get size(): number {
    return this.episodes.length;
  }

  /**
   * Appends one step of sub-env `i`'s running episode: row `k` of `obs`
   * (`[rows x obsDim]`, as the network saw it) and of `actions` (`[rows x
   * actDim]`, as stored in the rollout). Copies in place: no allocation per
   * step but when the episode outgrows its buffer.
   */
  record(i: number, obs: Float32Array, actions: Float32Array, k: number): void {
    const n = this.runLength[i];
    if ((n + 1) * this.obsDim > this.runObs[i].length) {
      const o = new Float32Array(this.runObs[i].length * 2);
      o.set(this.runObs[i]);
      this.runObs[i] = o;
      const a = new Float32Array(this.runActions[i].length * 2);
      a.set(this.runActions[i]);
      this.runActions[i] = a;
    }
    const o = this.runObs[i];
    const a = this.runActions[i];
    for (let j = 0; j < this.obsDim; j++) o[n * this.obsDim + j] = obs[k * this.obsDim + j];
    for (let j = 0; j < this.actDim; j++) a[n * this.actDim + j] = actions[k * this.actDim + j];
    this.runLength[i] = n + 1;
  }

  /** Sub-env `i`'s episode ended: kept when `success` > 0 (the task reported success), dropped otherwise. */
  finish(i: number, success: number): void {
    const n = this.runLength[i];
    this.runLength[i] = 0;
    if (!(success > 0) || n === 0) return;
    this.episodes.push({ obs: this.runObs[i].slice(0, n * this.obsDim), actions: this.runActions[i].slice(0, n * this.actDim) });
    if (this.episodes.length > this.capacity) this.episodes.splice(0, this.episodes.length - this.capacity);
    this.cached = null;
  }

  /** Drops every sub-env's running episode (the envs were reset); the replay stays. */
  dropRunning(): void {
    this.runLength.fill(0);
  }

  /** The replay as demonstrations (episodes back to back), or null when it is empty. */
  demonstrations(): Demonstrations | null {
    if (this.episodes.length === 0) return null;
    if (this.cached) return this.cached;
    const rows = this.episodes.reduce((s, e) => s + e.obs.length / this.obsDim, 0);
    const d: Demonstrations = { obsDim: this.obsDim, actDim: this.actDim, rows, obs: new Float32Array(rows * this.obsDim), actions: new Float32Array(rows * this.actDim), episodeStart: new Uint8Array(rows) };
    let row = 0;
    for (const e of this.episodes) {
      d.obs.set(e.obs, row * this.obsDim);
      d.actions.set(e.actions, row * this.actDim);
      d.episodeStart[row] = 1;
      row += e.obs.length / this.obsDim;
    }
    this.cached = d;
    return d;
  }

  /**
   * Mean NLL of `batch` chunks of `seqLen` steps drawn from the replay with
   * `rng` (null when the replay is empty). Differentiable: call inside the
   * update's gradient tape.
   */
  loss(net: ActorCritic, batch: number, seqLen: number, rng: Rng): tf.Scalar | null {
    const d = this.demonstrations();
    if (!d) return null;
    const len = net.sequence ? seqLen : 1;
    const { batch: b, weights } = labelledBatchFor(net, d, sampleStarts(d, batch, rng), len);
    return tf.tidy(() => {
      const { logProb } = net.evaluate(b);
      const w = tf.tensor1d(weights);
      return tf.div(tf.neg(tf.sum(tf.mul(logProb, w))), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
    });
  }

  /** The replay (not the running episodes: checkpoints are taken at episode boundaries) as saved state. */
  getState(): SelfImitationState {
    const d = this.demonstrations();
    return { obs: d ? d.obs.slice() : new Float32Array(0), actions: d ? d.actions.slice() : new Float32Array(0), lengths: this.episodes.map((e) => e.obs.length / this.obsDim) };
  }

  /** Restores a replay saved by {@link getState}; `where` names it in errors. */
  setState(s: SelfImitationState, where: string): void {
    const rows = s.lengths.reduce((a, b) => a + b, 0);
    if (!s.lengths.every((n) => Number.isInteger(n) && n > 0) || s.obs.length !== rows * this.obsDim || s.actions.length !== rows * this.actDim) {
      throw new FileFormatError(formatError(where, `episodes of ${this.obsDim} observation and ${this.actDim} action values per step, lengths summing to their rows`, `lengths ${describeValue(s.lengths)}, ${s.obs.length} observation and ${s.actions.length} action values`, 'Re-save the checkpoint, or start a new run with --from it'));
    }
    this.episodes = [];
    let row = 0;
    for (const n of s.lengths) {
      this.episodes.push({ obs: s.obs.slice(row * this.obsDim, (row + n) * this.obsDim), actions: s.actions.slice(row * this.actDim, (row + n) * this.actDim) });
      row += n;
    }
    this.cached = null;
  }
}
