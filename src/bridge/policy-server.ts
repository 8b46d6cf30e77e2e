import type { Policy } from '../core/policy.js';
import { runEpisodes } from '../core/run-episodes.js';
import { LamkitError, formatError } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';
import type { BridgeServer } from './bridge-server.js';
import type { RemoteEnv } from './remote-env.js';

/** A finished episode of one robot under the policy server. */
export interface ServedEpisode {
  robotId: string;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
}

/** Options of {@link servePolicy}. */
export interface ServePolicyOptions {
  /** Take the mode of the action distribution. Default true (serving, not exploring). */
  deterministic?: boolean;
  /** Called after every episode of every robot. */
  onEpisode?: (ep: ServedEpisode) => void;
  /** Called when a robot's loop hits an error (timeout, disconnect, spaces that do not match the policy). */
  onError?: (err: LamkitError, robotId: string) => void;
  /** Seed of each robot's first reset. */
  seed?: number;
}

/** A running policy server; `stop()` ends every robot loop (robots stay connected). */
export interface PolicyServerHandle {
  /** Episodes finished so far, all robots. */
  readonly episodes: number;
  stop(): Promise<void>;
}

/** First and longest pause between retries of a robot that keeps failing while connected (doubling). */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5000;

/**
 * The policy-server mode (`lamkit serve`): drives every robot that connects
 * to `server` (now or later) with `policy`, one loop per robot: reset, then
 * act/step until the episode ends, forever. A timeout or disconnect ends
 * the episode and is reported once; a disconnected robot's loop then waits,
 * silently and without polling, until the robot reconnects (and starts a
 * new episode) or the server forgets it (`forgetAfterMs`), which ends the
 * loop. A robot that keeps failing while connected is retried after 50 ms,
 * doubling to 5 s. Robots whose spaces differ from the policy's get an
 * `error` and are not driven. `stop()` returns promptly: it emergency-stops
 * every robot, which also ends waits for reconnects.
 */
export function servePolicy(server: BridgeServer, policy: Policy, options: ServePolicyOptions = {}): PolicyServerHandle {
  const deterministic = options.deterministic ?? true;
  const stop = new AbortController();
  let episodes = 0;
  const loops = new Set<Promise<void>>();
  const report = (err: unknown, robotId: string): void => {
    const e = err instanceof LamkitError ? err : new BridgeProtocolError('BAD_MESSAGE', String(err), { cause: err });
    options.onError?.(e, robotId);
  };
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stop.signal.addEventListener('abort', done, { once: true });
    });

  const drive = async (env: RemoteEnv): Promise<void> => {
    if (!policy.observationSpace.equals(env.observationSpace) || !policy.actionSpace.equals(env.actionSpace)) {
      return report(
        new BridgeProtocolError('BAD_SPACE', formatError(`servePolicy(${env.robotId})`, `a robot with ${policy.observationSpace.toString()} -> ${policy.actionSpace.toString()}`, `${env.observationSpace.toString()} -> ${env.actionSpace.toString()}`, 'Serve a checkpoint trained on this robot')),
        env.robotId,
      );
    }
    // Only the robot's first reset is seeded (later episodes continue its stream).
    let seeds = options.seed === undefined ? undefined : [options.seed];
    let retryMs = RETRY_FIRST_MS;
    while (!stop.signal.aborted && !env.isClosed) {
      // Gone: wait for it to come back (or to be forgotten, which closes env), without a deadline or a log line per try.
      if (!env.connected && !(await env.whenConnected(stop.signal))) continue;
      try {
        await runEpisodes(env, policy, {
          deterministic,
          seeds,
          signal: stop.signal,
          keepEpisodes: false,
          onEpisodeStart: () => {
            seeds = undefined;
            retryMs = RETRY_FIRST_MS;
          },
          onEpisodeEnd: (ep) => {
            episodes++;
            options.onEpisode?.({ robotId: env.robotId, return: ep.return, length: ep.length, terminated: ep.terminated, truncated: ep.truncated });
          },
        });
      } catch (err) {
        if (stop.signal.aborted || env.isClosed) return;
        // A timeout or disconnect ended the episode (reported once); the next runEpisodes resets.
        report(err, env.robotId);
        // Connected but failing at once (e.g. a reset that times out): back off instead of spinning.
        if (env.connected) {
          await pause(retryMs);
          retryMs = Math.min(2 * retryMs, RETRY_MAX_MS);
        }
      }
    }
  };

  const start = (env: RemoteEnv): void => {
    const loop = drive(env).finally(() => loops.delete(loop));
    loops.add(loop);
  };
  for (const env of server.robots()) start(env);
  const off = server.onRobot(start);
  return {
    get episodes() {
      return episodes;
    },
    async stop() {
      stop.abort();
      off();
      for (const env of server.robots()) env.emergencyStop('policy server stopped');
      await Promise.allSettled([...loops]);
    },
  };
}
