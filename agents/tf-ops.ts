import * as tf from '@tensorflow/tfjs';

/**
 * The few tfjs ops every lamkit network goes through, kept in one place
 * because their fast forms were measured (see shared FINDINGS.md, "TensorFlow.js"):
 *
 * - {@link matMul}: wasm's matmul is fast only without transposes; tfjs's
 *   built-in gradient uses transposed forms (1-3 GFLOP/s). This one
 *   transposes explicitly in its gradient (1.3x faster on an MLP).
 * - {@link fastTanh}: wasm's `tanh` is scalar (~21 ns/element, 350 us for
 *   [256 x 64]) while its `sigmoid` is vectorized (~22 us): tanh(x) =
 *   2 sigmoid(2x) - 1, with the analytic gradient 1 - tanh^2.
 * - {@link biasAdd}: wasm's broadcasting add is slow (~0.28 ms for
 *   [256 x 64] + [64]) and so is the axis-0 sum of its gradient; the bias
 *   goes in as the outer product `ones [B x 1] @ b [1 x out]` and its gradient
 *   is `ones [1 x B] @ dy` (together ~6x cheaper at that size).
 * - {@link oneHot} / {@link embed}: wasm lacks `UnsortedSegmentSum` (the
 *   gradient of `gather`), so lookups are one-hot x matrix.
 */

/** `a [m x k] @ b [k x n] -> [m x n]`, gradient with explicit transposes. */
export const matMul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `h [B x out] + b [1 x out]` (row broadcast) through matmuls; see the file note. */
export const biasAdd = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [h, b] = args as [tf.Tensor2D, tf.Tensor2D];
  const rows = h.shape[0];
  return {
    value: tf.add(h, tf.matMul(tf.ones([rows, 1]) as tf.Tensor2D, b)),
    gradFunc: (dy: tf.Tensor) => [dy, tf.matMul(tf.ones([1, rows]) as tf.Tensor2D, dy as tf.Tensor2D)],
  };
}) as (h: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Element-wise tanh through the vectorized sigmoid: `2 sigmoid(2x) - 1`; gradient `dy (1 - y^2)`. */
export const fastTanh = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const y = tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(saved[0]))),
  };
}) as <T extends tf.Tensor>(x: T) => T;

/**
 * One-hot rows: `Float32 [n x depth]` from integer indices `[n]` (a typed
 * array or an int32 tensor). Indices outside `[0, depth)` give zero rows.
 */
export function oneHot(indices: tf.Tensor1D | Int32Array, depth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const idx = indices instanceof Int32Array ? tf.tensor1d(indices, 'int32') : tf.cast(indices, 'int32');
    return tf.cast(tf.oneHot(idx as tf.Tensor1D, depth), 'float32') as tf.Tensor2D;
  });
}

/** Embedding lookup `table [vocab x dim]` at `indices [n]` as `oneHot(indices) @ table -> [n x dim]`. */
export function embed(indices: tf.Tensor1D | Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => matMul(oneHot(indices, table.shape[0]), table));
}
