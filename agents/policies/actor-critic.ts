import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import type { ActionDistribution } from '../distributions/action-distribution.js';
import type { HeadSpec } from './param-layout.js';

/**
 * A batch of observations as an actor-critic consumes them. `flat` carries
 * the numeric features every task has (`Float32Array [rows x obsDim]`,
 * normalized by the algorithm when it normalizes). Structured observations
 * (a `Dict` with camera images and an instruction) add per-key `extras`;
 * a network that does not read a key ignores it.
 */
/** `ActorCritic.act`'s choice of mode over sampling: for every row, or per row (`Uint8Array [rows]`, 1 = mode). */
export type Deterministic = boolean | Uint8Array;

/** Whether row `i` acts by its mode under `d`. */
export function rowDeterministic(d: Deterministic, i: number): boolean {
  return d === true || (d !== false && d[i] === 1);
}

export interface ObsBatch {
  rows: number;
  /** `Float32Array [rows x obsDim]`. */
  flat: Float32Array;
  /** Non-numeric or non-flat parts by observation key (images, text). */
  extras?: Readonly<Record<string, ObsFeature>>;
}

/** One structured observation part of an {@link ObsBatch}, `rows` entries. */
export type ObsFeature =
  | { kind: 'image'; /** `Uint8Array [rows x H x W x C]`. */ data: Uint8Array; shape: readonly [number, number, number] }
  | { kind: 'text'; values: readonly string[] };

/**
 * How rows of an {@link EvalBatch} are laid out for a sequence policy
 * (`ActorCritic.sequence !== null`). Rows are `count` chunks of
 * `context + length` consecutive steps of one sub-env, chunk-major: the
 * first `context` rows of a chunk are the steps before it (history only,
 * never scored), the next `length` rows are scored. This is recurrent PPO's
 * "sequence minibatch": one forward pass over a chunk yields the losses of
 * all its steps.
 */
export interface ChunkLayout {
  count: number;
  context: number;
  length: number;
  /**
   * `Uint8Array [rows]`: 1 where a step starts an episode (attention must not
   * reach across it), and on every row that holds no real step (padding
   * before the first step of a run).
   */
  episodeStart: Uint8Array;
}

/** What an algorithm asks an actor-critic to score (see {@link ActorCritic.evaluate}). */
export interface EvalBatch {
  obs: ObsBatch;
  /** `Float32Array [rows x actDim]`: stored actions (category indices, or raw Gaussian samples). */
  actions: Float32Array;
  /**
   * `Float32Array [rows x actDim]`: the action taken at the step before each
   * row (zeros at episode starts). Sequence policies read it; others ignore it.
   */
  prevActions?: Float32Array;
  /** Present exactly when the network is a sequence policy. */
  chunks?: ChunkLayout;
  /** Also return the actor's raw output per scored row (`ActorCriticEval.actorOut`; supervised reports take the mode from it). */
  withActorOut?: boolean;
  /**
   * Supervised targets of an action-chunking network (`ActorCritic.actionChunk > 1`):
   * `actions [scoredRows x chunk x actDim]`, the actions of each scored step and
   * the `chunk - 1` after it, and `mask [scoredRows x chunk]`, 1 where that step
   * lies inside the episode. With them `logProb` is each row's mean log-prob over
   * its chunk's unmasked steps; without, the log-prob of `actions` alone.
   */
  chunkTargets?: { chunk: number; actions: Float32Array; mask: Float32Array };
  /** Training randomness (dropout), a seeded Rng; absent at inference and in PPO, where dropout is off. */
  dropoutRng?: Rng;
  /**
   * `Float32Array [scoredRows x obsDim]`: the last observation of each scored
   * row's episode (hindsight goal; behaviour cloning's `goalLoss`). A network
   * with a goal head (`ActorCritic.goalHead`) then returns `goalError`.
   */
  goalObs?: Float32Array;
  /**
   * `Float32Array [rows x obsDim]`: the first observation of each row's
   * episode. Required by a network with episode memory
   * (`ActorCritic.firstObsInput`), which reads it beside the row's own
   * observation, as it does at run time from the first step after
   * `resetEpisode`.
   */
  firstObs?: Float32Array;
}

