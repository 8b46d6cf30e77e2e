import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { LamkitError, describeValue, formatError } from '../core/errors.js';
import { BridgeProtocolError, type BridgeErrorCode } from './errors.js';
import { RobotMessageSchema, checkJsonShape, parseJSON, validateMessage, type RobotMessage } from './protocol.js';

/**
 * A robot message ready to dispatch: the validated message, except that an
 * `obs` carries its vector as a `Float32Array`, the index of its first value
 * that is not a finite float32 (-1: none; checked while converting, so the
 * event loop does not scan a large vector again) and its `info` as JSON text
 * (parsed only when someone reads it, see {@link lazyInfo}).
 */
export type ParsedRobotMessage =
  | Exclude<RobotMessage, { type: 'obs' }>
  | { type: 'obs'; seq: number; obs: Float32Array; reward: number; terminated: boolean; truncated: boolean; infoJson?: string; firstNonFinite: number };

/** What parsing one message gave: the message, or the protocol error to answer with; `ms` is the time it took. */
export type ParseReply = ({ ok: true; msg: ParsedRobotMessage } | { ok: false; code: BridgeErrorCode; message: string }) & { ms: number };

/**
 * Default nice value of the parse workers' threads (Linux; 0 is the process's
 * own priority, 19 the lowest): the event loop and the robots' processes
 * preempt a parse instead of waiting for a core behind it, so one
 * connection's expensive messages cost the others less scheduling delay.
 * Not 19: on a saturated machine a thread at 19 gets ~1/70 of a nice-0
 * thread's share, and every large message (a healthy robot's too) would
 * crawl.
 */
export const PARSE_WORKER_NICE = 10;

/** @internal A worker's first message: it answers requests now; `tid` and `nice`: its thread's id and nice value (Linux; else null). */
export interface WorkerReady {
  ready: true;
  tid: number | null;
  nice: number | null;
}

/** @internal What a parse worker is started with (`entry`: the module the tsx bootstrap loads). */
export interface ParseWorkerData {
  entry: string;
  nice: number;
}

/**
 * What an `obs` must hold on this connection (known from its hello): `length`
 * numbers; `where` and `what` name them in the error (as `RemoteEnv` does).
 * Checked where the message is parsed, so a worker answers a wrong-length
 * observation with a short error instead of shipping its vector back to the
 * event loop only to be refused there.
 */
export interface ObsExpectation {
  length: number;
  where: string;
  what: string;
}

/** The error for an observation of the wrong length (the same text wherever it is checked). */
export function obsLengthError(expect: ObsExpectation, got: number): BridgeProtocolError {
  return new BridgeProtocolError('BAD_OBSERVATION', formatError(expect.where, `${expect.length} numbers for ${expect.what}`, `${got} numbers`, 'Send observationSpace.flatten(obs)'));
}

/** @internal A request to a parse worker. */
export interface ParseRequest {
  id: number;
  bytes: ArrayBuffer;
  where: string;
  obs?: ObsExpectation;
}

/**
 * Decodes (UTF-8), shape-checks (depth, field count), parses and validates
 * one JSON text message from a robot; never throws. The same code runs on
 * the event loop (small messages) and in the pool's workers (large ones), so
 * both give the same answer and the same error codes.
 */
