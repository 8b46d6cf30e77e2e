import * as tf from '@tensorflow/tfjs';
import type { ActionDistribution, LogProbEntropy } from './action-distribution.js';
import { CategoricalSampler } from './categorical-sampler.js';

/**
 * Independent categoricals ({@link CategoricalSampler}) with the
 * differentiable tfjs side for training. Log-probs use one-hot x log-softmax
 * (no `gather`: its gradient is missing on wasm, see tf-ops.ts).
 */
export class Categorical extends CategoricalSampler implements ActionDistribution {
  evaluate(actorOut: tf.Tensor2D, _logStd: tf.Tensor1D | null, actionInput: tf.Tensor2D): LogProbEntropy {
    return tf.tidy(() => {
      let logp: tf.Tensor2D;
      if (this.nvec.length === 1) {
        logp = tf.logSoftmax(actorOut);
      } else {
        const parts = tf.split(actorOut, this.nvec as number[], 1);
        logp = tf.concat(parts.map((p) => tf.logSoftmax(p)), 1) as tf.Tensor2D;
      }
      const logProb = tf.sum(tf.mul(actionInput, logp), 1) as tf.Tensor1D;
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D;
      return { logProb, entropy };
    });
  }
}
