import { z } from 'zod';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import { expectedOfIssue, type ZodIssueLike } from '../../../src/core/zod-issue.js';

/**
 * PPO hyperparameters (CleanRL's `Args` of `ppo_continuous_action.py`, in
 * camelCase). Defaults are CleanRL's for the action kind; per-task tuned
 * values come from {@link PPO_TASK_DEFAULTS} (agents/algos/ppo/task-defaults.ts).
 */
export const ppoConfigSchema = z
  .object({
    /** Seed of the network init, action sampling, minibatch shuffling and env resets. */
    seed: z.number().int(),
    /** Env steps to train for (all sub-envs together). */
    totalSteps: z.number().int().positive(),
    /** Sub-envs; must equal the vector env's `numEnvs`. */
    numEnvs: z.number().int().positive(),
    /** Steps per sub-env per rollout; batch = numEnvs x numSteps. */
    numSteps: z.number().int().positive(),
    /** Adam learning rate (start value when annealed). */
    learningRate: z.number().positive(),
    /** Anneal the learning rate linearly to 0 over the run. */
    annealLr: z.boolean(),
    /** Discount factor. */
    gamma: z.number().min(0).max(1),
    /** GAE lambda (1: Monte-Carlo returns, 0: one-step TD). */
    gaeLambda: z.number().min(0).max(1),
    /** Minibatches per epoch. */
    numMinibatches: z.number().int().positive(),
    /** Epochs over each rollout (K in the paper). */
    updateEpochs: z.number().int().positive(),
    /** Normalize advantages per minibatch. */
    normAdv: z.boolean(),
    /** Surrogate clipping epsilon. */
    clipCoef: z.number().positive(),
    /** Anneal `clipCoef` linearly to 0 with the learning rate (rl-zoo's `lin_` schedule). */
    annealClip: z.boolean(),
    /** Clip the value loss around the rollout's values (PPO2 style). */
    clipVloss: z.boolean(),
    /** Entropy bonus coefficient. */
    entCoef: z.number().min(0),
    /** Value loss coefficient. */
    vfCoef: z.number().min(0),
    /** Global gradient L2-norm clip. */
    maxGradNorm: z.number().positive(),
    /** Stop an update's epochs early when approx KL exceeds this (null: never). */
    targetKl: z.number().positive().nullable(),
    /** Adam epsilon (CleanRL: 1e-5). */
    adamEps: z.number().positive(),
    /** AdamW decoupled weight decay (0: Adam, as CleanRL). */
    weightDecay: z.number().min(0),
    /**
     * Per parameter group of the network (e.g. `actor`, `critic`; a kind
     * lists its groups): `frozen` keeps the group's weights bit-identical,
     * `lrScale` multiplies the (annealed) learning rate, `weightDecay`
     * overrides the global one.
     */
    paramGroups: z.record(z.string(), z.object({ frozen: z.boolean().optional(), lrScale: z.number().min(0).optional(), weightDecay: z.number().min(0).optional() }).strict()),
    /**
     * Sequence policies only: minibatches are chunks of this many consecutive
     * steps of one sub-env (plus the network's context before each chunk),
     * as recurrent PPO; must divide `numSteps`. 0 (the default): the longest
     * chunks that still give every minibatch at least one, i.e. each sub-env's
     * whole rollout when `numEnvs >= numMinibatches`, so the context is paid
     * once per sub-env instead of once per chunk (see `chunkLength`).
     */
    seqLen: z.number().int().min(0),
    /** Normalize observations with running statistics (SB3 VecNormalize / CleanRL NormalizeObservation). */
    normalizeObs: z.boolean(),
    /** Scale rewards by the running std of the discounted return. */
    normalizeReward: z.boolean(),
    /** Clip normalized observations to +-clipObs. */
    clipObs: z.number().positive(),
    /** Clip scaled rewards to +-clipReward. */
    clipReward: z.number().positive(),
    /**
     * Save a checkpoint every this many env steps (0: none; the end of the run
     * always saves). Each such save starts fresh episodes, so a run resumed
     * from it is bit for bit the uninterrupted one (see PPO). `lamkit train`
     * also saves every `--checkpoint-minutes` without touching the envs.
     */
    checkpointEvery: z.number().int().min(0),
    /**
     * Fine-tuning a pretrained policy: the first this many updates train the
     * value head only (value loss, actor untouched), so the actor's first
     * steps follow advantages of a fitted critic instead of a random one.
     */
    valueWarmupUpdates: z.number().int().min(0).default(0),
    /**
     * Coefficient of the KL penalty `mean KL(pi || ref)` towards the frozen
     * network the run started from (the `--from` one); 0: off. Transformer
     * networks (see kl-reference.ts).
     */
    klRefCoef: z.number().min(0).default(0),
    /** Adaptive KL coefficient: halved / doubled after each update whose mean KL is below / above this target by 1.5x (null: fixed). */
    klRefTarget: z.number().positive().nullable().default(null),
    /**
     * Which parameters PPO trains: 'all', or 'lora' (transformer: LoRA
     * adapters, added when the network has none, plus the heads; the trunk
     * and tokenizers frozen). `paramGroups` applies after it.
     */
    trainParams: z.enum(['all', 'lora']).default('all'),
    /**
     * A new run: set the Gaussian actor's log-std to this before the first
     * rollout (the KL reference is taken after it); null: keep the network's.
     * For fine-tuning a behaviour-cloned policy whose learned log-std is wide
     * (a `lamkit-base` fine-tune keeps ~-0.3, std 0.73: its sampled rollouts
     * score like random actions while its mean action succeeds).
     */
    actorLogStd: z.number().nullable().default(null),
    /**
     * With `normalizeObs`: keep the observation statistics as they start (the
     * `--from` checkpoint's) instead of updating them with every rollout. A
     * behaviour-cloned policy reads its inputs through its dataset's
     * statistics; updating them moves its actions even while the actor is
     * frozen (value warm-up).
     */
    freezeObsStats: z.boolean().default(false),
    /**
     * Group-relative advantages (1: off, GAE). With G >= 2, sub-envs come in
     * groups of G that share one reset seed, every rollout starts fresh
     * episodes (one per sub-env: the steps after a sub-env's episode ends
     * are not trained on, so make `numSteps` the episode length), and each
     * step's advantage is its reward-to-go minus the mean of the other
     * members' at the same step (RolloutBuffer.computeGroupAdvantage; RLOO,
     * as GRPO uses groups). For fine-tuning a policy whose success is decided
     * more by where an episode starts than by its exploration noise, where a
     * fitted critic's advantages are mostly that start's luck. The critic
     * still learns (it bootstraps a rollout that ends mid-episode).
     */
    groupSize: z.number().int().positive().default(1),
    /**
     * Group mode's baseline: 'others' (the mean reward-to-go of the other
     * members), or 'greedy': each group's first member acts by the policy's
     * mode (the deterministic action, as evaluation does) and is not trained
     * on; the others' advantage is their reward-to-go minus its (the greedy
     * baseline of self-critical training, Rennie et al. 2017): a sample is
     * reinforced when it beats what the deterministic policy does from the
     * same start. Metric `charts/greedy_success`.
     */
    groupBaseline: z.enum(['others', 'greedy']).default('others'),
    /**
     * Self-imitation (agents/algos/ppo/self-imitation.ts): the episodes the
     * policy solves (tasks that report success) join a replay, and each
     * minibatch step adds this coefficient times behaviour cloning's NLL on
     * `selfImitationBatch` chunks of `selfImitationSeqLen` steps from it; 0: off.
     */
    selfImitationCoef: z.number().min(0).default(0),
    /** The replay keeps the last this many solved episodes. */
    selfImitationEpisodes: z.number().int().positive().default(256),
    /** Chunks (steps, for memoryless networks) of the replay scored per minibatch step. */
    selfImitationBatch: z.number().int().positive().default(16),
    /** Steps per replay chunk (sequence networks). */
    selfImitationSeqLen: z.number().int().positive().default(16),
    /**
     * Lag-1 correlation of a Gaussian actor's exploration noise within an
     * episode (agents/algos/ppo/correlated-noise.ts: a stationary AR(1)
     * process per sub-env and action dimension, each deviate still N(0, 1),
     * so the policy's density is unchanged); 0 (the default): independent
     * noise every step. For tasks where small per-step jitter averages out
     * and barely changes an episode's outcome, so that (with `groupSize`)
     * members from one start end alike; a smooth deviation of the motion
     * changes where the episode goes (it also lowers the sampled policy's
     * success: ArmPush-v0, docs/benchmarks.md, session 45).
     */
    noiseCorrelation: z.number().min(0).lt(1).default(0),
  })
  .strict();

