import { existsSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricStream } from '../streams/metrics.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { loadVega } from '../bench/vega-svg.js';
import { MetricsJsonlWriter } from './metrics-jsonl-writer.js';
import { ProgressReporter } from './progress-reporter.js';
import { writeRunReport, type RunReportInput, type RunSummary, type EpisodePoint } from './run-report.js';
import { prepareRunDir, truncateMetrics, type RunDirMode } from './run-directory.js';

/** Options of {@link RunOutputs.open}. */
export interface RunOutputsOptions {
  /** The stream the trainer emits to; every output listens to it (the trainer does not know them). */
  metrics: MetricStream;
  /** Env steps the run ends at (100% of the progress bar), a positive integer. */
  totalSteps: number;
  /** Env steps already done: the step of the checkpoint the run resumes from. Default 0. */
  startStep?: number;
  /**
   * An existing `outDir` (see {@link RunDirMode}): `new` (default) refuses a
   * non-empty directory; `resume` continues the run in it: `metrics.jsonl`
   * is cut back to the rows at or before `startStep` and its episodes start
   * the curve and summary; `replace` deletes the previous run's files.
   */
  mode?: RunDirMode;
  /** Names `outDir` in errors (default `RunOutputs.open.outDir`), e.g. `lamkit train --out`. */
  where?: string;
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
 * - `metrics.jsonl`: every row as it comes (a resumed run continues the
 *   file from its checkpoint's step, so `global_step` never goes back);
 * - a progress bar on stderr (optional);
 * - at {@link finish}: `summary.json`, `config.json` (the resolved config) and
 *   `learning-curve.svg` (the episodic returns of the whole run, resumed
 *   parts included), each written atomically.
 *
 * A run directory is never mixed by accident: `open` refuses a non-empty
 * directory unless `mode` is `resume` or `replace`.
 *
 * ```ts
 * const metrics = new MetricStream();
 * const outputs = RunOutputs.open('runs/cartpole', { metrics, totalSteps: 100_000, label: 'CartPole-v1 ppo', progress: true });
 * try {
 *   const result = await ppo.learn();            // emits rows to `metrics`
 *   metrics.complete();
 *   const summary = await outputs.finish({ envId, algo: 'ppo', config, backend, result, resumedFrom: null });
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
  private readonly mode: RunDirMode;
  private readonly createdDir: boolean;
  private rows = 0;
  private closed = false;

  private constructor(outDir: string, options: RunOutputsOptions, earlier: EpisodePoint[], createdDir: boolean) {
    this.outDir = outDir;
    this.mode = options.mode ?? 'new';
    this.createdDir = createdDir;
    this.finished.push(...earlier);
    const { metrics } = options;
    // Every subscriber handles the error end (RxJS rethrows unhandled ones asynchronously, as an uncaught exception).
    this.episodeSubscription = metrics.subscribe({
      next: (row) => {
        this.rows++;
        const r = row['charts/episodic_return'];
        if (r !== undefined) this.finished.push({ step: row.global_step, value: r, wall: row.wall_s });
      },
      error: () => {},
    });
    this.jsonl = new MetricsJsonlWriter(join(outDir, 'metrics.jsonl'), metrics);
    this.progress = options.progress ? new ProgressReporter(metrics, options.totalSteps, options.startStep ?? 0, options.label) : null;
  }

  /**
   * Checks `outDir` against `options.mode` and creates it (and parents),
   * opens `metrics.jsonl` for appending (in `resume` mode, after cutting it
   * back to `startStep`) and starts listening to `options.metrics`.
   *
   * @throws InvalidArgument for a bad `totalSteps`, `startStep` or `label`;
   *   for an `outDir` that is a file, or holds a run in `new` mode (see `prepareRunDir`).
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
    const mode = options.mode ?? 'new';
    if (mode !== 'new' && mode !== 'resume' && mode !== 'replace') {
      throw new InvalidArgument(formatError('RunOutputs.open.mode', "'new', 'resume' or 'replace'", describeValue(mode), "Pass 'resume' to continue the run in outDir"));
    }
    const createdDir = !existsSync(outDir);
    prepareRunDir(outDir, mode, options.where ?? 'RunOutputs.open.outDir');
    const earlier: EpisodePoint[] = [];
    if (mode === 'resume') {
      for (const row of truncateMetrics(join(outDir, 'metrics.jsonl'), start)) {
        const r = row['charts/episodic_return'];
        if (r !== undefined) earlier.push({ step: row.global_step, value: r, wall: row.wall_s });
      }
    }
    return new RunOutputs(outDir, options, earlier, createdDir);
  }

  /** Episodes finished so far in the whole run (a resumed run's earlier ones first): global step, return, wall seconds (the learning curve's points). */
  get episodes(): ReadonlyArray<EpisodePoint> {
    return this.finished;
  }

  /**
   * Ends the run's outputs: {@link close}, then writes `summary.json`,
   * `config.json` and `learning-curve.svg` (each atomically) and returns the
   * summary. Call it after the trainer returned (and, usually, after
   * `metrics.complete()`), so the last rows are in.
   */
  async finish(input: RunSummaryInput): Promise<RunSummary> {
    this.close();
    await loadVega();
    return writeRunReport(this.outDir, { ...input, episodes: this.finished });
  }

  /**
   * For a run that failed before it emitted anything (a bad setting found
   * while building the network, an env that does not start): {@link close},
   * then remove the empty `metrics.jsonl`, and `outDir` itself when `open`
   * created it and it is empty, so retrying with the same `outDir` is not
   * refused. Does nothing in `resume` mode or once a row was written.
   */
  discardIfUnused(): void {
    this.close();
    if (this.rows > 0 || this.mode === 'resume') return;
    const file = join(this.outDir, 'metrics.jsonl');
    if (existsSync(file) && statSync(file).size === 0) rmSync(file);
    if (this.createdDir && readdirSync(this.outDir).length === 0) rmdirSync(this.outDir);
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
