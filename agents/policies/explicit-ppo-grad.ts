import * as tf from '@tensorflow/tfjs';
import { paramLayout, actorOutDim, layoutSize, type MlpSpec, type ParamEntry } from './param-layout.js';
import type { FastMinibatch as MinibatchArrays, PpoLossCoefs } from './actor-critic.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** One dense layer's place in the flat parameters. */
interface Layer {
  /** Offset of `weight [in x out]`; the bias `[out]` follows at `b`. */
  w: number;
  b: number;
  in: number;
  out: number;
}

/** Per-layer upload scratch (see `prepare`): forward block `[(in + 1) x outA]`, backward block `[outA x (in + 1)]`. */
interface LayerScratch {
  fw: Float32Array;
  bwT: Float32Array;
}

/**
 * The PPO loss of an {@link MlpActorCritic} and its gradient with respect to
 * the flat parameters, derived by hand instead of by tfjs's autodiff: the
 * fast path of {@link PPO}'s gradient steps. Same objective and the same
 * gradient (up to float rounding) as `ppoLoss` + `tf.variableGrads`
 * (test/agents/explicit-grad.test.ts checks them against each other).
 *
 * Why: at PPO's sizes (64-unit MLPs, a few hundred rows) each tfjs kernel
 * costs about as much in per-call overhead as in arithmetic; the autodiff
 * step ran ~300 kernels (~3.6 ms on wasm). Here a step is 36 kernels
 * (2-layer MLP), about half the time (bench/ppo-grad-step.ts):
 *
 * - Only the matmuls and activations run in tfjs (wasm/XNNPACK). Biases are
 *   the last row of each uploaded weight block, multiplied by a ones column
 *   (appended to the observations in JS; for hidden layers a constant extra
 *   unit, see `prepare`). tanh layers run as `s = sigmoid(2z)` (wasm's tanh
 *   is scalar; tanh = 2s - 1) with the factor 2 and the `-1` folded into the
 *   uploaded weights and biases, computed in JS from the parameters.
 * - The loss head (log-softmax or Gaussian log-density, ratio, clipping,
 *   value loss, entropy, statistics) and its gradient are computed in plain
 *   JS (float64) on the downloaded `[rows x outDim]` logits and `[rows]` values.
 * - Backward per layer: `[dW; db] = [h, 1]^T g` (an explicit transpose, then
 *   one matmul: wasm is slow on transposed matmuls), `g_prev = (g W^T) *
 *   act'` with `W^T` uploaded from JS.
 *
 * Parameters and gradients are plain `Float32Array`s in the layout of
 * {@link paramLayout}; pair with {@link JsAdam}.
 */
export class ExplicitPpoGrad {
  readonly spec: MlpSpec;
  readonly numParams: number;
  private readonly outDim: number;
  private readonly actDim: number;
  private readonly nvec: readonly number[];
  private readonly actor: Layer[];
  private readonly critic: Layer[];
  private readonly scratch: Map<Layer, LayerScratch>;
  private readonly logStdOffset: number;
  private x: Float32Array;
  private xT: Float32Array;
  /** Per categorical component of the current row: log-normalizer and entropy. */
  private readonly logZ: Float64Array;
  private readonly compEnt: Float64Array;
  private gActor: Float32Array;
  private gCritic: Float32Array;

  constructor(spec: MlpSpec) {
    const layout = paramLayout(spec);
    this.spec = spec;
    this.numParams = layoutSize(layout);
    this.outDim = actorOutDim(spec.head);
    this.nvec = spec.head.kind === 'categorical' ? [...spec.head.nvec] : [];
    this.actDim = spec.head.kind === 'categorical' ? spec.head.nvec.length : spec.head.dim;
    const byName = new Map<string, ParamEntry>(layout.map((e) => [e.name, e]));
    const layers = (trunk: string): Layer[] =>
      Array.from({ length: spec.hidden.length + 1 }, (_, l) => {
        const w = byName.get(`${trunk}.${l}.weight`) as ParamEntry;
        return { w: w.offset, b: (byName.get(`${trunk}.${l}.bias`) as ParamEntry).offset, in: w.shape[0], out: w.shape[1] };
      });
    this.actor = layers('actor');
    this.critic = layers('critic');
    this.scratch = new Map([...this.actor, ...this.critic].map((L) => [L, { fw: new Float32Array((L.in + 1) * (L.out + 1)), bwT: new Float32Array((L.in + 1) * (L.out + 1)) }]));
    this.logStdOffset = byName.get('actor.log_std')?.offset ?? -1;
    this.x = new Float32Array(0);
    this.xT = new Float32Array(0);
    this.logZ = new Float64Array(this.actDim);
    this.compEnt = new Float64Array(this.actDim);
    this.gActor = new Float32Array(0);
    this.gCritic = new Float32Array(0);
  }

