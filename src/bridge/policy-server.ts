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

/**
 * The policy-server mode (`lamkit serve`): drives every robot that connects
 * to `server` (now or later) with `policy`, one loop per robot: reset, then
 * act/step until the episode ends, forever. A timeout or disconnect ends
 * the episode; the loop then waits for the robot (reset waits for a
 * reconnect) and starts a new one. Robots whose spaces differ from the
 * policy's get an `error` and are not driven.
 */
export function servePolicy(server: BridgeServer, policy: Policy, options: ServePolicyOptions = {}): PolicyServerHandle {
  const deterministic = options.deterministic ?? true;
  const stop = new AbortController();
  let episodes = 0;
  const loops: Promise<void>[] = [];
  const report = (err: unknown, robotId: string): void => {
    const e = err instanceof LamkitError ? err : new BridgeProtocolError('BAD_MESSAGE', String(err), { cause: err });
    options.onError?.(e, robotId);
  };

  const drive = async (env: RemoteEnv): Promise<void> => {
    if (!policy.observationSpace.equals(env.observationSpace) || !policy.actionSpace.equals(env.actionSpace)) {
      return report(
        new BridgeProtocolError('BAD_SPACE', formatError(`servePolicy(${env.robotId})`, `a robot with ${policy.observationSpace.toString()} -> ${policy.actionSpace.toString()}`, `${env.observationSpace.toString()} -> ${env.actionSpace.toString()}`, 'Serve a checkpoint trained on this robot')),
        env.robotId,
      );
    }
    // Only the robot's first reset is seeded (later episodes continue its stream).
    let seeds = options.seed === undefined ? undefined : [options.seed];
    while (!stop.signal.aborted && !env.isClosed) {
      try {
        await runEpisodes(env, policy, {
          deterministic,
          seeds,
          signal: stop.signal,
          keepEpisodes: false,
          onEpisodeStart: () => void (seeds = undefined),
          onEpisodeEnd: (ep) => {
            episodes++;
            options.onEpisode?.({ robotId: env.robotId, return: ep.return, length: ep.length, terminated: ep.terminated, truncated: ep.truncated });
          },
        });
      } catch (err) {
        if (stop.signal.aborted || env.isClosed) return;
        // A timeout or disconnect ended the episode: the next runEpisodes resets, which waits for the robot.
        report(err, env.robotId);
        // Do not spin on a robot that keeps failing at once.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  for (const env of server.robots()) loops.push(drive(env));
  const off = server.onRobot((env) => loops.push(drive(env)));
  return {
    get episodes() {
      return episodes;
    },
    async stop() {
      stop.abort();
      off();
      for (const env of server.robots()) env.emergencyStop('policy server stopped');
      await Promise.allSettled(loops);
    },
  };
}
