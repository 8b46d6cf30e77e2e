import * as tf from '@tensorflow/tfjs';
import type { MlpActorCritic } from '../policies/mlp-actor-critic.js';

/** One minibatch as tensors, `[mb]` unless noted. */
export interface PpoMinibatch {
  /** `[mb x obsDim]`. */
  obs: tf.Tensor2D;
  /** `[mb x actInputDim]` (one-hot for categorical heads). */
  actionInput: tf.Tensor2D;
  oldLogProb: tf.Tensor1D;
  /** Already normalized when `normAdv`. */
  advantages: tf.Tensor1D;
  returns: tf.Tensor1D;
  oldValues: tf.Tensor1D;
}

/** Coefficients of the PPO objective. */
export interface PpoLossCoefs {
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
}

/** Order of the values in {@link PpoLossResult.stats}. */
export const PPO_STAT_NAMES = ['losses/policy_loss', 'losses/value_loss', 'losses/entropy', 'losses/approx_kl', 'losses/clipfrac'] as const;

export interface PpoLossResult {
  loss: tf.Scalar;
  /** `[5]`: policy loss, value loss, entropy, approx KL, clip fraction (see {@link PPO_STAT_NAMES}). */
  stats: tf.Tensor1D;
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
export function ppoLoss(net: MlpActorCritic, mb: PpoMinibatch, c: PpoLossCoefs): PpoLossResult {
  return tf.tidy(() => {
    const { logProb, entropy, value } = net.evaluate(mb.obs, mb.actionInput);
    const logRatio = tf.sub(logProb, mb.oldLogProb);
    const ratio = tf.exp(logRatio);

    const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
    const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32'));

    // Policy loss.
    const pgLoss1 = tf.mul(tf.neg(mb.advantages), ratio);
    const pgLoss2 = tf.mul(tf.neg(mb.advantages), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
    const pgLoss = tf.mean(tf.maximum(pgLoss1, pgLoss2));

    // Value loss.
    const vLossUnclipped = tf.square(tf.sub(value, mb.returns));
    let vLoss: tf.Scalar;
    if (c.clipVloss) {
      const vClipped = tf.add(mb.oldValues, tf.clipByValue(tf.sub(value, mb.oldValues), -c.clipCoef, c.clipCoef));
      const vLossClipped = tf.square(tf.sub(vClipped, mb.returns));
      vLoss = tf.mul(0.5, tf.mean(tf.maximum(vLossUnclipped, vLossClipped)));
    } else {
      vLoss = tf.mul(0.5, tf.mean(vLossUnclipped));
    }

    const entropyLoss = tf.mean(entropy);
    // With entCoef 0 the entropy stays out of the loss, so no gradient is traced through it.
    const policyTerm = c.entCoef !== 0 ? tf.sub(pgLoss, tf.mul(entropyLoss, c.entCoef)) : pgLoss;
    const loss = tf.add(policyTerm, tf.mul(vLoss, c.vfCoef)) as tf.Scalar;
    const stats = tf.stack([pgLoss, vLoss, entropyLoss, approxKl, clipFrac]) as tf.Tensor1D;
    return { loss, stats };
  });
}
