import * as tf from '@tensorflow/tfjs';

/**
 * Multi-head scaled dot-product attention with an explicit backward, the
 * core of the transformer trunks (agents/policies/transformer, text):
 * `softmax(q k^T / sqrt(dh) + bias) v` per head, heads merged back.
 *
 * - `qkv [count*span x 3d]`: the fused projection `h @ [wq | wk | wv]`
 *   (columns `q | k | v`, each head-major: column `h*dh + e`);
 * - `bias [heads*count x span x span]` (head-major: batch `h * count + c`):
 *   added to the scaled scores (ALiBi
 *   penalties, and a large negative number where a key is masked: causal
 *   band, episode starts, padding); a constant, no gradient;
 * - `keep`: inverted-dropout mask on the attention weights (same shape and order), or null.
 *
 * Returns `[count*span x d]`. The backward is written out (tfjs's own
 * gradients of the batched matmuls, transposes, broadcasts and the softmax
 * are a long tape of small kernels on wasm): the softmax gradient
 * `p (dp - rowsum(dp p))` with the score scale folded in, four batched
 * matmuls, the heads split and merged by one 4-D transpose each way.
 * (A plain-JS pass over only the visible pairs, on the `[rows x 3d]` data,
 * measured the same per training step here: wasm's batched matmul is a
 * generic scalar kernel, ~1 FMA/ns, and so was the JS loop.)
 */
export function multiHeadAttention(qkv: tf.Tensor2D, bias: tf.Tensor3D, keep: tf.Tensor3D | null, count: number, span: number, heads: number): tf.Tensor2D {
  const d = qkv.shape[1] / 3;
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  const bh = count * heads;
  // Head-major batches (h * count + c) keep every split and merge a 4-D transpose that moves
  // whole dh-rows plus contiguous slices (wasm slices other layouts element-run by element-run in JS).
  // [rows x parts*d] -> [parts*H*count, span, dh] and back.
  const split = (t: tf.Tensor, parts: number): tf.Tensor3D => tf.reshape(tf.transpose(tf.reshape(t, [count, span, parts * heads, dh]), [2, 0, 1, 3]), [parts * bh, span, dh]);
  const merge = (t: tf.Tensor, parts: number): tf.Tensor2D => tf.reshape(tf.transpose(tf.reshape(t, [parts * heads, count, span, dh]), [1, 2, 0, 3]), [count * span, parts * d]);
  // Inside a custom gradient tfjs records no tape: plain tf.matMul runs here. The batched matmuls
  // take wasm's generic kernel whatever the flags (its fast XNNPACK path is 2-D only), where the
  // transpose flags cost nothing (they make the inner loop contiguous) and save a transpose each.
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [q, k, v] = tf.split(split(x, 3), 3, 0) as tf.Tensor3D[];
    const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), bias)) as tf.Tensor3D;
    const pd = keep ? (tf.mul(p, keep) as tf.Tensor3D) : p;
    // The dropout mask is saved too: the caller's tidy may dispose it before the backward runs.
    save(keep ? [q, k, v, p, keep] : [q, k, v, p]);
    return {
      value: merge(tf.matMul(pd, v), 1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp, skeep] = saved as tf.Tensor3D[];
        const dO = split(dy, 1);
        const spd = skeep ? (tf.mul(sp, skeep) as tf.Tensor3D) : sp;
        const dv = tf.matMul(spd, dO, true, false);
        let dp = tf.matMul(dO, sv, false, true);
        if (skeep) dp = tf.mul(dp, skeep);
        // Softmax backward with the score scale folded in: ds = scale p (dp - sum_j dp p).
        const ds = tf.mul(tf.mul(sp, tf.sub(dp, tf.sum(tf.mul(dp, sp), 2, true))), scale) as tf.Tensor3D;
        const dq = tf.matMul(ds, sk);
        const dk = tf.matMul(ds, sq, true, false);
        return merge(tf.concat([dq, dk, dv], 0), 3);
      },
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(qkv);
}

