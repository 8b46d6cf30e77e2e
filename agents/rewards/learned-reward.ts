import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { GroupVariable, NamedTensor } from '../policies/actor-critic.js';
import type { HeadSpec } from '../policies/param-layout.js';
import { RewardMlp } from './reward-mlp.js';
import { FeatureEncoder, type Transitions } from './transitions.js';

/**
 * Architecture of a learned reward (everything needed to rebuild it from weights).
 * - `gail`: one MLP D-logit on (s, a) (`inputs: 'sa'`) or (s, a, s') (`'sas'`).
 * - `airl`: Fu et al. 2018 (arXiv:1710.11248): f(s, a, s') = g + gamma h(s') - h(s),
 *   with g(s) (`stateOnly: true`, the disentangled reward that transfers to
 *   new dynamics) or g(s, a), and the shaping potential h(s); h of the
 *   absorbing state is 0, so f = g(s, a) - h(s) on a step into it.
 * Both read an absorbing-state indicator (see {@link Transitions}).
 */
export type LearnedRewardSpec = (
  | { kind: 'gail'; obsDim: number; head: HeadSpec; hidden: number[]; inputs: 'sa' | 'sas'; obsMean: number[]; obsVar: number[]; actionLow: number[] | null; actionHigh: number[] | null }
  | { kind: 'airl'; obsDim: number; head: HeadSpec; hidden: number[]; stateOnly: boolean; gamma: number; obsMean: number[]; obsVar: number[]; actionLow: number[] | null; actionHigh: number[] | null }
) & {
  /** The observation dimensions read (the others are 0); absent: all (`DiscriminatorConfig.observations`). */
  obsIndices?: number[];
  /**
   * The demonstrations' range of each observation dimension (`obsDim` each):
   * where the reward was trained to tell expert states from others, so where
   * it is trusted when reused ({@link LearnedReward.clipToSupport}). Absent in
   * rewards written before it existed.
   */
  supportLow?: number[];
  supportHigh?: number[];
};

/** A learned reward with its weights, as checkpoints store it (`algo.state.reward`). */
export interface LearnedRewardState {
  spec: LearnedRewardSpec;
  tensors: Array<{ name: string; group: string; shape: number[]; data: number[] }>;
}

/**
 * A learned reward / discriminator network. `score` is the discriminator's
 * logit before any policy term: GAIL's `log D - log(1 - D)`, AIRL's f (its
 * discriminator logit is `f - log pi(a|s)`). `reward` is what a policy is
 * trained on when the reward is reused on its own: GAIL's logit, AIRL's g.
 */
export class LearnedReward {
  private _spec: LearnedRewardSpec;
  private encoder: FeatureEncoder;
  private readonly nets: RewardMlp[];

  constructor(spec: LearnedRewardSpec, rng: Rng) {
    this._spec = spec;
    this.encoder = LearnedReward.encoderOf(spec);
    const od = spec.obsDim;
    const aw = this.encoder.actFeatures;
    if (spec.kind === 'gail') {
      const inDim = od + aw + 1 + (spec.inputs === 'sas' ? od + 1 : 0);
      this.nets = [new RewardMlp('reward/d', inDim, spec.hidden, rng)];
    } else {
      if (!(spec.gamma > 0 && spec.gamma <= 1)) throw new InvalidArgument(formatError('LearnedReward.spec.gamma', 'a discount in (0, 1]', describeValue(spec.gamma), "Use the generator's gamma"));
      this.nets = [new RewardMlp('reward/g', od + 1 + (spec.stateOnly ? 0 : aw), spec.hidden, rng), new RewardMlp('reward/h', od + 1, spec.hidden, rng)];
    }
  }

  /** The architecture and input statistics (checkpoints store it). */
  get spec(): LearnedRewardSpec {
    return this._spec;
  }

  /**
   * Replaces the fixed observation statistics the networks' inputs are
   * standardized with (`obsDim` each). The adversarial trainers set them
   * once, from the expert's and the first rollout's states, before the
   * first discriminator step (see `AdversarialImitation`).
   */
  setInputStats(mean: readonly number[], variance: readonly number[]): void {
    const spec = { ...this._spec, obsMean: [...mean], obsVar: [...variance] };
    this.encoder = LearnedReward.encoderOf(spec);
    this._spec = spec;
  }

  private static encoderOf(spec: LearnedRewardSpec): FeatureEncoder {
    return new FeatureEncoder(spec.obsDim, spec.head, { mean: spec.obsMean, var: spec.obsVar }, spec.actionLow && spec.actionHigh ? { low: spec.actionLow, high: spec.actionHigh } : null, spec.obsIndices ?? null);
  }