  /**
   * Loss and gradient of one minibatch.
   * @param theta flat parameters `[numParams]`.
   * @param grad receives dLoss/dtheta `[numParams]` (overwritten).
   * @returns the statistics of `PPO_STAT_NAMES`: policy loss, value loss, entropy, approx KL, clip fraction.
   */
  compute(theta: Float32Array, mb: MinibatchArrays, c: PpoLossCoefs, grad: Float32Array): number[] {
    const m = mb.rows;
    const od = this.spec.obsDim;
    const oa = od + 1;
    if (this.x.length < m * oa) {
      this.x = new Float32Array(m * oa);
      this.xT = new Float32Array(m * oa);
      this.gActor = new Float32Array(m * this.outDim);
      this.gCritic = new Float32Array(m);
    }
    // [x, 1] and its transpose: the bias row of each weight block multiplies the ones column.
    for (let r = 0; r < m; r++) {
      for (let i = 0; i < od; i++) this.x[r * oa + i] = this.xT[i * m + r] = mb.obs[r * od + i];
      this.x[r * oa + od] = this.xT[od * m + r] = 1;
    }
    grad.fill(0);
    this.prepare(theta, this.actor);
    this.prepare(theta, this.critic);
    let stats: number[] = [];
    tf.tidy(() => {
      const x = tf.tensor2d(this.x.subarray(0, m * oa), [m, oa]);
      const actorActs = this.forward(x, this.actor);
      const criticActs = this.forward(x, this.critic);
      const actorOut = (actorActs[actorActs.length - 1] as tf.Tensor2D).dataSync() as Float32Array;
      const values = (criticActs[criticActs.length - 1] as tf.Tensor2D).dataSync() as Float32Array;
      stats = this.head(theta, actorOut, values, mb, c, grad);
      const xT = tf.tensor2d(this.xT.subarray(0, m * oa), [oa, m]);
      this.backward(tf.tensor2d(this.gActor.subarray(0, m * this.outDim), [m, this.outDim]), actorActs, this.actor, xT, grad);
      this.backward(tf.tensor2d(this.gCritic.subarray(0, m), [m, 1]), criticActs, this.critic, xT, grad);
    });
    return stats;
  }

  /** Holds no tensors between calls (every call runs in one `tf.tidy`); present for the resource contract. */
  dispose(): void {}

  /**
   * Fills each layer's upload blocks from `theta` (see the class note):
   * `fw [(in + 1) x outA]` (weights, then the bias row) and `bwT [outA x (in + 1)]`
   * (the transposed weights for `g W^T`, zero on the constant units). Hidden
   * layers get one extra output unit (`outA = out + 1`): zero weights and a
   * bias that saturates the activation to exactly 1 (sigmoid(100), relu(1)),
   * the ones column the next layer's bias row multiplies. Its gradient is 0.
   */
  private prepare(theta: Float32Array, layers: readonly Layer[]): void {
    const tanh = this.spec.activation === 'tanh';
    const last = layers.length - 1;
    layers.forEach((L, l) => {
      const s = this.scratch.get(L) as LayerScratch;
      const outA = l < last ? L.out + 1 : L.out;
      const inA = L.in + 1;
      // tanh: hidden layers emit s = sigmoid(2z) (x2 on W and b); inputs from a tanh layer are 2s - 1 (x2 on W, b - colsum W).
      const zScale = tanh && l < last ? 2 : 1;
      const inScale = tanh && l > 0 ? 2 : 1;
      for (let j = 0; j < L.out; j++) {
        let colSum = 0;
        for (let i = 0; i < L.in; i++) {
          const w = theta[L.w + i * L.out + j];
          colSum += w;
          s.fw[i * outA + j] = w * zScale * inScale;
          s.bwT[j * inA + i] = tanh ? 4 * w : w;
        }
        s.fw[L.in * outA + j] = zScale * (theta[L.b + j] - (inScale === 2 ? colSum : 0));
      }
      if (outA > L.out) {
        for (let i = 0; i < L.in; i++) s.fw[i * outA + L.out] = 0;
        s.fw[L.in * outA + L.out] = tanh ? 100 : 1;
      }
    });
  }

