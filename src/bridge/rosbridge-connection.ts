import type { WebSocket } from 'ws';
import { z } from 'zod';
import { formatError, describeValue, LamkitError } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';
import { MAX_VECTOR_LENGTH, PROTOCOL_VERSION, checkJsonShape, numberVector, parseJSON, validateMessage } from './protocol.js';
import type { RemoteEnv, RobotLink } from './remote-env.js';
import { payloadOf, socketFailure, type ConnectionHost } from './robot-connection.js';
import type { ResolvedRosbridgeConfig } from './rosbridge-config.js';
import { InboundBudget } from './inbound-budget.js';

const id = z.string().max(256).optional();
const topic = z.string().min(1).max(256);
const nums = numberVector(MAX_VECTOR_LENGTH);
const OpSchema = z.discriminatedUnion('op', [
  z.looseObject({ op: z.literal('advertise'), id, topic, type: z.string().max(256) }),
  z.looseObject({ op: z.literal('unadvertise'), id, topic }),
  z.looseObject({ op: z.literal('publish'), id, topic, msg: z.record(z.string(), z.unknown()) }),
  z.looseObject({ op: z.literal('subscribe'), id, topic, type: z.string().max(256).optional() }),
  z.looseObject({ op: z.literal('unsubscribe'), id, topic }),
  z.looseObject({ op: z.literal('advertise_service'), service: topic, type: z.string().max(256) }),
  z.looseObject({ op: z.literal('unadvertise_service'), service: topic }),
  z.looseObject({ op: z.literal('service_response'), id, service: topic, result: z.boolean(), values: z.unknown().optional() }),
  z.looseObject({ op: z.literal('call_service'), id, service: topic }),
  z.looseObject({ op: z.literal('set_level'), id, level: z.string() }),
]);
const JointStateSchema = z.looseObject({ position: nums.optional(), velocity: nums.optional(), effort: nums.optional() });
const MultiArraySchema = z.looseObject({ data: nums });

const norm = (name: string): string => (name.startsWith('/') ? name : `/${name}`);

/**
 * One ROS robot speaking the rosbridge v2 protocol subset (server side):
 * `advertise`/`unadvertise`/`publish` of the observation (and step-info)
 * topic, `subscribe`/`unsubscribe` of the action topic, `advertise_service`
 * + `service_response` for the reset service the server calls with
 * `call_service`, and `status` messages for every error. The robot becomes a
 * `RemoteEnv` once it has subscribed to the action topic and advertised the
 * reset service. Topic names and message types come from the config file.
 */
export class RosbridgeConnection implements RobotLink {
  private readonly ws: WebSocket;
  private readonly host: ConnectionHost;
  private readonly cfg: ResolvedRosbridgeConfig;
  private readonly requestedId: string;
  private readonly budget: InboundBudget;
  private env: RemoteEnv | null = null;
  private advertised = new Set<string>();
  private subscribedAction = false;
  private resetAdvertised = false;
  /** [reward, terminated, truncated] from the step-info topic, consumed by the next observation. */
  private stepInfo = [0, 0, 0];
  lastSeenMs = performance.now();

  constructor(ws: WebSocket, host: ConnectionHost, cfg: ResolvedRosbridgeConfig, requestedRobotId: string | null = null) {
    this.ws = ws;
    this.host = host;
    this.cfg = cfg;
    this.requestedId = requestedRobotId ?? cfg.robotId;
    this.budget = new InboundBudget(ws, host.inboundLimits, (data, isBinary) => this.handle(data, isBinary), () =>
      this.close(1008, 'over its budget: messages piled up while throttled'),
    );
    // Over the message rate: dropped silently (rosbridge has no error for it; status messages would add to the flood).
    ws.on('message', (data, isBinary) => {
      this.lastSeenMs = performance.now();
      this.budget.offer(payloadOf(data), isBinary, this.lastSeenMs);
    });
    ws.on('pong', () => (this.lastSeenMs = performance.now()));
    ws.on('close', (code) => {
      this.budget.dispose();
      const env = this.env;
      this.env = null;
      if (env) host.detachRobot(env, `rosbridge socket closed with code ${code}`);
    });
    ws.on('error', (err) => host.reportError(socketFailure(err, 'Rosbridge.message', host.maxMessageBytes), this.robotId));
  }

