import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { LamkitError, describeValue, formatError } from '../core/errors.js';
import { BridgeProtocolError, type BridgeErrorCode } from './errors.js';
import { RobotMessageSchema, checkJsonShape, parseJSON, validateMessage, type RobotMessage } from './protocol.js';

/**
 * A robot message ready to dispatch: the validated message, except that an
 * `obs` carries its vector as a `Float32Array` and its `info` as JSON text
 * (parsed only when someone reads it, see {@link lazyInfo}).
 */
export type ParsedRobotMessage =
  | Exclude<RobotMessage, { type: 'obs' }>
  | { type: 'obs'; seq: number; obs: Float32Array; reward: number; terminated: boolean; truncated: boolean; infoJson?: string };

/** What parsing one message gave: the message, or the protocol error to answer with; `ms` is the time it took. */
export type ParseReply = ({ ok: true; msg: ParsedRobotMessage } | { ok: false; code: BridgeErrorCode; message: string }) & { ms: number };

/** @internal A request to a parse worker. */
export interface ParseRequest {
  id: number;
  bytes: ArrayBuffer;
  where: string;
}

/**
 * Decodes (UTF-8), shape-checks (depth, field count), parses and validates
 * one JSON text message from a robot; never throws. The same code runs on
 * the event loop (small messages) and in the pool's workers (large ones), so
 * both give the same answer and the same error codes.
 */
export function parseRobotMessage(bytes: Uint8Array, where: string): ParseReply {
  const t0 = performance.now();
  try {
    checkJsonShape(bytes, where);
    const m = validateMessage(RobotMessageSchema, parseJSON(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), where), where);
    let msg: ParsedRobotMessage;
    if (m.type === 'obs') {
      const obs = new Float32Array(m.obs.length);
      for (let i = 0; i < obs.length; i++) obs[i] = m.obs[i];
      msg = { type: 'obs', seq: m.seq, obs, reward: m.reward ?? 0, terminated: m.terminated ?? false, truncated: m.truncated ?? false };
      if (m.info !== undefined) msg.infoJson = JSON.stringify(m.info);
    } else msg = m;
    return { ok: true, msg, ms: performance.now() - t0 };
  } catch (err) {
    const e =
      err instanceof BridgeProtocolError
        ? err
        : new BridgeProtocolError('BAD_MESSAGE', err instanceof LamkitError ? err.message : formatError(where, 'a valid message', describeValue(err), 'See docs/bridge-protocol.md'));
    return { ok: false, code: e.bridgeCode, message: e.message, ms: performance.now() - t0 };
  }
}

/**
 * The `info` of an observation event, parsed from its JSON text the first
 * time it is read (a robot's info can be the costliest part of a message to
 * rebuild on the event loop, and most events are never asked for it).
 */
export function lazyInfo<T extends { info?: Record<string, unknown> }>(target: T, json: string): T {
  let value: Record<string, unknown> | undefined;
  Object.defineProperty(target, 'info', {
    enumerable: true,
    configurable: true,
    get: () => (value ??= JSON.parse(json) as Record<string, unknown>),
  });
  return target;
}

/** Running from the TypeScript sources (through tsx), workers need a bootstrap that registers tsx first. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? '../vector/worker-bootstrap.mjs' : './parse-worker.js', import.meta.url);
const WORKER_ENTRY = new URL(FROM_SOURCE ? './parse-worker.ts' : './parse-worker.js', import.meta.url).href;

interface Slot {
  worker: Worker;
  pending: Map<number, (r: ParseReply) => void>;
  /** The worker has loaded its modules and answers requests. */
  ready: boolean;
}

/**
 * Worker threads that parse and validate large JSON messages, so that one
 * connection's expensive message never holds the server's event loop for
 * longer than it takes to hand its bytes over (a copy) and take the result
 * back (a transferred `Float32Array`). Nothing starts at import or
 * construction: `warm()` starts the workers in the background (the server
 * calls it on the first large message) and `ready` says when one answers;
 * until then the caller parses inline. Requests go round-robin over the
 * ready workers; a worker that dies is dropped (its pending requests are
 * answered with an error) and replaced on the next `warm()`. `close()` is
 * idempotent.
 */
export class MessageParsePool {
  private readonly slots: Slot[] = [];
  private next = 0;
  private nextId = 1;
  private closed = false;
  private starting = false;
  /** Requests handed to the workers so far. */
  requests = 0;

  /** `size`: worker threads (default: one less than the cores, 1 to 4). */
  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  /** True when at least one worker is ready for {@link parse}. */
  get ready(): boolean {
    return this.slots.some((s) => s.ready);
  }

  /** Starts the missing workers in the background (no-op while they start, or after close). */
  warm(): void {
    if (this.closed || this.starting || this.slots.length >= this.size) return;
    this.starting = true;
    void this.start().finally(() => (this.starting = false));
  }

  /** Parses `bytes` (UTF-8 JSON text) in a ready worker; never rejects (a failure is a `{ ok: false }` reply). */
  parse(bytes: Uint8Array, where: string): Promise<ParseReply> {
    const ready = this.slots.filter((s) => s.ready);
    if (this.closed || ready.length === 0) {
      return Promise.resolve({ ok: false, code: 'BAD_MESSAGE', message: formatError('BridgeServer.parsePool', 'a running parse worker', this.closed ? 'a closed server' : 'none ready', 'The message was dropped; send it again'), ms: 0 });
    }
    const slot = ready[this.next++ % ready.length];
    // A copy (a memcpy, ~0.05 ms for 256 KiB), transferred: the socket's buffers may be ws's own, still in use
    // (a Buffer covering a whole ArrayBuffer can be the receiver's read buffer).
    const own = new Uint8Array(bytes).buffer;
    const id = this.nextId++;
    this.requests++;
    return new Promise<ParseReply>((resolve) => {
      slot.pending.set(id, resolve);
      slot.worker.postMessage({ id, bytes: own, where } satisfies ParseRequest, [own]);
    });
  }

  private async start(): Promise<void> {
    const { Worker } = await import('node:worker_threads');
    // The bootstrap registers tsx itself: drop the parent's `--import tsx` so it is not loaded twice.
    const execArgv = !FROM_SOURCE ? process.execArgv : process.execArgv.filter((a, k, all) => !(a === 'tsx' && all[k - 1] === '--import') && !(a === '--import' && all[k + 1] === 'tsx') && a !== '--import=tsx');
    while (!this.closed && this.slots.length < this.size) {
      const worker = new Worker(WORKER_URL, { workerData: { entry: WORKER_ENTRY }, execArgv });
      worker.unref();
      const slot: Slot = { worker, pending: new Map(), ready: false };
      this.slots.push(slot);
      worker.on('message', (r: (ParseReply & { id: number }) | { ready: true }) => {
        if ('ready' in r) {
          slot.ready = true;
          return;
        }
        const resolve = slot.pending.get(r.id);
        slot.pending.delete(r.id);
        resolve?.(r);
      });
      const fail = (why: string): void => {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        slot.ready = false;
        for (const resolve of slot.pending.values()) {
          resolve({ ok: false, code: 'BAD_MESSAGE', message: formatError('BridgeServer.parsePool', 'a running parse worker', why, 'The message was dropped; send it again'), ms: 0 });
        }
        slot.pending.clear();
      };
      worker.on('error', (err) => fail(describeValue(err.message)));
      worker.on('exit', (code) => fail(`a worker that exited with code ${code}`));
    }
  }

  /** Stops the workers; requests in flight are answered with an error. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
