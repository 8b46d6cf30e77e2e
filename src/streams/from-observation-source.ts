import { Observable } from 'rxjs';

/** Anything that pushes observations to listeners, e.g. a bridge `RemoteEnv` (`onObservation`). */
export interface ObservationSource<T> {
  onObservation(listener: (value: T) => void): () => void;
  /** Optional: called once when the source ends for good (e.g. the env closed); the Observable then completes. */
  onEnd?(listener: () => void): () => void;
}

/**
 * A hot Observable of every observation a source pushes (a robot streams
 * observations whether or not anyone listens). Subscribing attaches a
 * listener, unsubscribing removes it; nothing is buffered: values that
 * arrive while no one is subscribed are not replayed. It completes when the
 * source ends (`onEnd`), e.g. when a `RemoteEnv` is closed.
 *
 * Backpressure: values are pushed synchronously at the robot's rate; a
 * consumer that cannot keep up should sample (`sampleLatest`, which keeps
 * only the newest value per period) rather than buffer.
 */
export function fromObservationSource<T>(source: ObservationSource<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const offValue = source.onObservation((v) => subscriber.next(v));
    const offEnd = source.onEnd?.(() => subscriber.complete());
    return () => {
      offValue();
      offEnd?.();
    };
  });
}
