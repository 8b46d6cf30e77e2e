import type { WebSocket, RawData } from 'ws';
import { formatError, describeValue, LamkitError } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';
import { decodeFrame, encodeFrame, FRAME_KIND_ACTION, FRAME_KIND_OBS } from './binary-frame.js';
import { PROTOCOL_VERSION, RobotMessageSchema, checkJsonShape, parseJSON, validateMessage, type HelloMessage, type RobotMessage } from './protocol.js';
import type { RemoteEnv, RobotLink } from './remote-env.js';
import { InboundBudget, type InboundLimits } from './inbound-budget.js';

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly maxMessageBytes: number;
  readonly heartbeatMs: number;
  readonly maxMessagesPerSecond: number;
  /** Per-connection budgets of incoming traffic. */
  readonly inboundLimits: InboundLimits;
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
  private binary = false;
  private readonly budget: InboundBudget;
  private rateLimitedReportedMs = -Infinity;
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

  /** Handles one admitted message (the budget measures the time spent here). */
  private handle(buf: Buffer, isBinary: boolean): void {
    try {
      if (buf.length > this.host.maxMessageBytes) {
        throw new BridgeProtocolError('PAYLOAD_TOO_LARGE', formatError('BridgeServer.message', `at most ${this.host.maxMessageBytes} bytes`, `${buf.length} bytes`, 'Send smaller messages or raise maxMessageBytes'));
      }
      if (isBinary) return this.onFrame(buf);
      checkJsonShape(buf, 'BridgeServer.message');
      this.dispatch(validateMessage(RobotMessageSchema, parseJSON(buf.toString('utf8'), 'BridgeServer.message'), 'BridgeServer.message'));
    } catch (err) {
      this.fail(
        err instanceof BridgeProtocolError
          ? err
          : new BridgeProtocolError('BAD_MESSAGE', err instanceof LamkitError ? err.message : formatError('BridgeServer.message', 'a valid message', describeValue(err), 'See docs/bridge-protocol.md'), { cause: err }),
      );
    }
  }

  private fail(err: BridgeProtocolError): void {
    this.sendError(err);
    this.host.reportError(err, this.robotId);
  }

  private onFrame(buf: Buffer): void {
    const frame = decodeFrame(buf, 'BridgeServer.frame');
    if (frame.kind !== FRAME_KIND_OBS) throw new BridgeProtocolError('BAD_FRAME', formatError('BridgeServer.frame.kind', '1 (obs) from a robot', String(frame.kind), 'Robots send observation frames only'));
    this.receiveObs(frame.seq, frame.values, frame.reward, frame.terminated, frame.truncated);
  }

  private dispatch(msg: RobotMessage): void {
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'obs': {
        const obs = new Float32Array(msg.obs.length);
        for (let i = 0; i < obs.length; i++) obs[i] = msg.obs[i];
        return this.receiveObs(msg.seq, obs, msg.reward ?? 0, msg.terminated ?? false, msg.truncated ?? false, msg.info);
      }
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
    this.binary = hello.binary ?? false;
    this.sendJSON({ type: 'welcome', protocol: PROTOCOL_VERSION, robotId: hello.robotId, heartbeatMs: this.host.heartbeatMs, maxMessageBytes: this.host.maxMessageBytes });
  }

  private receiveObs(seq: number, obs: Float32Array, reward: number, terminated: boolean, truncated: boolean, info?: Record<string, unknown>): void {
    const env = this.requireEnv('obs');
    for (let i = 0; i < obs.length; i++) {
      if (!Number.isFinite(obs[i])) {
        throw new BridgeProtocolError('BAD_OBSERVATION', formatError(`BridgeServer.message.obs.obs[${i}]`, 'a finite float32', describeValue(obs[i]), 'Send finite sensor values'));
      }
    }
    env.receiveObservation({ robotId: env.robotId, seq, obs, reward, terminated, truncated, receivedMs: this.lastSeenMs, info });
  }

  private requireEnv(type: string): RemoteEnv {
    if (!this.env) throw new BridgeProtocolError('OUT_OF_ORDER', formatError(`BridgeServer.message.${type}`, 'a hello first', `'${type}' before the handshake`, 'Send hello and wait for welcome'));
    return this.env;
  }

  private onClose(code: number, reason: string): void {
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

  /** Starts the close handshake; the server destroys the socket if it does not complete within its closeTimeoutMs. */
  close(code: number, reason: string): void {
    this.budget.dispose(); // read again, so the peer's close frame can arrive
    this.ws.close(code, reason);
  }
}
