import type { WebSocket, RawData } from 'ws';
import { formatError, describeValue, LamkitError } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';
import { decodeFrame, encodeFrame, FRAME_KIND_ACTION, FRAME_KIND_OBS } from './binary-frame.js';
import { PROTOCOL_VERSION, type HelloMessage } from './protocol.js';
import type { RemoteEnv, RobotLink, RobotObservationEvent } from './remote-env.js';
import { InboundBudget, SLICE_MS, type InboundLimits } from './inbound-budget.js';
import { checkObsContent, obsLayout, unpackObs, type ObsLayout } from './packed-obs.js';
import { lazyInfo, obsLengthError, parseRobotMessage, type MessageParsePool, type ObsExpectation, type ParseReply, type ParsedRobotMessage } from './parse-pool.js';

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly maxMessageBytes: number;
  readonly heartbeatMs: number;
  readonly maxMessagesPerSecond: number;
  /** Per-connection budgets of incoming traffic. */
  readonly inboundLimits: InboundLimits;
  /** Text messages of at least this many bytes are parsed and validated by `parsePool`, off the event loop. */
  readonly offloadParseBytes: number;
  /** Worker threads that parse large messages (see `offloadParseBytes`). */
  readonly parsePool: MessageParsePool;
  /** Validates the hello and returns the robot's `RemoteEnv`, attached to `link`; throws BridgeProtocolError. */
  attachRobot(hello: HelloMessage, link: RobotLink): RemoteEnv;
  detachRobot(env: RemoteEnv, reason: string): void;
  reportError(err: BridgeProtocolError, robotId: string | null): void;
}

/** Reads the whole payload of a ws message as one Buffer. */
export function payloadOf(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/**
 * The error a ws socket error stands for (ws closes the socket itself
 * after one: RFC 6455 requires it for invalid UTF-8 and oversized frames).
 */
export function socketFailure(err: Error & { code?: string }, where: string, maxMessageBytes: number): BridgeProtocolError {
  if (err.code === 'WS_ERR_INVALID_UTF8') {
    return new BridgeProtocolError('BAD_JSON', formatError(where, 'UTF-8 text in a text frame', 'invalid UTF-8', 'The socket was closed with 1007 (RFC 6455); send text frames as UTF-8'));
  }
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new BridgeProtocolError('PAYLOAD_TOO_LARGE', formatError(where, `at most ${4 * maxMessageBytes} bytes (the hard limit, 4 x maxMessageBytes)`, 'more', 'The socket was closed with 1009; send smaller messages'));
  }
  return new BridgeProtocolError('BAD_FRAME', formatError(where, 'a valid WebSocket frame', describeValue(err.message), 'The socket was closed (RFC 6455)'));
}

/**
 * One robot's socket speaking the lamkit protocol (server side). Every
 * incoming message is rate-limited and budgeted (an `InboundBudget`:
 * throttled while over its bytes or processing time), size-checked,
 * depth-checked, parsed and validated; any problem is answered with an
 * `error` message naming it (and reported to the server), and the
 * connection stays usable: a malformed message never throws out of the
 * socket handler.
 */
export class RobotConnection implements RobotLink {
  private readonly ws: WebSocket;
  private readonly host: ConnectionHost;
  private env: RemoteEnv | null = null;
  /** What an `obs` must hold, from the hello (checked where it is parsed, a worker included). */
  private expectObs: ObsExpectation | undefined;
  /** Where the announced observation's images and instructions lie (from the hello; checked on every obs, unpacks packed frames). */
  private layout: ObsLayout | null = null;
  /** The robot asked for packed frames in its hello (and the welcome agreed). */
  private packed = false;
  private binary = false;
  private readonly budget: InboundBudget;
  private rateLimitedReportedMs = -Infinity;
  /** Settles when the last message handled off the event loop has been dispatched (null when none is pending). */
  private pending: Promise<void> | null = null;
  private closed = false;
  /** When the current run of deferred messages started (see `deferred`). */
  private sliceStartMs = 0;
  /** performance.now() of the last message received. */
  lastSeenMs = performance.now();

