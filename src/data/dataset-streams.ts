import { fromPull, type Observable } from '../streams/from-pull.js';
import type { LeRobotDataset } from './lerobot-dataset.js';
import { iterateBatches, iterateWindows, type Batch, type DatasetSamplingOptions, type WindowBatch } from './dataset-batches.js';

/**
 * An RxJS Observable of shuffled minibatches of a dataset (cold: each
 * subscription reads the data anew). Batches are read ahead of the
 * subscriber only one at a time: the next is produced after `next` returns
 * (and the event loop had a turn), and unsubscribing stops the reading.
 * (rxjs itself is imported by src/streams only, ARCHITECTURE.md: `fromPull`.)
 *
 * ```ts
 * datasetBatches(ds, { batchSize: 256, split: 'train', normalize: ['observation.state'] })
 *   .subscribe((b) => learner.step(b.columns['observation.state'], b.columns.action));
 * ```
 */
export function datasetBatches(ds: LeRobotDataset, options: DatasetSamplingOptions): Observable<Batch> {
  return fromPull(() => iterateBatches(ds, options));
}

/** An RxJS Observable of minibatches of windows of `length` consecutive frames (sequence models); see {@link iterateWindows}. */
export function datasetWindows(ds: LeRobotDataset, options: DatasetSamplingOptions & { length: number }): Observable<WindowBatch> {
  return fromPull(() => iterateWindows(ds, options));
}
