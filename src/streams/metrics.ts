import { Subject, type Observable, type Observer, type Subscription } from 'rxjs';

/**
 * The well-known metric keys (CleanRL's names, so curves line up with its
 * runs). Every row also carries `global_step` and `wall_s`.
 *
 * - `charts/episodic_return`, `charts/episodic_length`: one row per finished
 *   episode (undiscounted, unnormalized return).
 * - `charts/success`: 1/0 for tasks that report `info.isSuccess`.
 * - `losses/*`: one row per update, means over its minibatches.
 * - `charts/learning_rate`, `perf/sps` (env steps per second since start).
 *
 * The list is not closed: an algorithm adds its own keys in the same
 * `<section>/<name>` style (e.g. `losses/discriminator_loss`,
 * `charts/bc_accuracy`), and consumers (metrics.jsonl, plots) pass through
 * whatever numbers a row carries.
 */
export const METRIC_KEYS = [
  'charts/episodic_return',
  'charts/episodic_length',
  'charts/success',
  'charts/learning_rate',
  'losses/policy_loss',
  'losses/value_loss',
  'losses/entropy',
  'losses/approx_kl',
  'losses/clipfrac',
  'perf/sps',
] as const;
/** One of the well-known keys of {@link METRIC_KEYS}. */
export type MetricKey = (typeof METRIC_KEYS)[number];

/**
 * One metrics event: where training was, plus the keys it reports. The
 * well-known keys are typed; any other `<section>/<name>` key may carry a
 * number too (`row['losses/discriminator_loss']` is `number | undefined`).
 */
export type MetricRow = {
  /** Env steps taken so far (all sub-envs). */
  global_step: number;
  /** Seconds since the run started (resumed runs continue the count). */
  wall_s: number;
} & Partial<Record<MetricKey, number>> & { [key: string]: number | undefined };

/**
 * The metric stream a learner writes to and consumers subscribe to
 * (progress bar, `metrics.jsonl`, plots, a dashboard over the bridge). The
 * learner does not know who listens. Hot: rows emitted before a subscriber
 * joins are not replayed.
 *
 * ```ts
 * const metrics = new MetricStream();
 * metrics.rows$.pipe(filter((r) => r['charts/episodic_return'] !== undefined)).subscribe(console.log);
 * metrics.emit({ global_step: 512, wall_s: 1.2, 'charts/episodic_return': 21 });
 * metrics.complete();
 * ```
 */
export class MetricStream {
  private readonly subject = new Subject<MetricRow>();
  /** The rows as an RxJS observable. */
  readonly rows$: Observable<MetricRow> = this.subject.asObservable();
  private closed = false;

  /** Publishes one row (ignored after {@link complete}). */
  emit(row: MetricRow): void {
    if (!this.closed) this.subject.next(row);
  }

  /** Subscribes without importing rxjs (for consumers outside src/streams). */
  subscribe(observer: Partial<Observer<MetricRow>> | ((row: MetricRow) => void)): Subscription {
    return typeof observer === 'function' ? this.subject.subscribe({ next: observer }) : this.subject.subscribe(observer);
  }

  /** Ends the stream (consumers flush and close). Idempotent. */
  complete(): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
  }

  /** Ends the stream with an error. Idempotent with {@link complete}. */
  error(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.error(err);
  }
}
