import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Space } from '../core/spaces/space.js';
import { spaceFromJSON } from '../core/spaces/from-json.js';
import type { ActionBatch, VectorResetArgs, VectorResetResult, VectorStepResult } from '../core/vector-env.js';
import { BackendError, ClosedError, InvalidArgument, InvalidSpace, formatError, describeValue } from '../core/errors.js';
import { BaseVectorEnv, type VectorEnvOptions } from './base-vector-env.js';
import type { WorkerEnvFactory } from './worker-env-factory.js';
import {
  CMD_CLOSE,
  CMD_RESET,
  CMD_STEP,
  CTRL_CMD,
  CTRL_ERRORS,
  CTRL_LENGTH,
  CTRL_PENDING,
  CTRL_SEQ,
  reviveError,
  waitAsync,
  type ResetPayload,
  type SerializedError,
  type WorkerBuffers,
  type WorkerHello,
  type WorkerInit,
} from './worker-protocol.js';

/** Options of {@link AsyncVectorEnv.create}. */
export interface AsyncVectorEnvOptions extends VectorEnvOptions {
  /** How each worker builds its sub-envs (module URL, export name, cloneable args). */
  factory: WorkerEnvFactory;
  /** Number of sub-envs (>= 1). */
  numEnvs: number;
  /** Worker threads, each running a contiguous slice of sub-envs. Default `min(numEnvs, cores)`. */
  numWorkers?: number;
  /** How long workers may take to import, prepare and build their envs. Default 60000. */
  startTimeoutMs?: number;
}

interface WorkerSlot {
  worker: Worker;
  port: MessagePort;
  first: number;
  count: number;
}

/** How long `close()` lets workers close their envs before terminating them. */
const CLOSE_GRACE_MS = 2000;

/**
 * Runs sub-envs in worker threads (Gymnasium's `AsyncVectorEnv`), several per
 * worker. Observations, rewards, flags and actions live in SharedArrayBuffers;
 * a step posts no message: the main thread signals workers through
 * `Atomics.notify` and awaits them with `Atomics.waitAsync`, so the event loop
 * stays free while they work. Semantics equal `SyncVectorEnv`'s (next-step
 * autoreset, `seed + i`, `info.episode`, reused result arrays: copy what you keep).
 *
 * Workers build the envs themselves from a {@link WorkerEnvFactory} (a module
 * URL and export name: functions cannot cross threads);
 * `makeVec(id, { vectorizationMode: 'async' })` passes one that makes a
 * registered task.
 * Worth it only when a sub-env step costs more than the ~25 us round trip
 * divided among the workers (see docs/benchmarks.md for the break-even point).
 *
 * Errors thrown by a sub-env reject `step`/`reset` with the same class and
 * message; a worker that dies rejects the pending call with `BackendError`.
 * `await vec.close()` (idempotent) when done; idle workers do not keep Node
 * running, so a script that forgets it still exits.
 */
export class AsyncVectorEnv extends BaseVectorEnv {
  /** Number of worker threads. */
  readonly numWorkers: number;
  private readonly slots: WorkerSlot[];
  private readonly ctrl: Int32Array;
  private busy = false;
  private closing: Promise<void> | null = null;
  private fatal: Error | null = null;

