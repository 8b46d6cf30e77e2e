import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { matMul, fastTanh, biasAdd } from '../tf-ops.js';
import type { ActionDistribution } from '../distributions/action-distribution.js';
import { type MlpSpec, type ParamEntry, paramLayout, layoutSize, flatFromTensors, describeSpec } from './param-layout.js';
import { initMlpParams } from './orthogonal-init.js';
import { makeDistribution } from './make-distribution.js';
import { JsActorCritic } from './js-actor-critic.js';
import { ExplicitPpoGrad } from './explicit-ppo-grad.js';
import type { ActorCritic, ActorCriticEval, ActOutput, EvalBatch, FastGradient, GroupVariable, NamedTensor, ObsBatch, ParamGroupInfo } from './actor-critic.js';
import { rowDeterministic, type Deterministic } from './actor-critic.js';

/** From this many rows on, `act` runs one batched tfjs call instead of the plain-JS pass. */
export const BATCHED_INFERENCE_MIN_ROWS = 32;

/** The two parameter groups of the MLP: each trunk (the actor's includes the Gaussian log-std). */
export const MLP_GROUPS = ['actor', 'critic'] as const;

/**
 * MLP actor-critic with separate actor and critic trunks (CleanRL's
 * `Agent`), kind `mlp`. Parameter groups `actor` (actor layers and the
 * Gaussian `actor.log_std`) and `critic`, each ONE flat tf variable whose
 * slices are the layers: one variable per group keeps the optimizer and the
 * global grad-norm a handful of ops (tfjs's per-op overhead dominates at
 * these sizes).
 *
 * Its flat layout ({@link paramLayout}: actor layers, critic layers, then
 * log-std) is what the fast paths use:
 * - rollouts run a plain-JS copy ({@link JsActorCritic}, ~10 us a row)
 *   below {@link BATCHED_INFERENCE_MIN_ROWS} rows, one batched tfjs call above
 *   (bench/ppo-inference.ts: JS ~25 us per sub-env, tfjs ~400-500 us whatever
 *   the batch up to 64);
 * - {@link fastGradient} offers the hand-derived PPO gradient
 *   ({@link ExplicitPpoGrad}), which PPO uses instead of autodiff.
 */
export class MlpActorCritic implements ActorCritic {
  readonly kind = 'mlp';
  readonly spec: MlpSpec;
  readonly layout: readonly ParamEntry[];
  readonly numParams: number;
  readonly dist: ActionDistribution;
  readonly sequence = null;
  private readonly vars: Record<(typeof MLP_GROUPS)[number], tf.Variable<tf.Rank.R1>>;
  /** Per group, its layout entries in variable order (actor: layers then log-std). */
  private readonly groupEntries: Record<(typeof MLP_GROUPS)[number], ParamEntry[]>;
  private readonly trainable = { actor: true, critic: true };
  private readonly js: JsActorCritic;
  private fast: (FastGradient & { grad: ExplicitPpoGrad }) | null = null;
  private actorOut = new Float64Array(0);
  private disposed = false;

  private constructor(spec: MlpSpec, theta: Float32Array) {
    this.spec = spec;
    this.layout = paramLayout(spec);
    this.numParams = layoutSize(this.layout);
    if (theta.length !== this.numParams) {
      throw new FileFormatError(formatError('MlpActorCritic.theta', `${this.numParams} parameters for ${describeSpec(spec)}`, `${theta.length}`, 'Load weights saved for the same architecture'));
    }
    this.dist = makeDistribution(spec.head);
    this.groupEntries = { actor: this.layout.filter((e) => e.name.startsWith('actor.')), critic: this.layout.filter((e) => e.name.startsWith('critic.')) };
    this.vars = {
      // In tidy: a variable copies its initial tensor, which must not outlive it.
      actor: tf.tidy(() => tf.variable(tf.tensor1d(gatherEntries(theta, this.groupEntries.actor)), true, undefined, 'float32')) as tf.Variable<tf.Rank.R1>,
      critic: tf.tidy(() => tf.variable(tf.tensor1d(gatherEntries(theta, this.groupEntries.critic)), true, undefined, 'float32')) as tf.Variable<tf.Rank.R1>,
    };
    this.js = new JsActorCritic(spec, theta);
  }