  /** Activations of each layer: `[s_l, 1]` of the hidden layers, then the output `z` (`[rows x outA]` each). */
  private forward(x: tf.Tensor2D, layers: readonly Layer[]): tf.Tensor2D[] {
    const acts: tf.Tensor2D[] = [];
    let h = x;
    layers.forEach((L, l) => {
      const s = this.scratch.get(L) as LayerScratch;
      const hidden = l + 1 < layers.length;
      const outA = hidden ? L.out + 1 : L.out;
      const z = tf.matMul(h, tf.tensor2d(s.fw.subarray(0, (L.in + 1) * outA), [L.in + 1, outA]));
      h = (hidden ? (this.spec.activation === 'tanh' ? tf.sigmoid(z) : tf.relu(z)) : z) as tf.Tensor2D;
      acts.push(h);
    });
    return acts;
  }

  /** Backpropagates `g = dLoss/dz_out` through one trunk, writing weight and bias gradients into `grad`. */
  private backward(g: tf.Tensor2D, acts: tf.Tensor2D[], layers: readonly Layer[], xT: tf.Tensor2D, grad: Float32Array): void {
    const tanh = this.spec.activation === 'tanh';
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l];
      const outA = l + 1 < layers.length ? L.out + 1 : L.out;
      const input = l > 0 ? acts[l - 1] : null;
      // [in + 1 x outA]: weight gradient rows, then the bias gradient (the ones column's row).
      const p = tf.matMul(input === null ? xT : tf.transpose(input), g).dataSync();
      const db = L.in * outA;
      const twoSMinusOne = tanh && input !== null;
      for (let j = 0; j < L.out; j++) grad[L.b + j] = p[db + j];
      for (let i = 0; i < L.in; i++) {
        for (let j = 0; j < L.out; j++) grad[L.w + i * L.out + j] = twoSMinusOne ? 2 * p[i * outA + j] - p[db + j] : p[i * outA + j];
      }
      if (input === null) break;
      const s = this.scratch.get(L) as LayerScratch;
      const dh = tf.matMul(g, tf.tensor2d(s.bwT.subarray(0, outA * (L.in + 1)), [outA, L.in + 1]));
      g = (tanh ? tf.mul(dh, tf.mul(input, tf.sub(1, input))) : tf.mul(dh, tf.step(input))) as tf.Tensor2D;
    }
  }

  /**
   * The PPO objective on the network outputs, in JS (float64), as ppo-loss.ts:
   * fills `gActor`/`gCritic` with dLoss/d(outputs) and the log-std gradient into `grad`.
   */
  private head(theta: Float32Array, out: Float32Array, values: Float32Array, mb: MinibatchArrays, c: PpoLossCoefs, grad: Float32Array): number[] {
    const m = mb.rows;
    const inv = 1 / m;
    const K = this.outDim;
    const A = this.actDim;
    const gaussian = this.logStdOffset >= 0;
    const gA = this.gActor;
    let pgSum = 0;
    let vSum = 0;
    let entSum = 0;
    let klSum = 0;
    let clipCount = 0;
    let sumLogStd = 0;
    if (gaussian) for (let j = 0; j < A; j++) sumLogStd += theta[this.logStdOffset + j];
    for (let r = 0; r < m; r++) {
      const o = r * K;
      // Log-prob and entropy of the stored action; gA temporarily holds z (Gaussian) or the probabilities (categorical).
      let logp = 0;
      let ent = 0;
      if (gaussian) {
        logp = -sumLogStd - 0.5 * A * LOG_2PI;
        for (let j = 0; j < A; j++) {
          const z = (mb.actions[r * A + j] - out[o + j]) * Math.exp(-theta[this.logStdOffset + j]);
          logp -= 0.5 * z * z;
          gA[o + j] = z;
        }
        ent = sumLogStd + 0.5 * A * (1 + LOG_2PI);
      } else {
        let base = o;
        for (let j = 0; j < A; j++) {
          const n = this.nvec[j];
          let max = -Infinity;
          for (let k = 0; k < n; k++) max = Math.max(max, out[base + k]);
          let sum = 0;
          for (let k = 0; k < n; k++) sum += Math.exp(out[base + k] - max);
          const logZ = max + Math.log(sum);
          logp += out[base + mb.actions[r * A + j]] - logZ;
          let hj = 0;
          for (let k = 0; k < n; k++) {
            const pk = Math.exp(out[base + k] - logZ);
            hj -= pk * (out[base + k] - logZ);
            gA[base + k] = pk;
          }
          this.logZ[j] = logZ;
          this.compEnt[j] = hj;
          ent += hj;
          base += n;
        }
      }
      const logRatio = logp - mb.oldLogProb[r];
      const ratio = Math.exp(logRatio);
      klSum += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > c.clipCoef) clipCount += 1;
      const adv = mb.advantages[r];
      const pg1 = -adv * ratio;
      const pg2 = -adv * Math.min(Math.max(ratio, 1 - c.clipCoef), 1 + c.clipCoef);
      pgSum += Math.max(pg1, pg2);
      entSum += ent;
      // dLoss/dlogp (tf.maximum sends the gradient to its first argument on ties).
      const dLogp = pg1 >= pg2 ? -adv * ratio * inv : 0;
      if (gaussian) {
        for (let j = 0; j < A; j++) {
          const z = gA[o + j];
          grad[this.logStdOffset + j] += dLogp * (z * z - 1);
          gA[o + j] = dLogp * z * Math.exp(-theta[this.logStdOffset + j]);
        }
      } else {
        // dlogp/dz_k = onehot_k - p_k; entropy bonus: d(-entCoef * mean H)/dz_k = entCoef/m * p_k (log p_k + H_component).
        let base = o;
        for (let j = 0; j < A; j++) {
          const n = this.nvec[j];
          const a = mb.actions[r * A + j];
          for (let k = 0; k < n; k++) {
            const pk = gA[base + k];
            let gk = dLogp * ((k === a ? 1 : 0) - pk);
            if (c.entCoef !== 0) gk += c.entCoef * inv * pk * (out[base + k] - this.logZ[j] + this.compEnt[j]);
            gA[base + k] = gk;
          }
          base += n;
        }
      }
      // Value loss 0.5 * mean(max(unclipped, clipped)).
      const v = values[r];
      const ret = mb.returns[r];
      const lu = (v - ret) * (v - ret);
      let dv = 2 * (v - ret);
      let lv = lu;
      if (c.clipVloss) {
        const d = v - mb.oldValues[r];
        const vc = mb.oldValues[r] + Math.min(Math.max(d, -c.clipCoef), c.clipCoef);
        const lc = (vc - ret) * (vc - ret);
        if (lc > lu) {
          lv = lc;
          dv = d >= -c.clipCoef && d <= c.clipCoef ? 2 * (vc - ret) : 0;
        }
      }
      vSum += lv;
      this.gCritic[r] = c.vfCoef * 0.5 * inv * dv;
    }
    if (gaussian && c.entCoef !== 0) for (let j = 0; j < A; j++) grad[this.logStdOffset + j] -= c.entCoef;
    return [pgSum * inv, 0.5 * vSum * inv, entSum * inv, klSum * inv, clipCount * inv];
  }
}
