import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * Emits, for every value, the last `size` values (oldest first) as a new
 * array. With `emitPartial` (default true) the first windows are shorter;
 * otherwise nothing is emitted until `size` values arrived. State is one
 * ring buffer in the closure (like rxjs `pairwise`, generalised).
 *
 * ```
 * source:         -a-b-c-d|
 * slidingWindow(3): A-B-C-D|   A=[a] B=[a,b] C=[a,b,c] D=[b,c,d]
 * ```
 */
export function slidingWindow<T>(size: number, options: { emitPartial?: boolean } = {}): OperatorFunction<T, T[]> {
  if (!Number.isInteger(size) || size <= 0) throw new InvalidArgument(formatError('slidingWindow.size', 'a positive integer', describeValue(size), 'Pass e.g. 100'));
  const emitPartial = options.emitPartial ?? true;
  return (source) =>
    new Observable<T[]>((subscriber) => {
      const ring: T[] = new Array<T>(size);
      let count = 0;
      let head = 0;
      return source.subscribe({
        next(value) {
          ring[head] = value;
          head = (head + 1) % size;
          if (count < size) count++;
          if (count < size && !emitPartial) return;
          const out = new Array<T>(count);
          const start = (head - count + size) % size;
          for (let i = 0; i < count; i++) out[i] = ring[(start + i) % size];
          subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