  private constructor(slots: WorkerSlot[], numEnvs: number, obsSpace: Space<unknown>, actSpace: Space<unknown>, options: VectorEnvOptions) {
    super('AsyncVectorEnv', numEnvs, obsSpace, actSpace, options, true);
    this.slots = slots;
    this.numWorkers = slots.length;
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL_LENGTH));
  }

  /** Starts the workers, builds the sub-envs in them and allocates the shared buffers. */
  static async create(options: AsyncVectorEnvOptions): Promise<AsyncVectorEnv> {
    const o = checkOptions(options);
    const slots: WorkerSlot[] = [];
    try {
      const base = Math.floor(o.numEnvs / o.numWorkers);
      const extra = o.numEnvs % o.numWorkers;
      let first = 0;
      for (let w = 0; w < o.numWorkers; w++) {
        const count = base + (w < extra ? 1 : 0);
        slots.push(spawnWorker(o, first, count));
        first += count;
      }
      const spaces = await Promise.all(slots.map((s) => expectHello(s, 'spaces', o.startTimeoutMs)));
      const obsSpace = spaceFromJSON(spaces[0].observationSpace, 'AsyncVectorEnv.observationSpace');
      const actSpace = spaceFromJSON(spaces[0].actionSpace, 'AsyncVectorEnv.actionSpace');
      spaces.forEach((s, w) => {
        for (const [key, space] of [['observationSpace', obsSpace], ['actionSpace', actSpace]] as const) {
          const other = spaceFromJSON(s[key]);
          if (!other.equals(space)) {
            throw new InvalidSpace(formatError(`AsyncVectorEnv.worker[${w}].${key}`, `${space.toString()} (the space of worker 0)`, other.toString(), 'Make the task build the same spaces every time'));
          }
        }
      });
      const vec = new AsyncVectorEnv(slots, o.numEnvs, obsSpace, actSpace, o);
      const b = vec.buffers;
      const msg: WorkerBuffers = {
        type: 'buffers',
        ctrl: vec.ctrl.buffer as SharedArrayBuffer,
        obs: b.obs.buffer as SharedArrayBuffer,
        rewards: b.rewards.buffer as SharedArrayBuffer,
        terminated: b.terminated.buffer as SharedArrayBuffer,
        truncated: b.truncated.buffer as SharedArrayBuffer,
        success: b.success.buffer as SharedArrayBuffer,
        infoValues: b.infoValues.buffer as SharedArrayBuffer,
        actions: b.actions.buffer as SharedArrayBuffer,
      };
      const ready = Promise.all(slots.map((s) => expectHello(s, 'ready', o.startTimeoutMs)));
      for (const s of slots) s.worker.postMessage(msg);
      await ready;
      vec.watchWorkers();
      // Idle workers do not keep Node alive (a script that forgets close() still exits);
      // a pending command re-refs one of them so the process waits for the answer.
      for (const s of slots) s.worker.unref();
      return vec;
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      for (const s of slots) s.port.close();
      throw err;
    }
  }

  /** Resets every sub-env (sub-env i seeded with `seed + i`, or `seed[i]`). */
  async reset(args?: VectorResetArgs): Promise<VectorResetResult> {
    this.assertUsable('reset');
    const seeds = this.beginReset(args);
    for (const s of this.slots) {
      const payload: ResetPayload = { seeds, options: args?.options };
      try {
        s.port.postMessage(payload);
      } catch (err) {
        throw new InvalidArgument(formatError('AsyncVectorEnv.reset.options', 'structured-cloneable options (no functions)', describeValue(args?.options), `Pass plain data (${(err as Error).message})`));
      }
    }
    await this.command(CMD_RESET);
    return this.finishReset();
  }

  /** Steps every sub-env in the workers; sub-envs whose episode ended on the previous step are reset instead. */
  async step(actions: ActionBatch): Promise<VectorStepResult> {
    this.assertUsable('step');
    this.beginStep(actions);
    await this.command(CMD_STEP);
    return this.finishStep();
  }

  /** Closes the sub-envs and terminates the workers. Idempotent; safe after a worker crash. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasBusy = this.busy;
    this.lifecycle = 'closed';
    for (const s of this.slots) s.worker.ref(); // keep Node alive until the workers are gone
    if (wasBusy) this.abort(new ClosedError('AsyncVectorEnv: expected the pending step()/reset() to finish, got close() during it. Await each call before closing.'));
    else if (!this.fatal) {
      // Let the workers close their envs (e.g. free WASM memory), briefly.
      this.issue(CMD_CLOSE);
      const deadline = Date.now() + CLOSE_GRACE_MS;
      for (let v = Atomics.load(this.ctrl, CTRL_PENDING); v > 0 && !this.fatal && Date.now() < deadline; v = Atomics.load(this.ctrl, CTRL_PENDING)) {
        const w = waitAsync(this.ctrl, CTRL_PENDING, v, deadline - Date.now());
        if (w.async) await w.value;
      }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) s.port.close();
  }

  private assertUsable(method: string): void {
    this.assertOpen(method);
    if (this.fatal) throw this.fatal;
    if (this.busy) {
      throw new InvalidArgument(`AsyncVectorEnv.${method}: expected the previous reset()/step() to have finished, got a new call while one is pending. Await each call before the next.`);
    }
  }

  private issue(cmd: number): void {
    const ctrl = this.ctrl;
    Atomics.store(ctrl, CTRL_CMD, cmd);
    Atomics.store(ctrl, CTRL_ERRORS, 0);
    Atomics.store(ctrl, CTRL_PENDING, this.slots.length);
    Atomics.add(ctrl, CTRL_SEQ, 1);
    Atomics.notify(ctrl, CTRL_SEQ);
  }

  /** Issues `cmd` to every worker and waits until all are done; rethrows the first sub-env error. */
  private async command(cmd: number): Promise<void> {
    this.busy = true;
    const keepAlive = this.slots[0].worker;
    keepAlive.ref();
    try {
      this.issue(cmd);
      const ctrl = this.ctrl;
      for (let v = Atomics.load(ctrl, CTRL_PENDING); v > 0 && !this.fatal; v = Atomics.load(ctrl, CTRL_PENDING)) {
        const w = waitAsync(ctrl, CTRL_PENDING, v);
        if (w.async) await w.value;
      }
      if (this.fatal) {
        this.markFailed();
        throw this.fatal;
      }
      if (Atomics.load(ctrl, CTRL_ERRORS) > 0) {
        this.markFailed();
        throw this.collectError();
      }
    } finally {
      this.busy = false;
      // Once closing, shutdown() holds every worker ref'd until it is gone.
      if (this.lifecycle !== 'closed') keepAlive.unref();
    }
  }

  /** The error of the lowest-numbered failing sub-env, revived on this thread. */
  private collectError(): Error {
    let first: SerializedError | null = null;
    for (const s of this.slots) {
      for (let m = receiveMessageOnPort(s.port); m; m = receiveMessageOnPort(s.port)) {
        const e = m.message as SerializedError;
        if (!first || e.envIndex < first.envIndex) first = e;
      }
    }
    return first ? reviveError(first) : new BackendError('AsyncVectorEnv: expected an error report from the worker that failed, got none. This is a bug in AsyncVectorEnv.');
  }

  /** Turns a worker's death into a rejected call instead of a hang. */
  private watchWorkers(): void {
    this.slots.forEach((s, w) => {
      const span = s.count === 1 ? `sub-env ${s.first}` : `sub-envs ${s.first}..${s.first + s.count - 1}`;
      s.worker.on('error', (err) => {
        this.abort(new BackendError(`AsyncVectorEnv.worker[${w}]: expected the worker (${span}) to keep running, got an uncaught ${err.name}: ${err.message}. Create a new AsyncVectorEnv.`, { cause: err }));
      });
      s.worker.on('exit', (code) => {
        if (this.lifecycle === 'closed') return;
        this.abort(new BackendError(`AsyncVectorEnv.worker[${w}]: expected the worker (${span}) to keep running, got exit code ${code}. A sub-env ended its thread (process.exit or a fatal error); create a new AsyncVectorEnv.`));
      });
    });
  }

  /** Fails the pending call (if any) and every later one with `err`. */
  private abort(err: Error): void {
    if (!this.fatal) this.fatal = err;
    Atomics.store(this.ctrl, CTRL_PENDING, 0);
    Atomics.notify(this.ctrl, CTRL_PENDING);
  }
}

