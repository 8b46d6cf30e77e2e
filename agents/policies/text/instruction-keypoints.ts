import * as tf from '@tensorflow/tfjs';
import { matMul, biasAdd } from '../../tf-ops.js';
import { gelu } from '../../nn/transformer-layers.js';
import type { ObsBatch } from '../actor-critic.js';
import type { Rng } from '../../../src/core/rng.js';
import { PAD_ID } from '../../text/vocabulary.js';
import { type TextTransformerSpec, keypointGrid } from './text-transformer-spec.js';

/**
 * Instruction-conditioned spatial-softmax keypoints of a text-transformer
 * (spec.image.keypoints; call inside `tf.tidy`): `coords [rows*count x 2]`,
 * each query's expected (x, y) in [-1, 1] (x to the right, y down the
 * image), and the softmax `attention [rows x count x positions]` (then the
 * out-of-sight slot with `spec.image.keypoints.absent`). With
 * `spec.image.keypoints.local` the softmax is a local one (only the positions
 * near each query's best score) and `global()` gives the expected
 * coordinates under the softmax over every position (computed only when
 * called: the goal loss needs them, acting does not; null without `local`).
 * `words [rows*maxTokens x E]` are the word inputs; the query is projected
 * from the mean over non-padding words. `vars`: the network's variables by
 * parameter name (`tok.kp.*`). `rng` (training only): draws the photometric
 * augmentation of spec.image.keypoints (`colourJitter`, `pixelNoise`).
 * `flips` (one per row, or null): the row's image is read mirrored about
 * the keypoint map's centre, left to right where bit 1 is set, top to
 * bottom where bit 2 is; the coordinates come out in the mirrored image's
 * frame (negate x, y to map them back).
 */
