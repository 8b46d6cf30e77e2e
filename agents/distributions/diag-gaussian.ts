import * as tf from '@tensorflow/tfjs';
import type { ActionDistribution, LogProbEntropy } from './action-distribution.js';
import { DiagGaussianSampler, LOG_2PI } from './diag-gaussian-sampler.js';

/**
 * Diagonal Gaussian with a state-independent log standard deviation (a free
 * parameter `actor.log_std`, as CleanRL's `ppo_continuous_action.py`):
 * {@link DiagGaussianSampler} plus the differentiable tfjs side for training.
 */
export class DiagGaussian extends DiagGaussianSampler implements ActionDistribution {
  evaluate(mean: tf.Tensor2D, logStd: tf.Tensor1D | null, actionInput: tf.Tensor2D): LogProbEntropy {
    return tf.tidy(() => {
      const ls = logStd as tf.Tensor1D;
      const z = tf.mul(tf.sub(actionInput, mean), tf.exp(tf.neg(ls)));
      const sumLogStd = tf.sum(ls);
      const logProb = tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(sumLogStd, 0.5 * this.actDim * LOG_2PI)) as tf.Tensor1D;
      const entropyScalar = tf.add(sumLogStd, 0.5 * this.actDim * (1 + LOG_2PI));
      const entropy = tf.mul(tf.onesLike(tf.sum(mean, 1)), entropyScalar) as tf.Tensor1D;
      return { logProb, entropy };
    });
  }
}