  /** A reward of `state.spec` with `state.tensors`. */
  static restore(state: LearnedRewardState, rng: Rng, where: string): LearnedReward {
    if (!state || typeof state !== 'object' || !state.spec || !Array.isArray(state.tensors)) throw new FileFormatError(formatError(where, 'a learned reward { spec, tensors }', describeValue(state), 'Use a checkpoint written by lamkit imitate --algo gail|airl'));
    const r = new LearnedReward(state.spec, rng);
    r.writeTensors(state.tensors.map((t) => ({ ...t, data: Float32Array.from(t.data) })));
    return r;
  }

  /** The discriminator logit without a policy term: `[rows]` (GAIL: D-logit; AIRL: f). */
  score(t: Transitions): tf.Tensor1D {
    return this.forward(t, false).out;
  }

  /**
   * The score and the squared norm of its gradient with respect to the
   * networks' inputs, `[rows]` each (for AIRL the sum over g's and h's
   * inputs: a penalty on each network's input gradient).
   */
  scoreWithGradNorm(t: Transitions): { out: tf.Tensor1D; gradSq: tf.Tensor1D } {
    const r = this.forward(t, true);
    return { out: r.out, gradSq: r.gradSq as tf.Tensor1D };
  }

  /** The reward to train a policy on when reused alone (GAIL: the logit; AIRL: g): `Float64Array [rows]`. */
  reward(t: Transitions): Float64Array {
    const out = tf.tidy(() => (this.spec.kind === 'gail' ? this.score(t) : this.nets[0].apply(this.gInput(t))));
    const v = Float64Array.from(out.dataSync());
    out.dispose();
    return v;
  }

  /**
   * The rows with each read observation dimension (s and s') clipped to the
   * demonstrations' range (`spec.supportLow/High`), and how far each row's
   * s lay outside it: the sum over read dimensions of the distance beyond
   * the range in units of the input statistics' std, `Float64Array [rows]`
   * (0 inside). A reward reused on a new task is only trusted on the states
   * it was trained on: beyond them an MLP extrapolates freely (ArmReach-v0:
   * AIRL's g rising 50-80 cm from the target, where no demonstration or
   * rollout went), so `learnedRewardHook`'s `supportPenalty` scores such
   * states as their nearest supported state minus a penalty per std beyond.
   */
  clipToSupport(t: Transitions): { clipped: Transitions; excess: Float64Array } {
    const { lo, hi } = this.requireSupport('LearnedReward.clipToSupport');
    const { obsVar } = this.spec;
    const od = t.obsDim;
    const read = this.spec.obsIndices ?? Array.from({ length: od }, (_, j) => j);
    const sd = read.map((j) => Math.max(Math.sqrt(obsVar[j]), 1e-6));
    const obs = t.obs.slice();
    const nextObs = t.nextObs.slice();
    const excess = new Float64Array(t.rows);
    for (let r = 0; r < t.rows; r++) {
      read.forEach((j, q) => {
        const k = r * od + j;
        const x = obs[k];
        const c = Math.min(hi[j], Math.max(lo[j], x));
        excess[r] += Math.abs(x - c) / sd[q];
        obs[k] = c;
        nextObs[k] = Math.min(hi[j], Math.max(lo[j], nextObs[k]));
      });
    }
    return { clipped: { ...t, obs, nextObs }, excess };
  }

  /** The demonstrations' range ({@link LearnedRewardSpec.supportLow}); a typed error naming `where` for a reward without it. */
  requireSupport(where: string): { lo: number[]; hi: number[] } {
    const { supportLow: lo, supportHigh: hi } = this.spec;
    if (!lo || !hi) throw new InvalidArgument(formatError(where, "a reward whose spec holds the demonstrations' range (supportLow, supportHigh)", 'a reward without it (written before lamkit stored it)', 'Learn the reward again with lamkit imitate, or pass a support penalty of 0'));
    return { lo, hi };
  }

  /** AIRL's potential h(s) on the rows' observations (0 on absorbing rows): `Float64Array [rows]` (the shaping term's test reads it). */
  potential(obs: Float32Array, absorbing: Uint8Array, rows: number): Float64Array {
    if (this.spec.kind !== 'airl') throw new InvalidArgument(formatError('LearnedReward.potential', "an 'airl' reward", `a '${this.spec.kind}' one`, 'Only AIRL has a shaping potential'));
    const out = tf.tidy(() => this.h(obs, absorbing, rows));
    const v = Float64Array.from(out.dataSync());
    out.dispose();
    return v;
  }

  variables(): GroupVariable[] {
    return this.nets.flatMap((n) => n.variables('reward'));
  }

  readTensors(): NamedTensor[] {
    return this.nets.flatMap((n) => n.readTensors());
  }

  writeTensors(tensors: readonly NamedTensor[]): void {
    for (const n of this.nets) n.writeTensors(tensors);
  }

