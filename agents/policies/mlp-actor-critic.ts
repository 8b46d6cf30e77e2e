import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import { FileFormatError, formatError } from '../../src/core/errors.js';
import { matMul, fastTanh, biasAdd } from '../tf-ops.js';
import type { ActionDistribution } from '../distributions/action-distribution.js';
import { type MlpSpec, type ParamEntry, paramLayout, layoutSize } from './param-layout.js';
import { initMlpParams } from './orthogonal-init.js';
import { makeDistribution } from './make-distribution.js';

/** What {@link MlpActorCritic.evaluate} returns, `[batch]` each. */
export interface ActorCriticEval {
  logProb: tf.Tensor1D;
  entropy: tf.Tensor1D;
  value: tf.Tensor1D;
}

/**
 * MLP actor-critic with separate actor and critic trunks (CleanRL's
 * `Agent`), for training in TensorFlow.js. All weights live in ONE flat
 * variable `theta [numParams]` (layout: {@link paramLayout}); layers are
 * slices of it. One variable makes the optimizer and the global grad-norm a
 * handful of ops instead of dozens (tfjs's per-op overhead dominates at
 * these sizes), and makes checkpoints a single buffer.
 */
export class MlpActorCritic {
  readonly spec: MlpSpec;
  readonly layout: readonly ParamEntry[];
  readonly numParams: number;
  readonly dist: ActionDistribution;
  /** Flat parameters `[numParams]`. */
  readonly theta: tf.Variable<tf.Rank.R1>;
  /** How `theta` splits: one `[(in + 1) x out]` block per layer (weight rows, then the bias row), then log-std. */
  private readonly chunks: Array<{ name: string; size: number; shape: number[] }>;
  private disposed = false;

  private constructor(spec: MlpSpec, theta: Float32Array) {
    this.spec = spec;
    this.layout = paramLayout(spec);
    this.numParams = layoutSize(this.layout);
    if (theta.length !== this.numParams) {
      throw new FileFormatError(formatError('MlpActorCritic.theta', `${this.numParams} parameters for ${describeSpec(spec)}`, `${theta.length}`, 'Load weights saved for the same architecture'));
    }
    this.dist = makeDistribution(spec.head);
    this.chunks = this.layout.map((e) => ({ name: e.name, size: e.size, shape: e.name.endsWith('.bias') ? [1, e.size] : e.shape }));
    this.theta = tf.variable(tf.tensor1d(theta, 'float32'), true, undefined, 'float32') as tf.Variable<tf.Rank.R1>;
  }

  /** A freshly initialized network (orthogonal init, see {@link initMlpParams}). */
  static create(spec: MlpSpec, rng: Rng, options: { logStdInit: number }): MlpActorCritic {
    return new MlpActorCritic(spec, initMlpParams(spec, paramLayout(spec), rng, options));
  }

  /** A network with the given flat parameters (e.g. from a checkpoint). */
  static fromParams(spec: MlpSpec, theta: Float32Array): MlpActorCritic {
    return new MlpActorCritic(spec, theta);
  }

  /**
   * Differentiable forward pass of both trunks and the action distribution.
   * @param obs `[batch x obsDim]` @param actionInput `[batch x dist.actInputDim]`
   */
  evaluate(obs: tf.Tensor2D, actionInput: tf.Tensor2D): ActorCriticEval {
    return tf.tidy(() => {
      const p = this.slices();
      const actorOut = this.trunk(obs, p, 'actor');
      const value = tf.reshape(this.trunk(obs, p, 'critic'), [-1]) as tf.Tensor1D;
      const { logProb, entropy } = this.dist.evaluate(actorOut, p.get('actor.log_std') as tf.Tensor1D | undefined ?? null, actionInput);
      return { logProb, entropy, value };
    });
  }

  /** Actor output (logits or Gaussian mean) `[batch x outDim]` and critic value `[batch]` (batched inference). */
  forward(obs: tf.Tensor2D): { actorOut: tf.Tensor2D; value: tf.Tensor1D } {
    return tf.tidy(() => {
      const p = this.slices();
      return { actorOut: this.trunk(obs, p, 'actor'), value: tf.reshape(this.trunk(obs, p, 'critic'), [-1]) as tf.Tensor1D };
    });
  }

  /** Critic only: `V(obs)`, `[batch]`. */
  value(obs: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.trunk(obs, this.slices(), 'critic'), [-1]) as tf.Tensor1D);
  }

  /** A copy of the flat parameters. */
  readParams(): Float32Array {
    return this.theta.dataSync().slice() as Float32Array;
  }

  /** Overwrites the flat parameters. */
  writeParams(theta: Float32Array): void {
    if (theta.length !== this.numParams) {
      throw new FileFormatError(formatError('MlpActorCritic.writeParams', `${this.numParams} parameters`, `${theta.length}`, 'Pass weights of the same architecture'));
    }
    tf.tidy(() => this.theta.assign(tf.tensor1d(theta, 'float32')));
  }

  /** Frees the variable. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.theta.dispose();
  }

  /**
   * Per layer, `weight [in x out]` and `bias [out]` are adjacent in `theta`,
   * so together they are one `[(in + 1) x out]` matrix: a layer is
   * `[h, 1] @ Wb`. This avoids wasm's slow broadcast add (~0.28 ms for
   * [256 x 64]) and its gradient's reduction. One split (gradient: one
   * concat) yields every layer.
   */
  private slices(): Map<string, tf.Tensor> {
    const parts = tf.split(this.theta, this.chunks.map((c) => c.size));
    const out = new Map<string, tf.Tensor>();
    this.chunks.forEach((c, i) => out.set(c.name, tf.reshape(parts[i], c.shape)));
    return out;
  }

  private trunk(obs: tf.Tensor2D, p: Map<string, tf.Tensor>, name: 'actor' | 'critic'): tf.Tensor2D {
    const act = this.spec.activation === 'tanh' ? fastTanh : tf.relu;
    let h: tf.Tensor2D = obs;
    const layers = this.spec.hidden.length + 1;
    for (let l = 0; l < layers; l++) {
      const w = p.get(`${name}.${l}.weight`) as tf.Tensor2D;
      const b = p.get(`${name}.${l}.bias`) as tf.Tensor2D;
      h = biasAdd(matMul(h, w), b);
      if (l + 1 < layers) h = act(h);
    }
    return h;
  }
}

/** Short description of an architecture for messages, e.g. `obs 4 -> [64,64] tanh -> categorical [2]`. */
export function describeSpec(spec: MlpSpec): string {
  const head = spec.head.kind === 'categorical' ? `categorical [${spec.head.nvec.join(',')}]` : `gaussian ${spec.head.dim}`;
  return `obs ${spec.obsDim} -> [${spec.hidden.join(',')}] ${spec.activation} -> ${head}`;
}
