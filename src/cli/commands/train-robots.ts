import { hostname } from 'node:os';
import { InvalidArgument, InvalidSpace, formatError, describeValue } from '../../core/errors.js';
import type { Space } from '../../core/spaces/space.js';
import { parseIntFlag, listenError } from '../flags.js';
import { escapeLogText } from '../../bridge/escape-log-text.js';

type Lib = typeof import('../../index.js');
type RemoteEnv = import('../../bridge/remote-env.js').RemoteEnv;

/** The `lamkit train` flags that concern robots (strings as commander hands them over). */
export interface TrainRobotFlags {
  /** With `--robots`: a label (the registered task the robots run); used in the hint printed while waiting. */
  env?: string;
  robots?: string;
  port?: string;
  host?: string;
  token?: string;
  stepTimeoutMs?: string;
  waitMs?: string;
}

/** Parsed robot settings of `lamkit train --robots`. */
export interface RobotFleetOptions {
  /** Robots to wait for; they become the sub-envs, in connection order. */
  count: number;
  port: number;
  host: string;
  token: string | undefined;
  /** The token came from `$LAMKIT_TOKEN` (the hint names the variable, never the secret). */
  tokenFromEnv: boolean;
  stepTimeoutMs: number | undefined;
  /** How long to wait for all `count` robots, ms. */
  waitMs: number;
  /** Task named in the `lamkit sim-robot` hint printed while waiting. */
  exampleEnv: string;
}

/** Robots connected, checked and vectorized for training. */
export interface RobotFleet {
  /** The robots as one `VectorEnv` (owns and closes the robots' `RemoteEnv`s). */
  vec: import('../../vector/async-env-vector.js').AsyncEnvVector;
  robotIds: string[];
  /** The URL robots connect to. */
  url: string;
  /** Closes the vector env and the bridge server. Idempotent. */
  close(): Promise<void>;
}

/** Default wait for robots: 2 minutes (people start robots by hand). */
export const DEFAULT_ROBOT_WAIT_MS = 120_000;

/**
 * Validates the robot flags of `lamkit train`; returns null without `--robots`
 * (then `--port`, `--host`, `--token`, `--step-timeout-ms` and `--wait-ms` are refused).
 */
export function parseRobotFlags(flags: TrainRobotFlags): RobotFleetOptions | null {
  const count = parseIntFlag('lamkit train --robots', flags.robots, 1, '2');
  if (count === undefined) {
    for (const [flag, v] of [['--port', flags.port], ['--host', flags.host], ['--token', flags.token], ['--step-timeout-ms', flags.stepTimeoutMs], ['--wait-ms', flags.waitMs]] as const) {
      if (v !== undefined) throw new InvalidArgument(formatError(`lamkit train ${flag}`, 'no such flag without --robots', describeValue(v), 'Add --robots <n> to train on robots that connect over WebSocket, or drop the flag'));
    }
    return null;
  }
  const port = parseIntFlag('lamkit train --port', flags.port, 0, '8765') ?? 8765;
  if (port > 65535) throw new InvalidArgument(formatError('lamkit train --port', 'an integer in [0, 65535]', describeValue(flags.port), 'Pass e.g. --port 8765'));
  return {
    count,
    port,
    host: flags.host ?? '127.0.0.1',
    token: flags.token ?? process.env.LAMKIT_TOKEN,
    tokenFromEnv: flags.token === undefined && process.env.LAMKIT_TOKEN !== undefined,
    stepTimeoutMs: parseIntFlag('lamkit train --step-timeout-ms', flags.stepTimeoutMs, 1, '1000'),
    waitMs: parseIntFlag('lamkit train --wait-ms', flags.waitMs, 1, '120000') ?? DEFAULT_ROBOT_WAIT_MS,
    exampleEnv: flags.env ?? 'CartPole-v1',
  };
}

/**
 * Starts a bridge server, waits for `count` robots (logging each arrival),
 * checks that they announced identical spaces (and, when `expected` is given,
 * the spaces of that task or checkpoint) and vectorizes them with
 * `AsyncEnvVector`. `onListening(url)` is called once the server listens.
 * On any failure the server is closed before the error propagates.
 */