interface ResolvedOptions extends AsyncVectorEnvOptions {
  numWorkers: number;
  startTimeoutMs: number;
}

function checkOptions(options: AsyncVectorEnvOptions): ResolvedOptions {
  const where = 'AsyncVectorEnv.create';
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgument(formatError(`${where}.options`, 'an object { factory, numEnvs, ... }', describeValue(options), "Pass e.g. { factory: { module, exportName, args }, numEnvs: 8 }, or use makeVec(id, { vectorizationMode: 'async' })"));
  }
  const { factory, numEnvs } = options;
  if (factory === null || typeof factory !== 'object') {
    throw new InvalidArgument(formatError(`${where}.options.factory`, 'an object { module, exportName, args? }', describeValue(factory), "Name the module and export that build a sub-env, or use makeVec(id, { vectorizationMode: 'async' })"));
  }
  if (typeof factory.module !== 'string' || !/^(file|data|https?|node):/.test(factory.module)) {
    throw new InvalidArgument(formatError(`${where}.options.factory.module`, 'the URL of the module that exports the factory', describeValue(factory.module), 'Pass e.g. import.meta.url or new URL(\'./my-task.js\', import.meta.url).href'));
  }
  if (typeof factory.exportName !== 'string' || factory.exportName === '') {
    throw new InvalidArgument(formatError(`${where}.options.factory.exportName`, 'the name of the exported factory function', describeValue(factory.exportName), "Pass e.g. 'makeMyTask'"));
  }
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new InvalidArgument(formatError(`${where}.options.numEnvs`, 'a positive integer', describeValue(numEnvs), 'Pass e.g. 8'));
  }
  const numWorkers = options.numWorkers ?? Math.min(numEnvs, availableParallelism());
  if (!Number.isInteger(numWorkers) || numWorkers < 1 || numWorkers > numEnvs) {
    throw new InvalidArgument(formatError(`${where}.options.numWorkers`, `an integer in [1, numEnvs = ${numEnvs}]`, describeValue(numWorkers), 'Omit it for one worker per core'));
  }
  const startTimeoutMs = options.startTimeoutMs ?? 60000;
  if (!(startTimeoutMs > 0)) {
    throw new InvalidArgument(formatError(`${where}.options.startTimeoutMs`, 'a positive number of milliseconds', describeValue(startTimeoutMs), 'Omit it for 60000'));
  }
  return { ...options, numWorkers, startTimeoutMs };
}

