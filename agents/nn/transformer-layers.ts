import * as tf from '@tensorflow/tfjs';

/** LayerNorm epsilon (as PyTorch's default and the plain-JS transformer pass). */
export const LAYER_NORM_EPS = 1e-5;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * LayerNorm over the last axis of `x [rows x d]` with gain and bias `[d]`,
 * with its backward written out: tfjs's own gradient reduces the gain's and
 * bias's broadcasts with axis-0 sums (a transpose plus a sum on wasm) over a
 * long tape; here the column sums are `ones [1 x rows] @ t` matmuls and
 * `dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))`.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  return layerNormGrad(x, gamma, beta);
}

const layerNormGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, gamma, beta, save] = args as [tf.Tensor2D, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const mean = tf.mean(x, 1, true);
  const centered = tf.sub(x, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), LAYER_NORM_EPS));
  const xhat = tf.mul(centered, rstd);
  save([xhat, rstd, gamma]);
  return {
    value: tf.add(tf.mul(xhat, tf.reshape(gamma, [1, -1])), tf.reshape(beta, [1, -1])) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sxhat, srstd, sgamma] = saved;
      const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
      const dgamma = tf.reshape(tf.matMul(ones, tf.mul(dy, sxhat) as tf.Tensor2D), sgamma.shape);
      const dbeta = tf.reshape(tf.matMul(ones, dy as tf.Tensor2D), sgamma.shape);
      const dxhat = tf.mul(dy, tf.reshape(sgamma, [1, -1]));
      const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(sxhat, tf.mean(tf.mul(dxhat, sxhat), 1, true))), srstd);
      return [dx, dgamma, dbeta];
    },
  };
}) as (x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor2D;

/**
 * GELU, tanh approximation, as `x sigmoid(2u)` with `u = sqrt(2/pi) (x + 0.044715 x^3)`
 * (the same function: `0.5 (1 + tanh u) = sigmoid(2u)`; wasm's sigmoid is
 * vectorized, its tanh scalar), with the backward written out:
 * `s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 0.044715 x^2)` (tfjs's tape for
 * the forward is ~3x as many kernels over the `[rows x 4d]` activations).
 */
export const gelu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, 2 * SQRT_2_OVER_PI * GELU_A), 2 * SQRT_2_OVER_PI)));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sx2, ss] = saved;
      const slope = tf.add(tf.mul(sx2, 6 * SQRT_2_OVER_PI * GELU_A), 2 * SQRT_2_OVER_PI);
      const ds = tf.mul(tf.mul(tf.mul(ss, tf.sub(1, ss)), sx), slope);
      return tf.mul(dy, tf.add(ss, ds));
    },
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;
