// Public API of agents/ (the only tfjs importer). Importing it starts nothing:
// the tfjs backend starts in `initBackend()` (called by PPO.create/restore).
export { initBackend, BACKEND_NAMES, type BackendName, type BackendInfo, type InitBackendOptions } from './backend.js';
export { matMul, fastTanh, biasAdd, oneHot, embed } from './tf-ops.js';
export { paramLayout, layoutSize, actorOutDim, type MlpSpec, type HeadSpec, type ParamEntry, type Activation } from './policies/param-layout.js';
export { MlpActorCritic, describeSpec, type ActorCriticEval } from './policies/mlp-actor-critic.js';
export { JsActorCritic } from './policies/js-actor-critic.js';
export { ActionCodec } from './policies/action-codec.js';
export { MlpPolicy, type MlpPolicyParts } from './policies/mlp-policy.js';
export { initMlpParams, orthogonalInto } from './policies/orthogonal-init.js';
export { Categorical } from './distributions/categorical.js';
export { DiagGaussian } from './distributions/diag-gaussian.js';
export type { ActionDistribution, LogProbEntropy } from './distributions/action-distribution.js';
export { FlatAdam, type AdamOptions, type AdamState } from './optim/flat-adam.js';
export { JsAdam } from './optim/js-adam.js';
export { RolloutBuffer } from './buffers/rollout-buffer.js';
export { PPO, type PpoOptions, type PpoTrainingState, type LearnResult, type EpisodeRecord } from './ppo/ppo.js';
export { ppoLoss, PPO_STAT_NAMES, type PpoMinibatch, type PpoLossCoefs } from './ppo/ppo-loss.js';
export { ExplicitPpoGrad } from './ppo/explicit-ppo-grad.js';
export { PpoUpdater, type GradientPath } from './ppo/ppo-updater.js';
export type { MinibatchArrays } from './ppo/minibatch-assembler.js';
export { resolvePpoConfig, ppoConfigSchema, PPO_CONFIG_KEYS, type PpoConfig, type ResolvedPpoConfig } from './ppo/ppo-config.js';
export { PPO_TASK_DEFAULTS, PPO_BASE_DEFAULTS, PPO_DISCRETE_DEFAULTS, ppoDefaultsFor } from './ppo/task-defaults.js';
export { VecNormalizer, type VecNormalizerState } from './ppo/vec-normalizer.js';
export { saveCheckpoint, CHECKPOINT_FILES, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta } from './checkpoint/save-checkpoint.js';
export { readCheckpoint, resolveCheckpointDir, type LoadedCheckpoint } from './checkpoint/read-checkpoint.js';
export { loadPolicy, type LoadPolicyOptions, type LoadedPolicy } from './checkpoint/load-policy.js';