/** Running from the TypeScript sources (through tsx), workers need a bootstrap that registers tsx first. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './worker-bootstrap.mjs' : './async-worker.js', import.meta.url);
const WORKER_ENTRY = new URL(FROM_SOURCE ? './async-worker.ts' : './async-worker.js', import.meta.url).href;

function spawnWorker(o: ResolvedOptions, first: number, count: number): WorkerSlot {
  const { port1, port2 } = new MessageChannel();
  const init: WorkerInit & { entry: string } = {
    factory: { module: o.factory.module, exportName: o.factory.exportName, args: o.factory.args },
    first,
    count,
    numEnvs: o.numEnvs,
    infoKeys: [...(o.infoKeys ?? [])],
    port: port2 as unknown as WorkerInit['port'],
    entry: WORKER_ENTRY,
  };
  // The bootstrap registers tsx itself: drop the parent's `--import tsx` so it is not loaded twice.
  // Built (dist/), workers keep the parent's flags: a user running their own .ts task under tsx keeps tsx in the workers.
  const execArgv = !FROM_SOURCE ? process.execArgv : process.execArgv.filter((a, i, all) => !(a === 'tsx' && all[i - 1] === '--import') && !(a === '--import' && all[i + 1] === 'tsx') && a !== '--import=tsx');
  const start = (argv: string[]): Worker => new Worker(WORKER_URL, { workerData: init, transferList: [port2 as never], execArgv: argv });
  let worker: Worker;
  try {
    try {
      worker = start(execArgv);
    } catch (err) {
      // Some process-wide flags (e.g. --title) are refused in workers: start without the parent's flags.
      if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
      worker = start([]);
    }
  } catch (err) {
    port1.close();
    if ((err as Error).name === 'DataCloneError') {
      throw new InvalidArgument(formatError('AsyncVectorEnv.create.options.factory.args', 'structured-cloneable arguments (no functions)', describeValue(o.factory.args), `Pass plain data (${(err as Error).message})`));
    }
    throw new BackendError(`AsyncVectorEnv.create: expected a worker thread to start, got ${(err as Error).name}: ${(err as Error).message}. Check the Node version (>= 20) and flags.`, { cause: err });
  }
  return { worker, port: port1, first, count };
}

/** Waits for one start-up message from a worker; start-up errors and early exits reject. */
function expectHello<T extends WorkerHello['type']>(slot: WorkerSlot, type: T, timeoutMs: number): Promise<Extract<WorkerHello, { type: T }>> {
  return new Promise((resolve, reject) => {
    const { worker } = slot;
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: WorkerHello): void => {
      done();
      if (msg.type === 'error') reject(reviveError(msg.error));
      else if (msg.type === type) resolve(msg as Extract<WorkerHello, { type: T }>);
      else reject(new BackendError(`AsyncVectorEnv.create: expected '${type}' from a worker, got '${msg.type}'. This is a bug in AsyncVectorEnv.`));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onExit = (code: number): void => {
      done();
      reject(new BackendError(`AsyncVectorEnv.create: expected the worker for sub-envs ${slot.first}..${slot.first + slot.count - 1} to start, got exit code ${code}. Check that the factory's module imports cleanly.`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new BackendError(`AsyncVectorEnv.create: expected workers to build their envs within ${timeoutMs} ms, got no answer. Raise startTimeoutMs or check the factory (e.g. the task's prepare()).`));
    }, timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