  /** A freshly initialized network (orthogonal init, see {@link initMlpParams}). */
  static create(spec: MlpSpec, rng: Rng, options: { logStdInit: number }): MlpActorCritic {
    return new MlpActorCritic(spec, initMlpParams(spec, paramLayout(spec), rng, options));
  }

  /** A network with the given flat parameters (layout of {@link paramLayout}). */
  static fromParams(spec: MlpSpec, theta: Float32Array): MlpActorCritic {
    return new MlpActorCritic(spec, theta);
  }

  get obsDim(): number {
    return this.spec.obsDim;
  }

  get head(): MlpSpec['head'] {
    return this.spec.head;
  }

  /** Width of the actor's output row. */
  get outDim(): number {
    return this.js.outDim;
  }

  evaluate(batch: EvalBatch): ActorCriticEval {
    return tf.tidy((): tf.TensorContainer => {
      const rows = batch.obs.rows;
      const input = new Float32Array(rows * this.dist.actInputDim);
      this.dist.encodeActions(batch.actions, rows, input);
      return { ...this.evaluateTensors(tf.tensor2d(batch.obs.flat.subarray(0, rows * this.obsDim), [rows, this.obsDim]), tf.tensor2d(input, [rows, this.dist.actInputDim]), batch.withActorOut === true) };
    }) as unknown as ActorCriticEval;
  }

  /**
   * Differentiable forward pass of both trunks and the action distribution.
   * @param obs `[batch x obsDim]` @param actionInput `[batch x dist.actInputDim]` (one-hot for categorical heads)
   */
  evaluateTensors(obs: tf.Tensor2D, actionInput: tf.Tensor2D, withActorOut = false): ActorCriticEval {
    return tf.tidy((): tf.TensorContainer => {
      const p = this.slices();
      const actorOut = this.trunk(obs, p, 'actor');
      const value = tf.reshape(this.trunk(obs, p, 'critic'), [-1]) as tf.Tensor1D;
      const { logProb, entropy } = this.dist.evaluate(actorOut, (p.get('actor.log_std') as tf.Tensor1D | undefined) ?? null, actionInput);
      return withActorOut ? { logProb, entropy, value, actorOut } : { logProb, entropy, value };
    }) as unknown as ActorCriticEval;
  }

  /** Actor output (logits or Gaussian mean) `[batch x outDim]` and critic value `[batch]` (batched inference). */
  forward(obs: tf.Tensor2D): { actorOut: tf.Tensor2D; value: tf.Tensor1D } {
    return tf.tidy(() => {
      const p = this.slices();
      return { actorOut: this.trunk(obs, p, 'actor'), value: tf.reshape(this.trunk(obs, p, 'critic'), [-1]) as tf.Tensor1D };
    });
  }

  act(obs: ObsBatch, rng: Rng | null, deterministic: Deterministic, out: ActOutput): void {
    const { rows, flat } = obs;
    const d = this.obsDim;
    const outDim = this.js.outDim;
    const actDim = this.dist.actDim;
    if (this.actorOut.length < rows * outDim) this.actorOut = new Float64Array(rows * outDim);
    if (rows >= BATCHED_INFERENCE_MIN_ROWS) {
      tf.tidy(() => {
        const f = this.forward(tf.tensor2d(flat.subarray(0, rows * d), [rows, d]));
        this.actorOut.set(f.actorOut.dataSync());
        out.values.set(f.value.dataSync());
      });
    }
    for (let i = 0; i < rows; i++) {
      if (rows < BATCHED_INFERENCE_MIN_ROWS) {
        this.js.actorRow(flat, i * d, this.actorOut, i * outDim);
        out.values[i] = this.js.valueRow(flat, i * d);
      }
      out.logProbs[i] = this.dist.sampleRow(this.actorOut, i * outDim, this.js.logStd, rng, rowDeterministic(deterministic, i), out.actions, i * actDim);
    }
  }

  value(obs: ObsBatch, out: Float64Array): void {
    for (let i = 0; i < obs.rows; i++) out[i] = this.js.valueRow(obs.flat, i * this.obsDim);
  }

  resetEpisode(): void {}

  paramGroups(): ParamGroupInfo[] {
    return MLP_GROUPS.map((name) => ({ name, trainable: this.trainable[name], size: this.vars[name].size }));
  }

