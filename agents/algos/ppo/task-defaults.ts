import type { PpoConfig } from './ppo-config.js';

/** Settings shared by every task (CleanRL's `ppo_continuous_action.py` defaults). */
export const PPO_BASE_DEFAULTS: Omit<PpoConfig, 'seed' | 'totalSteps'> = {
  numEnvs: 1,
  numSteps: 2048,
  learningRate: 3e-4,
  annealLr: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  numMinibatches: 32,
  updateEpochs: 10,
  normAdv: true,
  clipCoef: 0.2,
  annealClip: false,
  clipVloss: true,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  adamEps: 1e-5,
  weightDecay: 0,
  paramGroups: {},
  seqLen: 0,
  normalizeObs: true,
  normalizeReward: true,
  clipObs: 10,
  clipReward: 10,
  checkpointEvery: 0,
  valueWarmupUpdates: 0,
  klRefCoef: 0,
  klRefTarget: null,
  trainParams: 'all',
  actorLogStd: null,
  freezeObsStats: false,
  groupSize: 1,
  groupBaseline: 'others',
  selfImitationCoef: 0,
  selfImitationEpisodes: 256,
  selfImitationBatch: 16,
  selfImitationSeqLen: 16,
  noiseCorrelation: 0,
};

/** Overrides for discrete-action tasks without a tuned entry (CleanRL `ppo.py`). */
export const PPO_DISCRETE_DEFAULTS: Partial<PpoConfig> = {
  numEnvs: 4,
  numSteps: 128,
  learningRate: 2.5e-4,
  numMinibatches: 4,
  updateEpochs: 4,
  entCoef: 0.01,
  normalizeObs: false,
  normalizeReward: false,
};

/**
 * Per-task tuned settings (the role of rl-baselines3-zoo's `hyperparams/ppo.yml`),
 * applied over {@link PPO_BASE_DEFAULTS} (+ {@link PPO_DISCRETE_DEFAULTS} for
 * discrete actions), under the user's `--config`. Why each entry:
 *
 * | task | source | notes |
 * |---|---|---|
 * | CartPole-v1 | rl-zoo (8 envs x 32 steps, one 256-sample minibatch, gamma 0.98, lambda 0.8, ent 0, lin clip 0.2, no value clipping as SB3) with 12 epochs instead of 20 and lin lr 1.5e-3 instead of 1e-3 | with the explicit gradient path (~1.5-2 ms a step, most of the wall-clock) 475 at 23-48k steps, 2.5-5.0 s, on seeds 1-10 (docs/benchmarks.md); 10 epochs at 1e-3 needed 39-79k (seeds 1-5), 15 at 1e-3 28-78k, 10 at 2e-3 21-60k |
 * | Pendulum-v1 | rl-zoo (4 envs x 1024, gamma 0.9, lambda 0.95, lr 1e-3, 10 epochs, no normalization, no value clipping) without gSDE, plus linear LR annealing; minibatches of 128 (rl-zoo: 64) | with CleanRL's value clipping and normalization it stalls near -300..-750 at 200k; without annealing the last-20 mean ends at -174..-236 |
 * | InvertedPendulum-v5 | CleanRL continuous defaults (1 env x 2048, 10 epochs, normalization), lambda 0.9, 8 minibatches of 256 (CleanRL: 32 of 64) | 4x fewer gradient steps for tfjs |
 * | InvertedPendulum-damped-v0 | as InvertedPendulum-v5 | its changed-dynamics variant (reward transfer) |
 * | CartPole-heavy-v0 | as CartPole-v1 | its changed-dynamics variant (reward transfer) |
 * | Reacher-v5 | CleanRL defaults with rl-zoo Reacher-v2's gamma 0.9 and clip 0.3; 8 minibatches of 256 | normalization on |
 * | ArmReach-v0 | Reacher-like | lamkit's own arm task |
 * | ArmReach-reversed-v0 | as ArmReach-v0 | its changed-dynamics variant (reward transfer) |
 */
const ARM_REACH_DEFAULTS: Partial<PpoConfig> = {
  numEnvs: 4,
  numSteps: 512,
  gamma: 0.95,
};
const CARTPOLE_DEFAULTS: Partial<PpoConfig> = {
  numEnvs: 8,
  numSteps: 32,
  learningRate: 1.5e-3,
  annealLr: true,
  gamma: 0.98,
  gaeLambda: 0.8,
  numMinibatches: 1,
  updateEpochs: 12,
  entCoef: 0,
  clipCoef: 0.2,
  annealClip: true,
  clipVloss: false,
  normalizeObs: false,
  normalizeReward: false,
};

export const PPO_TASK_DEFAULTS: Readonly<Record<string, Partial<PpoConfig>>> = {
  'CartPole-v1': CARTPOLE_DEFAULTS,
  // Its changed-dynamics variant (reward transfer, issue 14) trains with the same settings.
  'CartPole-heavy-v0': CARTPOLE_DEFAULTS,
  'Pendulum-v1': {
    numEnvs: 4,
    numSteps: 1024,
    learningRate: 1e-3,
    gamma: 0.9,
    gaeLambda: 0.95,
    numMinibatches: 32,
    updateEpochs: 10,
    annealLr: true,
    clipVloss: false,
    normalizeObs: false,
    normalizeReward: false,
  },
  'InvertedPendulum-v5': {
    numEnvs: 1,
    numSteps: 2048,
    numMinibatches: 8,
    gaeLambda: 0.9,
  },
  // Its changed-dynamics variant (reward transfer, issue 14) trains with the same settings.
  'InvertedPendulum-damped-v0': {
    numEnvs: 1,
    numSteps: 2048,
    numMinibatches: 8,
    gaeLambda: 0.9,
  },
  'Reacher-v5': {
    numEnvs: 1,
    numSteps: 2048,
    numMinibatches: 8,
    gamma: 0.9,
    gaeLambda: 0.95,
    clipCoef: 0.3,
  },
  'ArmReach-v0': ARM_REACH_DEFAULTS,
  'ArmReach-reversed-v0': ARM_REACH_DEFAULTS,
};

/**
 * The default config of `envId`: base, then discrete defaults when
 * `discreteActions`, then the task's tuned entry. `seed`/`totalSteps` are
 * left for the caller.
 */
export function ppoDefaultsFor(envId: string, discreteActions: boolean): Omit<PpoConfig, 'seed' | 'totalSteps'> {
  const tuned = PPO_TASK_DEFAULTS[envId];
  return { ...PPO_BASE_DEFAULTS, ...(discreteActions && !tuned ? PPO_DISCRETE_DEFAULTS : {}), ...(tuned ?? {}) };
}