export function instructionKeypoints(spec: TextTransformerSpec, vars: ReadonlyMap<string, tf.Variable>, obs: ObsBatch, words: tf.Tensor2D, ids: Int32Array, rng: Rng | null = null, flips: Uint8Array | null = null): InstructionKeypoints {
  const im = spec.image as NonNullable<TextTransformerSpec['image']>;
  const kp = im.keypoints as NonNullable<NonNullable<TextTransformerSpec['image']>['keypoints']>;
  const { window: Wn, stride: S, features: F, count: K } = kp;
  const C = im.channels;
  const [gh, gw] = keypointGrid(im);
  const P = gh * gw;
  const per = Wn * Wn * C;
  // im2col: the window centred on each position (zeros outside the image), pixels scaled to [-1, 1].
  const cols = new Float32Array(obs.rows * P * per);
  const half = Math.floor(Wn / 2);
  const centre = Math.floor(S / 2);
  const pixels = im.height * im.width * C;
  const image = new Float32Array(pixels);
  // Mirrored reads reflect about the keypoint map's centre (pixel ((g - 1) S + 2 centre) / 2), so a mirrored
  // keypoint's coordinates are exactly the negated ones (past the image's edge: zeros, as padding).
  const mirrorX = (gw - 1) * S + 2 * centre;
  const mirrorY = (gh - 1) * S + 2 * centre;
  const jitter = rng ? kp.colourJitter ?? 0 : 0;
  const noise = rng ? kp.pixelNoise ?? 0 : 0;
  const gain = new Float32Array(C);
  const shift = new Float32Array(C);
  let o = 0;
  for (let r = 0; r < obs.rows; r++) {
    const base = r * spec.obsDim + im.offset;
    // Per image and channel a gain and an offset, then per pixel Gaussian noise (training only): the same scene in
    // other light, so features cannot key on exact pixel values.
    for (let c = 0; c < C; c++) {
      gain[c] = jitter > 0 ? 1 + (rng as Rng).uniform(-jitter, jitter) : 1;
      shift[c] = jitter > 0 ? (rng as Rng).uniform(-jitter, jitter) : 0;
    }
    for (let i = 0; i < pixels; i++) image[i] = (obs.flat[base + i] / 127.5 - 1) * gain[i % C] + shift[i % C] + (noise > 0 ? noise * (rng as Rng).normal() : 0);
    const flipX = flips !== null && (flips[r] & 1) !== 0;
    const flipY = flips !== null && (flips[r] & 2) !== 0;
    for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) {
      for (let y = 0; y < Wn; y++) {
        const py = gy * S + centre - half + y;
        const sy = flipY ? mirrorY - py : py;
        for (let x = 0; x < Wn; x++) {
          const px = gx * S + centre - half + x;
          const sx = flipX ? mirrorX - px : px;
          const inside = sy >= 0 && sy < im.height && sx >= 0 && sx < im.width;
          for (let c = 0; c < C; c++) cols[o++] = inside ? image[(sy * im.width + sx) * C + c] : 0;
        }
      }
    }
  }
  const v = (name: string): tf.Tensor => vars.get(name) as tf.Tensor;
  const row = (name: string): tf.Tensor2D => tf.reshape(v(name), [1, -1]) as tf.Tensor2D;
  const windows = tf.tensor2d(cols, [obs.rows * P, per]);
  const hidden = kp.hidden ? gelu(biasAdd(matMul(windows, v('tok.kp.w0') as tf.Tensor2D), row('tok.kp.b0'))) : windows;
  const windowFeats = gelu(biasAdd(matMul(hidden, v('tok.kp.w1') as tf.Tensor2D), row('tok.kp.b1')));
  const feats = kp.context ? tf.add(windowFeats, gelu(biasAdd(matMul(neighbourhood(matMul(windowFeats, v('tok.kp.ctx_w0') as tf.Tensor2D), obs.rows, gh, gw, kp.contextDilation ?? 1), v('tok.kp.ctx_w1') as tf.Tensor2D), row('tok.kp.ctx_b1')))) : windowFeats;
  // The mean vector of each row's words (padding excluded).
  const L = spec.maxTokens;
  const E = spec.embedDim;
  const weights = new Float32Array(obs.rows * L);
  for (let r = 0; r < obs.rows; r++) {
    let n = 0;
    for (let i = 0; i < L; i++) if (ids[r * L + i] !== PAD_ID) n++;
    for (let i = 0; i < L; i++) if (ids[r * L + i] !== PAD_ID) weights[r * L + i] = 1 / n;
  }
  const mean = tf.sum(tf.mul(tf.reshape(words, [obs.rows, L, E]), tf.tensor3d(weights, [obs.rows, L, 1])), 1) as tf.Tensor2D;
  const query = tf.reshape(biasAdd(matMul(mean, v('tok.kp.wq') as tf.Tensor2D), row('tok.kp.bq')), [obs.rows, K, F]);
  const temp = tf.exp(v('tok.kp.log_temp'));
  const positionScores = tf.mul(tf.matMul(query, tf.reshape(feats, [obs.rows, P, F]), false, true), temp) as tf.Tensor3D;
  // The out-of-sight slot (kp.absent): one more score per query, last, from its own learned features.
  const scores = kp.absent ? (tf.concat([positionScores, tf.mul(tf.sum(tf.mul(query, tf.reshape(v('tok.kp.absent_feat'), [1, K, F])), 2, true), temp)], 2) as tf.Tensor3D) : positionScores;
  const grid = new Float32Array(P * 2);
  for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) {
    grid[(gy * gw + gx) * 2] = gw > 1 ? (2 * gx) / (gw - 1) - 1 : 0;
    grid[(gy * gw + gx) * 2 + 1] = gh > 1 ? (2 * gy) / (gh - 1) - 1 : 0;
  }
  const gridTensor = tf.tensor2d(grid, [P, 2]);
  const expected = (att: tf.Tensor3D): tf.Tensor2D => {
    if (!kp.absent) return matMul(tf.reshape(att, [obs.rows * K, P]) as tf.Tensor2D, gridTensor);
    // The slot's share times its learned coordinates, plus the positions' expectation.
    const [onImage, away] = tf.split(att, [P, 1], 2);
    const slot = tf.mul(away, tf.reshape(v('tok.kp.absent_pos'), [1, K, 2]));
    return tf.reshape(tf.add(tf.reshape(matMul(tf.reshape(onImage, [obs.rows * K, P]) as tf.Tensor2D, gridTensor), [obs.rows, K, 2]), slot), [obs.rows * K, 2]) as tf.Tensor2D;
  };
  const scoreData = kp.local ? (scores.dataSync() as Float32Array) : null;
  // Each query's best score over the image positions (not the out-of-sight slot), read from the numbers.
  const peaks = (): Float32Array => {
    const data = scoreData ?? (scores.dataSync() as Float32Array);
    const N = P + (kp.absent ? 1 : 0);
    const out = new Float32Array(obs.rows * K);
    for (let q = 0; q < out.length; q++) {
      let best = -Infinity;
      for (let p = 0; p < P; p++) best = Math.max(best, data[q * N + p]);
      out[q] = best;
    }
    return out;
  };
  if (!kp.local) {
    const full = tf.softmax(scores) as tf.Tensor3D;
    return { coords: expected(full), attention: full, global: null, peaks };
  }
  const attention = tf.softmax(tf.add(scores, localMask(scoreData as Float32Array, obs.rows, K, gh, gw, kp.local, kp.absent === true))) as tf.Tensor3D;
  return { coords: expected(attention), attention, global: () => expected(tf.softmax(scores) as tf.Tensor3D), peaks };
}

