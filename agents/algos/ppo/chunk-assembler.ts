import * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import type { PpoMinibatch } from './ppo-loss.js';

/**
 * Sequence minibatches for PPO on a sequence policy (recurrent PPO's
 * scheme, applied to a context window): the rollout of each sub-env is cut
 * into chunks of `seqLen` consecutive steps; a minibatch is a set of chunks,
 * each preceded by the `context` steps before it, so one forward pass over
 * a chunk scores all its steps with exactly the history they had during the
 * rollout.
 *
 * History before row 0 comes from the previous rollout: {@link carryContext}
 * keeps the last `context + 1` rows of each sub-env (the extra row gives the
 * first context row its previous action); after env resets they are padding
 * marked as episode starts.
 */
export class ChunkAssembler {
  readonly seqLen: number;
  readonly context: number;
  /** Chunks per sub-env. */
  readonly chunksPerEnv: number;
  private readonly buffer: RolloutBuffer;
  /** `[(context + 1) x envs x ...]`: the rows before row 0. */
  private readonly preObs: Float32Array;
  private readonly preActions: Float32Array;
  private readonly preStarts: Uint8Array;

  constructor(buffer: RolloutBuffer, seqLen: number, context: number) {
    if (buffer.numSteps % seqLen !== 0) {
      throw new InvalidArgument(formatError('PPO.config.seqLen', `a divisor of numSteps (${buffer.numSteps})`, String(seqLen), 'Pick a chunk length that divides the rollout'));
    }
    if (context > buffer.numSteps) {
      throw new InvalidArgument(formatError('PPO.config.numSteps', `at least the policy's context (${context} steps)`, String(buffer.numSteps), 'Use longer rollouts or a shorter context'));
    }
    this.buffer = buffer;
    this.seqLen = seqLen;
    this.context = context;
    this.chunksPerEnv = buffer.numSteps / seqLen;
    const rows = (context + 1) * buffer.numEnvs;
    this.preObs = new Float32Array(rows * buffer.obsDim);
    this.preActions = new Float32Array(rows * buffer.actDim);
    this.preStarts = new Uint8Array(rows).fill(1);
  }

  /** Total chunks in a rollout (`numEnvs x numSteps / seqLen`). */
  get numChunks(): number {
    return this.buffer.numEnvs * this.chunksPerEnv;
  }

  /** Before collecting a rollout: the finished rollout's last rows become history (`reset`: envs restart, history is padding). */
  carryContext(reset: boolean): void {
    const b = this.buffer;
    const N = b.numEnvs;
    const P = this.context + 1;
    if (reset) {
      this.preObs.fill(0);
      this.preActions.fill(0);
      this.preStarts.fill(1);
      return;
    }
    for (let q = 0; q < P; q++) {
      const t = b.numSteps - P + q;
      for (let i = 0; i < N; i++) {
        const dst = q * N + i;
        if (t < 0) {
          // Rollouts shorter than the context: shift older history down.
          const src = (q + b.numSteps) * N + i;
          this.copyPre(src, dst);
          continue;
        }
        const k = t * N + i;
        this.preObs.set(b.obs.subarray(k * b.obsDim, (k + 1) * b.obsDim), dst * b.obsDim);
        this.preActions.set(b.actions.subarray(k * b.actDim, (k + 1) * b.actDim), dst * b.actDim);
        this.preStarts[dst] = b.episodeStarts[k];
      }
    }
  }

  /**
   * The minibatch of chunks `order[start..end)` (chunk id = `env x
   * chunksPerEnv + c`), advantages normalized over its real transitions when
   * `normAdv`. The caller disposes its tensors.
   */
  tensors(order: Int32Array, start: number, end: number, normAdv: boolean): PpoMinibatch {
    const b = this.buffer;
    const N = b.numEnvs;
    const od = b.obsDim;
    const ad = b.actDim;
    const ctx = this.context;
    const span = ctx + this.seqLen;
    const count = end - start;
    const rows = count * span;
    const obs = new Float32Array(rows * od);
    const actions = new Float32Array(rows * ad);
    const prevActions = new Float32Array(rows * ad);
    const episodeStart = new Uint8Array(rows);
    const scored = count * this.seqLen;
    const oldLogProb = new Float32Array(scored);
    const adv = new Float64Array(scored);
    const ret = new Float32Array(scored);
    const val = new Float32Array(scored);
    const weights = new Float32Array(scored);
    let s = 0;
    for (let c = 0; c < count; c++) {
      const id = order[start + c];
      const i = Math.floor(id / this.chunksPerEnv);
      const t0 = (id % this.chunksPerEnv) * this.seqLen;
      for (let q = 0; q < span; q++) {
        const t = t0 - ctx + q;
        const row = c * span + q;
        this.readRow(t, i, obs, actions, row);
        episodeStart[row] = t >= 0 ? b.episodeStarts[t * N + i] : this.preStarts[(t + ctx + 1) * N + i];
        if (!episodeStart[row]) this.readAction(t - 1, i, prevActions, row);
        if (q < ctx) continue;
        const k = t * N + i;
        oldLogProb[s] = b.logProbs[k];
        adv[s] = b.advantages[k];
        ret[s] = b.returns[k];
        val[s] = b.values[k];
        weights[s] = b.valid[k];
        s++;
      }
    }
    const advantages = normalizeWeighted(adv, weights, normAdv);
    return {
      batch: { obs: { rows, flat: obs }, actions, prevActions, chunks: { count, context: ctx, length: this.seqLen, episodeStart } },
      oldLogProb: tf.tensor1d(oldLogProb),
      advantages: tf.tensor1d(advantages),
      returns: tf.tensor1d(ret),
      oldValues: tf.tensor1d(val),
      weights: tf.tensor1d(weights),
    };
  }