  constructor(ws: WebSocket, host: ConnectionHost) {
    this.ws = ws;
    this.host = host;
    this.budget = new InboundBudget(ws, host.inboundLimits, (data, isBinary) => this.handle(data, isBinary), () =>
      this.close(1008, 'over its budget: messages piled up while throttled'),
    );
    ws.on('message', (data, isBinary) => {
      this.lastSeenMs = performance.now();
      if (!this.budget.offer(payloadOf(data), isBinary, this.lastSeenMs)) this.rateLimited();
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', (err) => {
      // ws closes the socket next (invalid UTF-8: 1007, over the hard size limit: 1009): tell the server why.
      this.host.reportError(socketFailure(err, 'BridgeServer.message', this.host.maxMessageBytes), this.robotId);
    });
  }

  /** The robot id once the handshake succeeded. */
  get robotId(): string | null {
    return this.env?.robotId ?? null;
  }

  /** Messages over the rate limit are dropped; the robot hears about it at most once a second. */
  private rateLimited(): void {
    if (this.lastSeenMs - this.rateLimitedReportedMs < 1000) return;
    this.rateLimitedReportedMs = this.lastSeenMs;
    this.fail(new BridgeProtocolError('RATE_LIMITED', formatError('BridgeServer.message', `at most ${this.host.maxMessagesPerSecond} messages per second`, 'more', 'Messages are dropped until the rate falls; send at the announced control rate')));
  }

  /**
   * Handles one admitted message (the budget measures the time spent here).
   * A large text message is parsed and validated in the server's parse pool
   * and dispatched when that is done: the returned promise resolves with the
   * ms spent off the event loop (also charged to the budget). The first
   * large message starts the pool's workers; until one is ready, large
   * messages are parsed here. (Waiting for the workers instead was tried:
   * the waiting messages cost the budget nothing while receiving them still
   * cost the event loop, so a flooder was read at the bytes budget's rate
   * and the loop stalled for 0.3-0.8 s at a time on a busy machine.)
   */
  private handle(buf: Buffer, isBinary: boolean): void | Promise<number> {
    if (!isBinary && buf.length >= this.host.offloadParseBytes && buf.length <= this.host.maxMessageBytes) {
      const pool = this.host.parsePool;
      if (pool.ready) {
        // Parsing starts now, in parallel with this connection's other messages; dispatching keeps their order.
        // The bytes are handed over: nothing reads `buf` after this (the budget counted its length already).
        const parsed = pool.parse(buf, 'BridgeServer.message', true, this.expectObs);
        return this.inOrder(async () => {
          const reply = await parsed;
          return reply.ms + this.timed(() => this.onParsed(reply));
        });
      }
      pool.warm(); // the first large messages are parsed here while the workers start
    }
    // Behind a message still in a worker: handled after it (replies keep the order of the messages).
    if (this.pending) return this.inOrder(() => this.deferred(() => this.handleNow(buf, isBinary)));
    this.guard(() => this.handleNow(buf, isBinary));
  }

  private handleNow(buf: Buffer, isBinary: boolean): void {
    if (buf.length > this.host.maxMessageBytes) {
      throw new BridgeProtocolError('PAYLOAD_TOO_LARGE', formatError('BridgeServer.message', `at most ${this.host.maxMessageBytes} bytes`, `${buf.length} bytes`, 'Send smaller messages or raise maxMessageBytes'));
    }
    if (isBinary) return this.onFrame(buf);
    this.onParsed(parseRobotMessage(buf, 'BridgeServer.message', this.expectObs));
  }

  /**
   * Runs `f` (guarded) and returns the ms it took: work done after a message
   * came back from a worker is charged to the budget like work done at once.
   */
  private timed(f: () => void): number {
    const t0 = performance.now();
    this.guard(f);
    return performance.now() - t0;
  }

  /**
   * A message handled later, behind one in a worker: the messages that waited
   * run back to back for at most `SLICE_MS`, then the event loop gets a turn
   * (as the budget does for messages handled at once).
   */
  private async deferred(f: () => void): Promise<number> {
    if (performance.now() - this.sliceStartMs >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.sliceStartMs = performance.now();
    }
    return this.timed(f);
  }

