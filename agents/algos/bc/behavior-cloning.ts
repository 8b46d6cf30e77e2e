import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { Rng, type RngState } from '../../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { MetricStream } from '../../../src/streams/metrics.js';
import type { ActorCritic, NamedTensor } from '../../policies/actor-critic.js';
import { parseWith } from '../../policies/policy-kinds.js';
import { AdamW } from '../../optim/adamw.js';
import { checkGroupOptions, type OptimizerState } from '../../optim/adamw-options.js';
import { WeightAverage } from '../../optim/weight-average.js';
import { type Demonstrations, checkDemonstrations, labelledBatch, labelledBatchFor, sampleStarts, coveringStarts, episodeEnds, episodeFirsts, episodeStartRows, observationsAt, withFirstObs, keypointLabelsAt } from './demonstrations.js';

/** Behaviour-cloning hyperparameters (each documented; `resolveBcConfig` fills the defaults). */
export const bcConfigSchema = z
  .object({
    /** Seed of minibatch sampling. */
    seed: z.number().int().default(1),
    /** Gradient steps at most. */
    maxSteps: z.number().int().positive().default(2000),
    /** Chunks (sequence networks) or rows (memoryless ones) per minibatch. */
    batchSize: z.number().int().positive().default(32),
    /** Scored steps per chunk for sequence networks. */
    seqLen: z.number().int().positive().default(16),
    /** Peak AdamW learning rate. */
    learningRate: z.number().positive().default(1e-3),
    /** AdamW decoupled weight decay. */
    weightDecay: z.number().min(0).default(0.01),
    /**
     * Per parameter group (`tokenizers`, `trunk`, `heads`, `lora` of a transformer; see the network's
     * `paramGroups()`): `lrScale` multiplies the scheduled learning rate, `weightDecay` overrides the global
     * one; as PPO's `paramGroups`. E.g. `{ lora: { lrScale: 0.3 } }`: adapters slower than new heads.
     */
    paramGroups: z.record(z.string(), z.object({ lrScale: z.number().min(0).optional(), weightDecay: z.number().min(0).optional() }).strict()).default({}),
    /** Linear warm-up steps, then cosine decay to `minLrRatio x learningRate` at `maxSteps`. */
    warmupSteps: z.number().int().min(0).default(100),
    minLrRatio: z.number().min(0).max(1).default(0.05),
    /** Global gradient-norm clip. */
    maxGradNorm: z.number().positive().default(1),
    /** Validation loss every this many steps (early stopping, best weights kept). */
    evalEvery: z.number().int().positive().default(100),
    /** Stop after this many validations without improvement. */
    patience: z.number().int().positive().default(5),
    /**
     * The first step whose validation may be kept (0: any; Keras `EarlyStopping(start_from_epoch)`): earlier
     * validations are measured and logged but neither become the best nor count towards `patience`, and the first
     * validation at or after it is kept whatever its score. For runs whose validation is noisy enough that an
     * undertrained early step can tie or beat the trained ones (few closed-loop validation episodes).
     */
    selectFrom: z.number().int().min(0).default(0),
    /**
     * Weight of the hindsight goal loss (0: off): the network's goal head (`ActorCritic.goalHead`) predicts the
     * state of each step's episode end, and the mean squared error is added to the NLL. Needs a network with a
     * goal head (`lamkit finetune` builds a text-transformer with one when this is set).
     */
    goalLoss: z.number().min(0).default(0),
    /**
     * Weight of the first-step goal loss (0: off): each step also scores `batchSize` episodes' first steps with the
     * network's keypoint goal head (a text-transformer with `keypointGoal`), the state at the episode's end as target.
     * At a first step the image and the words are the only clue to where the episode goes.
     */
    startGoalLoss: z.number().min(0).default(0),
    /**
     * Steps of each episode that `startGoalLoss` scores: its first `startGoalSteps` rows (default 1, the first
     * step only). More steps show the keypoints more images of the same scenes (the arm elsewhere each time) with
     * the same goal; a target the arm already hides gives them a wrong clue, so keep it to the start of a reach.
     */
    startGoalSteps: z.number().int().positive().default(1),
    /**
     * Weight of a keypoint label loss on the rows `startGoalLoss` scores (0: off; needs `startGoalLoss` and training
     * demonstrations with `keypointLabels`): the squared distance, in keypoint-map coordinates, of the first image
     * keypoint to the labelled image point of what the episode is about (LangReach: the named object, written by
     * `bench:lang-reach-splits --labels`). A direct teacher for where the keypoint looks, where `startGoalLoss`
     * teaches it only through the goal head; rows without a label add nothing.
     */
    keypointLabelLoss: z.number().min(0).default(0),
    /**
     * Decay of an exponential moving average of the trainable weights (0: off; e.g. 0.999): validations, the kept
     * weights and what `fit` leaves in the network are the average's, while training steps the raw weights
     * (Polyak averaging, as Diffusion Policy and LeRobot train their policies). The decay at step `k` is
     * `min(emaDecay, (1 + k) / (10 + k))`, so early weights do not dominate the average.
     */
    emaDecay: z.number().min(0).lt(1).default(0),
  })
  .strict();