/** Differentiable per-row results of {@link ActorCritic.evaluate}, `[scoredRows]` each. */
export interface ActorCriticEval {
  logProb: tf.Tensor1D;
  entropy: tf.Tensor1D;
  value: tf.Tensor1D;
  /** `[scoredRows x outDim]` logits (categorical) or means (Gaussian); only with `EvalBatch.withActorOut`. */
  actorOut?: tf.Tensor2D;
  /** `[scoredRows]`: mean squared error of the goal head's prediction of the state part of `EvalBatch.goalObs`; only with it. */
  goalError?: tf.Tensor1D;
}

/** Where {@link ActorCritic.act} writes, one row per observation row. */
export interface ActOutput {
  /** `Float32Array [rows x actDim]` stored actions. */
  actions: Float32Array;
  /** `Float64Array [rows]`. */
  logProbs: Float64Array;
  /** `Float64Array [rows]`: V(obs). */
  values: Float64Array;
}

/** A named set of parameters that is trained or frozen together (e.g. `actor`, `critic`, `trunk`, `lora`). */
export interface ParamGroupInfo {
  name: string;
  trainable: boolean;
  /** Number of float32 parameters in the group. */
  size: number;
}

/** One named parameter tensor (checkpoints store these by name). */
export interface NamedTensor {
  name: string;
  /** The parameter group it belongs to. */
  group: string;
  shape: number[];
  /** Row-major float32 values. */
  data: Float32Array;
}

/** A differentiable parameter of a group (what the tensor optimizer updates). */
export interface GroupVariable {
  group: string;
  variable: tf.Variable;
}

/** Coefficients of the PPO objective (agents/algos/ppo/ppo-loss.ts). */
export interface PpoLossCoefs {
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
}

/** Per-row statistics of {@link FastGradient.compute} (PPO_STAT_NAMES order). */
export type FastStats = number[];

/**
 * An optional fast path for PPO's gradient: the loss and its gradient with
 * respect to the flat parameters, computed without tfjs autodiff (the MLP's
 * hand-derived gradient). The readable path (`evaluate` under autodiff)
 * stays the specification; tests compare the two.
 */
export interface FastGradient {
  /** Flat parameters (a live copy the optimizer updates in place; call `ActorCritic.commitFlat` after). */
  readonly flat: Float32Array;
  /** For each group, the `[offset, size)` ranges it owns in `flat`, in flat order. */
  readonly groupRanges: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  /**
   * PPO loss of rows `mb` and its gradient into `grad [flat.length]`.
   * @returns policy loss, value loss, entropy, approx KL, clip fraction.
   */
  compute(mb: FastMinibatch, coefs: PpoLossCoefs, grad: Float32Array): FastStats;
  dispose(): void;
}

/** A minibatch as plain arrays (what {@link FastGradient.compute} consumes), `[rows]` unless noted. */
export interface FastMinibatch {
  rows: number;
  /** `[rows x obsDim]`. */
  obs: Float32Array;
  /** `[rows x actDim]`. */
  actions: Float32Array;
  oldLogProb: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  oldValues: Float32Array;
}

/** Sequence policies: how much history a step sees. */
export interface SequenceSpec {
  /**
   * Steps of history a chunk needs before its first scored row for
   * `evaluate` to score the policy's own actions exactly as it acted (PPO,
   * reports): the receptive field, plus, for an action-chunking network
   * acting on the temporal ensemble, the `chunk - 1` earlier tokens whose
   * predictions the ensemble averages.
   */
  context: number;
  /** Steps of history enough when scoring supervised chunk targets (`EvalBatch.chunkTargets`); absent = `context`. */
  labelContext?: number;
}

/**
 * The contract every trainable policy network implements; algorithms (PPO,
 * BC, GAIL/AIRL) see only this. A network kind registers itself with
 * `registerPolicyKind` so checkpoints and the CLI can build it by name.
 *
 * Invariants:
 * - `evaluate` is differentiable (call it inside `tf.variableGrads`) with
 *   respect to `variables()` and returns one row per scored row: all rows for
 *   memoryless networks, `count x length` for sequence ones.
 * - `act` is the rollout path: it may be plain JS (the MLP) or batched tfjs,
 *   and for a sequence policy it keeps one history per row index (sub-env);
 *   `resetEpisode(i)` clears row i's history. It samples with `rng` unless
 *   `deterministic`, consuming the same draws for the same inputs.
 * - After an optimizer changes `variables()`, the algorithm calls
 *   `paramsChanged()` so rollout caches (JS copies) refresh.
 * - Frozen groups (`trainable: false`) are never changed by an algorithm.
 */
