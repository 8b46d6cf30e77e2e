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

/**
 * The most expensive message to parse and validate that lamkit knows of within the limits (`bytes` at most,
 * 1,000 object fields, nesting 6): an `obs` whose `info` holds 500 small objects with distinct keys (V8 builds
 * a shape for each) and whose `obs` fills the rest with numbers (validated one by one). What an
 * authenticated robot could flood a server with.
 */
export function expensiveMessage(bytes: number): string {
  const items: string[] = [];
  for (let i = 0; i < 500; i++) items.push(`{"a${i}":[1,{"b${i}":"x"}]}`);
  const info = `"info":{"k":[${items.join(',')}]}`;
  const head = '{"type":"obs","seq":1,';
  const numbers = Math.max(1, Math.floor((bytes - head.length - info.length - 16) / 6));
  return `${head}"obs":[${new Array(numbers).fill('0.125').join(',')}],${info}}`;
}

/**
 * A raw WebSocket peer for protocol tests: every JSON reply is collected; `closed` resolves with the close code.
 * The server's own heartbeats (one per `heartbeatMs`, 1 s by default) go to `heartbeats`, not `replies`: on a loaded
 * machine a test can take seconds, and a heartbeat landing between two expected replies must not shift them.
 */
export interface RawPeer {
  ws: import('ws').WebSocket;
  replies: Array<Record<string, any>>;
  heartbeats: Array<Record<string, any>>;
  /** Resolves once `n` replies (of any type) have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Array<Record<string, any>>>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawPeer(url: string, headers: Record<string, string> = {}): Promise<RawPeer> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { headers });
  const replies: Array<Record<string, any>> = [];
  const heartbeats: Array<Record<string, any>> = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, any>;
    (m.type === 'heartbeat' ? heartbeats : replies).push(m);
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
  });
  return {
    ws,
    replies,
    heartbeats,
    closed,
    async waitFor(n, timeoutMs = 5000) {
      const t0 = performance.now();
      while (replies.length < n) {
        if (performance.now() - t0 > timeoutMs) throw new Error(`only ${replies.length} of ${n} replies within ${timeoutMs} ms: ${JSON.stringify(replies).slice(0, 500)}`);
        await sleep(5);
      }
      return replies;
    },
  };
}

/** A valid hello of a LineEnv robot (Box(2) observations, Box(1) actions); `over` replaces fields. */
export function lineHello(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'hello', protocol: 1, robotId: 'raw', observationSpace: new Box(-10, 10, [2]).toJSON(), actionSpace: new Box(-1, 1, [1]).toJSON(), controlRateHz: 50, safeAction: [0], ...over };
}
