import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * The rate of a stream in Hz, measured over consecutive windows of
 * `periodMs`: at the end of each window it emits `count / periodMs * 1000`,
 * 0 included when nothing arrived (a stalled robot shows as 0 Hz rather than
 * as silence). Use it to watch a robot's real control rate:
 * `robot.observations$().pipe(eventRate(1000))`. Completes with the source,
 * without emitting the partial window.
 *
 * ```
 * source:          -a-b-c-------|
 * eventRate(6ms):  ------x-----y|   x = 500 (3 in 6 ms), y = 0
 * ```
 */
export function eventRate<T>(periodMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, number> {
  if (!(typeof periodMs === 'number' && periodMs > 0)) throw new InvalidArgument(formatError('eventRate.periodMs', 'a positive number of ms', describeValue(periodMs), 'Pass e.g. 1000'));
  return (source) =>
    new Observable<number>((subscriber) => {
      let count = 0;
      const tick = scheduler.schedule(function () {
        const hz = (count / periodMs) * 1000;
        count = 0;
        subscriber.next(hz);
        this.schedule(undefined, periodMs);
      }, periodMs);
      const sub = source.subscribe({
        next: () => {
          count++;
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        tick.unsubscribe();
        sub.unsubscribe();
      };
    });
}
