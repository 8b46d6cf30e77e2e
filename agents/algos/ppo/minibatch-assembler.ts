import * as tf from '@tensorflow/tfjs';
import type { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import type { FastMinibatch } from '../../policies/actor-critic.js';
import type { PpoMinibatch } from './ppo-loss.js';

/** One minibatch as plain arrays, row-major, `[rows]` unless noted (see {@link FastMinibatch}). */
export type MinibatchArrays = FastMinibatch;

/**
 * Gathers minibatches out of a {@link RolloutBuffer} (the flattened
 * `b_obs[mb_inds]` of CleanRL) into preallocated scratch arrays and uploads
 * them as tensors. Advantages are normalized per minibatch, as CleanRL and
 * SB3 do (torch's unbiased std, + 1e-8).
 */
export class MinibatchAssembler {
  private readonly buffer: RolloutBuffer;
  private readonly obs: Float32Array;
  private readonly actions: Float32Array;
  private readonly logProb: Float32Array;
  private readonly adv: Float32Array;
  private readonly ret: Float32Array;
  private readonly val: Float32Array;

  constructor(buffer: RolloutBuffer, maxRows: number) {
    this.buffer = buffer;
    this.obs = new Float32Array(maxRows * buffer.obsDim);
    this.actions = new Float32Array(maxRows * buffer.actDim);
    this.logProb = new Float32Array(maxRows);
    this.adv = new Float32Array(maxRows);
    this.ret = new Float32Array(maxRows);
    this.val = new Float32Array(maxRows);
  }

  /** The minibatch of rows `indices[start..end)` (flat `t * envs + i` indices) for `ppoLoss`. The caller disposes its tensors. */
  tensors(indices: Int32Array, start: number, end: number, normAdv: boolean): PpoMinibatch {
    const a = this.arrays(indices, start, end, normAdv);
    return {
      batch: { obs: { rows: a.rows, flat: a.obs }, actions: a.actions },
      oldLogProb: tf.tensor1d(a.oldLogProb),
      advantages: tf.tensor1d(a.advantages),
      returns: tf.tensor1d(a.returns),
      oldValues: tf.tensor1d(a.oldValues),
    };
  }

  /**
   * The same minibatch as plain arrays (views into this assembler's scratch,
   * valid until the next call): what the explicit-gradient path consumes.
   */
  arrays(indices: Int32Array, start: number, end: number, normAdv: boolean): MinibatchArrays {
    const b = this.buffer;
    const m = end - start;
    const od = b.obsDim;
    const ad = b.actDim;
    let mean = 0;
    for (let r = 0; r < m; r++) {
      const k = indices[start + r];
      this.obs.set(b.obs.subarray(k * od, (k + 1) * od), r * od);
      for (let j = 0; j < ad; j++) this.actions[r * ad + j] = b.actions[k * ad + j];
      this.logProb[r] = b.logProbs[k];
      this.ret[r] = b.returns[k];
      this.val[r] = b.values[k];
      mean += b.advantages[k];
    }
    mean /= m;
    let std = 1;
    let shift = 0;
    if (normAdv) {
      let ss = 0;
      for (let r = 0; r < m; r++) {
        const d = b.advantages[indices[start + r]] - mean;
        ss += d * d;
      }
      std = (m > 1 ? Math.sqrt(ss / (m - 1)) : 0) + 1e-8;
      shift = mean;
    }
    for (let r = 0; r < m; r++) this.adv[r] = (b.advantages[indices[start + r]] - shift) / std;
    return {
      rows: m,
      obs: this.obs.subarray(0, m * od),
      actions: this.actions.subarray(0, m * ad),
      oldLogProb: this.logProb.subarray(0, m),
      advantages: this.adv.subarray(0, m),
      returns: this.ret.subarray(0, m),
      oldValues: this.val.subarray(0, m),
    };
  }
}