export function parseRobotMessage(bytes: Uint8Array, where: string, expectObs?: ObsExpectation): ParseReply {
  const t0 = performance.now();
  try {
    checkJsonShape(bytes, where);
    const m = validateMessage(RobotMessageSchema, parseJSON(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), where), where);
    let msg: ParsedRobotMessage;
    if (m.type === 'obs') {
      let firstNonFinite = -1;
      if (expectObs && m.obs.length !== expectObs.length) {
        // Refused without building the vector; a value that is not a finite float32 is still named first.
        for (let i = 0; i < m.obs.length && firstNonFinite < 0; i++) if (!Number.isFinite(Math.fround(m.obs[i]))) firstNonFinite = i;
        if (firstNonFinite < 0) throw obsLengthError(expectObs, m.obs.length);
      }
      const obs = new Float32Array(m.obs.length);
      for (let i = 0; i < obs.length; i++) {
        obs[i] = m.obs[i];
        if (firstNonFinite < 0 && !Number.isFinite(obs[i])) firstNonFinite = i;
      }
      msg = { type: 'obs', seq: m.seq, obs, reward: m.reward ?? 0, terminated: m.terminated ?? false, truncated: m.truncated ?? false, firstNonFinite };
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
  /** Its thread's id and nice value once ready (null where unknown). */
  tid: number | null;
  nice: number | null;
}

/** How long {@link MessageParsePool.whenReady} waits for a starting worker before giving up (the caller parses inline). */
const START_TIMEOUT_MS = 30000;

/**
 * Worker threads that parse and validate large JSON messages, so that one
 * connection's expensive message never holds the server's event loop for
 * longer than it takes to hand its bytes over (a copy) and take the result
 * back (a transferred `Float32Array`). The threads run at a lower CPU
 * priority ({@link PARSE_WORKER_NICE}, Linux), so that they delay the loop
 * and the robots less for a core too. Nothing starts at import or
 * construction: `warm()` or `whenReady()` starts the workers in the
 * background (the server does on the first large message, which waits for
 * them) and `ready` says when one answers. Requests go round-robin over the
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
  /** Callers of `whenReady` waiting for a worker: resolved true when one is ready, false when none can be. */
  private waiters: Array<(ready: boolean) => void> = [];
  /** Requests handed to the workers so far. */
  requests = 0;

  /**
   * `size`: worker threads (default: one less than the cores, 1 to 4); `nice`: their threads' nice value on
   * Linux (an integer 0-19, default {@link PARSE_WORKER_NICE}; 0 keeps the process's priority).
   */
  constructor(
    private readonly size = Math.max(1, Math.min(4, availableParallelism() - 1)),
    private readonly nice = PARSE_WORKER_NICE,
  ) {}

  /** True when at least one worker is ready for {@link parse}. */
  get ready(): boolean {
    return this.slots.some((s) => s.ready);
  }

  /** The ready workers' thread nice values (null where unknown): the pool's `nice` on Linux. */
  get workerNice(): Array<number | null> {
    return this.slots.filter((s) => s.ready).map((s) => s.nice);
  }

  /** The ready workers' thread ids (Linux, e.g. for /proc/self/task/<tid>/schedstat; null where unknown). */
  get workerThreadIds(): Array<number | null> {
    return this.slots.filter((s) => s.ready).map((s) => s.tid);
  }

  /**
   * Resolves true once a worker is ready (at once when one is), starting the
   * workers if needed; false when none can be: the pool is closed, every
   * worker failed to start, or none was ready within 30 s. The server's
   * large messages wait for this instead of being parsed on the event loop
   * while the workers start.
   */
  whenReady(): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    this.warm();
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), START_TIMEOUT_MS);
      timer.unref();
      const settle = (ok: boolean): void => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(settle);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(ok);
      };
      this.waiters.push(settle);
    });
  }

  private wake(ready: boolean): void {
    for (const w of [...this.waiters]) w(ready);
  }

  /** Starts the missing workers in the background (no-op while they start, or after close). */
  warm(): void {
    if (this.closed || this.starting || this.slots.length >= this.size) return;
    this.starting = true;
    void this.start()
      .catch(() => undefined) // a worker that cannot be created: none is ready, callers parse inline
      .finally(() => {
        this.starting = false;
        if (this.slots.length === 0) this.wake(false);
      });
  }

  /**
   * Parses `bytes` (UTF-8 JSON text) in a ready worker; never rejects (a failure is a `{ ok: false }` reply).
   * `handOver`: the caller is done with `bytes`; when they are the whole of their ArrayBuffer (ws's
   * concatenation of a message's fragments) it is transferred, not copied, and `bytes` becomes empty.
   * `expectObs`: an `obs` of another length is refused in the worker (see {@link ObsExpectation}).
   */
  parse(bytes: Uint8Array, where: string, handOver = false, expectObs?: ObsExpectation): Promise<ParseReply> {
    const ready = this.slots.filter((s) => s.ready);
    if (this.closed || ready.length === 0) {
      return Promise.resolve({ ok: false, code: 'BAD_MESSAGE', message: formatError('BridgeServer.parsePool', 'a running parse worker', this.closed ? 'a closed server' : 'none ready', 'The message was dropped; send it again'), ms: 0 });
    }
    const slot = ready[this.next++ % ready.length];
    // Else a copy (a memcpy, ~0.05 ms for 256 KiB, and 256 KiB more for the garbage collector), transferred: a
    // slice of the socket's read buffer shares it with other bytes.
    const whole = handOver && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const own = whole ? (bytes.buffer as ArrayBuffer) : new Uint8Array(bytes).buffer;
    const id = this.nextId++;
    this.requests++;
    return new Promise<ParseReply>((resolve) => {
      slot.pending.set(id, resolve);
      slot.worker.postMessage((expectObs ? { id, bytes: own, where, obs: expectObs } : { id, bytes: own, where }) satisfies ParseRequest, [own]);
    });
  }

  private async start(): Promise<void> {
    const { Worker } = await import('node:worker_threads');
    // The bootstrap registers tsx itself: drop the parent's `--import tsx` so it is not loaded twice.
    const execArgv = !FROM_SOURCE ? process.execArgv : process.execArgv.filter((a, k, all) => !(a === 'tsx' && all[k - 1] === '--import') && !(a === '--import' && all[k + 1] === 'tsx') && a !== '--import=tsx');
    while (!this.closed && this.slots.length < this.size) {
      const worker = new Worker(WORKER_URL, { workerData: { entry: WORKER_ENTRY, nice: this.nice } satisfies ParseWorkerData, execArgv });
      worker.unref();
      const slot: Slot = { worker, pending: new Map(), ready: false, tid: null, nice: null };
      this.slots.push(slot);
      worker.on('message', (r: (ParseReply & { id: number }) | WorkerReady) => {
        if ('ready' in r) {
          slot.ready = true;
          slot.tid = r.tid;
          slot.nice = r.nice;
          this.wake(true);
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
        if (this.slots.length === 0) this.wake(false); // none left to wait for (the next warm() starts new ones)
      };
      worker.on('error', (err) => fail(describeValue(err.message)));
      worker.on('exit', (code) => fail(`a worker that exited with code ${code}`));
    }
  }

  /** Stops the workers; requests in flight are answered with an error. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake(false);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
