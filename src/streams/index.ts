// Public API of src/streams: RxJS sources and operators (the only rxjs importer).
export { MetricStream, METRIC_KEYS, type MetricKey, type MetricRow } from './metrics.js';
export { transitions, type Transition, type TransitionsOptions } from './transitions.js';
export { toEpisodes, type Episode } from './to-episodes.js';
export { episodeReturns, type EpisodeReturn } from './episode-returns.js';
export { slidingWindow } from './sliding-window.js';
export { rollingStats, type RollingStats } from './rolling-stats.js';
export { sampleLatest, type Sampled } from './sample-latest.js';
export { eventRate } from './event-rate.js';
export { fromObservationSource, type ObservationSource } from './from-observation-source.js';
export { fromPull } from './from-pull.js';
