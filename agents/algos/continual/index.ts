export { ContinualLearner, resolveContinualConfig, continualConfigSchema, CONTINUAL_STRATEGIES, type ContinualStrategy, type ContinualConfig, type ContinualTask, type StageResult } from './continual-learner.js';
export { EwcPenalty, estimateFisher, sharedVariables } from './ewc.js';
export { RehearsalBuffer, replayNll, subsampleEpisodes, type ReplayEntry } from './rehearsal.js';
export { AdapterBank } from './adapter-bank.js';
export { retentionSummary, type RetentionSummary } from './retention.js';
