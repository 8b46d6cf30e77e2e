import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { tuneAllocator } from '../core/tune-allocator.js';
import { spaceFromJSON } from '../core/spaces/from-json.js';
import { BridgeProtocolError } from './errors.js';
import type { HelloMessage } from './protocol.js';
import { ConnectionGate } from './connection-gate.js';
import type { InboundLimits } from './inbound-budget.js';
import { checkSpaceLimits } from './space-limits.js';
import { RemoteEnv, type RemoteEnvTimeouts, type RobotLink } from './remote-env.js';
import { RobotConnection, type ConnectionHost } from './robot-connection.js';
import { RosbridgeConnection } from './rosbridge-connection.js';
import { MessageParsePool } from './parse-pool.js';
import { resolveRosbridgeConfig, type RosbridgeConfig, type ResolvedRosbridgeConfig } from './rosbridge-config.js';
import { tokenOf, tokensEqual } from './token-auth.js';

/** Options of {@link BridgeServer.listen}; every field is optional. */
export interface BridgeServerOptions extends Partial<RemoteEnvTimeouts> {
  /** Port to listen on when no `server` is given (0 = any free port). Default 8765. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1' (loopback); use '0.0.0.0' to accept robots on the network. */
  host?: string;
  /** An http or https server to attach to (TLS: hand in `https.createServer({ key, cert })`). Not closed by `close()`. */
  server?: HttpServer | HttpsServer;
  /** URL path of the lamkit protocol. Default '/'. */
  path?: string;
  /** Shared secret robots present (`Authorization: Bearer` or `?token=`); compared in constant time. */
  token?: string;
  /** Messages larger than this get a PAYLOAD_TOO_LARGE error; 4x this closes the socket (ws `maxPayload`). Default 262144. */
  maxMessageBytes?: number;
  /** Per-connection message rate (token bucket, burst a tenth of a second's worth); excess is dropped with a RATE_LIMITED error. Default 5000. */
  maxMessagesPerSecond?: number;
  /**
   * Per-connection bytes received per second (burst: a tenth of a second's worth, at least maxMessageBytes).
   * Over it the connection is throttled: the server stops reading its socket until the budget refills. Default 16777216 (16 MiB).
   */
  maxBytesPerSecond?: number;
  /**
   * Per-connection server time, in ms per second, spent receiving and handling its messages (socket reads,
   * unmasking, parse, validate, dispatch, error replies; wall clock; burst a quarter second's worth). Over it the connection is throttled like
   * `maxBytesPerSecond`, so one robot sending legal but expensive messages cannot starve the others; and no
   * connection's messages are handled for more than 2 ms back to back before others get a turn. Default 100 (a tenth of a core).
   */
  maxProcessingMsPerSecond?: number;
  /**
   * Text messages of at least this many bytes are decoded, parsed and validated in worker threads (started on
   * the first such message), so one large message never holds the event loop; smaller ones (a step's
   * observation, typically under 1 KiB) are handled inline, without the hop. Default 16384.
   */
  offloadParseBytes?: number;
  /**
   * Nice value of the parse worker threads (Linux; an integer 0-19): how far below the event loop and
   * the robots they run when cores are scarce. 0 keeps the process's priority. Default 10 (PARSE_WORKER_NICE).
   */
  parseWorkerNice?: number;
  /** Heartbeat period, ms. Default 1000. */
  heartbeatMs?: number;
  /** A connection silent for this long is closed. Default 5 x heartbeatMs. */
  idleTimeoutMs?: number;
  /**
   * A TCP connection must complete its HTTP upgrade and its hello (rosbridge: subscribe + advertise the reset
   * service) within this many ms of being accepted, else it is dropped. Default 5000.
   */
  handshakeTimeoutMs?: number;
  /** Most connections at once that have not completed their handshake (counted from TCP accept); more are dropped as they arrive. Default 64. */
  maxPendingConnections?: number;
  /** A socket we closed is destroyed when the peer has not completed the close handshake within this many ms. Default 2000. */
  closeTimeoutMs?: number;
  /** A robot disconnected for this long is forgotten: its `RemoteEnv` is closed and removed (a later connection with its id is a new robot). Default 60000. */
  forgetAfterMs?: number;
  /** Send each robot's actions no faster than its announced control rate (rate limiting toward the robot). Default false. */
  paceToControlRate?: boolean;
  /** Enables the rosbridge v2 adapter (on `rosbridge.path`, default '/rosbridge'). */
  rosbridge?: RosbridgeConfig;
}

