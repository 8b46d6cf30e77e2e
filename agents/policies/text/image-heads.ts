import * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import { matMul, biasAdd } from '../../tf-ops.js';
import { gelu } from '../../nn/transformer-layers.js';
import type { ObsBatch } from '../actor-critic.js';
import { keypointGrid, type TextTransformerSpec, type KeypointSpec } from './text-transformer-spec.js';

/** A text-transformer's variables by parameter name. */
type Vars = ReadonlyMap<string, tf.Variable>;

/**
 * The grid image tokens `[rows x grid^2 x d]` of a text-transformer (spec.image; call inside `tf.tidy`): pixels / 255
 * cut into `patch x patch` patches (im2col in JS), a linear patch embedding (`tok.image.weight`, `.bias`), mean-pooled
 * over each grid cell's patches, plus learned cell positions (`tok.image.pos`).
 */
export function patchTokens(spec: TextTransformerSpec, vars: Vars, obs: ObsBatch): tf.Tensor3D {
  const im = spec.image as NonNullable<TextTransformerSpec['image']>;
  const d = spec.dModel;
  const { patch: P, channels: C, grid: G } = im;
  const ph = im.height / P;
  const pw = im.width / P;
  const per = P * P * C;
  const patches = new Float32Array(obs.rows * ph * pw * per);
  // Patch order: grid cell by grid cell, so one reshape + mean pools each cell's patches.
  const cellH = ph / G;
  const cellW = pw / G;
  let o = 0;
  for (let r = 0; r < obs.rows; r++) {
    const base = r * spec.obsDim + im.offset;
    for (let gy = 0; gy < G; gy++) for (let gx = 0; gx < G; gx++) {
      for (let cy = 0; cy < cellH; cy++) for (let cx = 0; cx < cellW; cx++) {
        const py = gy * cellH + cy;
        const px = gx * cellW + cx;
        for (let y = 0; y < P; y++) for (let xx = 0; xx < P; xx++) for (let c = 0; c < C; c++) patches[o++] = obs.flat[base + ((py * P + y) * im.width + px * P + xx) * C + c] / 255;
      }
    }
  }
  const v = (name: string): tf.Tensor => vars.get(name) as tf.Tensor;
  const emb = tf.add(matMul(tf.tensor2d(patches, [obs.rows * ph * pw, per]), v('tok.image.weight') as tf.Tensor2D), tf.reshape(v('tok.image.bias'), [1, -1]));
  const pooled = tf.mean(tf.reshape(emb, [obs.rows, G * G, cellH * cellW, d]), 2);
  return tf.add(pooled, tf.reshape(v('tok.image.pos'), [1, G * G, d])) as tf.Tensor3D;
}

/** The keypoint goal head (`head.kp_goal.*`) on keypoint coordinates `[rows x 2K]`: the predicted last state `[rows x S]`. */
export function keypointGoalPrediction(spec: TextTransformerSpec, vars: Vars, coords: tf.Tensor2D): tf.Tensor2D {
  if (spec.image?.keypoints?.goalEach) return gatedGoal(vars, keypointGoalPredictions(spec, vars, coords));
  const v = (name: string): tf.Tensor => vars.get(name) as tf.Tensor;
  const row = (name: string): tf.Tensor2D => tf.reshape(v(name), [1, -1]) as tf.Tensor2D;
  const hidden = gelu(biasAdd(matMul(coords, v('head.kp_goal.w1') as tf.Tensor2D), row('head.kp_goal.b1')));
  return biasAdd(matMul(hidden, v('head.kp_goal.w2') as tf.Tensor2D), row('head.kp_goal.b2'));
}

/** Per-keypoint goal heads (KeypointSpec.goalEach) on coordinates `[rows x 2K]`: each keypoint's prediction, `[K x rows x S]`. */
export function keypointGoalPredictions(spec: TextTransformerSpec, vars: Vars, coords: tf.Tensor2D): tf.Tensor3D {
  const v = (name: string): tf.Tensor3D => vars.get(name) as unknown as tf.Tensor3D;
  const K = (spec.image?.keypoints as KeypointSpec).count;
  const perKeypoint = tf.transpose(tf.reshape(coords, [-1, K, 2]), [1, 0, 2]) as tf.Tensor3D;
  const hidden = gelu(tf.add(tf.matMul(perKeypoint, v('head.kp_goal.w1')), v('head.kp_goal.b1')) as unknown as tf.Tensor2D) as unknown as tf.Tensor3D;
  return tf.add(tf.matMul(hidden, v('head.kp_goal.w2')), v('head.kp_goal.b2')) as tf.Tensor3D;
}

