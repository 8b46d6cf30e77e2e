import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricStream } from '../streams/metrics.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { MetricsJsonlWriter } from './metrics-jsonl-writer.js';
import { ProgressReporter } from './progress-reporter.js';
import { writeRunReport, type RunReportInput, type RunSummary, type EpisodePoint } from './run-report.js';

/** Options of {@link RunOutputs.open}. */
export interface RunOutputsOptions {
  /** The stream the trainer emits to; every output listens to it (the trainer does not know them). */
  metrics: MetricStream;
  /** Env steps the run ends at (100% of the progress bar), a positive integer. */
  totalSteps: number;
  /** Env steps already done, e.g. by the run being resumed. Default 0. */
  startStep?: number;
  /** Names the run in the progress bar, e.g. `CartPole-v1 ppo`. */
  label: string;
  /** Draw a progress bar on stderr (cli-progress; a plain line every few seconds when stderr is not a terminal). Default false. */
  progress?: boolean;
}

/** What {@link RunOutputs.finish} needs besides the episodes it collected. */
export type RunSummaryInput = Omit<RunReportInput, 'episodes'>;

/**
 * The files every trainer leaves in its output directory, fed by the
 * trainer's {@link MetricStream}:
 *
 * - `metrics.jsonl`: every row as it comes (appended: a resumed run continues the file);
 * - a progress bar on stderr (optional);
 * - at {@link finish}: `summary.json`, `config.json` (the resolved config) and
 *   `learning-curve.svg` (this invocation's episodic returns), each written atomically.
 *
 * ```ts
 * const metrics = new MetricStream();
 * const outputs = RunOutputs.open('runs/cartpole', { metrics, totalSteps: 100_000, label: 'CartPole-v1 ppo', progress: true });
 * try {
 *   const result = await ppo.learn();            // emits rows to `metrics`
 *   metrics.complete();
 *   const summary = outputs.finish({ envId, algo: 'ppo', config, backend, result, resumedFrom: null });
 * } catch (err) {
 *   metrics.error(err);                          // outputs detach cleanly
 *   throw err;
 * } finally {
 *   outputs.close();                             // idempotent
 * }
 * ```
 */
export class RunOutputs {
  /** The directory written to (created by {@link open}). */
  readonly outDir: string;
  private readonly jsonl: MetricsJsonlWriter;
  private readonly progress: ProgressReporter | null;
  private readonly episodeSubscription: { unsubscribe(): void };
  private readonly finished: EpisodePoint[] = [];
  private closed = false;

  private constructor(outDir: string, options: RunOutputsOptions) {
    this.outDir = outDir;
    const { metrics } = options;
    // Every subscriber handles the error end (RxJS rethrows unhandled ones asynchronously, as an uncaught exception).
    this.episodeSubscription = metrics.subscribe({
      next: (row) => {
        const r = row['charts/episodic_return'];
        if (r !== undefined) this.finished.push({ step: row.global_step, value: r, wall: row.wall_s });
      },
      error: () => {},
    });
    this.jsonl = new MetricsJsonlWriter(join(outDir, 'metrics.jsonl'), metrics);
    this.progress = options.progress ? new ProgressReporter(metrics, options.totalSteps, options.startStep ?? 0, options.label) : null;
  }

  /**
   * Creates `outDir` (and parents), opens `metrics.jsonl` for appending and
   * starts listening to `options.metrics`.
   *
   * @throws InvalidArgument for a bad `totalSteps`, `startStep` or `label`.
   */
  static open(outDir: string, options: RunOutputsOptions): RunOutputs {
    if (typeof outDir !== 'string' || outDir === '') {
      throw new InvalidArgument(formatError('RunOutputs.open.outDir', 'a directory path', describeValue(outDir), 'Pass e.g. runs/cartpole'));
    }
    if (!(Number.isInteger(options.totalSteps) && options.totalSteps > 0)) {
      throw new InvalidArgument(formatError('RunOutputs.open.totalSteps', 'a positive integer', describeValue(options.totalSteps), 'Pass the env steps the run ends at'));
    }
    const start = options.startStep ?? 0;
    if (!(Number.isInteger(start) && start >= 0)) {
      throw new InvalidArgument(formatError('RunOutputs.open.startStep', 'an integer >= 0', describeValue(start), 'Pass the global step of the run being resumed, or omit it'));
    }
    if (typeof options.label !== 'string') {
      throw new InvalidArgument(formatError('RunOutputs.open.label', 'a string', describeValue(options.label), "Pass e.g. 'CartPole-v1 ppo'"));
    }
    mkdirSync(outDir, { recursive: true });
    return new RunOutputs(outDir, options);
  }

  /** Episodes finished so far in this invocation: global step, return, wall seconds (the learning curve's points). */
  get episodes(): ReadonlyArray<EpisodePoint> {
    return this.finished;
  }

  /**
   * Ends the run's outputs: {@link close}, then writes `summary.json`,
   * `config.json` and `learning-curve.svg` (each atomically) and returns the
   * summary. Call it after the trainer returned (and, usually, after
   * `metrics.complete()`), so the last rows are in.
   */
  finish(input: RunSummaryInput): RunSummary {
    this.close();
    return writeRunReport(this.outDir, { ...input, episodes: this.finished });
  }

  /**
   * Detaches the metrics writer (closing `metrics.jsonl`) and the progress
   * bar. Idempotent; safe after the stream completed or failed, and before
   * `metrics.error(err)` (nothing is left listening without an error handler).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.episodeSubscription.unsubscribe();
    this.progress?.stop();
    this.jsonl.close();
  }
}
