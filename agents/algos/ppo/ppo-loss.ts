import * as tf from '@tensorflow/tfjs';
import type { ActorCritic, EvalBatch, PpoLossCoefs } from '../../policies/actor-critic.js';
import type { KlReference, ReferenceOutput } from './kl-reference.js';

export type { PpoLossCoefs };

/** One minibatch: what the network scores, and the rollout's targets as tensors, `[scoredRows]` each. */
export interface PpoMinibatch {
  batch: EvalBatch;
  oldLogProb: tf.Tensor1D;
  /** Already normalized when `normAdv`. */
  advantages: tf.Tensor1D;
  returns: tf.Tensor1D;
  oldValues: tf.Tensor1D;
  /** 1 for real transitions, 0 for rows kept only to fill a chunk (sequence minibatches); absent: all real. */
  weights?: tf.Tensor1D;
}

/** Order of the values in {@link PpoLossResult.stats}. */
export const PPO_STAT_NAMES = ['losses/policy_loss', 'losses/value_loss', 'losses/entropy', 'losses/approx_kl', 'losses/clipfrac'] as const;

export interface PpoLossResult {
  loss: tf.Scalar;
  /** `[5]`: policy loss, value loss, entropy, approx KL, clip fraction (see {@link PPO_STAT_NAMES}); `[6]` with a KL reference: its mean KL last. */
  stats: tf.Tensor1D;
}

/** Optional terms of {@link ppoLoss} (fine-tuning a pretrained policy). */
export interface PpoLossExtras {
  /** KL penalty `coef x mean KL(pi || ref)` towards a frozen reference, given its outputs on this minibatch. */
  klRef?: { reference: KlReference; outputs: ReferenceOutput; coef: number };
  /** Value warm-up: the loss is the value term only (with only value variables trained, the actor does not move). */
  valueOnly?: boolean;
}

/**
 * The PPO objective of one minibatch (Schulman et al. 2017, arXiv:1707.06347),
 * line for line as CleanRL's `ppo_continuous_action.py`:
 *
 * - clipped surrogate: `max(-A r, -A clip(r, 1-eps, 1+eps))`, r = pi/pi_old;
 * - value loss, optionally clipped around the rollout's values (PPO2;
 *   Engstrom et al. 2020 find it rarely helps, so it is a flag);
 * - entropy bonus; `loss = pg - entCoef * H + vfCoef * V`;
 * - diagnostics: approx KL = mean((r - 1) - log r) (Schulman's low-variance
 *   estimator, http://joschu.net/blog/kl-approx.html) and the clip fraction.
 */
export function ppoLoss(net: ActorCritic, mb: PpoMinibatch, c: PpoLossCoefs, extras: PpoLossExtras = {}): PpoLossResult {
  return tf.tidy(() => {
    const kl = extras.klRef;
    const { logProb, entropy, value, actorOut } = net.evaluate(kl ? { ...mb.batch, withActorOut: true } : mb.batch);
    // Means over real transitions only (chunks carry autoreset steps that are not transitions).
    const w = mb.weights;
    const count = w ? tf.maximum(tf.sum(w), 1) : null;
    const mean = (x: tf.Tensor): tf.Scalar => (w && count ? (tf.div(tf.sum(tf.mul(x, w)), count) as tf.Scalar) : tf.mean(x));
    const logRatio = tf.sub(logProb, mb.oldLogProb);
    const ratio = tf.exp(logRatio);

    const approxKl = mean(tf.sub(tf.sub(ratio, 1), logRatio));
    const clipFrac = mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32'));

    // Policy loss.
    const pgLoss1 = tf.mul(tf.neg(mb.advantages), ratio);
    const pgLoss2 = tf.mul(tf.neg(mb.advantages), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
    const pgLoss = mean(tf.maximum(pgLoss1, pgLoss2));

    // Value loss.
    const vLossUnclipped = tf.square(tf.sub(value, mb.returns));
    let vLoss: tf.Scalar;
    if (c.clipVloss) {
      const vClipped = tf.add(mb.oldValues, tf.clipByValue(tf.sub(value, mb.oldValues), -c.clipCoef, c.clipCoef));
      const vLossClipped = tf.square(tf.sub(vClipped, mb.returns));
      vLoss = tf.mul(0.5, mean(tf.maximum(vLossUnclipped, vLossClipped)));
    } else {
      vLoss = tf.mul(0.5, mean(vLossUnclipped));
    }

    const entropyLoss = mean(entropy);
    // With entCoef 0 the entropy stays out of the loss, so no gradient is traced through it.
    let policyTerm = c.entCoef !== 0 ? tf.sub(pgLoss, tf.mul(entropyLoss, c.entCoef)) : pgLoss;
    const klRef = kl ? mean(kl.reference.rowKl(net, actorOut as tf.Tensor2D, kl.outputs)) : null;
    if (klRef && kl) policyTerm = tf.add(policyTerm, tf.mul(klRef, kl.coef));
    const valueTerm = tf.mul(vLoss, c.vfCoef) as tf.Scalar;
    const loss = (extras.valueOnly ? valueTerm : tf.add(policyTerm, valueTerm)) as tf.Scalar;
    const stats = tf.stack([pgLoss, vLoss, entropyLoss, approxKl, clipFrac, ...(klRef ? [klRef] : [])]) as tf.Tensor1D;
    return { loss, stats };
  });
}
