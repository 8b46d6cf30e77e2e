// Public API of src/bench: policy evaluation, lamkit bench (runs, statistics, report, comparison).
export { evaluatePolicy, type EvaluatePolicyOptions, type PolicyEvaluation } from './evaluate-policy.js';
export { runBench, type RunBenchOptions } from './run-bench.js';
export type { BenchResults, BenchMachine, BenchSettings, BenchTask, BenchPolicy, PolicyTaskResult, PolicyAggregate, ProfileResult, ImprovementResult, TrainingRunResult, BenchFailure } from './bench-results.js';
export type { BenchSources, BenchSourcesModule, BenchEnv } from './bench-sources.js';
export { EPISODE_SEED_STRIDE, type EvaluationJob, type EvaluationRun } from './evaluate-job.js';
export { summarizeBench, runScore } from './summarize-bench.js';
export { writeBenchReport, benchCsv, CSV_COLUMNS, type BenchReportFiles } from './bench-report.js';
export { formatBenchSummary } from './bench-table.js';
export { compareBenchResults, type CompareOptions, type CompareResult, type CompareRow } from './compare-bench-results.js';
export { RandomPolicy } from './random-policy.js';
export { measureInferenceLatency, type LatencyFigures } from './inference-latency.js';
export { trimMean, interquartileMean, percentileOfSorted } from './interquartile-mean.js';
export { stratifiedBootstrap, flattenScores, type TaskScores, type BootstrapOptions, type BootstrapResult, type IntervalEstimate } from './stratified-bootstrap.js';
export { iqmInterval, meanInterval } from './aggregate-intervals.js';
export { probabilityOfImprovement, probabilityOfImprovementInterval } from './probability-of-improvement.js';
export { performanceProfile, runScoreDistribution, linspace, type PerformanceProfile } from './performance-profile.js';
export { renderVegaLiteSvg, loadVega, type VegaLiteSpec } from './vega-svg.js';
