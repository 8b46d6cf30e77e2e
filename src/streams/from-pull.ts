import { Observable } from 'rxjs';

export type { Observable };

/**
 * A cold Observable over a pull source (an async iterator made anew for each
 * subscription). Values are read ahead of the subscriber only one at a
 * time: the next is pulled after `next` returns (and the event loop had a
 * turn); unsubscribing stops the pulling and calls the iterator's `return`.
 * An error from the iterator reaches the subscriber as `error`.
 */
export function fromPull<T>(make: () => AsyncIterator<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const it = make();
    let stopped = false;
    void (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (stopped) return;
          if (r.done) break;
          subscriber.next(r.value);
        }
        subscriber.complete();
      } catch (err) {
        if (!stopped) subscriber.error(err);
      }
    })();
    return () => {
      stopped = true;
      void it.return?.(undefined);
    };
  });
}
