import type { Rng } from '../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../src/core/errors.js';
import type { ActionSampler } from './action-distribution.js';

/**
 * The plain-JS half of {@link Categorical} (no tfjs: what a browser policy
 * needs): independent categoricals over `nvec.length` components (one for
 * `Discrete`, several for `MultiDiscrete`/`MultiBinary`); the actor's output
 * row holds the logits of every component side by side, `[sum(nvec)]`.
 */
export class CategoricalSampler implements ActionSampler {
  readonly nvec: readonly number[];
  readonly actDim: number;
  readonly actInputDim: number;
  protected readonly offsets: number[];

  constructor(nvec: readonly number[]) {
    this.nvec = [...nvec];
    this.actDim = nvec.length;
    this.offsets = [];
    let o = 0;
    for (const n of nvec) {
      this.offsets.push(o);
      o += n;
    }
    this.actInputDim = o;
  }

  encodeActions(actions: Float32Array, batch: number, out: Float32Array): void {
    out.fill(0, 0, batch * this.actInputDim);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < this.actDim; j++) {
        const k = actions[b * this.actDim + j];
        if (!(k >= 0 && k < this.nvec[j] && Number.isInteger(k))) {
          throw new InvalidArgument(formatError('Categorical.encodeActions', `an index in [0, ${this.nvec[j]}) for component ${j}`, String(k), 'Store category indices, not space values'));
        }
        out[b * this.actInputDim + this.offsets[j] + k] = 1;
      }
    }
  }

  sampleRow(actorOut: Float64Array, outOffset: number, _logStd: Float32Array | null, rng: Rng | null, deterministic: boolean, action: Float32Array, actOffset: number): number {
    let total = 0;
    for (let j = 0; j < this.actDim; j++) {
      const base = outOffset + this.offsets[j];
      const n = this.nvec[j];
      let max = -Infinity;
      let argmax = 0;
      for (let k = 0; k < n; k++) {
        if (actorOut[base + k] > max) {
          max = actorOut[base + k];
          argmax = k;
        }
      }
      let sum = 0;
      for (let k = 0; k < n; k++) sum += Math.exp(actorOut[base + k] - max);
      let choice = argmax;
      if (!deterministic) {
        // Inverse CDF on one uniform draw.
        let u = (rng as Rng).random() * sum;
        choice = n - 1;
        for (let k = 0; k < n; k++) {
          u -= Math.exp(actorOut[base + k] - max);
          if (u < 0) {
            choice = k;
            break;
          }
        }
      }
      action[actOffset + j] = choice;
      total += actorOut[base + choice] - max - Math.log(sum);
    }
    return total;
  }
}
