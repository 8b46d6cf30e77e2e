import { Observable, type OperatorFunction } from 'rxjs';
import type { Transition } from './transitions.js';

/** Return and length of one finished episode. */
export interface EpisodeReturn {
  episode: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Emits the undiscounted return of each episode when it ends, keeping only
 * two numbers of state (unlike `toEpisodes`, no transitions are kept).
 *
 * ```
 * source:  -1-2-(3!)-4-(5!)|   (rewards; ! ends an episode)
 * result:  -------6--------9|
 * ```
 */
export function episodeReturns(): OperatorFunction<Transition<unknown, unknown>, EpisodeReturn> {
  return (source) =>
    new Observable<EpisodeReturn>((subscriber) => {
      let ret = 0;
      let length = 0;
      return source.subscribe({
        next(tr) {
          ret += tr.reward;
          length++;
          if (tr.terminated || tr.truncated) {
            const out = { episode: tr.episode, return: ret, length, terminated: tr.terminated, truncated: tr.truncated };
            ret = 0;
            length = 0;
            subscriber.next(out);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