  get robotId(): string | null {
    return this.env?.robotId ?? null;
  }

  /** Handles one admitted message (the budget measures the time spent here). */
  private handle(buf: Buffer, isBinary: boolean): void {
    let opId: string | undefined;
    try {
      if (buf.length > this.host.maxMessageBytes) throw new BridgeProtocolError('PAYLOAD_TOO_LARGE', formatError('Rosbridge.message', `at most ${this.host.maxMessageBytes} bytes`, `${buf.length} bytes`, 'Send smaller messages'));
      if (isBinary) throw new BridgeProtocolError('BAD_FRAME', formatError('Rosbridge.message', 'a JSON text frame (no compression)', `a binary frame of ${buf.length} bytes`, "Use compression 'none'"));
      checkJsonShape(buf, 'Rosbridge.message');
      const raw = parseJSON(buf.toString('utf8'), 'Rosbridge.message');
      opId = raw !== null && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id.slice(0, 256) : undefined;
      this.dispatch(validateMessage(OpSchema, raw, 'Rosbridge.message'));
    } catch (err) {
      const e = err instanceof BridgeProtocolError ? err : new BridgeProtocolError('BAD_MESSAGE', err instanceof LamkitError ? err.message : formatError('Rosbridge.message', 'a valid op', describeValue(err), 'See the rosbridge section of docs/bridge-protocol.md'), { cause: err });
      this.status('error', e.message, opId);
      this.host.reportError(e, this.robotId);
    }
  }

  private dispatch(m: z.infer<typeof OpSchema>): void {
    const c = this.cfg;
    switch (m.op) {
      case 'advertise': {
        const t = norm(m.topic);
        const ok = (t === norm(c.observation.topic) && m.type === c.observation.type) || (c.stepInfo && t === norm(c.stepInfo.topic) && m.type.includes('Float64MultiArray'));
        if (!ok) throw this.bad('advertise.topic', `${c.observation.topic} (${c.observation.type})${c.stepInfo ? ` or ${c.stepInfo.topic} (std_msgs/Float64MultiArray)` : ''}`, `${m.topic} (${m.type})`);
        this.advertised.add(t);
        return;
      }
      case 'unadvertise':
        this.advertised.delete(norm(m.topic));
        return;
      case 'publish':
        return this.onPublish(norm(m.topic), m.msg);
      case 'subscribe':
        if (norm(m.topic) !== norm(c.action.topic)) throw this.bad('subscribe.topic', c.action.topic, m.topic);
        this.subscribedAction = true;
        return this.maybeAttach();
      case 'unsubscribe':
        if (norm(m.topic) === norm(c.action.topic)) this.subscribedAction = false;
        return;
      case 'advertise_service':
        if (norm(m.service) !== norm(c.resetService)) throw this.bad('advertise_service.service', c.resetService, m.service);
        this.resetAdvertised = true;
        return this.maybeAttach();
      case 'unadvertise_service':
        if (norm(m.service) === norm(c.resetService)) this.resetAdvertised = false;
        return;
      case 'service_response':
        if (!m.result) throw new BridgeProtocolError('BAD_MESSAGE', formatError(`Rosbridge.service_response(${m.service})`, 'result true', `false (${describeValue(m.values)})`, 'The robot could not reset'));
        return;
      case 'call_service':
        this.send({ op: 'service_response', id: m.id, service: m.service, values: `lamkit: no service ${m.service} on this server`, result: false });
        return;
      case 'set_level':
        return;
    }
  }