  /** Runs `f` after everything queued with `inOrder` before it; resolves with its value. */
  private inOrder(f: () => Promise<number>): Promise<number> {
    const run = (this.pending ?? Promise.resolve()).then(f);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.pending = settled;
    void settled.then(() => {
      if (this.pending === settled) this.pending = null;
    });
    return run;
  }

  /** Runs `f`, answering what it throws with an `error` message (nothing once the socket closed: a result that came back late). */
  private guard(f: () => void): void {
    if (this.closed) return;
    try {
      f();
    } catch (err) {
      this.fail(toProtocolError(err));
    }
  }

  private onParsed(reply: ParseReply): void {
    if (!reply.ok) throw new BridgeProtocolError(reply.code, reply.message);
    this.dispatch(reply.msg);
  }

  private fail(err: BridgeProtocolError): void {
    this.sendError(err);
    this.host.reportError(err, this.robotId);
  }

  private onFrame(buf: Buffer): void {
    const frame = decodeFrame(buf, 'BridgeServer.frame');
    if (frame.kind !== FRAME_KIND_OBS) throw new BridgeProtocolError('BAD_FRAME', formatError('BridgeServer.frame.kind', '1 (obs) from a robot', String(frame.kind), 'Robots send observation frames only'));
    let values = frame.values;
    if (frame.bytes) {
      this.requireEnv('obs');
      if (!this.packed) throw new BridgeProtocolError('BAD_FRAME', formatError('BridgeServer.frame.flags', 'no packed frame (bit 2) before the hello asked for them (packedFrames: true)', 'a packed frame', 'Send packedFrames: true in the hello, or unpacked frames'));
      values = unpackObs(frame.values, frame.bytes, this.layout as ObsLayout, 'BridgeServer.frame');
    }
    // Packed image parts came as bytes: integers 0-255 by construction, so only the rest is checked.
    this.receiveObs(frame.seq, values, frame.reward, frame.terminated, frame.truncated, undefined, undefined, frame.bytes !== undefined);
  }

