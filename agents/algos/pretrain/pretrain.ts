import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { Rng, type RngState } from '../../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { MetricStream } from '../../../src/streams/metrics.js';
import type { HeadSpec } from '../../policies/param-layout.js';
import { parseWith } from '../../policies/policy-kinds.js';
import { AdamW } from '../../optim/adamw.js';
import type { OptimizerState } from '../../optim/adamw-options.js';
import type { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import { type SpaceEntry, spaceEntries, spaceSignature, chunkOf } from '../../policies/transformer/transformer-spec.js';
import { type Demonstrations, checkDemonstrations, labelledBatch, sampleStarts } from '../bc/demonstrations.js';
import { warmupCosine } from '../bc/behavior-cloning.js';

/** Pretraining hyperparameters (each documented; `resolvePretrainConfig` fills the defaults). */
export const pretrainConfigSchema = z
  .object({
    /** Seed of chunk sampling and masking. */
    seed: z.number().int().default(1),
    /** Gradient steps. */
    maxSteps: z.number().int().positive().default(3000),
    /** Chunks per minibatch, each from a task drawn at random (batches mix tasks; see `taskSamplingPower`). */
    batchSize: z.number().int().positive().default(32),
    /**
     * How a chunk's task is drawn: with probability proportional to (training steps of the task)^power.
     * 0: uniform over tasks (the default); 1: proportional to data size; 0.5: in between (temperature
     * sampling, as multilingual translation mixes languages, Arivazhagan et al. 2019).
     */
    taskSamplingPower: z.number().min(0).max(1).default(0),
    /** Consecutive steps (tokens) per chunk. */
    seqLen: z.number().int().positive().default(20),
    /** Peak AdamW learning rate. */
    learningRate: z.number().positive().default(1e-3),
    /** AdamW decoupled weight decay. */
    weightDecay: z.number().min(0).default(0.01),
    /** Linear warm-up steps, then cosine decay to `minLrRatio x learningRate` at `maxSteps`. */
    warmupSteps: z.number().int().min(0).default(200),
    minLrRatio: z.number().min(0).max(1).default(0.05),
    /** Global gradient-norm clip. */
    maxGradNorm: z.number().positive().default(1),
    /** Fraction of previous-action inputs masked (replaced by `tok.mask`); the masked action is predicted by `pred.prev`. */
    maskRatio: z.number().min(0).max(1).default(0.25),
    /** Weights of the masked-action and next-observation terms (the action term has weight 1). */
    maskedWeight: z.number().min(0).default(1),
    nextObsWeight: z.number().min(0).default(1),
    /** Validation losses every this many steps (and at the end). */
    evalEvery: z.number().int().positive().default(100),
  })
  .strict();

/** A resolved pretraining config. */
export type PretrainConfig = z.infer<typeof pretrainConfigSchema>;

/** Validates a config and fills the defaults; errors name the field. */
export function resolvePretrainConfig(config: Record<string, unknown>, where = 'PretrainConfig'): PretrainConfig {
  return parseWith(pretrainConfigSchema, config, where, 'agents/algos/pretrain/pretrain.ts');
}

/** One task's trajectories (observations already normalized) and its action head. */
export interface PretrainTask {
  name: string;
  head: HeadSpec;
  train: Demonstrations;
  /** Held-out episodes for validation losses, or null. */
  val: Demonstrations | null;
}

/** The three pretraining losses and their weighted sum. */
export interface PretrainLosses {
  total: number;
  /** Next-action prediction (MSE of the Gaussian mean, or cross-entropy), every step. */
  action: number;
  /** Masked previous-action prediction, masked steps only. */
  masked: number;
  /** Next-observation prediction (MSE, normalized units), steps whose next observation is in the same episode. */
  nextObs: number;
}

/** Chunks of one task in a minibatch: the token inputs and the three targets with their weights. */
export interface TaskChunks {
  space: SpaceEntry & { prefix: string };
  count: number;
  length: number;
  obs: Float32Array;
  /** Stored previous actions `[rows x actDim]` (the input; ignored at starts and masked rows). */
  prev: Float32Array;
  actions: Float32Array;
  episodeStart: Uint8Array;
  /** 1 where the previous action is masked. */
  masked: Uint8Array;
  /** 1 for a real step (0: padding past the data's end). */
  weights: Float32Array;
  nextObs: Float32Array;
  nextWeights: Float32Array;
  /**
   * Each row's next `chunk` actions `[rows x chunk x actDim]` (action chunking; `chunk` 1: `actions`) and
   * their weights `[rows x chunk]` (0 past the episode's end or for a padding row; `chunk` 1: `weights`).
   */
  chunkActions: Float32Array;
  chunkWeights: Float32Array;
}

/** Per-chunk-group outputs of {@link Pretrainer.forward}, `[rows x ...]`. */
export interface PretrainOutputs {
  actorOut: tf.Tensor2D;
  prevOut: tf.Tensor2D;
  obsOut: tf.Tensor2D;
}

/**
 * The chunks of task data `d` starting at `starts` (`length` steps each),
 * masking each previous action with probability `maskRatio` (drawn from `rng`);
 * with `chunk > 1` each row's next `chunk` actions as well (action chunking).
 */
export function taskChunks(d: Demonstrations, space: SpaceEntry & { prefix: string }, starts: ArrayLike<number>, length: number, maskRatio: number, rng: Rng, chunk = 1): TaskChunks {
  const { batch, weights } = labelledBatch(d, starts, 0, length, false, chunk);
  const rows = starts.length * length;
  const od = d.obsDim;
  const episodeStart = (batch.chunks as { episodeStart: Uint8Array }).episodeStart;
  const masked = new Uint8Array(rows);
  const nextObs = new Float32Array(rows * od);
  const nextWeights = new Float32Array(rows);
  for (let c = 0; c < starts.length; c++) {
    for (let q = 0; q < length; q++) {
      const r = c * length + q;
      const k = starts[c] + q;
      if (!weights[r]) continue;
      if (!episodeStart[r] && rng.random() < maskRatio) masked[r] = 1;
      if (k + 1 < d.rows && !d.episodeStart[k + 1]) {
        nextObs.set(d.obs.subarray((k + 1) * od, (k + 2) * od), r * od);
        nextWeights[r] = 1;
      }
    }
  }
  const ct = batch.chunkTargets; // only with chunk > 1; a chunk of one is the step's own action
  return { space, count: starts.length, length, obs: batch.obs.flat, prev: batch.prevActions as Float32Array, actions: batch.actions, episodeStart, masked, weights, nextObs, nextWeights, chunkActions: ct ? ct.actions : batch.actions, chunkWeights: ct ? ct.mask : weights };
}

/**
 * Self-supervised multi-task pretraining of a {@link TransformerActorCritic}
 * that holds every task's space (`otherSpaces`) and the pretraining heads
 * (`pretrainHeads`). Each minibatch mixes chunks of consecutive steps from
 * tasks drawn uniformly (or by data size, `taskSamplingPower`); all chunks go through the shared trunk at once,
 * each task through its own tokenizers and heads. Loss, summed:
 *
 * - next action: the actor head predicts each step's action (MSE of the
 *   Gaussian mean, or cross-entropy), as behaviour cloning does; with action
 *   chunking (the network's `spec.chunk` k > 1) each token predicts its step's
 *   and the next k - 1 steps' actions, each position a term (the chunk is cut
 *   at the episode's end), as `lamkit finetune` trains a chunking policy;
 * - masked action: a fraction `maskRatio` of the previous-action inputs is
 *   replaced by the learned `tok.mask` embedding and `pred.prev` predicts the
 *   hidden action from the token (causal attention: the action never reaches
 *   its own prediction any other way; test/agents/pretrain.test.ts);
 * - next observation: `pred.obs` predicts the next (normalized) observation.
 *
 * AdamW over every tensor (trunk, every space, the pretraining heads) with
 * linear warm-up then cosine decay and global gradient clipping. Metrics:
 * `losses/pretrain_total`, `losses/action`, `losses/masked_action`,
 * `losses/next_obs`, `charts/learning_rate` per step; `eval/val_*` per validation.
 */
export class Pretrainer {
  readonly net: TransformerActorCritic;
  readonly config: PretrainConfig;
  /** Gradient steps done. */
  step = 0;
  private readonly tasks: Array<PretrainTask & { space: SpaceEntry & { prefix: string } }>;
  private readonly metrics: MetricStream | undefined;
  private rng: Rng;
  private readonly adam: AdamW;
  private readonly vars: tf.Variable[];

  constructor(net: TransformerActorCritic, tasks: readonly PretrainTask[], config: PretrainConfig, metrics?: MetricStream) {
    if (!net.spec.pretrainHeads) throw new InvalidArgument(formatError('Pretrainer.net', 'a transformer with pretraining heads (spec.pretrainHeads)', 'one without', 'Build it with pretrainHeads: true'));
    if (tasks.length === 0) throw new InvalidArgument(formatError('Pretrainer.tasks', 'at least one task', 'none', 'Pass the datasets to pretrain on'));
    const entries = spaceEntries(net.spec);
    this.tasks = tasks.map((t, i) => {
      const where = `Pretrainer.tasks[${i}] (${t.name})`;
      checkDemonstrations(t.train, `${where}.train`);
      if (t.val) checkDemonstrations(t.val, `${where}.val`);
      const sig = spaceSignature({ obsDim: t.train.obsDim, head: t.head });
      const space = entries.find((e) => spaceSignature(e) === sig);
      if (!space) throw new InvalidArgument(formatError(where, `a space the network has tokenizers and heads for (${entries.map((e) => spaceSignature(e)).join(', ')})`, `${sig} (observation size ${t.train.obsDim})`, 'Build the network with this space in otherSpaces'));
      return { ...t, space };
    });
    this.net = net;
    this.config = config;
    this.metrics = metrics;
    this.rng = new Rng(config.seed);
    const variables = [...net.variables(), ...net.carriedVariables()];
    this.adam = new AdamW(variables, new Set(variables.map((v) => v.group)), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: config.weightDecay });
    this.vars = this.adam.trainableVariables();
  }

  /** The learning rate at `step`. */
  learningRate(step: number): number {
    return warmupCosine(step, this.config);
  }

  /** A minibatch: `batchSize` chunks, each of a task drawn as `taskSamplingPower` says, grouped by task. */
  sampleBatch(rng: Rng, split: 'train' | 'val' = 'train'): TaskChunks[] {
    const c = this.config;
    const pool = this.tasks.filter((t) => (split === 'train' ? t.train : t.val) !== null);
    const counts = new Array<number>(pool.length).fill(0);
    if (c.taskSamplingPower === 0) {
      for (let i = 0; i < c.batchSize; i++) counts[rng.integer(0, pool.length)] += 1;
    } else {
      // Cumulative weights from the training split's size, the same for the validation batches.
      const w = pool.map((t) => t.train.rows ** c.taskSamplingPower);
      const total = w.reduce((a, b) => a + b, 0);
      for (let i = 0; i < c.batchSize; i++) {
        let u = rng.random() * total;
        let j = 0;
        while (j < w.length - 1 && u >= w[j]) u -= w[j++];
        counts[j] += 1;
      }
    }
    const out: TaskChunks[] = [];
    pool.forEach((t, i) => {
      if (counts[i] === 0) return;
      const d = (split === 'train' ? t.train : t.val) as Demonstrations;
      out.push(taskChunks(d, t.space, sampleStarts(d, counts[i], rng), c.seqLen, c.maskRatio, rng, chunkOf(this.net.spec)));
    });
    return out;
  }

  /** Every group through its tokenizers, the shared trunk (one pass), and its heads. Call inside `tf.tidy`. */
  forward(groups: readonly TaskChunks[]): PretrainOutputs[] {
    const net = this.net;
    const length = groups[0].length;
    const x = tf.concat(groups.map((g) => net.tokens(g.space.prefix, g.space, g.obs, g.prev, g.episodeStart, g.masked)), 0) as tf.Tensor2D;
    const starts = new Uint8Array(groups.reduce((a, g) => a + g.episodeStart.length, 0));
    let off = 0;
    for (const g of groups) {
      starts.set(g.episodeStart, off);
      off += g.episodeStart.length;
    }
    const count = groups.reduce((a, g) => a + g.count, 0);
    const h = net.trunk(x, count, length, starts);
    off = 0;
    return groups.map((g) => {
      const rows = g.count * g.length;
      const hg = tf.slice(h, [off, 0], [rows, net.spec.dModel]) as tf.Tensor2D;
      off += rows;
      const p = g.space.prefix;
      return { actorOut: net.linear(hg, `${p}head.actor`), prevOut: net.linear(hg, `${p}pred.prev`), obsOut: net.linear(hg, `${p}pred.obs`) };
    });
  }

  /** The weighted losses of a minibatch as scalars. Call inside `tf.tidy` (or `variableGrads`). */
  lossTensors(groups: readonly TaskChunks[]): { total: tf.Scalar; action: tf.Scalar; masked: tf.Scalar; nextObs: tf.Scalar } {
    const outs = this.forward(groups);
    const sum = (f: (g: TaskChunks, o: PretrainOutputs) => tf.Scalar): tf.Scalar => tf.addN(groups.map((g, i) => f(g, outs[i]))) as tf.Scalar;
    const denom = (f: (g: TaskChunks) => Float32Array): number => Math.max(1, groups.reduce((a, g) => a + f(g).reduce((x: number, y: number) => x + y, 0), 0));
    // Each token's chunk of predicted actions, one row per position (chunk 1: the actor output as it is).
    const chunk = chunkOf(this.net.spec);
    const perPosition = (g: TaskChunks, o: PretrainOutputs): tf.Tensor2D => (chunk === 1 ? o.actorOut : (tf.reshape(o.actorOut, [g.count * g.length * chunk, -1]) as tf.Tensor2D));
    const action = tf.div(sum((g, o) => actionLoss(perPosition(g, o), g.space.head, g.chunkActions, g.chunkWeights)), denom((g) => g.chunkWeights)) as tf.Scalar;
    const maskW = (g: TaskChunks): Float32Array => Float32Array.from(g.masked, (m, r) => m * g.weights[r]);
    const masked = tf.div(sum((g, o) => actionLoss(o.prevOut, g.space.head, g.prev, maskW(g))), denom(maskW)) as tf.Scalar;
    const nextObs = tf.div(
      sum((g, o) => {
        const se = tf.mean(tf.square(tf.sub(o.obsOut, tf.tensor2d(g.nextObs, [g.count * g.length, g.space.obsDim]))), 1);
        return tf.sum(tf.mul(se, tf.tensor1d(g.nextWeights))) as tf.Scalar;
      }),
      denom((g) => g.nextWeights),
    ) as tf.Scalar;
    const total = tf.addN([action, tf.mul(masked, this.config.maskedWeight), tf.mul(nextObs, this.config.nextObsWeight)]) as tf.Scalar;
    return { total, action, masked, nextObs };
  }

  /** One gradient step on a fresh minibatch; emits the step's losses. */
  trainStep(t0 = performance.now()): PretrainLosses {
    const lr = this.learningRate(this.step);
    const groups = this.sampleBatch(this.rng);
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const l = this.lossTensors(groups);
      parts = [tf.keep(l.action), tf.keep(l.masked), tf.keep(l.nextObs)];
      return l.total;
    }, this.vars);
    const norm = this.adam.apply(grads, lr, this.config.maxGradNorm);
    const [total, action, masked, nextObs] = [value, ...parts].map((t) => t.dataSync()[0]);
    tf.dispose([value, norm, ...parts, ...Object.values(grads)]);
    this.step += 1;
    this.metrics?.emit({ global_step: this.step, wall_s: (performance.now() - t0) / 1000, 'losses/pretrain_total': total, 'losses/action': action, 'losses/masked_action': masked, 'losses/next_obs': nextObs, 'charts/learning_rate': lr });
    return { total, action, masked, nextObs };
  }

  /** Mean losses over `batches` validation minibatches drawn with a fixed seed (the same batches every call); null without validation data. */
  validate(batches = 8, t0 = performance.now()): PretrainLosses | null {
    if (!this.tasks.some((t) => t.val)) return null;
    const rng = new Rng(this.config.seed + 7919);
    const acc = { total: 0, action: 0, masked: 0, nextObs: 0 };
    for (let b = 0; b < batches; b++) {
      const groups = this.sampleBatch(rng, 'val');
      const vals = tf.tidy(() => {
        const l = this.lossTensors(groups);
        return [l.total, l.action, l.masked, l.nextObs].map((t) => t.dataSync()[0]);
      });
      acc.total += vals[0] / batches;
      acc.action += vals[1] / batches;
      acc.masked += vals[2] / batches;
      acc.nextObs += vals[3] / batches;
    }
    this.metrics?.emit({ global_step: this.step, wall_s: (performance.now() - t0) / 1000, 'eval/val_total': acc.total, 'eval/val_action': acc.action, 'eval/val_masked_action': acc.masked, 'eval/val_next_obs': acc.nextObs });
    return acc;
  }

  /** What resumes the run bit for bit: the step, the sampling stream, the optimizer moments. */
  getState(): { step: number; rng: RngState; optimizer: OptimizerState } {
    return { step: this.step, rng: this.rng.getState(), optimizer: this.adam.getState() };
  }

  /** Restores {@link getState} (after the network's weights). */
  setState(state: { step: number; rng: RngState; optimizer: OptimizerState | null }): void {
    if (!(Number.isInteger(state.step) && state.step >= 0)) throw new InvalidArgument(formatError('Pretrainer.setState.step', 'an integer >= 0', describeValue(state.step), 'Resume from a checkpoint written by lamkit pretrain'));
    this.step = state.step;
    this.rng = Rng.fromState(state.rng);
    if (state.optimizer) this.adam.setState(state.optimizer);
  }

  /** Frees the optimizer moments (the network stays). Idempotent. */
  dispose(): void {
    this.adam.dispose();
  }
}