/** A resolved behaviour-cloning config. */
export type BcConfig = z.infer<typeof bcConfigSchema>;

/** Validates a config and fills the defaults; errors name the field. */
export function resolveBcConfig(config: Record<string, unknown>, where = 'BcConfig'): BcConfig {
  const c = parseWith(bcConfigSchema, config, where, 'agents/algos/bc/behavior-cloning.ts');
  if (c.selectFrom > c.maxSteps) {
    throw new InvalidArgument(formatError(`${where}.selectFrom`, `a step <= maxSteps (${c.maxSteps}), so that a validation can be kept`, describeValue(c.selectFrom), 'Lower selectFrom, or raise maxSteps'));
  }
  return c;
}

/** The learning rate at `step`: linear warm-up over `warmupSteps`, then cosine decay to `minLrRatio x learningRate` at `maxSteps`. */
export function warmupCosine(step: number, c: { learningRate: number; warmupSteps: number; maxSteps: number; minLrRatio: number }): number {
  if (step < c.warmupSteps) return (c.learningRate * (step + 1)) / c.warmupSteps;
  const progress = Math.min(1, (step - c.warmupSteps) / Math.max(1, c.maxSteps - c.warmupSteps));
  return c.learningRate * (c.minLrRatio + (1 - c.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** {@link BehaviorCloning.fit} gives the event loop a turn after a step once this much training time (ms) has passed since the last. */
export const YIELD_EVERY_MS = 50;

/** What {@link BehaviorCloning.fit} returns. */
export interface BcResult {
  steps: number;
  /** The step whose validation score was best (its weights are the network's now): the lowest NLL, or the highest `validate` score. */
  bestStep: number;
  /** The validation NLL at `bestStep`. */
  bestValLoss: number;
  /** The `validate` score at `bestStep` (null without `validate`). */
  bestScore: number | null;
  /** The first validation loss (before training). */
  initialValLoss: number;
  stoppedEarly: boolean;
  wallSeconds: number;
}

/**
 * Everything that continues a {@link BehaviorCloning.fit} bit for bit from a step (after a validation, or where
 * `stop()` ended it): {@link BcFitOptions.snapshot} hands it out, {@link BcFitOptions.resume} takes it back. The
 * network's own weights at `step` are not in it: the caller saves them (`readTensors`) beside it.
 */
export interface BcState {
  /** Steps done. */
  step: number;
  /** Minibatch sampling, dropout, and the network's own training draws (`ActorCritic.trainingRng`; null: none). */
  rng: RngState;
  dropoutRng: RngState;
  netRng: RngState | null;
  optimizer: OptimizerState;
  /** The moving average of the trainable weights (`emaDecay`), in `AdamW.trainableVariables()` order; null: off. */
  average: Float32Array[] | null;
  /** The kept weights so far and their validation: step, NLL, score (higher is better). */
  best: { step: number; loss: number; score: number; tensors: NamedTensor[] };
  /** Validations since the best one (patience). */
  sinceBest: number;
  initialValLoss: number;
  /** Training time before this state (metrics' `wall_s` continues from it). */
  wallSeconds: number;
}

/** Options of {@link BehaviorCloning.fit}. */
export interface BcFitOptions {
  /** Asked after every step; true ends the run (the best weights restored, as at the last step). */
  stop?: () => boolean;
  /** Added to every step's loss (continual learning: an EWC penalty, a rehearsal batch); built inside the step's gradient. */
  extraLoss?: (step: number) => tf.Scalar;
  /** Closed-loop validation score (higher is better), at every validation and before the first step. */
  validate?: (step: number) => Promise<number>;
  /**
   * Called with the run's state after every validation that does not end the run, and where `stop()` ends it
   * (before the best weights are restored), with the network holding the weights of that step: save both to
   * continue later with `resume`. Not called at the last step or an early stop (nothing is left to continue).
   */
  snapshot?: (state: BcState) => void | Promise<void>;
  /** Continue from a snapshot: the network must already hold the weights saved with it. */
  resume?: BcState;
}

/**
 * Behaviour cloning (supervised fine-tuning on action labels) of any
 * {@link ActorCritic}: minimizes the negative log-likelihood of the
 * demonstrated actions (`-mean log pi(a | history)`), with AdamW over the
 * network's trainable groups (freeze groups first for LoRA- or head-only
 * fine-tuning), linear warm-up then cosine decay, and early stopping on the
 * validation split: the weights of the best validation loss are restored at
 * the end. Sequence networks train on chunks of consecutive steps with the
 * history before them, as they act. An action-chunking network
 * (`actionChunk > 1`) is scored on every step of each chunk that lies inside
 * the episode (ACT); dropout gets a seeded Rng on training steps only
 * (validation and reports run without it). With `emaDecay` the validated
 * and kept weights are a moving average of the trained ones.
 *
 * Metrics: `losses/bc_nll`, `charts/learning_rate` per step; `eval/val_nll` per validation.
 */
export class BehaviorCloning {
  readonly net: ActorCritic;
  readonly config: BcConfig;
  private readonly train: Demonstrations;
  private readonly val: Demonstrations;
  private readonly metrics: MetricStream | undefined;
  private readonly rng: Rng;
  /** Dropout masks (training steps only; validation and reports run without dropout). */
  private readonly dropoutRng: Rng;
  /** The last row of each training row's episode (hindsight goals, `goalLoss`). */
  private readonly trainEnds: Int32Array;
  /** The rows of each training episode's first `startGoalSteps` steps (`startGoalLoss`). */
  private readonly trainFirsts: Int32Array;
  /** For each training row, the first row of its episode (networks with episode memory). */
  private readonly trainFirstOf: Int32Array;

  constructor(net: ActorCritic, data: { train: Demonstrations; val: Demonstrations }, config: BcConfig, metrics?: MetricStream) {
    checkDemonstrations(data.train, 'BehaviorCloning.train');
    checkDemonstrations(data.val, 'BehaviorCloning.val');
    for (const [name, d] of [['train', data.train], ['val', data.val]] as const) {
      if (d.obsDim !== net.obsDim) {
        throw new InvalidArgument(formatError(`BehaviorCloning.${name}.obsDim`, `the network's observation size (${net.obsDim})`, describeValue(d.obsDim), 'Fine-tune on a dataset of the task the network was built for, or build the network for the dataset'));
      }
      if (d.actDim !== net.dist.actDim) {
        throw new InvalidArgument(formatError(`BehaviorCloning.${name}.actDim`, `the network's action size (${net.dist.actDim})`, describeValue(d.actDim), 'Fine-tune on a dataset of the task the network was built for'));
      }
    }
    if (config.goalLoss > 0 && net.goalHead !== true) {
      throw new InvalidArgument(formatError('BehaviorCloning.config.goalLoss', `0 for a network without a goal head (this '${net.kind}' has none)`, describeValue(config.goalLoss), 'Build a text-transformer with policy.goalHead true, or drop goalLoss'));
    }
    if (config.startGoalLoss > 0 && (net.keypointGoalHead !== true || !net.keypointGoalError)) {
      throw new InvalidArgument(formatError('BehaviorCloning.config.startGoalLoss', `0 for a network without a keypoint goal head (this '${net.kind}' has none)`, describeValue(config.startGoalLoss), 'Build a text-transformer with policy.imageKeypoints > 0 and keypointGoal true, or drop startGoalLoss'));
    }
    if (config.keypointLabelLoss > 0 && (config.startGoalLoss === 0 || !data.train.keypointLabels)) {
      throw new InvalidArgument(formatError('BehaviorCloning.config.keypointLabelLoss', 'startGoalLoss > 0 (it scores the same rows) and training demonstrations with keypointLabels', `keypointLabelLoss ${config.keypointLabelLoss} with startGoalLoss ${config.startGoalLoss} and ${data.train.keypointLabels ? '' : 'no '}keypoint labels`, 'Set startGoalLoss, and label the dataset (bench:lang-reach-splits --labels), or drop keypointLabelLoss'));
    }
    this.net = net;
    this.config = config;
    this.train = data.train;
    this.val = data.val;
    this.metrics = metrics;
    this.rng = new Rng(config.seed);
    this.dropoutRng = new Rng(config.seed).spawn(); // its own stream: minibatch sampling is the same with or without dropout
    this.trainEnds = episodeEnds(data.train);
    this.trainFirstOf = episodeFirsts(data.train);
    this.trainFirsts = episodeStartRows(data.train, config.startGoalSteps);
  }

  /** The learning rate at `step`: linear warm-up, then cosine decay to `minLrRatio x learningRate`. */
  learningRate(step: number): number {
    return warmupCosine(step, this.config);
  }

  /** The keypoint goal head's error `[batchSize]` on rows of training episodes' first `startGoalSteps` steps drawn with the sampling Rng (inside the step's gradient). */
  private startGoalError(): tf.Tensor1D {
    const firsts = this.trainFirsts;
    const starts = Int32Array.from({ length: this.config.batchSize }, () => firsts[this.rng.integer(0, firsts.length)]);
    const { batch } = labelledBatch(this.train, starts, null, 1);
    const points = this.config.keypointLabelLoss > 0 ? keypointLabelsAt(this.train, starts) : null;
    const labels = points ? { points, weight: this.config.keypointLabelLoss } : null;
    return (this.net.keypointGoalError as NonNullable<ActorCritic['keypointGoalError']>).call(this.net, batch.obs, observationsAt(this.train, this.trainEnds, starts, 1), labels);
  }

  /** Mean NLL of `d`'s actions under the network (every step once). */
  loss(d: Demonstrations): number {
    const len = this.net.sequence ? this.config.seqLen : 1;
    const starts = coveringStarts(d, len);
    let sum = 0;
    let count = 0;
    const per = this.net.sequence ? this.config.batchSize : this.config.batchSize * len;
    const firsts = this.net.firstObsInput === true ? episodeFirsts(d) : undefined;
    for (let i = 0; i < starts.length; i += per) {
      const { batch, weights } = labelledBatchFor(this.net, d, starts.subarray(i, i + per), len);
      withFirstObs(this.net, d, batch, starts.subarray(i, i + per), len, firsts);
      const lp = tf.tidy(() => this.net.evaluate(batch).logProb.dataSync().slice());
      for (let r = 0; r < weights.length; r++) {
        if (!weights[r]) continue;
        sum -= lp[r];
        count += 1;
      }
    }
    return sum / Math.max(1, count);
  }

  /**
   * Trains until `maxSteps`, early stopping, or `stop()` (asked after
   * every step; the event loop gets a turn at least every
   * {@link YIELD_EVERY_MS} of training, so a signal handler that sets what
   * `stop()` reads runs within a step or two, not at the next validation);
   * restores the best validation weights. `extraLoss` (continual
   * learning: an EWC penalty, a rehearsal batch of earlier tasks) is added
   * to every step's loss, differentiated with it; it receives the step and
   * returns a scalar (built inside the step's gradient tape).
   * `validate` (closed-loop validation, e.g. the success rate of rollouts
   * in the task): called at every validation (and before the first step)
   * with the step; higher is better. When given, the best weights and the
   * patience follow its score instead of the validation NLL (which is still
   * measured and logged): an action NLL can keep falling while what the
   * policy does gets worse. `snapshot` and `resume` stop and continue a
   * run: a resumed run ends with the weights an uninterrupted one would
   * have (same config, data and backend).
   */
  async fit(options: BcFitOptions = {}): Promise<BcResult> {
    const c = this.config;
    const trainable = this.net.paramGroups().filter((g) => g.trainable).map((g) => g.name);
    if (trainable.length === 0) throw new InvalidArgument(formatError('BehaviorCloning.fit', 'at least one trainable parameter group', 'every group frozen', 'Unfreeze a group'));
    checkGroupOptions(c.paramGroups, this.net.paramGroups().map((g) => g.name), 'BehaviorCloning config.paramGroups');
    const from = options.resume;
    if (from && !(Number.isInteger(from.step) && from.step >= 0 && from.step < c.maxSteps)) {
      throw new InvalidArgument(formatError('BehaviorCloning.fit.resume.step', `an integer in [0, maxSteps = ${c.maxSteps})`, describeValue(from.step), 'Resume with the config the snapshot was taken under'));
    }
    const t0 = performance.now() - 1000 * (from?.wallSeconds ?? 0);
    const adam = new AdamW(this.net.variables(), trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: c.weightDecay }, c.paramGroups);
    const vars = adam.trainableVariables();
    const len = this.net.sequence ? c.seqLen : 1;
    // Higher is better: the validate score, else the negated NLL.
    const score = async (at: number, nll: number): Promise<number> => (options.validate ? await options.validate(at) : -nll);
    // The moving average of the trainable weights (emaDecay), swapped into the network for each validation.
    const average = c.emaDecay > 0 ? new WeightAverage(vars, c.emaDecay) : null;
    let initialValLoss: number;
    let best: BcState['best'];
    let sinceBest = 0;
    let step = 0;
    if (from) {
      try {
        adam.setState(from.optimizer);
        average?.load(from.average, 'BehaviorCloning.fit.resume.average');
        this.rng.setState(from.rng);
        this.dropoutRng.setState(from.dropoutRng);
        if (from.netRng) this.net.trainingRng?.().setState(from.netRng);
      } catch (err) {
        adam.dispose();
        average?.dispose();
        throw err;
      }
      ({ initialValLoss, best, sinceBest, step } = from);
    } else {
      initialValLoss = this.loss(this.val);
      best = { step: 0, loss: initialValLoss, score: await score(0, initialValLoss), tensors: this.net.readTensors() as NamedTensor[] };
      this.metrics?.emit({ global_step: 0, wall_s: 0, 'eval/val_nll': initialValLoss });
    }
    const state = (done: number): BcState => ({
      step: done,
      rng: this.rng.getState(),
      dropoutRng: this.dropoutRng.getState(),
      netRng: this.net.trainingRng?.().getState() ?? null,
      optimizer: adam.getState(),
      average: average ? average.values() : null,
      best,
      sinceBest,
      initialValLoss,
      wallSeconds: (performance.now() - t0) / 1000,
    });
    let lastYield = performance.now();
    let stoppedEarly = false;
    try {
      for (; step < c.maxSteps; step++) {
        const lr = this.learningRate(step);
        const starts = sampleStarts(this.train, c.batchSize, this.rng);
        const { batch, weights } = labelledBatchFor(this.net, this.train, starts, len);
        batch.dropoutRng = this.dropoutRng;
        withFirstObs(this.net, this.train, batch, starts, len, this.trainFirstOf);
        if (c.goalLoss > 0) batch.goalObs = observationsAt(this.train, this.trainEnds, starts, len);
        const w = tf.tensor1d(weights);
        let nllT: tf.Scalar | null = null;
        let goalT: tf.Scalar | null = null;
        let startT: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const ev = this.net.evaluate(batch);
          const denom = tf.maximum(tf.sum(w), 1);
          const nll = tf.div(tf.neg(tf.sum(tf.mul(ev.logProb, w))), denom) as tf.Scalar;
          let loss = nll;
          if (c.goalLoss > 0) {
            goalT = tf.keep(tf.div(tf.sum(tf.mul(ev.goalError as tf.Tensor1D, w)), denom) as tf.Scalar);
            loss = tf.add(loss, tf.mul(goalT, c.goalLoss)) as tf.Scalar;
          }
          if (c.startGoalLoss > 0) {
            startT = tf.keep(tf.mean(this.startGoalError()) as tf.Scalar);
            loss = tf.add(loss, tf.mul(startT, c.startGoalLoss)) as tf.Scalar;
          }
          if (options.extraLoss) loss = tf.add(loss, options.extraLoss(step)) as tf.Scalar;
          if (loss === nll) return nll;
          nllT = tf.keep(nll);
          return loss;
        }, vars);
        const norm = adam.apply(grads, lr, c.maxGradNorm);
        average?.update(step);
        const nll = ((nllT ?? value) as tf.Scalar).dataSync()[0];
        const goal = goalT ? (goalT as tf.Scalar).dataSync()[0] : null;
        const start = startT ? (startT as tf.Scalar).dataSync()[0] : null;
        tf.dispose([value, norm, w, ...Object.values(grads), ...(nllT ? [nllT] : []), ...(goalT ? [goalT] : []), ...(startT ? [startT] : [])]);
        this.metrics?.emit({ global_step: step + 1, wall_s: (performance.now() - t0) / 1000, 'losses/bc_nll': nll, 'charts/learning_rate': lr, ...(goal !== null ? { 'losses/goal_mse': goal } : {}), ...(start !== null ? { 'losses/start_goal_mse': start } : {}) });
        let validated = false;
        if ((step + 1) % c.evalEvery === 0 || step + 1 === c.maxSteps) {
          // Before selectFrom nothing is kept nor counted by the patience; the first validation from it on replaces whatever was.
          const selectable = step + 1 >= c.selectFrom;
          const validation = async (): Promise<{ val: number; now: number; tensors: NamedTensor[] | null }> => {
            const val = this.loss(this.val);
            this.metrics?.emit({ global_step: step + 1, wall_s: (performance.now() - t0) / 1000, 'eval/val_nll': val });
            const now = await score(step + 1, val);
            const keep = selectable && (now > best.score || best.step < c.selectFrom);
            return { val, now, tensors: keep ? this.net.readTensors() : null };
          };
          // With emaDecay the average is validated (and kept), the trained weights put back after.
          const changed = (): void => this.net.paramsChanged();
          const { val, now, tensors } = average ? await average.applied(validation, changed) : (changed(), await validation());
          if (tensors) {
            best = { step: step + 1, loss: val, score: now, tensors };
            sinceBest = 0;
          } else if (selectable && ++sinceBest >= c.patience) {
            stoppedEarly = true;
            step += 1;
            break;
          }
          validated = true;
        }
        // Let signals and timers (Ctrl-C, progress bars) run: a step of a large network takes seconds, a validation
        // comes every few hundred steps.
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
        if (options.stop?.()) {
          step += 1;
          if (step < c.maxSteps) await options.snapshot?.(state(step));
          break;
        }
        if (validated && step + 1 < c.maxSteps) await options.snapshot?.(state(step + 1));
      }
    } finally {
      adam.dispose();
      average?.dispose();
    }
    this.net.writeTensors(best.tensors);
    this.net.paramsChanged();
    return { steps: step, bestStep: best.step, bestValLoss: best.loss, bestScore: options.validate ? best.score : null, initialValLoss, stoppedEarly, wallSeconds: (performance.now() - t0) / 1000 };
  }
}

