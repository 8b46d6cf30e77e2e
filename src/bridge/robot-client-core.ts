import type { Space } from '../core/spaces/space.js';
import { InvalidArgument, LamkitError, formatError, describeValue } from '../core/errors.js';
import { ActionGuard, decodeAction } from './action-guard.js';
import { decodeFrame, encodeFrame, FRAME_KIND_ACTION, FRAME_KIND_OBS } from './binary-frame.js';
import { BridgeProtocolError } from './errors.js';
import { obsLayout, packObs, type ObsLayout } from './packed-obs.js';
import { PROTOCOL_VERSION, ServerMessageSchema, parseJSON, validateMessage, type ServerMessage } from './protocol.js';

/** What the robot reports after a reset or an action: a flat observation (`observationSpace.flatten`) and the step outcome. */
export interface RobotStep {
  obs: ArrayLike<number>;
  reward?: number;
  terminated?: boolean;
  truncated?: boolean;
  /** Sent only over JSON (a step with info is never sent as a binary frame). */
  info?: Record<string, unknown>;
}

/** Why the client applied the safe action on its own. */
export type SafeActionReason = 'watchdog' | 'disconnect' | 'estop' | 'episode_end';

/** The robot's side: what it does when the server asks. Calls are serialized (never concurrent). */
export interface RobotHandler {
  /** Start a new episode (re-seed with `seed` when given); return the first observation. */
  reset(seed: number | undefined): RobotStep | Promise<RobotStep>;
  /** Apply `action` (already clipped to the action space) for one control tick; return the next observation. */
  act(action: unknown): RobotStep | Promise<RobotStep>;
  /** Apply the safe action now. Called by the watchdog, on disconnect and on emergency stop; must not throw. */
  applySafeAction(action: unknown, reason: SafeActionReason): void;
}

/** Minimal WHATWG WebSocket constructor (the browser's, Node 22's, or the `ws` package's). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string>; ca?: string | Uint8Array }) => WebSocket;

/** Options of {@link RobotClientCore.connect}. */
export interface RobotClientOptions {
  /** `ws://host:port/` or `wss://...`. */
  url: string;
  /** Shared secret: sent as `Authorization: Bearer` by the `ws` package, else as `?token=` (browsers). */
  token?: string;
  robotId: string;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  controlRateHz: number;
  /** Flat safe action (layout of ActionGuard), applied by the watchdog, on disconnect and on estop. */
  safeAction: ArrayLike<number>;
  handler: RobotHandler;
  /** Apply the safe action when no action arrives this many ms after an observation was sent. Default max(3 control periods, 20 ms). */
  watchdogMs?: number;
  /** Send observations / receive actions as binary frames. Default true. */
  binary?: boolean;
  /**
   * With `binary`, when the observation space has `uint8` Box parts (camera images): send them as one byte a
   * pixel in packed frames, if the server agrees in its welcome (4x smaller than float32). Default true.
   */
  packedFrames?: boolean;
  /** Reconnect with exponential backoff after an unexpected close (false: do not). */
  reconnect?: false | { initialDelayMs?: number; maxDelayMs?: number; factor?: number };
  /** Node (`ws` package) only: certificate authority to trust for wss:// (e.g. a self-signed server certificate, PEM). */
  ca?: string | Uint8Array;
  /** WebSocket implementation; default `globalThis.WebSocket` (in Node, `RobotClient` from 'lamkit' falls back to the `ws` package). */
  WebSocket?: WebSocketConstructor;
}

/** Events of a RobotClient and their payloads. */
export interface RobotClientEvents {
  connected: { robotId: string };
  disconnected: { code: number; reason: string };
  watchdog: { elapsedMs: number };
  estop: { reason: string };
  episodeEnd: { seq: number; reason: string };
  error: { error: LamkitError };
}

/**
 * The robot side of the bridge on the WHATWG WebSocket API (browsers, Node
 * >= 22, Deno; no `node:` import): `lamkit/browser` exports it as
 * `RobotClient`; Node's `RobotClient` (from 'lamkit' or 'lamkit/bridge')
 * extends it with a fallback to the `ws` package. It connects with a
 * token, announces its spaces, answers each `reset`/`action` with an
 * observation via its {@link RobotHandler}, and keeps the robot safe on its
 * own: a watchdog applies the safe action when no action arrives within
 * `watchdogMs`, on disconnect and on `estop`; it reconnects with backoff.
 */
