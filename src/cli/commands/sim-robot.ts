import type { Command } from 'commander';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';

/** Flags of `lamkit sim-robot`. */
export interface SimRobotFlags {
  env: string;
  connect: string;
  token?: string;
  robotId?: string;
  rate?: string;
  watchdogMs?: string;
  json?: boolean;
}

/** A running simulated robot. */
export interface SimRobotHandle {
  robotId: string;
  /** Safe-action interventions so far, by reason. */
  readonly safeActions: Record<string, number>;
  /** Episodes the robot finished (terminated or truncated). */
  readonly episodes: number;
  /** Actions the robot applied (env steps). */
  readonly steps: number;
  close(): Promise<void>;
}

/**
 * Runs a registered task as a robot that connects to a bridge server: the
 * whole robot loop (handshake, observations, actions, watchdog, reconnect)
 * without hardware.
 */
export async function startSimRobot(flags: SimRobotFlags, log: (line: string) => void = () => {}): Promise<SimRobotHandle> {
  if (typeof flags.connect !== 'string' || !/^wss?:\/\//.test(flags.connect)) {
    throw new InvalidArgument(formatError('lamkit sim-robot --connect', 'a ws:// or wss:// URL', describeValue(flags.connect), 'Pass e.g. --connect ws://127.0.0.1:8765/'));
  }
  const rateHz = parseIntFlag('lamkit sim-robot --rate', flags.rate, 1, '50');
  const watchdogMs = parseIntFlag('lamkit sim-robot --watchdog-ms', flags.watchdogMs, 1, '60');
  const lib = await import('../../index.js');
  const env = await lib.makeAsync(flags.env);
  // isSuccess travels with each step so evaluation over the bridge can report success rates.
  const handler = lib.envRobotHandler(env, { forwardInfo: ['isSuccess'] });
  let episodes = 0;
  let steps = 0;
  const act = handler.act.bind(handler);
  handler.act = (a) => {
    const r = act(a) as { terminated?: boolean; truncated?: boolean };
    steps++;
    if (r.terminated || r.truncated) episodes++;
    return r as ReturnType<typeof act>;
  };
  const robotId = flags.robotId ?? `${flags.env.replace(/[^A-Za-z0-9_.:-]/g, '_')}-sim`;
  const fps = env.metadata.renderFps;
  const client = await lib.RobotClient.connect({
    url: flags.connect,
    token: flags.token ?? process.env.LAMKIT_TOKEN,
    robotId,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    controlRateHz: rateHz ?? (typeof fps === 'number' && fps > 0 ? fps : 50),
    safeAction: safeActionOf(env.actionSpace),
    handler,
    watchdogMs,
    binary: !flags.json,
  });
  let closed = false;
  client.on('disconnected', (e) => {
    if (!closed) log(`sim-robot ${robotId}: disconnected (${e.code} ${e.reason}); reconnecting`);
  });
  client.on('connected', () => log(`sim-robot ${robotId}: connected to ${flags.connect}`));
  client.on('estop', (e) => log(`sim-robot ${robotId}: EMERGENCY STOP (${e.reason})`));
  client.on('error', (e) => log(`sim-robot ${robotId}: ${e.error.message}`));
  log(`sim-robot ${robotId}: ${flags.env} connected to ${flags.connect}`);
  return {
    robotId,
    safeActions: handler.safeActions,
    get episodes() {
      return episodes;
    },
    get steps() {
      return steps;
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      env.close();
    },
  };
}

/** Zeros clipped into the action space (the centre of a symmetric Box, action 0 of a Discrete). */
function safeActionOf(space: import('../../core/spaces/space.js').Space<unknown>): number[] {
  const j = space.toJSON();
  if (j.type === 'Box') {
    const dec = (v: number | string): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
    return j.low.map((lo, i) => Math.min(Math.max(0, dec(lo)), dec(j.high[i])));
  }
  if (j.type === 'Discrete') return [j.start];
  if (j.type === 'MultiDiscrete') return j.start.slice();
  if (j.type === 'MultiBinary') return new Array(space.flatDim).fill(0);
  throw new InvalidArgument(formatError('lamkit sim-robot --env', 'a task with a Box, Discrete, MultiDiscrete or MultiBinary action space', space.toString(), 'Pick another task'));
}

/** Registers `lamkit sim-robot`. */
export function register(program: Command): void {
  program
    .command('sim-robot')
    .description('Run a simulated task as a robot that connects to a bridge server')
    .requiredOption('--env <id>', 'registered task, e.g. ArmReach-v0')
    .requiredOption('--connect <url>', 'server URL, e.g. ws://127.0.0.1:8765/')
    .option('--token <t>', 'shared secret (default: $LAMKIT_TOKEN)')
    .option('--robot-id <id>', 'robot id (default: <env>-sim)')
    .option('--rate <hz>', 'announced control rate (default: the task fps or 50)')
    .option('--watchdog-ms <ms>', 'apply the safe action when no action arrives within this many ms after an observation (default: 3 control periods, at least 20 ms: 60 at 50 Hz)')
    .option('--json', 'send JSON instead of binary frames')
    .action(async (flags: SimRobotFlags) => {
      const h = await startSimRobot(flags, (line) => process.stdout.write(line + '\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await h.close();
    });
}
