import type { MetricStream } from '../../../src/streams/metrics.js';
import type { RngState } from '../../../src/core/rng.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import type { PolicyState } from '../../policies/policy-state.js';
import type { OptimizerState } from '../../optim/adamw-options.js';
import type { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import type { GradientPath } from './ppo-updater.js';
import type { VecNormalizerState } from './vec-normalizer.js';
import type { ResolvedPpoConfig } from './ppo-config.js';
import type { PPO } from './ppo.js';
import type { SelfImitationState } from './self-imitation.js';

/** Everything needed to continue a run exactly (what a checkpoint stores). */
export interface PpoTrainingState {
  config: ResolvedPpoConfig;
  policy: PolicyState;
  optimizer: OptimizerState;
  normalizer: VecNormalizerState;
  rng: RngState;
  globalStep: number;
  /** Updates done so far. */
  update: number;
  episodes: number;
  wallSeconds: number;
  /** The KL penalty's coefficient now (adaptive runs change it), when the run has one. */
  klRefCoef?: number;
  /** The KL penalty's frozen reference network, when the run has one (a resumed run keeps penalizing towards it). */
  reference?: PolicyState;
  /** Self-imitation's replay of solved episodes, when the run has one. */
  selfImitation?: SelfImitationState;
}

/**
 * Relabels a collected rollout before advantages are computed: a learned
 * reward (GAIL, AIRL) overwrites `rollout.rewards` (which holds the env's
 * rewards; `rollout.rawObs`, `lastRawObs`, `actions`, `terminated`,
 * `truncated` and `valid` describe the transitions). Reward scaling, when
 * enabled, applies after it.
 */
export type RewardHook = (rollout: RolloutBuffer) => void | Promise<void>;

/**
 * Rollouts collected elsewhere (remote workers running `collect()` on copies
 * of the network, agents/scale): `collect` fills `ppo.rollout` and calls
 * `ppo.acceptRollout`, returning its finished episodes, or null to stop
 * (Ctrl-C while waiting); `afterUpdate` runs after each update (to publish
 * the new weights).
 */
export interface RolloutSource {
  collect(ppo: PPO): Promise<EpisodeRecord[] | null>;
  afterUpdate?(ppo: PPO): Promise<void>;
}

/** Options of {@link PPO.create} / {@link PPO.restore}. */
export interface PpoOptions {
  /** Where metrics go (none: not emitted). */
  metrics?: MetricStream;
  /** Called with the training state at each checkpoint boundary (and at the end); it writes the files. */
  onCheckpoint?: (state: PpoTrainingState) => void | Promise<void>;
  /** Called by {@link PPO.learn} between `collect()` and `update()`. */
  rewardHook?: RewardHook;
  /** Where {@link PPO.learn} gets its rollouts instead of `collect()` (scale-out: remote workers, agents/scale). */
  rolloutSource?: RolloutSource;
  /**
   * How gradient steps are computed. 'explicit' (default): the network's fast
   * path when it offers one (the MLP's hand-derived gradient: ~40 tfjs
   * kernels a step instead of ~300, 2x faster at minibatch 256,
   * bench/ppo-grad-step.ts), else autodiff; 'autodiff': always the
   * network's `evaluate` under `tf.variableGrads`. Results differ by float
   * rounding only, so a run must resume with the path it started with to stay bit-exact.
   */
  gradient?: GradientPath;
  /**
   * The frozen reference of the KL penalty (`config.klRefCoef > 0`); PPO owns
   * it. `PPO.create` copies the starting network when it is absent;
   * `PPO.restore` needs it.
   */
  reference?: ActorCritic;
}

/** Options of {@link PPO.create} besides {@link PpoOptions}: which network to train. */
export interface PpoCreateOptions extends PpoOptions {
  /** The network config, e.g. `{ kind: 'mlp', hidden: [64, 64] }` (default: the `mlp` kind's defaults). */
  policy?: Record<string, unknown>;
  /** Train this network instead of building one (e.g. weights from a checkpoint, or your own `ActorCritic`); PPO owns it from now on. */
  net?: ActorCritic;
  /** Starting observation / return statistics (those the `net` was trained with), when the config normalizes. */
  normalization?: VecNormalizerState;
}

/** One finished episode. */
export interface EpisodeRecord {
  globalStep: number;
  wallSeconds: number;
  return: number;
  length: number;
}

/** What {@link PPO.learn} returns. */
export interface LearnResult {
  globalStep: number;
  updates: number;
  wallSeconds: number;
  /** Episodes finished during this call. */
  episodes: EpisodeRecord[];
}