type Conn = RobotConnection | RosbridgeConnection;

/**
 * The server robots connect to. Each robot id becomes one `RemoteEnv`
 * (an `AsyncEnv`) that survives reconnects. Create with `await
 * BridgeServer.listen(options)`; `close()` is idempotent.
 */
export class BridgeServer implements ConnectionHost {
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly heartbeatMs: number;
  readonly maxMessagesPerSecond: number;
  /** @internal Per-connection budgets (see the options of the same names). */
  readonly inboundLimits: InboundLimits;
  /** @internal */
  readonly offloadParseBytes: number;
  /** @internal Parses large messages off the event loop (no thread until the first one). */
  readonly parsePool: MessageParsePool;
  private readonly http: HttpServer | HttpsServer;
  private readonly ownsHttp: boolean;
  private readonly wss: WebSocketServer;
  private readonly envs = new Map<string, RemoteEnv>();
  private readonly conns = new Set<Conn>();
  private readonly robotListeners = new Set<(env: RemoteEnv) => void>();
  private readonly errorListeners = new Set<(err: BridgeProtocolError, robotId: string | null) => void>();
  private readonly timeouts: Partial<RemoteEnvTimeouts>;
  private readonly paceToControlRate: boolean;
  private readonly heartbeatTimer: ReturnType<typeof setInterval>;
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  private readonly gate: ConnectionGate;
  private readonly forgetAfterMs: number;
  private readonly forgetTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  private constructor(http: HttpServer | HttpsServer, ownsHttp: boolean, port: number, opts: BridgeServerOptions, ros: ResolvedRosbridgeConfig | null) {
    this.http = http;
    this.ownsHttp = ownsHttp;
    this.port = port;
    this.maxMessageBytes = opts.maxMessageBytes ?? 262144;
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.maxMessagesPerSecond = opts.maxMessagesPerSecond ?? 5000;
    this.inboundLimits = {
      maxMessageBytes: this.maxMessageBytes,
      maxMessagesPerSecond: this.maxMessagesPerSecond,
      maxBytesPerSecond: opts.maxBytesPerSecond ?? 16 * 1024 * 1024,
      maxProcessingMsPerSecond: opts.maxProcessingMsPerSecond ?? 100,
    };
    this.offloadParseBytes = opts.offloadParseBytes ?? 16384;
    this.parsePool = new MessageParsePool(undefined, opts.parseWorkerNice);
    this.forgetAfterMs = opts.forgetAfterMs ?? 60000;
    this.paceToControlRate = opts.paceToControlRate ?? false;
    this.timeouts = { stepTimeoutMs: opts.stepTimeoutMs, resetTimeoutMs: opts.resetTimeoutMs, reconnectGraceMs: opts.reconnectGraceMs };
    for (const k of Object.keys(this.timeouts) as Array<keyof RemoteEnvTimeouts>) if (this.timeouts[k] === undefined) delete this.timeouts[k];
    const idleTimeoutMs = opts.idleTimeoutMs ?? 5 * this.heartbeatMs;
    const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 5000;
    const path = opts.path ?? '/';
    this.gate = new ConnectionGate(http, handshakeTimeoutMs, opts.maxPendingConnections ?? 64, ownsHttp);
    // skipUTF8Validation stays false: RFC 6455 requires closing (1007) on a text frame that is not UTF-8.
    // (ws 8.23 takes `closeTimeout`; @types/ws does not list it yet.)
    const wsOptions: ServerOptions & { closeTimeout: number } = { noServer: true, maxPayload: 4 * this.maxMessageBytes, closeTimeout: opts.closeTimeoutMs ?? 2000 };
    this.wss = new WebSocketServer(wsOptions);
    this.onUpgrade = (req, socket, head) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      const isRos = ros !== null && pathname === ros.path;
      if (pathname !== path && !isRos) return refuse(socket, 404, 'Not Found');
      if (!this.gate.admitUpgrade(socket)) return refuse(socket, 503, 'Service Unavailable');
      if (opts.token !== undefined && !tokensEqual(tokenOf(req) ?? '', opts.token)) return refuse(socket, 401, 'Unauthorized');
      const rosRobotId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('robot');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, isRos ? ros : null, rosRobotId));
    };
    http.on('upgrade', this.onUpgrade);
    this.heartbeatTimer = setInterval(() => {
      const now = performance.now();
      for (const c of this.conns) {
        if (now - c.lastSeenMs > idleTimeoutMs) c.close(1001, `no message for ${idleTimeoutMs} ms`);
        else c.sendHeartbeat();
      }
    }, this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Starts a server (or attaches to `options.server`) and resolves once it listens. */
  static async listen(options: BridgeServerOptions = {}): Promise<BridgeServer> {
    if (options === null || typeof options !== 'object') throw new InvalidArgument(formatError('BridgeServer.listen.options', 'an object', describeValue(options), 'Pass e.g. { port: 8765 }'));
    for (const k of ['maxMessageBytes', 'maxMessagesPerSecond', 'maxBytesPerSecond', 'maxProcessingMsPerSecond', 'heartbeatMs', 'idleTimeoutMs', 'handshakeTimeoutMs', 'maxPendingConnections', 'closeTimeoutMs', 'forgetAfterMs', 'offloadParseBytes'] as const) {
      const v = options[k];
      if (v !== undefined && !(typeof v === 'number' && v > 0)) throw new InvalidArgument(formatError(`BridgeServer.listen.${k}`, 'a positive number', describeValue(v), 'Omit it for the default'));
    }
    const nice = options.parseWorkerNice;
    if (nice !== undefined && !(Number.isInteger(nice) && nice >= 0 && nice <= 19)) {
      throw new InvalidArgument(formatError('BridgeServer.listen.parseWorkerNice', 'an integer in [0, 19]', describeValue(nice), 'Omit it for the default (10); 0 keeps the process priority'));
    }
    if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) {
      throw new InvalidArgument(formatError('BridgeServer.listen.token', 'a non-empty string', describeValue(options.token), 'Omit it to accept any client (loopback only!)'));
    }
    const ros = options.rosbridge ? resolveRosbridgeConfig(options.rosbridge) : null;
    // Large messages and camera frames are buffers of 28-256 KiB made and freed per message: keep their memory mapped.
    await tuneAllocator();
    if (options.server) {
      const addr = options.server.address();
      return new BridgeServer(options.server, false, typeof addr === 'object' && addr ? addr.port : 0, options, ros);
    }
    const port = options.port ?? 8765;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgument(formatError('BridgeServer.listen.port', 'an integer in [0, 65535]', describeValue(port), 'Pass 0 for any free port'));
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('lamkit bridge: connect with a WebSocket client\n');
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, options.host ?? '127.0.0.1', () => resolve());
    });
    const addr = http.address();
    return new BridgeServer(http, true, typeof addr === 'object' && addr ? addr.port : port, options, ros);
  }

  /** `ws://host:port/` (or `wss://` for an https server) for clients on this machine. */
  get url(): string {
    return `${'cert' in this.http || 'setSecureContext' in this.http ? 'wss' : 'ws'}://127.0.0.1:${this.port}/`;
  }

  /** Robots seen so far (connected or waiting to reconnect), by id. */
  robots(): RemoteEnv[] {
    return [...this.envs.values()];
  }

  robot(robotId: string): RemoteEnv | undefined {
    return this.envs.get(robotId);
  }

  /** Called once per new robot id, after its handshake. Returns the unsubscribe function. */
  onRobot(listener: (env: RemoteEnv) => void): () => void {
    this.robotListeners.add(listener);
    return () => this.robotListeners.delete(listener);
  }

  /** Called for every protocol error any connection produced (after the peer got its `error` message). */
  onError(listener: (err: BridgeProtocolError, robotId: string | null) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Resolves with the first `n` robots once that many have connected; rejects after `timeoutMs`. */
  waitForRobots(n: number, timeoutMs = 30000): Promise<RemoteEnv[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.envs.size < n) return false;
        clearTimeout(timer);
        off();
        resolve(this.robots().slice(0, n));
        return true;
      };
      const off = this.onRobot(() => void check());
      const timer = setTimeout(() => {
        off();
        reject(new BridgeProtocolError('TIMEOUT', formatError('BridgeServer.waitForRobots', `${n} robot(s) within ${timeoutMs} ms`, `${this.envs.size}`, 'Start the robots (e.g. lamkit sim-robot) with the right URL and token')));
      }, timeoutMs);
      check();
    });
  }

  /** Sends `estop` to every connected robot now. */
  emergencyStopAll(reason = 'emergency stop'): void {
    for (const env of this.envs.values()) env.emergencyStop(reason);
  }

  /** @internal */
  attachRobot(hello: HelloMessage, link: RobotLink): RemoteEnv {
    const where = 'BridgeServer.message.hello';
    let obsSpace, actSpace;
    checkSpaceLimits(hello.observationSpace, `${where}.observationSpace`);
    checkSpaceLimits(hello.actionSpace, `${where}.actionSpace`);
    try {
      obsSpace = spaceFromJSON(hello.observationSpace, `${where}.observationSpace`);
      actSpace = spaceFromJSON(hello.actionSpace, `${where}.actionSpace`);
    } catch (err) {
      throw new BridgeProtocolError('BAD_SPACE', err instanceof Error ? err.message : String(err), { cause: err });
    }
    const existing = this.envs.get(hello.robotId);
    if (existing && !existing.isClosed) {
      if (existing.connected) {
        throw new BridgeProtocolError('DUPLICATE_ROBOT', formatError(`${where}.robotId`, 'an id not connected already', `'${hello.robotId}', which is connected`, 'Give each robot its own id'));
      }
      if (!existing.observationSpace.equals(obsSpace) || !existing.actionSpace.equals(actSpace)) {
        throw new BridgeProtocolError('BAD_SPACE', formatError(`${where}`, `the spaces robot '${hello.robotId}' announced before (${existing.observationSpace.toString()}, ${existing.actionSpace.toString()})`, `${obsSpace.toString()}, ${actSpace.toString()}`, 'Use a new robot id for a different robot'));
      }
      this.cancelForget(hello.robotId);
      existing.attach(link);
      this.gate.settle(link);
      return existing;
    }
    let env: RemoteEnv;
    try {
      env = new RemoteEnv(hello.robotId, obsSpace, actSpace, hello.controlRateHz, hello.safeAction, this.timeouts, { paceToControlRate: this.paceToControlRate });
    } catch (err) {
      if (err instanceof BridgeProtocolError) throw err;
      throw new BridgeProtocolError('BAD_SPACE', err instanceof Error ? err.message : String(err), { cause: err });
    }
    this.cancelForget(hello.robotId);
    this.envs.set(hello.robotId, env);
    env.attach(link);
    this.gate.settle(link);
    // Notify after the caller has sent `welcome`: a listener that resets the
    // robot at once (the policy server) must not overtake the handshake reply.
    queueMicrotask(() => {
      for (const l of this.robotListeners) l(env);
    });
    return env;
  }

  /** @internal The robot's connection closed: it may reconnect within `forgetAfterMs`, else it is forgotten. */
  detachRobot(env: RemoteEnv, reason: string): void {
    env.detach(reason);
    if (this.closed || env.isClosed) return;
    this.cancelForget(env.robotId);
    const timer = setTimeout(() => {
      this.forgetTimers.delete(env.robotId);
      if (env.connected || this.envs.get(env.robotId) !== env) return;
      this.envs.delete(env.robotId);
      void env.close();
    }, this.forgetAfterMs);
    timer.unref();
    this.forgetTimers.set(env.robotId, timer);
  }

  private cancelForget(robotId: string): void {
    const t = this.forgetTimers.get(robotId);
    if (t === undefined) return;
    clearTimeout(t);
    this.forgetTimers.delete(robotId);
  }

  /** @internal */
  reportError(err: BridgeProtocolError, robotId: string | null): void {
    for (const l of this.errorListeners) l(err, robotId);
  }

  private accept(ws: WebSocket, socket: Duplex, ros: ResolvedRosbridgeConfig | null, rosRobotId: string | null): void {
    if (this.closed) return void ws.close(1001, 'server closing');
    const conn: Conn = ros ? new RosbridgeConnection(ws, this, ros, rosRobotId && /^[A-Za-z0-9_.:-]{1,64}$/.test(rosRobotId) ? rosRobotId : null) : new RobotConnection(ws, this);
    conn.meterReception(socket); // ws's work receiving the connection's bytes is charged to its budget too
    this.conns.add(conn);
    // The handshake deadline (from TCP accept) now closes the WebSocket with a close frame.
    this.gate.bind(socket, conn);
    ws.on('close', () => this.conns.delete(conn));
  }

  /** Closes every robot connection and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.http.off('upgrade', this.onUpgrade);
    this.gate.close();
    for (const t of this.forgetTimers.values()) clearTimeout(t);
    this.forgetTimers.clear();
    for (const env of this.envs.values()) await env.close();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.parsePool.close();
    if (this.ownsHttp) {
      this.http.closeAllConnections();
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

