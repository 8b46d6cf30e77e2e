import { RateLimiter } from './rate-limiter.js';

/** Per-connection limits on incoming traffic (documented defaults: `BridgeServerOptions`, docs/bridge-protocol.md "Limits"). */
export interface InboundLimits {
  /** Messages per second (token bucket, burst a tenth of a second's worth, at least 10); excess is dropped. */
  maxMessagesPerSecond: number;
  /** Bytes per second (burst a tenth of a second's worth, at least maxMessageBytes); over it the connection is throttled. */
  maxBytesPerSecond: number;
  /** Milliseconds of server processing per second (burst a quarter of a second's worth); over it the connection is throttled. */
  maxProcessingMsPerSecond: number;
  /** The soft message size limit (sets the byte burst and the throttled backlog). */
  maxMessageBytes: number;
}

/** What the budget needs from a socket: ws's `pause()`/`resume()` (stop/start reading from TCP). */
export interface PausableSocket {
  pause(): void;
  resume(): void;
}

/**
 * A budget that may go into debt: `tokens` refill at `perMs` up to `burst`;
 * a charge is taken whole, even past zero, and the connection waits until
 * the debt is paid back.
 */
class DebtBucket {
  tokens: number;
  private lastMs: number;
  constructor(
    private readonly perMs: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }
  refill(nowMs: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastMs) * this.perMs);
    this.lastMs = nowMs;
  }
  /** ms until the tokens are back to >= 0 (0 when they are). */
  waitMs(): number {
    return this.tokens >= 0 ? 0 : -this.tokens / this.perMs;
  }
}

/**
 * Longest stretch, in ms, one connection's messages are handled back to back
 * before the event loop gets a turn (`setImmediate`): other robots' messages
 * already read wait at most this plus one message.
 */
export const SLICE_MS = 2;

/** Most messages of one connection pending off the event loop at once (parsed in worker threads, or waiting behind one to keep their order); then its socket is paused. The bytes budget bounds the memory they hold. */
export const MAX_IN_FLIGHT = 64;

/**
 * Admits one connection's incoming messages against its budget, so that a
 * robot whose messages are legal but expensive (large, deeply structured
 * JSON at the size and rate limits) cannot take the event loop from the
 * others:
 *
 * - messages over `maxMessagesPerSecond` are dropped (`offer` returns false;
 *   the caller answers `RATE_LIMITED`);
 * - bytes received and the time spent handling each message (decode, parse,
 *   validate, dispatch, error reply; with `meterReception`, also receiving
 *   its bytes; wall-clock `performance.now()`) are
 *   charged to two budgets that may run into debt. While either is in debt,
 *   the socket stops reading (TCP backpressure reaches the sender) and
 *   messages already received wait, in order, until the debt is paid back.
 *   Nothing is dropped by throttling.
 * - slices: after {@link SLICE_MS} of back-to-back handling, the
 *   connection yields the event loop (its socket paused until the next
 *   `setImmediate`), so even a connection with budget to spare holds the
 *   loop for at most one slice plus one message at a time. The processing
 *   burst (a quarter second's worth) is then only a tolerance: a robot far
 *   under its budget is not throttled because one message was slow (a GC
 *   pause, the process preempted on a busy machine).
 * - a handler may go on off the event loop (it returns a promise of the ms
 *   it spent there, e.g. a large message parsed in a worker thread; the ms
 *   are charged like time on the loop when it settles). The handler keeps
 *   its own order; with {@link MAX_IN_FLIGHT} pending the socket is paused
 *   until one settles.
 * - if messages pile up while throttled (more than 4 x `maxMessageBytes`,
 *   which a paused socket cannot deliver), `onOverflow` is called (the
 *   connection closes itself).
 */
export class InboundBudget {
  private readonly messages: RateLimiter;
  private readonly bytes: DebtBucket;
  private readonly processing: DebtBucket;
  private readonly queue: Array<{ data: Buffer; isBinary: boolean }> = [];
  private queuedBytes = 0;
  private readonly maxQueuedBytes: number;
  /** A scheduled wake-up (debt: a timer; slice: an immediate), at most one. */
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private paused = false;
  private disposed = false;
  /** Messages being handled off the event loop (their handler's promise is pending), at most MAX_IN_FLIGHT. */
  private inFlight = 0;
  /** ms handled back to back in the current slice, and when the last message ended. */
  private sliceMs = 0;
  private lastEndMs = -Infinity;
  /** Total ms spent handling this connection's messages (reception metered with `meterReception` included). */
  processingMs = 0;
  /** Of which receiving the bytes (see `meterReception`). */
  receptionMs = 0;
  /** How many times the connection was throttled for debt. */
  throttles = 0;

  constructor(
    private readonly socket: PausableSocket,
    limits: InboundLimits,
    private readonly handle: (data: Buffer, isBinary: boolean) => void | Promise<number>,
    private readonly onOverflow: () => void,
  ) {
    const now = performance.now();
    this.messages = new RateLimiter(limits.maxMessagesPerSecond, Math.max(10, limits.maxMessagesPerSecond / 10));
    this.bytes = new DebtBucket(limits.maxBytesPerSecond / 1000, Math.max(limits.maxMessageBytes, limits.maxBytesPerSecond / 10), now);
    this.processing = new DebtBucket(limits.maxProcessingMsPerSecond / 1000, limits.maxProcessingMsPerSecond / 4, now);
    this.maxQueuedBytes = 4 * limits.maxMessageBytes;
  }

