// Public API of src/data: LeRobotDataset v3.0 datasets (write, read v3.0 and v2.1, split, stream, record).
export { DatasetWriter, type DatasetSpec, type DatasetWriterOptions } from './dataset-writer.js';
export type { EpisodeData, FrameValues } from './episode-journal.js';
export { LeRobotDataset, openDataset, type OpenDatasetOptions, type RecoveryReport, type SkippedFeature, type DataFile } from './lerobot-dataset.js';
export type { EpisodeRecord as DatasetEpisode } from './committed-state.js';
export type { DatasetInfoJson, FeatureInfo, LamkitInfo, EpisodeSplits } from './lerobot-format.js';
export type { FeatureStats } from './feature-stats.js';
export type { ColumnSpec, ColumnValues, ColumnKind } from './parquet-table.js';
export { splitEpisodes, writeSplits, writeKeypointLabels, checkKeypointLabels, keypointLabelRows, type SplitOptions } from './episode-splits.js';
export { iterateBatches, iterateWindows, planSampling, type Batch, type WindowBatch, type DatasetSamplingOptions, type SamplingPlan } from './dataset-batches.js';
export { datasetBatches, datasetWindows } from './dataset-streams.js';
export { recordEpisodes, type RecordEpisodesOptions, type RecordResult } from './record-episodes.js';
export { PerturbedPolicy, type PerturbationOptions } from './perturbed-policy.js';
export { mergeDatasets, compactDataset, describeDataset, episodeData, episodesData } from './dataset-tools.js';
export { datasetSpecOf } from './dataset-writer.js';
export { imageFeature, type ImageShape } from './image-feature.js';
export { observationNames, featureNames } from './observation-names.js';
export { imageParts, stateDimWithoutImages, flatObservations, type ImagePart } from './image-observations.js';
