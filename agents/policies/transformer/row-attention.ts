import * as tf from '@tensorflow/tfjs';
import { matMul } from '../../tf-ops.js';

/** Added to the scores of masked keys (softmax weight exp(-1e9) = 0 in float32). */
export const MASKED = -1e9;

/**
 * Above this many rows (`count x span`) {@link rowAttention} loses to the
 * batched per-chunk form: its scores are `rows x rows` per head, `count`
 * times more than the chunks' own blocks.
 */
export const ROW_ATTENTION_MAX_ROWS = 512;

/**
 * For each row of `count` chunks of `span` steps, the first position of its
 * chunk it may attend to: the banded causal window (`window` steps up to and
 * including itself), cut at the last episode start at or before it.
 * `Int32Array [count x span]`, positions within the chunk.
 */
export function firstVisible(count: number, span: number, episodeStart: Uint8Array, window: number): Int32Array {
  const out = new Int32Array(count * span);
  for (let k = 0; k < count; k++) {
    let first = 0;
    for (let i = 0; i < span; i++) {
      if (episodeStart[k * span + i]) first = i;
      out[k * span + i] = Math.max(first, i - window + 1);
    }
  }
  return out;
}

/**
 * The additive score bias of {@link rowAttention}, `Float32Array [heads x
 * rows x rows]` over all rows of the minibatch: the ALiBi penalty
 * `-slope_h (i - j)` where row i may see row j (same chunk, inside i's
 * window, see {@link firstVisible}), else {@link MASKED} (other chunks too).
 */
export function rowAttentionBias(count: number, span: number, episodeStart: Uint8Array, slopes: Float64Array, window: number): Float32Array {
  const rows = count * span;
  const lo = firstVisible(count, span, episodeStart, window);
  const out = new Float32Array(slopes.length * rows * rows).fill(MASKED);
  for (let h = 0; h < slopes.length; h++) {
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < span; i++) {
        const base = (h * rows + k * span + i) * rows + k * span;
        for (let j = lo[k * span + i]; j <= i; j++) out[base + j] = -slopes[h] * (i - j);
      }
    }
  }
  return out;
}

/**
 * Multi-head attention over the rows of a whole minibatch with one plain
 * 2-D matmul per head and product (`q_h k_h^T`, `p_h v_h`), masked by
 * `bias` (one `[rows x rows]` tensor per head, {@link rowAttentionBias}):
 * wasm runs 2-D matmuls through XNNPACK at ~25-32 GFLOP/s but batched 3-D
 * ones at ~2.3 GFLOP/s (bench: [204 x 128] @ [128 x 512] vs [8, 102, 32] @
 * [8, 32, 102]), so for PPO's long chunks (a few chunks of ~100 rows) the
 * extra cross-chunk scores cost far less than the batched form.
 * `qkv [rows x 3d]`: the fused projection (columns `q | k | v`, head h =
 * columns `h dh ... (h + 1) dh - 1` of each); returns `[rows x d]`.
 * Differentiable (tfjs autodiff; the matmuls transpose explicitly in their
 * gradient, agents/tf-ops.ts).
 */
export function rowAttention(qkv: tf.Tensor2D, bias: readonly tf.Tensor2D[]): tf.Tensor2D {
  const rows = qkv.shape[0];
  const d = qkv.shape[1] / 3;
  const heads = bias.length;
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  // One transpose for all heads: head h's k^T is then a contiguous block of rows.
  const kT = tf.transpose(tf.slice(qkv, [0, d], [rows, d])) as tf.Tensor2D;
  const out: tf.Tensor2D[] = [];
  for (let h = 0; h < heads; h++) {
    const qh = tf.slice(qkv, [0, h * dh], [rows, dh]) as tf.Tensor2D;
    const kTh = tf.slice(kT, [h * dh, 0], [dh, rows]) as tf.Tensor2D;
    const vh = tf.slice(qkv, [0, 2 * d + h * dh], [rows, dh]) as tf.Tensor2D;
    const p = tf.softmax(tf.add(tf.mul(matMul(qh, kTh), scale), bias[h])) as tf.Tensor2D;
    out.push(matMul(p, vh));
  }
  return tf.concat(out, 1) as tf.Tensor2D;
}