  setTrainable(group: string, trainable: boolean): void {
    this.group(group, 'MlpActorCritic.setTrainable');
    this.trainable[group as (typeof MLP_GROUPS)[number]] = trainable;
  }

  variables(): GroupVariable[] {
    return MLP_GROUPS.map((group) => ({ group, variable: this.vars[group] }));
  }

  paramsChanged(): void {
    this.js.setParams(this.readParams());
  }

  readTensors(): NamedTensor[] {
    const theta = this.readParams();
    return this.layout.map((e) => ({ name: e.name, group: e.name.startsWith('actor.') ? 'actor' : 'critic', shape: [...e.shape], data: theta.slice(e.offset, e.offset + e.size) }));
  }

  writeTensors(tensors: readonly NamedTensor[]): void {
    this.writeParams(flatFromTensors(this.spec, tensors, 'MlpActorCritic.writeTensors'));
  }

  toSpec(): Record<string, unknown> {
    return { ...this.spec, hidden: [...this.spec.hidden] };
  }

  fastGradient(): FastGradient {
    if (!this.fast) {
      const grad = new ExplicitPpoGrad(this.spec);
      const ranges = new Map(MLP_GROUPS.map((g) => [g, this.groupEntries[g].map((e) => [e.offset, e.size] as const)]));
      this.fast = {
        grad,
        flat: this.readParams(),
        groupRanges: ranges,
        compute: (mb, coefs, g) => grad.compute(this.fast!.flat, mb, coefs, g),
        dispose: () => grad.dispose(),
      };
    } else {
      this.fast.flat.set(this.readParams());
    }
    return this.fast;
  }

  commitFlat(flat: Float32Array): void {
    this.writeParams(flat);
  }

  /** A copy of the flat parameters (layout of {@link paramLayout}). */
  readParams(): Float32Array {
    const theta = new Float32Array(this.numParams);
    for (const g of MLP_GROUPS) scatterEntries(this.vars[g].dataSync() as Float32Array, this.groupEntries[g], theta);
    return theta;
  }

  /** Overwrites the flat parameters (and the rollout copy). */
  writeParams(theta: Float32Array): void {
    if (theta.length !== this.numParams) {
      throw new FileFormatError(formatError('MlpActorCritic.writeParams', `${this.numParams} parameters`, `${theta.length}`, 'Pass weights of the same architecture'));
    }
    tf.tidy(() => {
      for (const g of MLP_GROUPS) this.vars[g].assign(tf.tensor1d(gatherEntries(theta, this.groupEntries[g])));
    });
    this.js.setParams(theta);
  }

  /** Frees the variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.vars.actor.dispose();
    this.vars.critic.dispose();
    this.fast?.dispose();
  }

  private group(name: string, where: string): void {
    if (!(MLP_GROUPS as readonly string[]).includes(name)) {
      throw new InvalidArgument(formatError(where, `a parameter group of the mlp (${MLP_GROUPS.join(', ')})`, describeValue(name), 'Fix the group name'));
    }
  }

  /**
   * Per layer, `weight [in x out]` and `bias [out]` are adjacent in a group
   * variable, so together they are one `[(in + 1) x out]` matrix: a layer is
   * `[h, 1] @ Wb` (avoids wasm's slow broadcast add and its gradient's
   * reduction). One split per group (gradient: one concat) yields every layer.
   */
  private slices(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const g of MLP_GROUPS) {
      const entries = this.groupEntries[g];
      const parts = tf.split(this.vars[g], entries.map((e) => e.size));
      entries.forEach((e, i) => out.set(e.name, tf.reshape(parts[i], e.name.endsWith('.bias') ? [1, e.size] : e.shape)));
    }
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

/** The `entries` of flat parameters `theta`, concatenated in order. */
export function gatherEntries(theta: Float32Array, entries: readonly ParamEntry[]): Float32Array {
  const out = new Float32Array(entries.reduce((a, e) => a + e.size, 0));
  let off = 0;
  for (const e of entries) {
    out.set(theta.subarray(e.offset, e.offset + e.size), off);
    off += e.size;
  }
  return out;
}

function scatterEntries(flat: Float32Array, entries: readonly ParamEntry[], theta: Float32Array): void {
  let off = 0;
  for (const e of entries) {
    theta.set(flat.subarray(off, off + e.size), e.offset);
    off += e.size;
  }
}

export { flatFromTensors, describeSpec };
