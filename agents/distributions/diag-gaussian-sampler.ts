import type { Rng } from '../../src/core/rng.js';
import type { ActionSampler } from './action-distribution.js';

export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The plain-JS half of {@link DiagGaussian} (no tfjs: what a browser policy
 * needs): a diagonal Gaussian with a state-independent log standard
 * deviation; the actor's output row is the mean `[dim]`. Samples are stored
 * unclipped; whoever sends them to an env clips them to the action bounds.
 */
export class DiagGaussianSampler implements ActionSampler {
  readonly actDim: number;
  readonly actInputDim: number;

  constructor(dim: number) {
    this.actDim = dim;
    this.actInputDim = dim;
  }

  encodeActions(actions: Float32Array, batch: number, out: Float32Array): void {
    out.set(actions.subarray(0, batch * this.actDim));
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