export class RobotClientCore {
  /** The options given to `connect`. */
  protected readonly opts: RobotClientOptions;
  private readonly guard: ActionGuard;
  private readonly watchdogMs: number;
  private readonly scratch: Float64Array;
  private ws: WebSocket | null = null;
  private closed = false;
  private estopped = false;
  private attempt = 0;
  private work: Promise<void> = Promise.resolve();
  private generation = 0;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private watchdogArmedMs = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Map<keyof RobotClientEvents, Set<(ev: never) => void>>();
  /** The observation's layout when packed frames were asked for (images in the space), else null. */
  private readonly packLayout: ObsLayout | null;
  /** The server agreed to packed frames on the current connection. */
  private packing = false;
  /** Times the watchdog fired (for monitoring). */
  watchdogFires = 0;

  protected constructor(opts: RobotClientOptions) {
    this.opts = opts;
    this.guard = new ActionGuard(opts.actionSpace, opts.safeAction, 'RobotClient');
    this.scratch = new Float64Array(this.guard.actDim);
    this.watchdogMs = opts.watchdogMs ?? Math.max(3000 / opts.controlRateHz, 20);
    const layout = (opts.binary ?? true) && (opts.packedFrames ?? true) ? obsLayout(opts.observationSpace) : null;
    this.packLayout = layout && layout.byteCount > 0 ? layout : null;
  }