export async function connectRobotFleet(
  lib: Lib,
  opts: RobotFleetOptions,
  expected: { label: string; observationSpace: Space<unknown>; actionSpace: Space<unknown> } | null,
  log: (line: string) => void,
  onListening: (url: string) => void = () => {},
): Promise<RobotFleet> {
  const server = await lib.BridgeServer.listen({ port: opts.port, host: opts.host, token: opts.token, stepTimeoutMs: opts.stepTimeoutMs }).catch((err: unknown) => {
    throw listenError(err, 'lamkit train --port', opts.port, opts.host);
  });
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? hostname() : opts.host;
  const url = `ws://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${server.port}/`;
  try {
    let seen = 0;
    const off = server.onRobot((env) => {
      seen++;
      // Space keys come from the robot: escaped, so they cannot forge log lines.
      log(escapeLogText(`lamkit train: robot ${seen}/${opts.count} connected: ${env.robotId} (${env.observationSpace.toString()} -> ${env.actionSpace.toString()}, ${env.controlRateHz} Hz)`));
    });
    log(`lamkit train: waiting up to ${(opts.waitMs / 1000).toFixed(0)} s for ${opts.count} robot(s) on ${url}${opts.token ? ' (token required)' : ''}; start each with e.g. lamkit sim-robot --env ${opts.exampleEnv} --connect ${url}${opts.token ? ` --token ${opts.tokenFromEnv ? '"$LAMKIT_TOKEN"' : '<token>'}` : ''} --robot-id <id>`);
    onListening(url);
    let robots: RemoteEnv[];
    try {
      robots = await server.waitForRobots(opts.count, opts.waitMs);
    } catch {
      const ids = server.robots().map((r) => r.robotId);
      throw new lib.BridgeTimeoutError(
        formatError('lamkit train --robots', `${opts.count} robot(s) connected to ${url} within ${opts.waitMs} ms`, `${ids.length}${ids.length ? ` (${ids.join(', ')})` : ''}`, `Start the robots with --connect ${url}${opts.token ? ' and the token' : ''}, or raise --wait-ms`),
      );
    } finally {
      off();
    }
    checkFleetSpaces(robots, expected);
    const vec = new lib.AsyncEnvVector(robots);
    let closing: Promise<void> | null = null;
    return {
      vec,
      robotIds: robots.map((r) => r.robotId),
      url,
      close() {
        closing ??= vec.close().finally(() => server.close());
        return closing;
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/**
 * Throws `InvalidSpace` naming both robots (or the robot and `expected.label`)
 * and both spaces unless every robot announced the same spaces.
 */
function checkFleetSpaces(
  robots: ReadonlyArray<{ robotId: string; observationSpace: Space<unknown>; actionSpace: Space<unknown> }>,
  expected: { label: string; observationSpace: Space<unknown>; actionSpace: Space<unknown> } | null,
): void {
  const show = (s: { observationSpace: Space<unknown>; actionSpace: Space<unknown> }): string => `${s.observationSpace.toString()} -> ${s.actionSpace.toString()}`;
  const same = (a: typeof robots[number] | NonNullable<typeof expected>, b: typeof robots[number]): boolean => a.observationSpace.equals(b.observationSpace) && a.actionSpace.equals(b.actionSpace);
  for (const r of robots.slice(1)) {
    if (!same(robots[0], r)) {
      throw new InvalidSpace(formatError('lamkit train --robots', `every robot to announce the spaces of robot '${robots[0].robotId}' (${show(robots[0])})`, `robot '${r.robotId}' with ${show(r)}`, 'Connect robots of one kind only, or train each kind in its own run'));
    }
  }
  if (expected && robots.length > 0 && !same(expected, robots[0])) {
    throw new InvalidSpace(formatError(`lamkit train ${expected.label}`, `robots with its spaces (${show(expected)})`, `robot '${robots[0].robotId}' with ${show(robots[0])}`, 'Label the run with the task the robots run, or leave the label out'));
  }
}

/**
 * The task name recorded for a robot run without `--env`: the robots' common
 * id prefix without trailing separators (`arm-0`, `arm-1` -> `arm`), or
 * `robots` when they share none.
 */
export function robotTaskName(robotIds: readonly string[]): string {
  if (robotIds.length === 0) return 'robots';
  let prefix = robotIds[0];
  for (const id of robotIds) while (!id.startsWith(prefix)) prefix = prefix.slice(0, -1);
  if (robotIds.length > 1) prefix = prefix.replace(/[0-9]+$/, '');
  prefix = prefix.replace(/[-_.:]+$/, '');
  return prefix.length > 0 ? prefix : 'robots';
}
