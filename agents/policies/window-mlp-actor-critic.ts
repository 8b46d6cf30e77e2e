import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { matMul, fastTanh } from '../tf-ops.js';
import type { ActionDistribution } from '../distributions/action-distribution.js';
import { type MlpSpec, type ParamEntry, paramLayout, actorOutDim } from './param-layout.js';
import { initMlpParams } from './orthogonal-init.js';
import { makeDistribution } from './make-distribution.js';
import { flatFromTensors } from './mlp-actor-critic.js';
import type { ActorCritic, ActorCriticEval, ActOutput, EvalBatch, GroupVariable, NamedTensor, ObsBatch, ParamGroupInfo, SequenceSpec } from './actor-critic.js';
import { rowDeterministic, type Deterministic } from './actor-critic.js';

/** Architecture of a {@link WindowMlpActorCritic}. */
export interface WindowMlpSpec {
  obsDim: number;
  /** Steps the network sees: the current observation and the `window - 1` before it (zeros before the episode start). */
  window: number;
  hidden: number[];
  activation: 'tanh' | 'relu';
  head: MlpSpec['head'];
}

const GROUPS = ['actor', 'critic'] as const;

/**
 * Kind `window-mlp`: an actor-critic MLP over a window of the last `window`
 * observations of an episode, written only against the generic contract —
 * one tf variable per tensor, autodiff for training (no fast path), batched
 * tfjs for rollouts. It is the reference for kinds that are not the MLP:
 *
 * - with `window > 1` it is a sequence policy (`sequence.context =
 *   window - 1`): `act` keeps one history per sub-env (cleared by
 *   `resetEpisode`), and `evaluate` reads PPO's chunked minibatches
 *   ({@link ChunkLayout}), masking history across episode starts — the same
 *   contract a transformer with a context window follows;
 * - with `window = 1` it is an MLP trained by autodiff (the test that PPO
 *   learns through the contract alone).
 *
 * Parameters: the MLP's layout on the stacked input (`obsDim x window`),
 * groups `actor` (with `actor.log_std`) and `critic`.
 */
export class WindowMlpActorCritic implements ActorCritic {
  readonly kind = 'window-mlp';
  readonly spec: WindowMlpSpec;
  readonly dist: ActionDistribution;
  readonly sequence: SequenceSpec | null;
  private readonly layout: ParamEntry[];
  private readonly vars = new Map<string, tf.Variable>();
  private readonly trainable = { actor: true, critic: true };
  /** `Float32Array [rows x window x obsDim]`: each sub-env's last observations, oldest first. */
  private history = new Float32Array(0);
  private stacked = new Float32Array(0);
  private actorOut = new Float64Array(0);
  private logStd: Float32Array | null = null;
  private disposed = false;

  private constructor(spec: WindowMlpSpec, theta: Float32Array) {
    this.spec = checkWindowSpec(spec);
    this.layout = paramLayout(stackedSpec(spec));
    this.dist = makeDistribution(spec.head);
    this.sequence = spec.window > 1 ? { context: spec.window - 1 } : null;
    for (const e of this.layout) this.vars.set(e.name, tf.tidy(() => tf.variable(tf.tensor(theta.subarray(e.offset, e.offset + e.size), e.shape), true, `window-mlp/${e.name}/${nextId++}`)));
    this.paramsChanged();
  }

  /** A freshly initialized network (the MLP's orthogonal init on the stacked input). */
  static create(spec: WindowMlpSpec, rng: Rng, options: { logStdInit: number }): WindowMlpActorCritic {
    const s = stackedSpec(checkWindowSpec(spec));
    return new WindowMlpActorCritic(spec, initMlpParams(s, paramLayout(s), rng, options));
  }

  /** Rebuilds a network from its spec and tensors (a checkpoint). */
  static fromTensors(spec: WindowMlpSpec, tensors: readonly NamedTensor[]): WindowMlpActorCritic {
    return new WindowMlpActorCritic(spec, flatFromTensors(stackedSpec(checkWindowSpec(spec)), tensors, 'WindowMlpActorCritic.tensors'));
  }