  /** Spec and weights as JSON-ready data (for `algo.state.reward`). */
  getState(): LearnedRewardState {
    return { spec: this.spec, tensors: this.readTensors().map((t) => ({ name: t.name, group: t.group, shape: t.shape, data: Array.from(t.data) })) };
  }

  dispose(): void {
    for (const n of this.nets) n.dispose();
  }

  private forward(t: Transitions, withGrad: boolean): { out: tf.Tensor1D; gradSq: tf.Tensor1D | null } {
    const r = tf.tidy(() => this.forwardRaw(t, withGrad) as unknown as tf.TensorContainerObject) as unknown as { out: tf.Tensor1D; gradSq: tf.Tensor1D | null };
    return r;
  }

  private forwardRaw(t: Transitions, withGrad: boolean): { out: tf.Tensor1D; gradSq: tf.Tensor1D | null } {
    {
      const run = (net: RewardMlp, x: tf.Tensor2D): { out: tf.Tensor1D; gradSq: tf.Tensor1D | null } => {
        if (!withGrad) return { out: net.apply(x), gradSq: null };
        const r = net.applyWithInputGrad(x);
        return { out: r.out, gradSq: tf.sum(tf.square(r.gradX), 1) as tf.Tensor1D };
      };
      if (this.spec.kind === 'gail') {
        const parts = [this.encoder.observations(t.obs, t.absorbing, t.rows), this.encoder.actions(t.actions, t.absorbing, t.rows), Float32Array.from(t.absorbing)];
        const widths = [t.obsDim, this.encoder.actFeatures, 1];
        if (this.spec.inputs === 'sas') {
          const nextAbs = Uint8Array.from(t.terminated, (v, i) => v | t.absorbing[i]);
          parts.push(this.encoder.observations(t.nextObs, nextAbs, t.rows), Float32Array.from(nextAbs));
          widths.push(t.obsDim, 1);
        }
        return run(this.nets[0], concatColumns(parts, widths, t.rows));
      }
      const gamma = this.spec.gamma;
      const g = run(this.nets[0], this.gInput(t));
      const hs = run(this.nets[1], this.hInput(t.obs, t.absorbing, t.rows));
      const nextAbs = Uint8Array.from(t.terminated, (v, i) => v | t.absorbing[i]);
      const hn = run(this.nets[1], this.hInput(t.nextObs, nextAbs, t.rows));
      // h(absorbing) = 0: mask h where the state is the absorbing one.
      const keepS = tf.tensor1d(Float32Array.from(t.absorbing, (v) => 1 - v));
      const keepN = tf.tensor1d(Float32Array.from(nextAbs, (v) => 1 - v));
      const out = tf.add(g.out, tf.sub(tf.mul(gamma, tf.mul(keepN, hn.out)), tf.mul(keepS, hs.out))) as tf.Tensor1D;
      const gradSq = withGrad ? (tf.addN([g.gradSq!, tf.mul(gamma * gamma, tf.mul(keepN, hn.gradSq!)), tf.mul(keepS, hs.gradSq!)]) as tf.Tensor1D) : null;
      return { out, gradSq };
    }
  }

  private gInput(t: Transitions): tf.Tensor2D {
    const parts = [this.encoder.observations(t.obs, t.absorbing, t.rows), Float32Array.from(t.absorbing)];
    const widths = [t.obsDim, 1];
    if (this.spec.kind === 'airl' && !this.spec.stateOnly) {
      parts.push(this.encoder.actions(t.actions, t.absorbing, t.rows));
      widths.push(this.encoder.actFeatures);
    }
    return concatColumns(parts, widths, t.rows);
  }

  private hInput(obs: Float32Array, absorbing: Uint8Array, rows: number): tf.Tensor2D {
    return concatColumns([this.encoder.observations(obs, absorbing, rows), Float32Array.from(absorbing)], [this.spec.obsDim, 1], rows);
  }

  private h(obs: Float32Array, absorbing: Uint8Array, rows: number): tf.Tensor1D {
    const keep = tf.tensor1d(Float32Array.from(absorbing, (v) => 1 - v));
    return tf.mul(keep, this.nets[1].apply(this.hInput(obs, absorbing, rows))) as tf.Tensor1D;
  }
}

/** Row-major column blocks side by side as one `[rows x sum(widths)]` tensor. */
function concatColumns(parts: Float32Array[], widths: number[], rows: number): tf.Tensor2D {
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let p = 0; p < parts.length; p++) {
      const w = widths[p];
      for (let j = 0; j < w; j++) out[r * total + c + j] = parts[p][r * w + j];
      c += w;
    }
  }
  return tf.tensor2d(out, [rows, total]);
}