  private dispatch(msg: ParsedRobotMessage): void {
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'obs':
        return this.receiveObs(msg.seq, msg.obs, msg.reward, msg.terminated, msg.truncated, msg.infoJson, msg.firstNonFinite);
      case 'heartbeat':
        this.requireEnv('heartbeat');
        return;
      case 'episode_end':
        return this.requireEnv('episode_end').receiveEpisodeEnd(msg.seq, msg.reason);
      case 'error':
        // The robot reports a problem with something we sent: surface it, do not answer (no error ping-pong).
        this.host.reportError(new BridgeProtocolError('BAD_MESSAGE', `Robot(${this.robotId ?? '?'}) reported ${JSON.stringify(msg.code)}: ${JSON.stringify(msg.message)}`), this.robotId);
        return;
    }
  }

  private onHello(hello: HelloMessage): void {
    if (this.env) throw new BridgeProtocolError('OUT_OF_ORDER', formatError('BridgeServer.message.hello', 'one hello per connection', `a second hello (robot ${this.env.robotId} is already registered)`, 'Reconnect to announce different spaces'));
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new BridgeProtocolError('UNSUPPORTED_VERSION', formatError('BridgeServer.message.hello.protocol', `protocol ${PROTOCOL_VERSION}`, String(hello.protocol), 'Upgrade the robot client or the server'));
    }
    this.env = this.host.attachRobot(hello, this);
    this.expectObs = { length: this.env.observationSpace.flatDim, where: `RemoteEnv(${this.env.robotId}).obs.obs`, what: this.env.observationSpace.toString() };
    this.binary = hello.binary ?? false;
    this.layout = obsLayout(this.env.observationSpace);
    this.packed = hello.packedFrames === true;
    this.sendJSON({ type: 'welcome', protocol: PROTOCOL_VERSION, robotId: hello.robotId, heartbeatMs: this.host.heartbeatMs, maxMessageBytes: this.host.maxMessageBytes, ...(this.packed ? { packedFrames: true } : {}) });
  }

  /**
   * `firstNonFinite`: the index of the first value that is not finite (-1: none), when the parse already looked; else
   * the values are checked here. `packedBytes`: the image parts came as bytes of a packed frame (no pixel check).
   */
  private receiveObs(seq: number, obs: Float32Array, reward: number, terminated: boolean, truncated: boolean, infoJson?: string, firstNonFinite?: number, packedBytes = false): void {
    const env = this.requireEnv('obs');
    const bad = firstNonFinite ?? firstNonFiniteIndex(obs);
    if (bad >= 0) {
      throw new BridgeProtocolError('BAD_OBSERVATION', formatError(`BridgeServer.message.obs.obs[${bad}]`, 'a finite float32', describeValue(obs[bad]), 'Send finite sensor values'));
    }
    if (this.expectObs && obs.length !== this.expectObs.length) throw obsLengthError(this.expectObs, obs.length);
    if (this.layout && ((this.layout.bytes.length > 0 && !packedBytes) || this.layout.text.length > 0)) {
      const wrong = checkObsContent(obs, this.layout, this.expectObs?.where ?? 'BridgeServer.message.obs.obs', packedBytes);
      if (wrong) throw wrong;
    }
    const ev: RobotObservationEvent = { robotId: env.robotId, seq, obs, reward, terminated, truncated, receivedMs: this.lastSeenMs };
    env.receiveObservation(infoJson === undefined ? ev : lazyInfo(ev, infoJson));
  }

  private requireEnv(type: string): RemoteEnv {
    if (!this.env) throw new BridgeProtocolError('OUT_OF_ORDER', formatError(`BridgeServer.message.${type}`, 'a hello first', `'${type}' before the handshake`, 'Send hello and wait for welcome'));
    return this.env;
  }

  private onClose(code: number, reason: string): void {
    this.closed = true;
    this.budget.dispose();
    const env = this.env;
    this.env = null;
    // The close reason comes from the robot: quoted, so it cannot forge log lines.
    if (env) this.host.detachRobot(env, `socket closed with code ${code}${reason ? ` (${JSON.stringify(reason)})` : ''}`);
  }

  private sendError(err: BridgeProtocolError): void {
    this.sendJSON({ type: 'error', code: err.bridgeCode, message: err.message });
  }

  /** Sends one JSON message if the socket is open. */
  sendJSON(msg: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  sendReset(seq: number, seed: number | undefined): void {
    this.sendJSON(seed === undefined ? { type: 'reset', seq } : { type: 'reset', seq, seed });
  }

  sendAction(seq: number, action: Float64Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.binary) this.ws.send(encodeFrame(FRAME_KIND_ACTION, seq, action));
    else this.ws.send(JSON.stringify({ type: 'action', seq, action: Array.from(action) }));
  }

  sendEpisodeEnd(seq: number, reason: string): void {
    this.sendJSON({ type: 'episode_end', seq, reason });
  }

  sendEstop(reason: string): void {
    this.sendJSON({ type: 'estop', reason });
  }

  sendHeartbeat(): void {
    this.sendJSON({ type: 'heartbeat', t: Date.now() });
  }

  /** Charges the time spent receiving this socket's bytes to the connection's budget (see `InboundBudget.meterReception`). */
  meterReception(socket: Parameters<InboundBudget['meterReception']>[0]): void {
    this.budget.meterReception(socket);
  }

  /** Starts the close handshake; the server destroys the socket if it does not complete within its closeTimeoutMs. */
  close(code: number, reason: string): void {
    this.budget.dispose(); // read again, so the peer's close frame can arrive
    this.ws.close(code, reason);
  }
}

/** The protocol error a failure while handling a message stands for. */
function toProtocolError(err: unknown): BridgeProtocolError {
  if (err instanceof BridgeProtocolError) return err;
  return new BridgeProtocolError('BAD_MESSAGE', err instanceof LamkitError ? err.message : formatError('BridgeServer.message', 'a valid message', describeValue(err), 'See docs/bridge-protocol.md'), { cause: err });
}

/** The index of the first value of `v` that is not finite, or -1 (a plain loop, without a callback per value: a camera image has ~28,000). */
function firstNonFiniteIndex(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
  return -1;
}