  get obsDim(): number {
    return this.spec.obsDim;
  }

  get head(): MlpSpec['head'] {
    return this.spec.head;
  }

  evaluate(batch: EvalBatch): ActorCriticEval {
    const d = this.obsDim;
    const w = this.spec.window;
    const c = batch.chunks;
    if (this.sequence && !c) throw new InvalidArgument(formatError('WindowMlpActorCritic.evaluate.chunks', 'a chunk layout (this is a sequence policy)', 'none', 'Build minibatches of consecutive steps (PPO does when `sequence` is set)'));
    // Scored rows and where each one's window starts.
    const count = c ? c.count : 1;
    const span = c ? c.context + c.length : batch.obs.rows;
    const skip = c ? c.context : 0;
    const scored = count * (span - skip);
    const x = new Float32Array(scored * w * d);
    let r = 0;
    for (let k = 0; k < count; k++) {
      for (let p = skip; p < span; p++, r++) {
        // Window rows p-w+1..p of this chunk, cut at the latest episode start at or before p.
        let first = p - w + 1;
        if (c) for (let q = p; q >= Math.max(0, first); q--) if (c.episodeStart[k * span + q]) { first = q; break; }
        for (let j = 0; j < w; j++) {
          const q = p - w + 1 + j;
          if (q >= first && q >= 0) x.set(batch.obs.flat.subarray((k * span + q) * d, (k * span + q + 1) * d), (r * w + j) * d);
        }
      }
    }
    const actions = new Float32Array(scored * this.dist.actDim);
    const ad = this.dist.actDim;
    r = 0;
    for (let k = 0; k < count; k++) for (let p = skip; p < span; p++, r++) actions.set(batch.actions.subarray((k * span + p) * ad, (k * span + p + 1) * ad), r * ad);
    const input = new Float32Array(scored * this.dist.actInputDim);
    this.dist.encodeActions(actions, scored, input);
    return tf.tidy((): tf.TensorContainer => {
      const obs = tf.tensor2d(x, [scored, w * d]);
      const actorOut = this.trunk(obs, 'actor');
      const value = tf.reshape(this.trunk(obs, 'critic'), [-1]) as tf.Tensor1D;
      const logStd = (this.vars.get('actor.log_std') as tf.Tensor1D | undefined) ?? null;
      const { logProb, entropy } = this.dist.evaluate(actorOut, logStd, tf.tensor2d(input, [scored, this.dist.actInputDim]));
      return batch.withActorOut ? { logProb, entropy, value, actorOut } : { logProb, entropy, value };
    }) as unknown as ActorCriticEval;
  }

  act(obs: ObsBatch, rng: Rng | null, deterministic: Deterministic, out: ActOutput): void {
    this.push(obs, true);
    this.forwardRows(obs.rows, out.values);
    const outDim = actorOutDim(this.spec.head);
    for (let i = 0; i < obs.rows; i++) out.logProbs[i] = this.dist.sampleRow(this.actorOut, i * outDim, this.logStd, rng, rowDeterministic(deterministic, i), out.actions, i * this.dist.actDim);
  }

  value(obs: ObsBatch, out: Float64Array): void {
    this.push(obs, false);
    this.forwardRows(obs.rows, out);
  }

  resetEpisode(envIndex: number): void {
    const size = this.spec.window * this.obsDim;
    if ((envIndex + 1) * size <= this.history.length) this.history.fill(0, envIndex * size, (envIndex + 1) * size);
  }

  paramGroups(): ParamGroupInfo[] {
    return GROUPS.map((name) => ({ name, trainable: this.trainable[name], size: this.layout.filter((e) => e.name.startsWith(`${name}.`)).reduce((a, e) => a + e.size, 0) }));
  }

  setTrainable(group: string, trainable: boolean): void {
    if (!(GROUPS as readonly string[]).includes(group)) throw new InvalidArgument(formatError('WindowMlpActorCritic.setTrainable', `a parameter group (${GROUPS.join(', ')})`, describeValue(group), 'Fix the group name'));
    this.trainable[group as (typeof GROUPS)[number]] = trainable;
  }

