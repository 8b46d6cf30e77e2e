// Public API of src/run: the outputs every trainer leaves (metrics.jsonl, progress, summary.json, learning-curve.svg).
export { RunOutputs, type RunOutputsOptions, type RunSummaryInput } from './run-outputs.js';
export { prepareRunDir, checkRunDir, autoRunDir, truncateMetrics, runDirOfCheckpoint, RUN_ENTRIES, type RunDirMode } from './run-directory.js';
export type { RunSummary, EpisodePoint } from './run-report.js';
export { learningCurveSvg, type CurvePoint, type LearningCurveOptions } from './learning-curve-svg.js';