/**
 * Weighted sum over rows of an action loss: for Gaussian heads the mean
 * squared error of the mean over the action dimensions; for categorical
 * heads the cross-entropy summed over components. `actions` are stored
 * actions `[rows x actDim]`.
 */
function actionLoss(out: tf.Tensor2D, head: HeadSpec, actions: Float32Array, weights: Float32Array): tf.Scalar {
  const rows = weights.length;
  const w = tf.tensor1d(weights);
  if (head.kind === 'gaussian') {
    const se = tf.mean(tf.square(tf.sub(out, tf.tensor2d(actions, [rows, head.dim]))), 1);
    return tf.sum(tf.mul(se, w)) as tf.Scalar;
  }
  const total = head.nvec.reduce((a, b) => a + b, 0);
  const onehot = new Float32Array(rows * total);
  const nc = head.nvec.length;
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let j = 0; j < nc; j++) {
      onehot[r * total + base + actions[r * nc + j]] = 1;
      base += head.nvec[j];
    }
  }
  const target = tf.tensor2d(onehot, [rows, total]);
  let base = 0;
  const terms = head.nvec.map((n) => {
    const logp = tf.logSoftmax(tf.slice(out, [0, base], [rows, n]));
    const t = tf.slice(target, [0, base], [rows, n]);
    base += n;
    return tf.neg(tf.sum(tf.mul(logp, t), 1));
  });
  return tf.sum(tf.mul(tf.addN(terms), w)) as tf.Scalar;
}

