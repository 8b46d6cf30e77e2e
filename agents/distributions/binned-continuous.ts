import type * as tf from '@tensorflow/tfjs';
import type { ActionDistribution, LogProbEntropy } from './action-distribution.js';
import { BinnedContinuousSampler, type BinSpec } from './binned-continuous-sampler.js';
import { Categorical } from './categorical.js';

/**
 * {@link BinnedContinuousSampler} plus the differentiable tfjs side: the
 * log-probability of each stored value's bin (categorical cross-entropy
 * over the bins, one categorical per dimension) and the entropy over bins.
 */
export class BinnedContinuous extends BinnedContinuousSampler implements ActionDistribution {
  private readonly categorical: Categorical;

  constructor(spec: BinSpec) {
    super(spec);
    this.categorical = new Categorical(new Array<number>(this.actDim).fill(this.bins));
  }

  evaluate(actorOut: tf.Tensor2D, _logStd: tf.Tensor1D | null, actionInput: tf.Tensor2D): LogProbEntropy {
    return this.categorical.evaluate(actorOut, null, actionInput);
  }
}
