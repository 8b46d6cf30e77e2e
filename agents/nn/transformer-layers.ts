import * as tf from '@tensorflow/tfjs';
import { fastTanh } from '../tf-ops.js';

/** LayerNorm epsilon (as PyTorch's default and the plain-JS transformer pass). */
export const LAYER_NORM_EPS = 1e-5;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** LayerNorm over the last axis of `x [rows x d]` with gain and bias `[d]`. */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const mean = tf.mean(x, 1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), 1, true);
  const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)));
  return tf.add(tf.mul(normed, tf.reshape(gamma, [1, -1])), tf.reshape(beta, [1, -1])) as tf.Tensor2D;
}

/** GELU, tanh approximation; x^3 as products (tf.pow's gradient goes through log: ~30 ms a step on wasm). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), SQRT_2_OVER_PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(fastTanh(inner), 1)) as tf.Tensor2D;
}