  /** Connects and resolves after the server's `welcome`; rejects if the server refuses (bad token, bad hello). */
  static async connect(opts: RobotClientOptions): Promise<RobotClientCore> {
    const where = 'RobotClient.connect';
    if (typeof opts?.url !== 'string' || !/^wss?:\/\//.test(opts.url)) throw new InvalidArgument(formatError(`${where}.url`, 'a ws:// or wss:// URL', describeValue(opts?.url), 'Pass e.g. ws://127.0.0.1:8765/'));
    if (!(typeof opts.controlRateHz === 'number' && opts.controlRateHz > 0)) throw new InvalidArgument(formatError(`${where}.controlRateHz`, 'a positive number', describeValue(opts.controlRateHz), 'Pass the robot control rate, e.g. 50'));
    if (opts.watchdogMs !== undefined && !(opts.watchdogMs > 0)) throw new InvalidArgument(formatError(`${where}.watchdogMs`, 'a positive number of ms', describeValue(opts.watchdogMs), 'Omit it for 3 control periods'));
    const client = new this(opts);
    await client.open();
    return client;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof RobotClientEvents>(event: K, listener: (ev: RobotClientEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (ev: never) => void);
    return () => set.delete(listener as (ev: never) => void);
  }

  /** True while the socket is open and the handshake done. */
  get connected(): boolean {
    return this.ws !== null && this.ws.readyState === 1;
  }

  /**
   * The WebSocket implementation to connect with: `opts.WebSocket`, else
   * `globalThis.WebSocket`. Node's `RobotClient` overrides it to fall back to
   * the `ws` package (Node 20 has no global WebSocket without a flag).
   */
  protected async webSocketConstructor(): Promise<WebSocketConstructor> {
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (typeof Ctor !== 'function') {
      throw new InvalidArgument(
        formatError('RobotClient.connect.WebSocket', 'a WebSocket implementation (options.WebSocket or globalThis.WebSocket)', describeValue(Ctor), "Pass options.WebSocket, or in Node import RobotClient from 'lamkit' (it falls back to the ws package)"),
      );
    }
    return Ctor;
  }

  private emit<K extends keyof RobotClientEvents>(event: K, payload: RobotClientEvents[K]): void {
    const set = this.listeners.get(event) as Set<(ev: RobotClientEvents[K]) => void> | undefined;
    if (set) for (const l of set) l(payload);
  }

  private async open(): Promise<void> {
    const Ctor = await this.webSocketConstructor();
    const isWsPackage = Ctor !== (globalThis as { WebSocket?: unknown }).WebSocket;
    let url = this.opts.url;
    const token = this.opts.token;
    if (token !== undefined && !isWsPackage) url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
    const nodeOptions = { ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}), ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}) };
    const ws = isWsPackage ? new Ctor(url, undefined, nodeOptions) : new Ctor(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      let welcomed = false;
      ws.onopen = () => {
        const o = this.opts;
        ws.send(
          JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, robotId: o.robotId, observationSpace: o.observationSpace.toJSON(), actionSpace: o.actionSpace.toJSON(), controlRateHz: o.controlRateHz, safeAction: Array.from(o.safeAction), binary: o.binary ?? true, ...(this.packLayout ? { packedFrames: true } : {}) }),
        );
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (welcomed) return this.onMessage(ev.data);
        try {
          const msg = this.parse(ev.data);
          if (msg.type === 'welcome') {
            welcomed = true;
            this.packing = this.packLayout !== null && msg.packedFrames === true;
            this.attempt = 0;
            this.startHeartbeat(msg.heartbeatMs);
            this.emit('connected', { robotId: msg.robotId });
            resolve();
          } else if (msg.type === 'error') {
            reject(new BridgeProtocolError('BAD_MESSAGE', `RobotClient.connect: expected a welcome, got error ${msg.code}: ${msg.message}`));
            ws.close(1000, 'handshake refused');
          }
        } catch (err) {
          reject(err);
        }
      };
      ws.onerror = (ev: Event) => {
        const text = (ev as { message?: string }).message ?? 'a socket error';
        if (!welcomed) reject(new BridgeProtocolError(/401/.test(text) ? 'UNAUTHORIZED' : 'DISCONNECTED', formatError('RobotClient.connect', `the server at ${this.opts.url} to accept the connection`, text, 'Check the URL, the token and that the server runs')));
      };
      ws.onclose = (ev: CloseEvent) => {
        if (!welcomed) reject(new BridgeProtocolError('DISCONNECTED', formatError('RobotClient.connect', 'a welcome', `close code ${ev.code} ${ev.reason}`, 'Check the URL, the token and the announced spaces')));
        this.onClose(ev.code, ev.reason, welcomed);
      };
    });
  }

  private parse(data: unknown): ServerMessage | { type: 'binary_action'; seq: number; values: Float32Array } {
    if (typeof data === 'string') return validateMessage(ServerMessageSchema, parseJSON(data, 'RobotClient.message'), 'RobotClient.message');
    const frame = decodeFrame(data as ArrayBuffer, 'RobotClient.frame');
    if (frame.kind !== FRAME_KIND_ACTION) throw new BridgeProtocolError('BAD_FRAME', formatError('RobotClient.frame.kind', '2 (action)', String(frame.kind), 'Servers send action frames only'));
    return { type: 'binary_action', seq: frame.seq, values: frame.values };
  }

  private onMessage(data: unknown): void {
    try {
      const msg = this.parse(data);
      switch (msg.type) {
        case 'binary_action':
          return this.onAction(msg.seq, msg.values);
        case 'action':
          return this.onAction(msg.seq, msg.action);
        case 'reset':
          this.disarm();
          this.estopped = false;
          return this.enqueue(msg.seq, () => this.opts.handler.reset(msg.seed));
        case 'estop':
          this.disarm();
          this.estopped = true;
          this.safe('estop');
          return this.emit('estop', { reason: msg.reason });
        case 'episode_end':
          this.disarm();
          this.safe('episode_end');
          return this.emit('episodeEnd', { seq: msg.seq, reason: msg.reason });
        case 'error':
          return this.emit('error', { error: new BridgeProtocolError('BAD_MESSAGE', `RobotClient: the server reported ${msg.code}: ${msg.message}`) });
        default:
          return;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private onAction(seq: number, flat: ArrayLike<number>): void {
    if (this.estopped) return this.fail(new BridgeProtocolError('EMERGENCY_STOP', formatError('RobotClient.action', 'a reset after the emergency stop', `action seq ${seq}`, 'Actions are ignored until the next reset')));
    this.disarm();
    const fault = this.guard.guard(flat, this.scratch);
    if (fault !== null) this.fail(new BridgeProtocolError('BAD_ACTION', formatError(`RobotClient.action(seq ${seq})`, `an action in ${this.opts.actionSpace.toString()}`, this.guard.lastFaultDetail, 'Applied the safe action instead')));
    const action = decodeAction(this.opts.actionSpace, this.scratch);
    this.enqueue(seq, () => this.opts.handler.act(action));
  }

  private enqueue(seq: number, run: () => RobotStep | Promise<RobotStep>): void {
    const generation = this.generation;
    this.work = this.work.then(async () => {
      try {
        const step = await run();
        // An answer computed for a connection that has since closed is stale: drop it.
        if (generation === this.generation) this.sendObs(seq, step);
      } catch (err) {
        // The robot could not reset/act: end the episode so the server's step rejects now, not at its deadline.
        this.safe('episode_end');
        if (generation === this.generation && this.ws?.readyState === 1) {
          this.ws.send(JSON.stringify({ type: 'episode_end', seq, reason: `handler failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200) }));
        }
        this.emit('error', { error: err instanceof LamkitError ? err : new BridgeProtocolError('BAD_MESSAGE', `RobotClient.handler: ${err instanceof Error ? err.message : String(err)}`, { cause: err }) });
      }
    });
  }

  private sendObs(seq: number, s: RobotStep): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return;
    if ((this.opts.binary ?? true) && s.info === undefined) {
      if (this.packing && this.packLayout) {
        const { values, bytes } = packObs(s.obs, this.packLayout, 'RobotClient.obs');
        ws.send(encodeFrame(FRAME_KIND_OBS, seq, values, s.reward ?? 0, s.terminated ?? false, s.truncated ?? false, bytes));
      } else ws.send(encodeFrame(FRAME_KIND_OBS, seq, s.obs, s.reward ?? 0, s.terminated ?? false, s.truncated ?? false));
    }
    else ws.send(JSON.stringify({ type: 'obs', seq, obs: Array.from(s.obs), reward: s.reward ?? 0, terminated: s.terminated ?? false, truncated: s.truncated ?? false, ...(s.info ? { info: s.info } : {}) }));
    if (!s.terminated && !s.truncated) this.arm();
  }

  private arm(): void {
    this.disarm();
    this.watchdogArmedMs = performance.now();
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      this.watchdogFires++;
      this.safe('watchdog');
      this.emit('watchdog', { elapsedMs: performance.now() - this.watchdogArmedMs });
    }, this.watchdogMs);
  }

  private disarm(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private safe(reason: SafeActionReason): void {
    try {
      this.opts.handler.applySafeAction(decodeAction(this.opts.actionSpace, this.guard.safeAction), reason);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof LamkitError ? err : new BridgeProtocolError('BAD_MESSAGE', `RobotClient: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.emit('error', { error });
    const ws = this.ws;
    if (ws && ws.readyState === 1 && error instanceof BridgeProtocolError) ws.send(JSON.stringify({ type: 'error', code: error.bridgeCode, message: error.message.slice(0, 4000) }));
  }

  private startHeartbeat(periodMs: number): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.ws?.readyState === 1) this.ws.send(JSON.stringify({ type: 'heartbeat', t: Date.now() }));
    }, periodMs);
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  private onClose(code: number, reason: string, wasWelcomed: boolean): void {
    this.disarm();
    // Work queued for the old connection (possibly a hung handler call) must not block the next one.
    this.generation++;
    this.work = Promise.resolve();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.ws = null;
    if (wasWelcomed) {
      this.safe('disconnect');
      this.emit('disconnected', { code, reason });
    }
    const rc = this.opts.reconnect;
    if (this.closed || rc === false || !wasWelcomed && this.attempt === 0) return;
    const { initialDelayMs = 100, maxDelayMs = 5000, factor = 2 } = rc ?? {};
    const delay = Math.min(maxDelayMs, initialDelayMs * factor ** this.attempt++);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed) this.open().catch((err) => this.fail(err));
    }, delay);
  }

  /** Closes the connection for good (applies the safe action). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (ws && ws.readyState <= 1) {
      await new Promise<void>((resolve) => {
        ws.addEventListener('close', () => resolve());
        ws.close(1000, 'robot closed');
      });
    } else this.disarm();
  }
}