  /** Observation and action of step `t` of sub-env `i` (t < 0: carried history) into row `row`. */
  private readRow(t: number, i: number, obs: Float32Array, actions: Float32Array, row: number): void {
    const b = this.buffer;
    const { obsDim: od, actDim: ad } = b;
    if (t >= 0) {
      const k = t * b.numEnvs + i;
      obs.set(b.obs.subarray(k * od, (k + 1) * od), row * od);
      actions.set(b.actions.subarray(k * ad, (k + 1) * ad), row * ad);
    } else {
      const p = (t + this.context + 1) * b.numEnvs + i;
      obs.set(this.preObs.subarray(p * od, (p + 1) * od), row * od);
      actions.set(this.preActions.subarray(p * ad, (p + 1) * ad), row * ad);
    }
  }

  private readAction(t: number, i: number, out: Float32Array, row: number): void {
    const b = this.buffer;
    const ad = b.actDim;
    if (t < -this.context - 1) return;
    const src = t >= 0 ? b.actions : this.preActions;
    const k = t >= 0 ? t * b.numEnvs + i : (t + this.context + 1) * b.numEnvs + i;
    out.set(src.subarray(k * ad, (k + 1) * ad), row * ad);
  }

  private copyPre(src: number, dst: number): void {
    const { obsDim: od, actDim: ad } = this.buffer;
    this.preObs.copyWithin(dst * od, src * od, (src + 1) * od);
    this.preActions.copyWithin(dst * ad, src * ad, (src + 1) * ad);
    this.preStarts[dst] = this.preStarts[src];
  }
}

/**
 * The chunk length PPO uses: `config.seqLen`, or with 0 the longest chunks
 * (a divisor of `numSteps`) that still give at least `numMinibatches` chunks
 * in all: 8 sub-envs x 64 steps in 4 minibatches -> 64 (a minibatch is two
 * sub-envs' whole rollouts, scored with 38 context rows each instead of 38
 * before every 16 steps); 1 sub-env x 2048 steps in 32 minibatches -> 64.
 */
export function chunkLength(config: { seqLen: number; numSteps: number; numEnvs: number; numMinibatches: number }): number {
  if (config.seqLen > 0) return config.seqLen;
  const perEnv = Math.max(1, Math.ceil(config.numMinibatches / config.numEnvs));
  let chunks = Math.min(perEnv, config.numSteps);
  while (config.numSteps % chunks !== 0) chunks += 1;
  return config.numSteps / chunks;
}

/** `(x - mean) / (std + 1e-8)` over the rows with weight 1 (torch's unbiased std, as CleanRL); others become 0. */
function normalizeWeighted(x: Float64Array, w: Float32Array, normAdv: boolean): Float32Array {
  const out = new Float32Array(x.length);
  if (!normAdv) {
    for (let r = 0; r < x.length; r++) out[r] = w[r] ? x[r] : 0;
    return out;
  }
  let n = 0;
  let mean = 0;
  for (let r = 0; r < x.length; r++) if (w[r]) (n += 1), (mean += x[r]);
  mean /= Math.max(1, n);
  let ss = 0;
  for (let r = 0; r < x.length; r++) if (w[r]) ss += (x[r] - mean) ** 2;
  const std = (n > 1 ? Math.sqrt(ss / (n - 1)) : 0) + 1e-8;
  for (let r = 0; r < x.length; r++) out[r] = w[r] ? (x[r] - mean) / std : 0;
  return out;
}
