import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** The newest value of a period and how many older ones were dropped for it. */
export interface Sampled<T> {
  value: T;
  /** Values that arrived in the period before `value` and were dropped. */
  dropped: number;
}

/**
 * Time-based sampling with an explicit drop policy, for consumers slower
 * than a robot (a dashboard, a logger): every `periodMs` it emits the newest
 * value seen in that period, with the count of values dropped for it;
 * periods without values emit nothing. Memory is one value, whatever the
 * source rate: this is the "keep latest" backpressure strategy.
 *
 * ```
 * source:              -a-b-c---------d-|
 * sampleLatest(5ms):   -----x-----------y|   x={c, dropped 2}, y={d, 0} (at completion)
 * ```
 * On completion the last pending value is flushed.
 */
export function sampleLatest<T>(periodMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, Sampled<T>> {
  if (!(typeof periodMs === 'number' && periodMs > 0)) throw new InvalidArgument(formatError('sampleLatest.periodMs', 'a positive number of ms', describeValue(periodMs), 'Pass e.g. 100'));
  return (source) =>
    new Observable<Sampled<T>>((subscriber) => {
      let has = false;
      let latest: T | undefined;
      let seen = 0;
      const flush = (): void => {
        if (!has) return;
        const out = { value: latest as T, dropped: seen - 1 };
        has = false;
        latest = undefined;
        seen = 0;
        subscriber.next(out);
      };
      const tick = scheduler.schedule(function () {
        flush();
        this.schedule(undefined, periodMs);
      }, periodMs);
      const sub = source.subscribe({
        next(v) {
          has = true;
          latest = v;
          seen++;
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        tick.unsubscribe();
        sub.unsubscribe();
      };
    });
}
