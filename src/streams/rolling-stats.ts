import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** Statistics over the last `window` numbers. */
export interface RollingStats {
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  /** Values in the window (< window at the start). */
  count: number;
}

/**
 * Mean, std, min and max of the last `window` numbers, emitted for every
 * value (e.g. `episodeReturns()` -> `map(r => r.return)` -> `rollingStats(100)`
 * is the usual "mean return over 100 episodes"). O(window) per value for
 * min/max, O(1) for mean/std; one Float64Array ring in the closure.
 *
 * ```
 * source:          -1-3-5|
 * rollingStats(2): -a-b-c|  a={mean 1} b={mean 2} c={mean 4}
 * ```
 */
export function rollingStats(window: number): OperatorFunction<number, RollingStats> {
  if (!Number.isInteger(window) || window <= 0) throw new InvalidArgument(formatError('rollingStats.window', 'a positive integer', describeValue(window), 'Pass e.g. 100'));
  return (source) =>
    new Observable<RollingStats>((subscriber) => {
      const ring = new Float64Array(window);
      let count = 0;
      let head = 0;
      let sum = 0;
      let sumSq = 0;
      return source.subscribe({
        next(x) {
          if (count === window) {
            sum -= ring[head];
            sumSq -= ring[head] * ring[head];
          } else count++;
          ring[head] = x;
          head = (head + 1) % window;
          sum += x;
          sumSq += x * x;
          let min = Infinity;
          let max = -Infinity;
          for (let i = 0; i < count; i++) {
            const v = ring[i];
            if (v < min) min = v;
            if (v > max) max = v;
          }
          const mean = sum / count;
          subscriber.next({ mean, std: Math.sqrt(Math.max(0, sumSq / count - mean * mean)), min, max, count });
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
