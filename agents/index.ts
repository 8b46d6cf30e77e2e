// Public API of agents/ (the only tfjs importer). Importing it starts nothing:
// the tfjs backend starts in `initBackend()` (called by PPO.create/restore).
// Internals (tf ops, the MLP's flat layout and JS forward, the explicit
// gradient, the JS optimizer, minibatch assembly) stay out of it.
export { initBackend, BACKEND_NAMES, type BackendName, type BackendInfo, type InitBackendOptions } from './backend.js';
export type {
  ActorCritic,
  ActorCriticEval,
  ActOutput,
  ChunkLayout,
  EvalBatch,
  FastGradient,
  FastMinibatch,
  GroupVariable,
  NamedTensor,
  ObsBatch,
  ObsFeature,
  ParamGroupInfo,
  PpoLossCoefs,
  SequenceSpec,
} from './policies/actor-critic.js';
export { registerPolicyKind, policyKind, policyKinds, resolvePolicyConfig, type PolicyKind, type PolicyIo, type PolicyParts } from './policies/policy-kinds.js';
export { capturePolicy, restorePolicy, type PolicyState } from './policies/policy-state.js';
export type { MlpSpec, HeadSpec, Activation } from './policies/param-layout.js';
export { MlpActorCritic, describeSpec } from './policies/mlp-actor-critic.js';
export { WindowMlpActorCritic, type WindowMlpSpec } from './policies/window-mlp-actor-critic.js';
export { MlpPolicy, type MlpPolicyParts } from './policies/mlp-policy.js';
export { NetworkPolicy, type NetworkPolicyParts } from './policies/network-policy.js';
export { makeDistribution } from './policies/make-distribution.js';
export { Categorical } from './distributions/categorical.js';
export { DiagGaussian } from './distributions/diag-gaussian.js';
export { CategoricalSampler } from './distributions/categorical-sampler.js';
export { DiagGaussianSampler } from './distributions/diag-gaussian-sampler.js';
export { makeSampler } from './policies/make-sampler.js';
export type { ActionDistribution, ActionSampler, LogProbEntropy } from './distributions/action-distribution.js';
export { AdamW } from './optim/adamw.js';
export type { AdamWOptions, GroupOptions, GroupAdamState, OptimizerState } from './optim/adamw-options.js';
export type { RolloutBuffer } from './buffers/rollout-buffer.js';
export { PPO, type PpoOptions, type PpoCreateOptions, type PpoTrainingState, type RewardHook, type LearnResult, type EpisodeRecord } from './algos/ppo/ppo.js';
export type { GradientPath } from './algos/ppo/ppo-updater.js';
export { resolvePpoConfig, PPO_CONFIG_KEYS, type PpoConfig, type ResolvedPpoConfig } from './algos/ppo/ppo-config.js';
export { PPO_TASK_DEFAULTS, PPO_BASE_DEFAULTS, PPO_DISCRETE_DEFAULTS, ppoDefaultsFor } from './algos/ppo/task-defaults.js';
export { ppoCheckpoint, ppoStateFromCheckpoint } from './algos/ppo/ppo-checkpoint.js';
export { registerTrainer, trainer, trainerNames, type Trainer, type TrainerContext, type TrainerResult, type TrainerFamily, type TrainerConfigBase } from './algos/trainer.js';
export { ppoTrainer } from './algos/ppo/ppo-trainer.js';
export { BehaviorCloning, resolveBcConfig, bcConfigSchema, type BcConfig, type BcResult } from './algos/bc/behavior-cloning.js';
export { actionReport, classificationReport, formatActionReport, type ActionReport, type ClassificationReport, type ClassScores } from './algos/bc/action-report.js';
export { labelledBatch, checkDemonstrations, observationStats, normalizeDemonstrations, type Demonstrations, type LabelledBatch } from './algos/bc/demonstrations.js';
export { datasetDemonstrations } from './algos/bc/dataset-demonstrations.js';
export { KlReference, klDivergence } from './algos/ppo/kl-reference.js';
export { loraOnly, DEFAULT_LORA } from './algos/ppo/lora-only.js';
export { ContinualLearner, resolveContinualConfig, CONTINUAL_STRATEGIES, EwcPenalty, estimateFisher, RehearsalBuffer, AdapterBank, retentionSummary, type ContinualStrategy, type ContinualConfig, type ContinualTask, type StageResult, type RetentionSummary } from './algos/continual/index.js';
export { ActionCodec } from './policies/action-codec.js';
export { TransformerActorCritic } from './policies/transformer/transformer-actor-critic.js';
export { TextTransformerActorCritic } from './policies/text/text-transformer-actor-critic.js';
export type { TextTransformerSpec } from './policies/text/text-transformer-spec.js';
export { TEXT_TRANSFORMER_KIND, textPolicyInputs, classPrototypeWords, prototypeVectors } from './policies/text/text-policy-kind.js';
export { tokenizeInstruction } from './text/tokenize.js';
export { Vocabulary, PAD_ID, UNK_ID } from './text/vocabulary.js';
export { loadWordVectors, vectorsFor, WORD_VECTORS_PACKAGE, type WordVectors } from './text/word-vectors.js';
export { TransformerPolicy } from './policies/transformer/transformer-policy.js';
export { addLora, mergeLora } from './policies/transformer/transformer-lora.js';
export { spaceSignature, type TransformerSpec, type LoraSpec, type SpaceEntry } from './policies/transformer/transformer-spec.js';
export { Pretrainer, resolvePretrainConfig, pretrainConfigSchema, pretrainNetwork, taskChunks, type PretrainConfig, type PretrainTask, type PretrainLosses } from './algos/pretrain/pretrain.js';
export { saveCheckpoint, CHECKPOINT_FILES, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta, type CheckpointData, type CheckpointAlgo, type CheckpointNormalization } from './checkpoint/save-checkpoint.js';
export { readCheckpoint, resolveCheckpointDir, type LoadedCheckpoint } from './checkpoint/read-checkpoint.js';
export { loadPolicy, type LoadPolicyOptions, type LoadedPolicy } from './checkpoint/load-policy.js';
export { mlpPolicyFromCheckpoint, type MlpPolicyFromCheckpointOptions } from './checkpoint/mlp-policy-from-checkpoint.js';
export { RewardMlp } from './rewards/reward-mlp.js';
export { LearnedReward, type LearnedRewardSpec, type LearnedRewardState } from './rewards/learned-reward.js';
export { Discriminator, resolveDiscriminatorConfig, discriminatorConfigSchema, type DiscriminatorConfig, type DiscriminatorStats } from './rewards/discriminator.js';
export { checkTransitions, FeatureEncoder, type Transitions } from './rewards/transitions.js';
export { datasetTransitions } from './rewards/dataset-transitions.js';
export { AdversarialImitation, rolloutTransitions, type AdversarialSetup } from './algos/gail/adversarial-imitation.js';
export { adversarialTrainer, type AdversarialConfig } from './algos/gail/adversarial-trainer.js';
export { gailTrainer } from './algos/gail/gail-trainer.js';
export { airlTrainer } from './algos/airl/airl-trainer.js';
export { imitationInputs, type ImitationInputs, type ImitationContext } from './algos/imitation-inputs.js';
export { daggerTrainer, resolveDaggerConfig, daggerBeta, concatDemonstrations, daggerConfigSchema, type DaggerConfig } from './algos/dagger/dagger-trainer.js';
export { MixtureEnv } from './algos/dagger/mixture-env.js';
export { learnedRewardHook, defaultSupportPenalty, DEFAULT_SUPPORT_PENALTY, type LearnedRewardHookOptions } from './rewards/learned-reward-hook.js';