  variables(): GroupVariable[] {
    return this.layout.map((e) => ({ group: groupOf(e.name), variable: this.vars.get(e.name) as tf.Variable }));
  }

  paramsChanged(): void {
    const ls = this.vars.get('actor.log_std');
    this.logStd = ls ? (ls.dataSync() as Float32Array).slice() : null;
  }

  readTensors(): NamedTensor[] {
    return this.layout.map((e) => ({ name: e.name, group: groupOf(e.name), shape: [...e.shape], data: (this.vars.get(e.name) as tf.Variable).dataSync().slice() as Float32Array }));
  }

  writeTensors(tensors: readonly NamedTensor[]): void {
    const theta = flatFromTensors(stackedSpec(this.spec), tensors, 'WindowMlpActorCritic.writeTensors');
    tf.tidy(() => {
      for (const e of this.layout) (this.vars.get(e.name) as tf.Variable).assign(tf.tensor(theta.subarray(e.offset, e.offset + e.size), e.shape));
    });
    this.paramsChanged();
  }

  toSpec(): Record<string, unknown> {
    return { ...this.spec, hidden: [...this.spec.hidden] };
  }

  fastGradient(): null {
    return null;
  }

  /** Frees the variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
  }

  /** Writes the stacked windows of `obs` (sub-env order) into `stacked`; with `record`, shifts them into the histories. */
  private push(obs: ObsBatch, record: boolean): void {
    const d = this.obsDim;
    const w = this.spec.window;
    const size = w * d;
    if (this.history.length < obs.rows * size) {
      const grown = new Float32Array(obs.rows * size);
      grown.set(this.history);
      this.history = grown;
    }
    if (this.stacked.length < obs.rows * size) this.stacked = new Float32Array(obs.rows * size);
    for (let i = 0; i < obs.rows; i++) {
      const h = i * size;
      // Shifted window: the newest w-1 stored rows, then this observation.
      this.stacked.set(this.history.subarray(h + d, h + size), h);
      this.stacked.set(obs.flat.subarray(i * d, (i + 1) * d), h + size - d);
      if (record) this.history.set(this.stacked.subarray(h, h + size), h);
    }
  }

  private forwardRows(rows: number, values: Float64Array): void {
    const size = this.spec.window * this.obsDim;
    const outDim = actorOutDim(this.spec.head);
    if (this.actorOut.length < rows * outDim) this.actorOut = new Float64Array(rows * outDim);
    tf.tidy(() => {
      const x = tf.tensor2d(this.stacked.subarray(0, rows * size), [rows, size]);
      this.actorOut.set(this.trunk(x, 'actor').dataSync());
      values.set(this.trunk(x, 'critic').dataSync().subarray(0, rows));
    });
  }

  private trunk(x: tf.Tensor2D, name: 'actor' | 'critic'): tf.Tensor2D {
    const act = this.spec.activation === 'tanh' ? fastTanh : tf.relu;
    const layers = this.spec.hidden.length + 1;
    let h = x;
    for (let l = 0; l < layers; l++) {
      h = tf.add(matMul(h, this.vars.get(`${name}.${l}.weight`) as tf.Tensor2D), this.vars.get(`${name}.${l}.bias`) as tf.Tensor1D);
      if (l + 1 < layers) h = act(h);
    }
    return h;
  }
}

let nextId = 0;

function groupOf(name: string): string {
  return name.startsWith('actor.') ? 'actor' : 'critic';
}

function stackedSpec(spec: WindowMlpSpec): MlpSpec {
  return { obsDim: spec.obsDim * spec.window, hidden: spec.hidden, activation: spec.activation, head: spec.head };
}

function checkWindowSpec(spec: WindowMlpSpec): WindowMlpSpec {
  if (!Number.isInteger(spec.window) || spec.window < 1) {
    throw new FileFormatError(formatError('WindowMlpSpec.window', 'a positive integer', describeValue(spec.window), 'Use 1 (memoryless) or more'));
  }
  return spec;
}
