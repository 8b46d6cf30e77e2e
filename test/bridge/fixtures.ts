import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import { Box, type BoxArray } from '../../src/core/spaces/box.js';
import { BridgeServer, type BridgeServerOptions } from '../../src/bridge/bridge-server.js';
import { RobotClient, type RobotClientOptions } from '../../src/bridge/robot-client.js';
import { envRobotHandler, type EnvRobotHandler } from '../../src/bridge/env-robot-handler.js';

/**
 * A point on a line: obs [x, v], action [force] in [-1, 1]; x += v, v += 0.1 * force.
 * Reward -|x|; terminated when |x| > 5; the start x comes from the seeded rng.
 */
export class LineEnv extends BaseEnv<BoxArray, BoxArray> {
  readonly observationSpace = new Box(-10, 10, [2]);
  readonly actionSpace = new Box(-1, 1, [1]);
  x = 0;
  v = 0;
  lastAction = NaN;
  reset(args?: ResetArgs): ResetResult<BoxArray> {
    this.seedRng(args);
    this.x = this.rng.uniform(-1, 1);
    this.v = 0;
    return { obs: Float32Array.of(this.x, this.v), info: {} };
  }
  step(action: BoxArray): StepResult<BoxArray> {
    this.lastAction = action[0];
    this.v += 0.1 * action[0];
    this.x += this.v;
    return { obs: Float32Array.of(this.x, this.v), reward: -Math.abs(this.x), terminated: Math.abs(this.x) > 5, truncated: false, info: {} };
  }
}

export interface Rig {
  server: BridgeServer;
  clients: RobotClient[];
  envs: LineEnv[];
  handlers: EnvRobotHandler[];
  close(): Promise<void>;
}

/** A server on a free loopback port with `n` LineEnv robots connected ('robot-0', ...). */
export async function rig(n: number, serverOpts: BridgeServerOptions = {}, clientOpts: Partial<RobotClientOptions> = {}): Promise<Rig> {
  const server = await BridgeServer.listen({ port: 0, ...serverOpts });
  const clients: RobotClient[] = [];
  const envs: LineEnv[] = [];
  const handlers: EnvRobotHandler[] = [];
  for (let i = 0; i < n; i++) {
    const env = new LineEnv();
    const handler = envRobotHandler(env);
    envs.push(env);
    handlers.push(handler);
    clients.push(await connectLine(server, `robot-${i}`, handler, env, clientOpts));
  }
  await server.waitForRobots(n, 5000);
  return {
    server,
    clients,
    envs,
    handlers,
    async close() {
      for (const c of clients) await c.close();
      await server.close();
    },
  };
}

export function connectLine(server: BridgeServer, robotId: string, handler: EnvRobotHandler, env: LineEnv, opts: Partial<RobotClientOptions> = {}): Promise<RobotClient> {
  return RobotClient.connect({
    url: `ws://127.0.0.1:${server.port}/`,
    robotId,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    controlRateHz: 100,
    safeAction: [0],
    handler,
    ...opts,
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
