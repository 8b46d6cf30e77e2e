import { Observable, type OperatorFunction } from 'rxjs';
import type { Transition } from './transitions.js';

/** A finished episode. */
export interface Episode<Obs = unknown, Act = unknown> {
  /** Episode index (from the transitions). */
  index: number;
  transitions: Transition<Obs, Act>[];
  /** Undiscounted return. */
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Groups transitions into episodes, emitting each when its last transition
 * (terminated or truncated) arrives. An unfinished episode is dropped when
 * the source completes (it has no end to report). Memory: one episode.
 *
 * ```
 * source:  -a-b-C-d-E|     (capitals end an episode)
 * result:  -----x---y|     x = [a,b,C], y = [d,E]
 * ```
 */
export function toEpisodes<Obs, Act>(): OperatorFunction<Transition<Obs, Act>, Episode<Obs, Act>> {
  return (source) =>
    new Observable<Episode<Obs, Act>>((subscriber) => {
      let current: Transition<Obs, Act>[] = [];
      let ret = 0;
      return source.subscribe({
        next(tr) {
          current.push(tr);
          ret += tr.reward;
          if (tr.terminated || tr.truncated) {
            const ep: Episode<Obs, Act> = { index: tr.episode, transitions: current, return: ret, length: current.length, terminated: tr.terminated, truncated: tr.truncated };
            current = [];
            ret = 0;
            subscriber.next(ep);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
