import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { GroupVariable, NamedTensor } from '../policies/actor-critic.js';

/**
 * A scalar-output MLP with tanh hidden layers, the building block of the
 * learned rewards: `out = W_L tanh(... tanh(W_1 x + b_1) ...) + b_L`.
 * Weights are N(0, 1/fanIn) from a seeded {@link Rng} (the output layer
 * scaled by 0.1 so a fresh reward starts near 0).
 *
 * {@link applyWithInputGrad} also returns d out / d x, written out as the
 * backward pass of the tanh MLP in tfjs ops, so a gradient penalty on it
 * can itself be differentiated with first-order autodiff (tfjs has no
 * reliable second-order gradients).
 */
export class RewardMlp {
  readonly inDim: number;
  readonly hidden: readonly number[];
  private readonly weights: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];
  private disposed = false;

  /** @param name prefix of the variable names (`<name>/w0`, `<name>/b0`, ...). */
  constructor(readonly name: string, inDim: number, hidden: readonly number[], rng: Rng) {
    if (!Number.isInteger(inDim) || inDim <= 0) throw new InvalidArgument(formatError(`RewardMlp(${name}).inDim`, 'a positive integer', describeValue(inDim)));
    if (hidden.some((h) => !Number.isInteger(h) || h <= 0)) throw new InvalidArgument(formatError(`RewardMlp(${name}).hidden`, 'positive integer widths', describeValue(hidden), 'Pass e.g. [64, 64]'));
    this.inDim = inDim;
    this.hidden = [...hidden];
    const sizes = [inDim, ...hidden, 1];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      const scale = (l + 2 === sizes.length ? 0.1 : 1) / Math.sqrt(fanIn);
      const w = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, scale);
      // Variables outlive tidy; the initial tensors do not.
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true, `${name}/w${l}`)));
      this.biases.push(tf.tidy(() => tf.variable(tf.zeros([fanOut]), true, `${name}/b${l}`)));
    }
  }

  /** `x: [n x inDim]` -> `[n]`. */
  apply(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      const L = this.weights.length;
      for (let l = 0; l < L - 1; l++) h = tf.tanh(tf.add(tf.matMul(h, this.weights[l] as tf.Tensor2D), this.biases[l])) as tf.Tensor2D;
      return tf.reshape(tf.add(tf.matMul(h, this.weights[L - 1] as tf.Tensor2D), this.biases[L - 1]), [-1]) as tf.Tensor1D;
    });
  }

  /** `x: [n x inDim]` -> `{ out: [n], gradX: [n x inDim] }` with `gradX[i] = d out[i] / d x[i]`. */
  applyWithInputGrad(x: tf.Tensor2D): { out: tf.Tensor1D; gradX: tf.Tensor2D } {
    return tf.tidy(() => {
      const L = this.weights.length;
      const acts: tf.Tensor2D[] = [];
      let h: tf.Tensor2D = x;
      for (let l = 0; l < L - 1; l++) {
        h = tf.tanh(tf.add(tf.matMul(h, this.weights[l] as tf.Tensor2D), this.biases[l])) as tf.Tensor2D;
        acts.push(h);
      }
      const out = tf.reshape(tf.add(tf.matMul(h, this.weights[L - 1] as tf.Tensor2D), this.biases[L - 1]), [-1]) as tf.Tensor1D;
      // Backward pass by hand: g = dout/dh_l, starting from the output layer's weights.
      let g = tf.tile(tf.transpose(this.weights[L - 1]), [x.shape[0], 1]) as tf.Tensor2D;
      for (let l = L - 2; l >= 0; l--) {
        const a = acts[l];
        g = tf.mul(g, tf.sub(1, tf.square(a)));
        g = tf.matMul(g, tf.transpose(this.weights[l] as tf.Tensor2D));
      }
      return { out, gradX: g };
    });
  }

  /** Variables in one group named after the network. */
  variables(group = this.name): GroupVariable[] {
    return [...this.weights, ...this.biases].map((variable) => ({ group, variable }));
  }

  /** Copies of every parameter. */
  readTensors(): NamedTensor[] {
    return [...this.weights, ...this.biases].map((v) => ({ name: v.name, group: this.name, shape: [...v.shape], data: v.dataSync().slice() as Float32Array }));
  }

  /** Overwrites parameters by name (shapes must match). */
  writeTensors(tensors: readonly NamedTensor[]): void {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    for (const v of [...this.weights, ...this.biases]) {
      const t = byName.get(v.name);
      if (!t || t.shape.join('x') !== v.shape.join('x')) {
        throw new InvalidArgument(formatError(`RewardMlp(${this.name}).writeTensors`, `${v.name} of shape [${v.shape.join(', ')}]`, t ? `shape [${t.shape.join(', ')}]` : 'missing', 'Restore a reward saved from the same architecture'));
      }
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
  }

  /** Frees the variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of [...this.weights, ...this.biases]) v.dispose();
  }
}
