import { Observable } from 'rxjs';
import type { AsyncEnv, Env, Info } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import { ActionUnbatcher } from '../core/vector-env.js';
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

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

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
  if (!policy.observationSpace.equals(env.observationSpace as never) || !policy.actionSpace.equals(env.actionSpace as never)) {
    throw new InvalidArgument(
      formatError('transitions.policy', `a policy for ${env.observationSpace.toString()} -> ${env.actionSpace.toString()}`, `${policy.observationSpace.toString()} -> ${policy.actionSpace.toString()}`, 'Load the policy trained on this task'),
    );
  }
  return new Observable<Transition<Obs, Act>>((subscriber) => {
    const flat = new Float32Array(env.observationSpace.flatDim);
    const unbatch = new ActionUnbatcher(env.actionSpace as never, 1);
    const actOptions = { deterministic };
    (async () => {
      let { obs } = await env.reset(options.seed === undefined ? {} : { seed: options.seed });
      policy.resetEpisode?.(0);
      let episode = 0;
      let t = 0;
      for (let steps = 0; steps < maxSteps && episode < episodes && !subscriber.closed; steps++) {
        env.observationSpace.flattenInto(obs as never, flat, 0);
        const batch = await policy.act(flat, actOptions);
        if (subscriber.closed) return;
        const a = unbatch.get(batch, 0);
        const action = (typeof a === 'number' ? a : (a as Float32Array).slice()) as Act;
        const r = await env.step(action);
        if (subscriber.closed) return;
        subscriber.next({ obs, action, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, episode, t });
        t++;
        obs = r.obs;
        if (r.terminated || r.truncated) {
          episode++;
          t = 0;
          if (episode < episodes && steps + 1 < maxSteps && !subscriber.closed) {
            obs = (await env.reset()).obs;
            policy.resetEpisode?.(0);
          }
        }
        if ((steps + 1) % yieldEvery === 0) await yieldToLoop();
      }
      subscriber.complete();
    })().catch((err: unknown) => subscriber.error(err));
  });
}
