import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';

/** Per-row log-probability and entropy, `[batch]` each. */
export interface LogProbEntropy {
  logProb: tf.Tensor1D;
  entropy: tf.Tensor1D;
}

/**
 * The plain-JS side of an action distribution (no tfjs): encoding stored
 * actions and sampling one actor-output row. Inference policies that run
 * without tfjs (`MlpPolicy`, `lamkit/browser`) need only this.
 */
export interface ActionSampler {
  /** Numbers per stored action. */
  readonly actDim: number;
  /** Numbers per sample in the tfjs action input of `ActionDistribution.evaluate`. */
  readonly actInputDim: number;
  /**
   * Writes the tfjs action input for stored actions `actions [batch x actDim]`
   * into `out [batch x actInputDim]` (one-hot for categorical, copy for Gaussian).
   */
  encodeActions(actions: Float32Array, batch: number, out: Float32Array): void;
  /**
   * Samples (or, with `deterministic`, takes the mode of) the distribution of
   * one actor output row `actorOut[outOffset ...]`, writes the stored action to
   * `action[actOffset ...]` and returns its log-probability.
   */
  sampleRow(actorOut: Float64Array, outOffset: number, logStd: Float32Array | null, rng: Rng | null, deterministic: boolean, action: Float32Array, actOffset: number): number;
}

/**
 * An action distribution parameterized by the actor's output row. Training
 * uses the tfjs side (differentiable); rollouts and `Policy.act` use the
 * plain-JS side (float64, one row at a time, no allocation).
 *
 * Stored actions (`actDim` numbers per sample) are category indices (from 0)
 * for categorical heads and raw, unclipped samples for Gaussian heads.
 */
export interface ActionDistribution extends ActionSampler {
  /** Log-prob of `actionInput [batch x actInputDim]` and entropy, given actor outputs `[batch x outDim]`. */
  evaluate(actorOut: tf.Tensor2D, logStd: tf.Tensor1D | null, actionInput: tf.Tensor2D): LogProbEntropy;
}