/** What {@link instructionKeypoints} reads off a batch of images. */
export interface InstructionKeypoints {
  /** `[rows*count x 2]`: each query's expected (x, y) in [-1, 1]. */
  coords: tf.Tensor2D;
  /** `[rows x count x positions]` (then the out-of-sight slot): the softmax the coordinates are expected under. */
  attention: tf.Tensor3D;
  /** With `local`: the expected coordinates under the softmax over every position (computed when called); else null. */
  global: (() => tf.Tensor2D) | null;
  /** `[rows*count]`: each query's best score over the image positions, as numbers (how sure a reading is; episode memory's refresh compares them). */
  peaks: () => Float32Array;
}

/**
 * Each position's 3 x 3 neighbourhood on a `gh x gw` map, its neighbours `dilation` positions apart: `x
 * [rows*gh*gw x c]` -> `[rows*gh*gw x 9c]`, the neighbours' rows (zeros past the map's edge) concatenated in raster
 * order, the position itself fifth. Pads and slices only, so it trains on every backend.
 */
export function neighbourhood(x: tf.Tensor2D, rows: number, gh: number, gw: number, dilation = 1): tf.Tensor2D {
  const c = x.shape[1];
  const padded = tf.pad(tf.reshape(x, [rows, gh, gw, c]), [[0, 0], [dilation, dilation], [dilation, dilation], [0, 0]]);
  const parts: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) parts.push(tf.slice(padded, [0, dy * dilation, dx * dilation, 0], [rows, gh, gw, c]) as tf.Tensor4D);
  return tf.reshape(tf.concat(parts, 3), [rows * gh * gw, 9 * c]) as tf.Tensor2D;
}

/**
 * The local soft-argmax's mask `[rows x count x scores]` over a `gh x gw` map (then, with `absent`, the out-of-sight
 * slot, never masked): 0 within `radius` positions (in x and in y) of each query's best score, a large negative
 * number elsewhere (added to the scores before the softmax); where the slot scores best, every position is masked.
 * Where the best score falls is chosen here, outside the gradient; the scores inside the window keep theirs.
 */
function localMask(scores: Float32Array, rows: number, count: number, gh: number, gw: number, radius: number, absent: boolean): tf.Tensor3D {
  const P = gh * gw;
  const N = P + (absent ? 1 : 0);
  const queries = rows * count;
  const mask = new Float32Array(queries * N).fill(-1e9);
  for (let q = 0; q < queries; q++) {
    const o = q * N;
    if (absent) mask[o + P] = 0;
    let best = 0;
    for (let p = 1; p < N; p++) if (scores[o + p] > scores[o + best]) best = p;
    if (best === P) continue;
    const by = Math.floor(best / gw);
    const bx = best % gw;
    for (let y = Math.max(0, by - radius); y <= Math.min(gh - 1, by + radius); y++) {
      for (let x = Math.max(0, bx - radius); x <= Math.min(gw - 1, bx + radius); x++) mask[o + y * gw + x] = 0;
    }
  }
  return tf.tensor3d(mask, [rows, count, N]);
}