  private onPublish(t: string, msg: Record<string, unknown>): void {
    const c = this.cfg;
    if (!this.advertised.has(t)) throw this.bad('publish.topic', 'a topic advertised first', t);
    if (c.stepInfo && t === norm(c.stepInfo.topic)) {
      const d = validateMessage(MultiArraySchema, msg, 'Rosbridge.publish.msg').data;
      if (d.length !== 3) throw this.bad('publish.msg.data', '[reward, terminated, truncated]', describeValue(d));
      this.stepInfo = d;
      return;
    }
    const env = this.env;
    if (!env) throw new BridgeProtocolError('OUT_OF_ORDER', formatError('Rosbridge.publish', `subscribe ${c.action.topic} and advertise_service ${c.resetService} first`, `a publish on ${t}`, 'Set up the action topic and reset service before publishing'));
    const flat = new Float32Array(c.obsSpace.flatDim);
    let n = 0;
    const put = (arr: readonly number[], name: string): void => {
      if (n + arr.length > flat.length) throw this.bad(`publish.msg.${name}`, `${flat.length} numbers in total for ${c.obsSpace.toString()}`, `more (${n + arr.length})`);
      for (const v of arr) flat[n++] = v;
    };
    if (c.isJointState) {
      const js = validateMessage(JointStateSchema, msg, 'Rosbridge.publish.msg');
      for (const f of c.fields) put(js[f] ?? [], f);
    } else put(validateMessage(MultiArraySchema, msg, 'Rosbridge.publish.msg').data, 'data');
    if (n !== flat.length) throw this.bad('publish.msg', `${flat.length} numbers for ${c.obsSpace.toString()}`, `${n}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(flat[i])) throw this.bad(`publish.msg[${i}]`, 'a finite number', describeValue(flat[i]));
    const [reward, term, trunc] = this.stepInfo;
    this.stepInfo = [0, 0, 0];
    const ev = { robotId: env.robotId, seq: env.pendingSeq ?? 0, obs: flat, reward, terminated: term !== 0, truncated: trunc !== 0, receivedMs: this.lastSeenMs };
    if (env.pendingSeq === null) env.notifyObservation(ev);
    else env.receiveObservation(ev);
  }

  private maybeAttach(): void {
    if (this.env || !this.subscribedAction || !this.resetAdvertised) return;
    const c = this.cfg;
    this.env = this.host.attachRobot(
      { type: 'hello', protocol: PROTOCOL_VERSION, robotId: this.requestedId, observationSpace: c.observationSpace, actionSpace: c.actionSpace, controlRateHz: c.controlRateHz, safeAction: c.safeAction },
      this,
    );
  }

  private bad(field: string, expected: string, got: string): BridgeProtocolError {
    return new BridgeProtocolError('BAD_MESSAGE', formatError(`Rosbridge.${field}`, expected, got, 'Check the topic mapping in the rosbridge config'));
  }

  private send(msg: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private status(level: 'error' | 'warning' | 'info', msg: string, opId?: string): void {
    this.send(opId === undefined ? { op: 'status', level, msg } : { op: 'status', level, msg, id: opId });
  }

  sendReset(seq: number, seed: number | undefined): void {
    this.send({ op: 'call_service', id: `lamkit_reset:${seq}`, service: this.cfg.resetService, args: seed === undefined ? {} : { seed } });
  }

  /** Publishes the flat action in the configured message type (docs/bridge-protocol.md, rosbridge: actions). */
  sendAction(_seq: number, action: Float64Array): void {
    const data = Array.from(action);
    const c = this.cfg;
    const layout = { dim: [{ label: 'action', size: data.length, stride: data.length }], data_offset: 0 };
    let msg: object;
    switch (c.actionEncoding) {
      case 'trajectory':
        msg = {
          header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
          joint_names: c.action.jointNames ?? [],
          points: [{ positions: data, velocities: [], accelerations: [], effort: [], time_from_start: { sec: 0, nanosec: Math.round(1e9 / c.controlRateHz) } }],
        };
        break;
      case 'int32':
        msg = { data: data[0] };
        break;
      default:
        msg = { layout, data };
    }
    this.send({ op: 'publish', topic: c.action.topic, msg });
  }

  sendEpisodeEnd(seq: number, reason: string): void {
    this.status('warning', `lamkit episode_end seq=${seq}: ${reason}`);
  }

  sendEstop(reason: string): void {
    this.sendAction(0, this.env?.guard.safeAction ?? Float64Array.from(this.cfg.safeAction));
    this.status('error', `lamkit estop: ${reason}`);
  }

  sendHeartbeat(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /** Charges the time spent receiving this socket's bytes to the connection's budget (see `InboundBudget.meterReception`). */
  meterReception(socket: Parameters<InboundBudget['meterReception']>[0]): void {
    this.budget.meterReception(socket);
  }

  close(code: number, reason: string): void {
    this.budget.dispose(); // read again, so the peer's close frame can arrive
    this.ws.close(code, reason);
  }
}
