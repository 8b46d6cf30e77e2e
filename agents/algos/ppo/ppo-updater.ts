import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../../src/core/rng.js';
import type { ActorCritic, FastGradient } from '../../policies/actor-critic.js';
import type { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import { AdamW } from '../../optim/adamw.js';
import { JsAdamW } from '../../optim/js-adamw.js';
import type { AdamWOptions, GroupOptions, OptimizerState } from '../../optim/adamw-options.js';
import { ppoLoss, PPO_STAT_NAMES, type PpoMinibatch } from './ppo-loss.js';
import type { ResolvedPpoConfig } from './ppo-config.js';
import { MinibatchAssembler } from './minibatch-assembler.js';
import { ChunkAssembler, chunkLength } from './chunk-assembler.js';
import type { KlReference, ReferenceOutput } from './kl-reference.js';
import { isValueVariable } from './value-warmup.js';
import type { SelfImitation } from './self-imitation.js';

/** Rows of `all` (the reference's outputs on every chunk, chunk-major) for chunks `units[start..end)`: a minibatch's reference outputs. */
function gatherChunks(all: ReferenceOutput, units: Int32Array, start: number, end: number, seqLen: number): ReferenceOutput {
  const rows = new Int32Array((end - start) * seqLen);
  for (let c = start, r = 0; c < end; c++) for (let q = 0; q < seqLen; q++) rows[r++] = units[c] * seqLen + q;
  const actorOut = tf.tidy(() => tf.gather(all.actorOut, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
  return { actorOut, logStd: all.logStd ? tf.clone(all.logStd) : null };
}

/** How PPO computes its gradient steps: the network's fast path when it offers one, or autodiff. */
export type GradientPath = 'explicit' | 'autodiff';

interface ExplicitState {
  fast: FastGradient;
  adam: JsAdamW;
  g: Float32Array;
}

/**
 * The optimization half of {@link PPO}: `updateEpochs` epochs of shuffled
 * minibatch steps over a rollout, with AdamW over the network's parameter
 * groups (frozen groups untouched, per-group learning-rate scale and weight
 * decay from `config.paramGroups`). Paths:
 *
 * - 'explicit' (when the network offers `fastGradient()`, e.g. the MLP):
 *   its hand-derived gradient and {@link JsAdamW} over a JS copy of the
 *   parameters, committed to the network after each update (~2x faster than
 *   autodiff at minibatch 256, bench/ppo-grad-step.ts);
 * - 'autodiff': `ppoLoss` (the network's `evaluate`) under
 *   `tf.variableGrads` with the tensor {@link AdamW}. Sequence policies
 *   train on chunks of consecutive steps ({@link ChunkAssembler}).
 *
 * Same objective, statistics and {@link OptimizerState} on both paths; runs
 * differ by float rounding only.
 */
export class PpoUpdater {
  readonly path: GradientPath;
  private readonly net: ActorCritic;
  private readonly buffer: RolloutBuffer;
  private readonly config: ResolvedPpoConfig;
  private readonly assembler: MinibatchAssembler;
  /** Sequence policies: chunk minibatches (null for memoryless networks). */
  readonly chunks: ChunkAssembler | null;
  private readonly adam: AdamW | null;
  private readonly explicit: ExplicitState | null;
  /** The KL penalty towards a frozen reference (autodiff path), or null. */
  readonly klRef: KlReference | null;
  /** Self-imitation's replay (autodiff path), or null. */
  private readonly selfImitation: SelfImitation | null;

  constructor(net: ActorCritic, buffer: RolloutBuffer, config: ResolvedPpoConfig, path: GradientPath = 'explicit', klRef: KlReference | null = null, selfImitation: SelfImitation | null = null) {
    this.net = net;
    this.buffer = buffer;
    this.config = config;
    this.chunks = net.sequence ? new ChunkAssembler(buffer, chunkLength(config), net.sequence.context) : null;
    this.klRef = klRef;
    this.selfImitation = selfImitation;
    // The hand-derived gradient knows only the PPO objective: a KL penalty or self-imitation goes through autodiff.
    const fast = path === 'explicit' && !net.sequence && !klRef && !selfImitation ? net.fastGradient() : null;
    this.path = fast ? 'explicit' : 'autodiff';
    this.assembler = new MinibatchAssembler(buffer, Math.ceil(config.batchSize / config.numMinibatches));
    const options: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: config.adamEps, weightDecay: config.weightDecay };
    const groupOptions: Record<string, GroupOptions> = {};
    for (const [name, o] of Object.entries(config.paramGroups)) groupOptions[name] = { ...(o.lrScale !== undefined ? { lrScale: o.lrScale } : {}), ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) };
    const trainable = net.paramGroups().filter((g) => g.trainable).map((g) => g.name);
    this.explicit = fast ? { fast, adam: new JsAdamW(fast.groupRanges, trainable, options, groupOptions), g: new Float32Array(fast.flat.length) } : null;
    this.adam = fast ? null : new AdamW(net.variables(), trainable, options, groupOptions);
  }

  /** A copy of the optimizer state for checkpoints. */
  getOptimizerState(): OptimizerState {
    return this.explicit ? this.explicit.adam.getState() : (this.adam as AdamW).getState();
  }

  /** Restores the optimizer state of a checkpoint. */
  setOptimizerState(state: OptimizerState): void {
    if (this.explicit) this.explicit.adam.setState(state);
    else this.adam?.setState(state);
  }

  /** Frees the tensor optimizer's variables. Idempotent. */
  dispose(): void {
    this.adam?.dispose();
  }

  /**
   * `updateEpochs` epochs of minibatch gradient steps over the buffer's
   * rollout (shuffled with `rng`); returns the mean of each stat in
   * PPO_STAT_NAMES, plus the mean KL to the reference when there is one,
   * then self-imitation's mean NLL when there is a replay (0 while it is empty
   * or during a value warm-up).
   * `valueOnly` (value warm-up): only the value loss, only value parameters
   * (the MLP's `critic` group, the transformer's `head.value.*`) move.
   */
  update(rng: Rng, lr: number, clipCoef: number, valueOnly = false): number[] {
    // Trainable flags may have changed since the last update (a frozen trunk thawed).
    for (const g of this.net.paramGroups()) (this.explicit?.adam ?? (this.adam as AdamW)).setTrainable(g.name, g.trainable && (!valueOnly || !this.explicit || g.name === 'critic'));
    const stats = this.explicit ? this.updateExplicit(rng, lr, clipCoef, this.explicit) : this.updateAutodiff(rng, lr, clipCoef, valueOnly);
    this.net.paramsChanged();
    return stats;
  }

  /** {@link update} on the explicit path: the same loop with JS parameters, gradient and AdamW. */
  private updateExplicit(rng: Rng, lr: number, clipCoef: number, ex: ExplicitState): number[] {
    const c = this.config;
    const indices = this.buffer.validIndices();
    const n = indices.length;
    const mbSize = Math.ceil(n / c.numMinibatches);
    const coefs = { clipCoef, clipVloss: c.clipVloss, entCoef: c.entCoef, vfCoef: c.vfCoef };
    // float32 sums in step order, as the tensor path accumulates its stats.
    const sums = new Float32Array(PPO_STAT_NAMES.length);
    let count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      rng.shuffle(indices);
      let lastKl = 0;
      for (let start = 0; start < n; start += mbSize) {
        const mb = this.assembler.arrays(indices, start, Math.min(n, start + mbSize), c.normAdv);
        const stats = ex.fast.compute(mb, coefs, ex.g);
        ex.adam.apply(ex.fast.flat, ex.g, lr, c.maxGradNorm);
        stats.forEach((v, i) => (sums[i] += v));
        lastKl = stats[3];
        count += 1;
      }
      if (c.targetKl !== null && Math.fround(lastKl) > c.targetKl) break;
    }
    this.net.commitFlat?.(ex.fast.flat);
    return Array.from(sums, (s) => s / Math.max(1, count));
  }

  /** The reference's outputs on every chunk of the rollout, chunk-major (minibatch-sized forward passes). */
  private referenceOutputs(klRef: KlReference, chunks: ChunkAssembler, mbSize: number, normAdv: boolean): ReferenceOutput {
    const order = Int32Array.from({ length: chunks.numChunks }, (_, k) => k);
    const parts: tf.Tensor2D[] = [];
    let logStd: tf.Tensor1D | null = null;
    for (let start = 0; start < order.length; start += mbSize) {
      const mb = chunks.tensors(order, start, Math.min(order.length, start + mbSize), normAdv);
      const out = klRef.outputs(mb.batch);
      parts.push(out.actorOut);
      logStd?.dispose();
      logStd = out.logStd;
      tf.dispose([mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, ...(mb.weights ? [mb.weights] : [])]);
    }
    const actorOut = tf.concat(parts, 0) as tf.Tensor2D;
    tf.dispose(parts);
    return { actorOut, logStd };
  }

  /** {@link update} on the autodiff path (`ppoLoss` under `tf.variableGrads`, tensor AdamW). */
  private updateAutodiff(rng: Rng, lr: number, clipCoef: number, valueOnly: boolean): number[] {
    const c = this.config;
    const adam = this.adam as AdamW;
    const chunks = this.chunks;
    // Memoryless: shuffled valid rows; sequence: shuffled chunks of consecutive steps.
    const units = chunks ? Int32Array.from({ length: chunks.numChunks }, (_, k) => k) : this.buffer.validIndices();
    const n = units.length;
    const mbSize = Math.ceil(n / c.numMinibatches);
    const coefs = { clipCoef, clipVloss: c.clipVloss, entCoef: c.entCoef, vfCoef: c.vfCoef };
    const vars = valueOnly ? adam.trainableVariables().filter((v) => isValueVariable(this.net, v)) : adam.trainableVariables();
    const klRef = this.klRef;
    // The reference is frozen: score every chunk once per update, not once per minibatch and epoch.
    const refAll = klRef && chunks ? this.referenceOutputs(klRef, chunks, mbSize, c.normAdv) : null;
    const sil = valueOnly ? null : this.selfImitation;
    let statSum = tf.zeros([PPO_STAT_NAMES.length + (klRef ? 1 : 0) + (this.selfImitation ? 1 : 0)]) as tf.Tensor1D;
    let count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      rng.shuffle(units);
      let lastStats: tf.Tensor1D | null = null;
      for (let start = 0; start < n; start += mbSize) {
        const end = Math.min(n, start + mbSize);
        const mb: PpoMinibatch = chunks ? chunks.tensors(units, start, end, c.normAdv) : this.assembler.tensors(units, start, end, c.normAdv);
        let stats: tf.Tensor1D | null = null;
        const refOut = refAll && chunks ? gatherChunks(refAll, units, start, end, chunks.seqLen) : klRef ? klRef.outputs(mb.batch) : null;
        const extras = { valueOnly, ...(klRef && refOut ? { klRef: { reference: klRef, outputs: refOut, coef: klRef.coef } } : {}) };
        const { value, grads } = tf.variableGrads(() => {
          const out = ppoLoss(this.net, mb, coefs, extras);
          // Self-imitation: behaviour cloning's NLL on solved episodes, added with its coefficient (its stat 0 while there is none).
          const nll = sil?.loss(this.net, c.selfImitationBatch, c.selfImitationSeqLen, rng) ?? null;
          stats = tf.keep(this.selfImitation ? (tf.concat([out.stats, nll ? tf.reshape(nll, [1]) : tf.zeros([1])]) as tf.Tensor1D) : out.stats);
          return nll ? (tf.add(out.loss, tf.mul(nll, c.selfImitationCoef)) as tf.Scalar) : out.loss;
        }, vars);
        const norm = adam.apply(grads, lr, c.maxGradNorm);
        tf.dispose([value, norm, ...Object.values(grads), ...(refOut ? [refOut.actorOut, ...(refOut.logStd ? [refOut.logStd] : [])] : []), mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, ...(mb.weights ? [mb.weights] : [])]);
        const s = stats as unknown as tf.Tensor1D;
        const next = tf.add(statSum, s) as tf.Tensor1D;
        statSum.dispose();
        statSum = next;
        lastStats?.dispose();
        lastStats = s;
        count += 1;
      }
      const stopEarly = c.targetKl !== null && lastStats !== null && (lastStats.dataSync()[3] as number) > c.targetKl;
      lastStats?.dispose();
      if (stopEarly) break;
    }
    const sums = Array.from(statSum.dataSync());
    statSum.dispose();
    if (refAll) tf.dispose([refAll.actorOut, ...(refAll.logStd ? [refAll.logStd] : [])]);
    return sums.map((s) => s / Math.max(1, count));
  }
}