/**
 * A fresh multi-task transformer for pretraining: the architecture `arch`
 * (dModel, layers, heads, mlpRatio, window), one task-embedding row per
 * space, the first space active, the others in `otherSpaces`, with the
 * pretraining heads; a space's `obsNames` (its dataset's observation names)
 * are kept in the spec, for tokenizers of new spaces later.
 */
export function pretrainNetwork(create: (spec: import('../../policies/transformer/transformer-spec.js').TransformerSpec) => TransformerActorCritic, arch: { dModel: number; layers: number; heads: number; mlpRatio: number; window: number; chunk?: number; ensembleCoef?: number }, spaces: ReadonlyArray<{ obsDim: number; head: HeadSpec; obsNames?: readonly string[] | null }>): TransformerActorCritic {
  if (spaces.length === 0) throw new InvalidArgument(formatError('pretrainNetwork.spaces', 'at least one space', 'none', 'Pass the spaces of the datasets'));
  const [first, ...rest] = spaces;
  return create({ ...arch, obsDim: first.obsDim, head: first.head, tasks: spaces.length, taskIndex: 0, ...(first.obsNames ? { obsNames: [...first.obsNames] } : {}), ...(rest.length > 0 ? { otherSpaces: rest.map((s, i) => ({ obsDim: s.obsDim, head: s.head, taskIndex: i + 1, ...(s.obsNames ? { obsNames: [...s.obsNames] } : {}) })) } : {}), pretrainHeads: true });
}
