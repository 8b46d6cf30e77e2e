import * as tf from '@tensorflow/tfjs';

/**
 * Batched `a [b x m x k] @ b [b x k x n] -> [b x m x n]` whose gradient
 * transposes explicitly (`da = dy @ b^T`, `db = a^T @ dy` with materialized
 * transposes): wasm's matmul is fast only without transpose flags, and
 * tfjs's own gradient uses them (shared FINDINGS.md: 4.4x on a small
 * transformer). The batched form of `matMul` in agents/tf-ops.ts.
 */
export const batchMatMul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      return [tf.matMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D)];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;