export interface ActorCritic {
  /** Registered kind name (`mlp`, `window-mlp`, `transformer`, ...). */
  readonly kind: string;
  /** Numbers per flat observation row. */
  readonly obsDim: number;
  readonly head: HeadSpec;
  readonly dist: ActionDistribution;
  /** null for networks that read no history window (a network with episode memory, `firstObsInput`, has none either). */
  readonly sequence: SequenceSpec | null;
  /**
   * True when the network keeps, per row, what it read from the first
   * observation of the row's episode (the first `act` after `resetEpisode`)
   * and acts on it at every later step; `evaluate` then needs
   * `EvalBatch.firstObs`. Absent = false.
   */
  readonly firstObsInput?: boolean;
  /** Steps each row's actor output predicts (action chunking, see `EvalBatch.chunkTargets`); absent = 1. */
  readonly actionChunk?: number;
  /** True when the network has a hindsight goal head (it scores `EvalBatch.goalObs` into `ActorCriticEval.goalError`); absent = false. */
  readonly goalHead?: boolean;
  /** True when the network has a goal head on its image keypoints alone (behaviour cloning's `startGoalLoss`); absent = false. */
  readonly keypointGoalHead?: boolean;
  /**
   * That head's per-row error against the state part of `goalObs [rows x obsDim]` (differentiable); present on
   * networks that may have it. With `labels`: plus `weight` times the first keypoint's squared distance to each
   * labelled row's image point (`points [rows x 2]`, normalized image coordinates, NaN: none).
   */
  keypointGoalError?(obs: ObsBatch, goalObs: Float32Array, labels?: { points: Float32Array; weight: number } | null): tf.Tensor1D;
  /**
   * The network's own training randomness (augmentations it draws itself on training rows, beside
   * `EvalBatch.dropoutRng`), so a trainer can save and restore its state to resume bit for bit; absent: none.
   */
  trainingRng?(): Rng;
  /** Log-probs, entropies and values of stored actions (differentiable). */
  evaluate(batch: EvalBatch): ActorCriticEval;
  /**
   * Rollout inference: samples actions for `obs.rows` sub-envs into `out`;
   * `deterministic` for every row, or per row (1: that row's mode, e.g. PPO's
   * greedy group member).
   */
  act(obs: ObsBatch, rng: Rng | null, deterministic: Deterministic, out: ActOutput): void;
  /** V(obs) into `out [rows]` (a sequence policy scores the step after its history, without recording it). */
  value(obs: ObsBatch, out: Float64Array): void;
  /** Sub-env `envIndex` starts a new episode (sequence policies clear its history, networks with episode memory forget its first observation; others do nothing). */
  resetEpisode(envIndex: number): void;
  /** Parameter groups in a fixed order. */
  paramGroups(): ParamGroupInfo[];
  /** Marks a group trainable or frozen (throws a typed error for an unknown name). */
  setTrainable(group: string, trainable: boolean): void;
  /** The tf variables of every group (trainable or not), in a fixed order. */
  variables(): GroupVariable[];
  /** Call after an optimizer changed `variables()`. */
  paramsChanged(): void;
  /** Every parameter by name (copies). */
  readTensors(): NamedTensor[];
  /** Overwrites parameters by name (shapes must match). */
  writeTensors(tensors: readonly NamedTensor[]): void;
  /** JSON architecture: `fromSpec(toSpec(), readTensors())` rebuilds the network. */
  toSpec(): Record<string, unknown>;
  /** The optional hand-derived gradient (see {@link FastGradient}); null when the kind has none. */
  fastGradient(): FastGradient | null;
  /** After a fast-path update: copies `FastGradient.flat` into the variables. */
  commitFlat?(flat: Float32Array): void;
  /** Frees tf variables. Idempotent. */
  dispose(): void;
}
