// Public API of src/streams (filled in as the area lands).
export {};
export { MetricStream, METRIC_KEYS, type MetricKey, type MetricRow } from './metrics.js';