/** A fully specified PPO configuration. */
export type PpoConfig = z.infer<typeof ppoConfigSchema>;

/** A PPO config plus the values derived from it. */
export interface ResolvedPpoConfig extends PpoConfig {
  /** numEnvs x numSteps. */
  batchSize: number;
  /** floor(batchSize / numMinibatches). */
  minibatchSize: number;
  /** floor(totalSteps / batchSize): rollouts + updates in the run. */
  numUpdates: number;
}

/** Fields that lamkit 0.1 kept in the PPO config and now belong to the policy config. */
const MOVED_TO_POLICY = ['hidden', 'activation', 'logStdInit'];

/** Names of all config fields (for error messages). */
export const PPO_CONFIG_KEYS = Object.keys(ppoConfigSchema.shape) as Array<keyof PpoConfig>;

/**
 * Validates a config and computes the derived values. Errors name the field,
 * the expected value and what was given.
 */
export function resolvePpoConfig(config: Record<string, unknown>, where = 'PpoConfig'): ResolvedPpoConfig {
  const parsed = ppoConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    const unknownKeys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : null;
    const moved = unknownKeys?.filter((k) => MOVED_TO_POLICY.includes(k)) ?? [];
    const msg = moved.length > 0
      ? formatError(`${where}.${moved[0]}`, 'no network fields in the algorithm config', `${moved.join(', ')}`, `Network fields moved to the policy config: pass {"policy": {"kind": "mlp", "${moved[0]}": ...}}`)
      : unknownKeys
      ? formatError(path ? `${where}.${path}` : where, path ? 'only known keys (see agents/algos/ppo/ppo-config.ts)' : `only known keys (${PPO_CONFIG_KEYS.join(', ')})`, `unknown key(s) ${unknownKeys.join(', ')}`, 'Fix the spelling or remove them')
      : formatError(`${where}.${path}`, expectedOfIssue(issue as ZodIssueLike), JSON.stringify(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], config)) ?? 'undefined', 'See agents/algos/ppo/ppo-config.ts for each field');
    throw new InvalidArgument(msg);
  }
  const c = parsed.data;
  const batchSize = c.numEnvs * c.numSteps;
  const minibatchSize = Math.floor(batchSize / c.numMinibatches);
  if (minibatchSize < 1) {
    throw new InvalidArgument(formatError(`${where}.numMinibatches`, `at most numEnvs x numSteps = ${batchSize}`, String(c.numMinibatches), 'Use fewer minibatches or a longer rollout'));
  }
  if (c.numEnvs % c.groupSize !== 0) {
    throw new InvalidArgument(formatError(`${where}.groupSize`, `a divisor of numEnvs (${c.numEnvs})`, String(c.groupSize), `Use e.g. numEnvs ${c.groupSize * Math.max(1, Math.round(c.numEnvs / c.groupSize))} or groupSize 1 (off)`));
  }
  if (c.groupBaseline === 'greedy' && c.groupSize < 2) {
    throw new InvalidArgument(formatError(`${where}.groupBaseline`, "'others' without groups (groupSize 1)", "'greedy'", 'Set groupSize >= 2 (the greedy member and at least one sampled one), or drop groupBaseline'));
  }
  const numUpdates = Math.floor(c.totalSteps / batchSize);
  if (numUpdates < 1) {
    throw new InvalidArgument(formatError(`${where}.totalSteps`, `at least one batch (numEnvs x numSteps = ${batchSize})`, String(c.totalSteps), 'Raise totalSteps or shrink the rollout'));
  }
  return { ...c, batchSize, minibatchSize, numUpdates };
}
