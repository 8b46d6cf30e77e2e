import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import type { ActionDistribution, LogProbEntropy } from './action-distribution.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Diagonal Gaussian with a state-independent log standard deviation (a free
 * parameter `actor.log_std`, as CleanRL's `ppo_continuous_action.py`). The
 * actor's output row is the mean `[dim]`. Samples are stored unclipped;
 * whoever sends them to an env clips them to the action bounds (as SB3).
 */
export class DiagGaussian implements ActionDistribution {
  readonly actDim: number;
  readonly actInputDim: number;

  constructor(dim: number) {
    this.actDim = dim;
    this.actInputDim = dim;
  }

  encodeActions(actions: Float32Array, batch: number, out: Float32Array): void {
    out.set(actions.subarray(0, batch * this.actDim));
  }

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

  sampleRow(mean: Float64Array, outOffset: number, logStd: Float32Array | null, rng: Rng | null, deterministic: boolean, action: Float32Array, actOffset: number): number {
    const ls = logStd as Float32Array;
    let logProb = -0.5 * this.actDim * LOG_2PI;
    for (let j = 0; j < this.actDim; j++) {
      const std = Math.exp(ls[j]);
      const z = deterministic ? 0 : (rng as Rng).normal();
      // Store the float32-rounded sample and score exactly that value.
      const a = Math.fround(mean[outOffset + j] + std * z);
      action[actOffset + j] = a;
      const zz = (a - mean[outOffset + j]) / std;
      logProb += -0.5 * zz * zz - ls[j];
    }
    return logProb;
  }
}
