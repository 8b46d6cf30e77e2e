import { Observable } from 'rxjs';
import type { AsyncEnv, Env, Info } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import { runEpisodes, assertPolicyFits } from '../core/run-episodes.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** One environment step as a stream event. */
export interface Transition<Obs = unknown, Act = unknown> {
  /** Observation the action was chosen from. */
  obs: Obs;
  action: Act;
  reward: number;
  nextObs: Obs;
  terminated: boolean;
  truncated: boolean;
  info: Info;
  /** Episode index, from 0. */
  episode: number;
  /** Step index within the episode, from 0. */
  t: number;
}

/** Options of {@link transitions}. */
export interface TransitionsOptions {
  /** Seed of the first reset (later episodes continue the env's stream). */
  seed?: number;
  /** Complete after this many episodes. Default: never (unsubscribe to stop). */
  episodes?: number;
  /** Complete after this many steps in total. */
  maxSteps?: number;
  /** Passed to `policy.act` (mode of the distribution). Default false. */
  deterministic?: boolean;
  /** Yield to the event loop every this many steps of a synchronous env. Default 64. */
  yieldEvery?: number;
}

/**
 * A cold Observable of the transitions of `policy` acting in `env` (a
 * simulated `Env` or an `AsyncEnv` such as a `RemoteEnv` robot). Each
 * subscription runs its own loop: reset, then act/step until `episodes` or
 * `maxSteps`, resetting after every episode end. Unsubscribing stops the
 * loop before the next step; the env is not closed (its owner closes it).
 *
 * Backpressure: the loop is pull-driven. Each transition is pushed
 * synchronously and the next step starts only after every subscriber's
 * `next` returned, so a slow synchronous consumer slows the robot loop
 * instead of queueing. Consumers that go asynchronous (`observeOn`,
 * `concatMap` of async work) queue transitions without bound; put a
 * dropping operator in front of them (`sampleLatest`, rxjs `throttleTime`).
 */
export function transitions<Obs = unknown, Act = unknown>(env: Env<Obs, Act> | AsyncEnv<Obs, Act>, policy: Policy, options: TransitionsOptions = {}): Observable<Transition<Obs, Act>> {
  const { episodes = Infinity, maxSteps = Infinity, deterministic = false, yieldEvery = 64 } = options;
  for (const [k, v] of Object.entries({ episodes, maxSteps, yieldEvery })) {
    if (!(v === Infinity || (Number.isInteger(v) && v > 0))) throw new InvalidArgument(formatError(`transitions.${k}`, 'a positive integer', describeValue(v), 'Omit it for no limit'));
  }
  assertPolicyFits('transitions.policy', policy, env);
  return new Observable<Transition<Obs, Act>>((subscriber) => {
    const stop = new AbortController();
    // Unsubscribing stops the loop before its next step.
    subscriber.add(() => stop.abort());
    // Start after subscribe returns (as before): subscribers joining in the same tick see every transition.
    queueMicrotask(() => {
      if (stop.signal.aborted) return;
      runEpisodes(env, policy, {
        episodes,
        maxSteps,
        deterministic,
        yieldEvery,
        // Only the first reset is seeded; later episodes continue the env's stream.
        seeds: options.seed === undefined ? undefined : [options.seed],
        signal: stop.signal,
        keepEpisodes: false,
        onStep: (s) => {
          // The loop reuses its step object and the policy its action batch: the event owns copies.
          const action = (typeof s.action === 'number' ? s.action : (s.action as Float32Array).slice()) as Act;
          subscriber.next({ obs: s.obs, action, reward: s.reward, nextObs: s.nextObs, terminated: s.terminated, truncated: s.truncated, info: s.info, episode: s.episode, t: s.t });
        },
      }).then(
        () => subscriber.complete(),
        (err: unknown) => subscriber.error(err),
      );
    });
  });
}