  /**
   * Takes one received message: handles it now, or queues it while the
   * connection is throttled or yielding. False when the message-rate limit dropped it.
   */
  offer(data: Buffer, isBinary: boolean, nowMs: number): boolean {
    if (this.disposed) return true;
    if (!this.messages.take(nowMs)) return false;
    // A message is handled when the budget was not in debt as it arrived; its cost is paid back afterwards.
    const wait = this.paused || this.queue.length > 0 || this.inDebt(nowMs);
    this.bytes.tokens -= data.length;
    if (wait) {
      this.queue.push({ data, isBinary });
      this.queuedBytes += data.length;
      if (this.queuedBytes > this.maxQueuedBytes) return this.overflow();
      if (!this.paused) this.pauseUntilDue();
      return true;
    }
    // Back to back with the previous message (the same read from the socket): the same slice.
    if (nowMs - this.lastEndMs > 0.5) this.sliceMs = 0;
    this.run(data, isBinary);
    if (this.inFlight >= MAX_IN_FLIGHT) this.pauseForInFlight();
    else if (this.inDebt(performance.now()) || this.sliceMs >= SLICE_MS) this.pauseUntilDue();
    return true;
  }

  /**
   * Also charges the time the event loop spends receiving this connection's
   * bytes before they are a message (ws reading the socket, unmasking the
   * frames, checking UTF-8, joining a message's chunks: ~1-3 ms for 256 KiB,
   * measured), so a connection pays for all the loop time its traffic costs.
   * `socket`: the connection's TCP socket, whose 'data' listeners ws runs;
   * time spent in `offer` meanwhile is charged already and left out.
   */
  meterReception(socket: { prependListener(ev: 'data', f: () => void): unknown; on(ev: 'data', f: () => void): unknown }): void {
    let t0 = 0;
    let handled0 = 0;
    socket.prependListener('data', () => {
      t0 = performance.now();
      handled0 = this.processingMs;
    });
    socket.on('data', () => {
      if (this.disposed) return;
      const now = performance.now();
      const ms = now - t0 - (this.processingMs - handled0);
      if (ms <= 0) return;
      this.charge(ms, now);
      this.receptionMs += ms;
    });
  }

  /** Stops processing (queued messages are dropped) and lets the socket read again, e.g. to complete a close handshake. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelWake();
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.paused) this.socket.resume();
    this.paused = false;
  }

  private inDebt(nowMs: number): boolean {
    this.bytes.refill(nowMs);
    this.processing.refill(nowMs);
    return this.processing.tokens < 0 || this.bytes.tokens < 0;
  }

  private run(data: Buffer, isBinary: boolean): void {
    const t0 = performance.now();
    let offloaded: void | Promise<number> = undefined;
    try {
      offloaded = this.handle(data, isBinary);
    } finally {
      const t1 = performance.now();
      this.charge(t1 - t0, t1);
      this.sliceMs += t1 - t0;
      this.lastEndMs = t1;
    }
    if (offloaded) this.await(offloaded);
  }

  private charge(ms: number, nowMs: number): void {
    this.processingMs += ms;
    this.processing.refill(nowMs);
    this.processing.tokens -= ms;
  }

  /**
   * The handler went on off the event loop: its time there (the promise's
   * value, ms) is charged when it settles. The handler keeps the order of
   * what it does for successive messages itself; at most MAX_IN_FLIGHT are
   * pending, then the connection reads nothing more until one settles.
   */
  private await(offloaded: Promise<number>): void {
    this.inFlight++;
    const done = (ms: number): void => {
      this.inFlight--;
      if (this.disposed) return;
      this.charge(ms, performance.now());
      // Paused for in-flight messages only (no wake-up scheduled): go on now.
      if (this.paused && this.timer === null && this.immediate === null) this.drain();
    };
    offloaded.then(done, () => done(0));
  }

  private pauseForInFlight(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.cancelWake();
  }

  /** Stops reading and schedules the next slice: after the debt is paid back, else on the next turn of the event loop. */
  private pauseUntilDue(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.cancelWake();
    if (this.inDebt(performance.now())) {
      this.throttles++;
      const waitMs = Math.max(this.bytes.waitMs(), this.processing.waitMs(), 1);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.drain();
      }, Math.ceil(waitMs));
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.drain();
      });
    }
  }

  private cancelWake(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  /** One slice of queued messages; reads from the socket again once the queue is empty and the budget is not in debt. */
  private drain(): void {
    this.sliceMs = 0;
    if (this.inFlight >= MAX_IN_FLIGHT) return this.pauseForInFlight();
    while (!this.disposed && this.queue.length > 0) {
      if (this.inDebt(performance.now()) || this.sliceMs >= SLICE_MS) return this.pauseUntilDue();
      const next = this.queue.shift()!;
      this.queuedBytes -= next.data.length;
      this.run(next.data, next.isBinary);
      if (this.inFlight >= MAX_IN_FLIGHT) return this.pauseForInFlight(); // drained again when one settles
    }
    if (this.disposed) return;
    if (this.inDebt(performance.now())) return this.pauseUntilDue();
    this.paused = false;
    this.socket.resume();
  }

  private overflow(): true {
    this.dispose();
    this.onOverflow();
    return true;
  }
}