/** The gate's (`head.kp_goal.gate`) softmax mix of per-keypoint predictions `[K x rows x S]`: `[rows x S]`. */
export function gatedGoal(vars: Vars, each: tf.Tensor3D): tf.Tensor2D {
  const gate = tf.reshape(tf.softmax(vars.get('head.kp_goal.gate') as tf.Tensor1D), [-1, 1, 1]);
  return tf.sum(tf.mul(each, gate), 0) as tf.Tensor2D;
}

/** The state columns `stateCols` of `goalObs [rows x obsDim]` as `[rows x S]` (a size that does not fit is a typed error). */
export function stateTargets(spec: TextTransformerSpec, stateCols: Int32Array, goalObs: Float32Array, rows: number): tf.Tensor2D {
  if (goalObs.length !== rows * spec.obsDim) {
    throw new InvalidArgument(formatError('TextTransformerActorCritic.goalObs', `${rows} rows x ${spec.obsDim} numbers`, `${goalObs.length} numbers`, 'Pass one goal observation per scored row'));
  }
  const S = Math.max(1, stateCols.length);
  const target = new Float32Array(rows * S);
  for (let r = 0; r < rows; r++) for (let j = 0; j < stateCols.length; j++) target[r * S + j] = goalObs[r * spec.obsDim + stateCols[j]];
  return tf.tensor2d(target, [rows, S]);
}

/** Keypoints `[rows*K x 2]` read from mirrored images (`flips`, one per row: bit 1 left-right, bit 2 top-bottom) mapped back into the real image's frame. */
export function unflipCoords(coords: tf.Tensor2D, flips: Uint8Array, K: number): tf.Tensor2D {
  const rows = flips.length;
  const signs = new Float32Array(rows * K * 2);
  for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) (signs[(r * K + k) * 2] = flips[r] & 1 ? -1 : 1), (signs[(r * K + k) * 2 + 1] = flips[r] & 2 ? -1 : 1);
  return tf.mul(coords, tf.tensor2d(signs, [rows * K, 2])) as tf.Tensor2D;
}

/**
 * Where the first image keypoint should be on some rows (behaviour cloning's `keypointLabelLoss`): `points [rows x
 * 2]`, each an image point in normalized image coordinates (x right, y down, -1 and 1 at the image's outer edges;
 * NaN: no label for that row), and the weight of the squared distance in the keypoint goal loss.
 */
export interface KeypointLabels {
  points: Float32Array;
  weight: number;
}

/**
 * `labels`' points in keypoint-map coordinates (what `instructionKeypoints` returns: -1 and 1 at the first and the
 * last map position, a position every `stride` pixels from pixel `floor(stride / 2)`), `[rows x 2]`, and a
 * `[rows]` mask, 0 where a row has no label (its point set to 0), times `labels.weight`. Call inside `tf.tidy`.
 */
export function keypointLabelTargets(spec: TextTransformerSpec, labels: KeypointLabels, rows: number): { points: tf.Tensor2D; mask: tf.Tensor1D } {
  const im = spec.image as NonNullable<TextTransformerSpec['image']>;
  const s = (im.keypoints as KeypointSpec).stride;
  const [gh, gw] = keypointGrid(im);
  const toMap = (x: number, size: number, g: number): number => {
    // Normalized image coordinate -> continuous pixel index (pixel i's centre at i) -> map position -> [-1, 1].
    const px = ((x + 1) / 2) * size - 0.5;
    return g > 1 ? (2 * (px - Math.floor(s / 2))) / (s * (g - 1)) - 1 : 0;
  };
  const points = new Float32Array(rows * 2);
  const mask = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = labels.points[2 * r];
    const y = labels.points[2 * r + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    points[2 * r] = toMap(x, im.width, gw);
    points[2 * r + 1] = toMap(y, im.height, gh);
    mask[r] = labels.weight;
  }
  return { points: tf.tensor2d(points, [rows, 2]), mask: tf.tensor1d(mask) };
}
