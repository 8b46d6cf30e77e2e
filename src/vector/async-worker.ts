/**
 * Worker-thread entry of `AsyncVectorEnv` (not a public module). It builds
 * its slice of sub-envs with the {@link WorkerEnvFactory} it was given
 * (import the module, call the export once, then its maker per sub-env),
 * reports the spaces, receives the shared buffers, then serves commands in a
 * blocking `Atomics.wait` loop (see worker-protocol.ts).
 *
 * It knows nothing about the registry: `makeVec` passes a factory that
 * registers and makes the task (src/registry/registered-env-factory.ts).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Env } from '../core/env.js';
import { BackendError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { actionLayout } from '../core/vector-env.js';
import type { EnvMaker, WorkerEnvFactory } from './worker-env-factory.js';
import { SubEnvBatch, type BatchBuffers } from './sub-env-batch.js';
import {
  CMD_CLOSE,
  CMD_RESET,
  CMD_STEP,
  CTRL_CMD,
  CTRL_ERRORS,
  CTRL_PENDING,
  CTRL_SEQ,
  serializeError,
  type ResetPayload,
  type WorkerBuffers,
  type WorkerHello,
  type WorkerInit,
} from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = init.port as unknown as MessagePort;
const parent = parentPort!;
const hello = (msg: WorkerHello): void => parent.postMessage(msg);

let envs: Env<unknown, unknown>[] = [];
try {
  const makeEnv = await loadMaker(init.factory);
  for (let k = 0; k < init.count; k++) envs.push(makeEnv(init.first + k));
  hello({ type: 'spaces', observationSpace: envs[0].observationSpace.toJSON(), actionSpace: envs[0].actionSpace.toJSON() });
} catch (err) {
  for (const env of envs) env.close();
  envs = [];
  hello({ type: 'error', error: serializeError(err, -1) });
}

parent.once('message', (msg: WorkerBuffers) => {
  let batch: SubEnvBatch;
  try {
    const obsSpace = envs[0].observationSpace;
    const actSpace = envs[0].actionSpace;
    const buffers: BatchBuffers = {
      obs: new Float32Array(msg.obs),
      rewards: new Float64Array(msg.rewards),
      terminated: new Uint8Array(msg.terminated),
      truncated: new Uint8Array(msg.truncated),
      success: new Int8Array(msg.success),
      infoValues: new Float64Array(msg.infoValues),
      actions: actionLayout(actSpace).dtype === 'float32' ? new Float32Array(msg.actions) : new Int32Array(msg.actions),
    };
    batch = new SubEnvBatch(envs, init.first, init.numEnvs, buffers, obsSpace, actSpace, init.infoKeys);
  } catch (err) {
    hello({ type: 'error', error: serializeError(err, -1) });
    return;
  }
  hello({ type: 'ready' });
  // Leave the message handler before blocking, so 'ready' is flushed first.
  setImmediate(() => serve(batch, new Int32Array(msg.ctrl)));
});

/** Imports the factory's module and calls its export once: the per-sub-env maker. */
async function loadMaker(factory: WorkerEnvFactory): Promise<EnvMaker> {
  const where = `AsyncVectorEnv worker.factory (${factory.module})`;
  const mod = (await import(factory.module)) as Record<string, unknown>;
  const fn = mod[factory.exportName];
  if (typeof fn !== 'function') {
    throw new InvalidArgument(formatError(`${where}.${factory.exportName}`, 'an exported function (args) => (index) => Env', describeValue(fn), `Export it from the module, or fix exportName (exports: ${Object.keys(mod).join(', ') || 'none'})`));
  }
  const maker = await (fn as (args: unknown) => unknown)(factory.args);
  if (typeof maker !== 'function') {
    throw new InvalidArgument(formatError(`${where}.${factory.exportName}(args)`, 'a function (index) => Env', describeValue(maker), 'Return the maker of one sub-env'));
  }
  return maker as EnvMaker;
}

/** The command loop: blocks this thread between commands (it has nothing else to do). */
function serve(batch: SubEnvBatch, ctrl: Int32Array): void {
  // The counter starts at 0; the main thread may already have issued a command (do not read it here).
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL_SEQ, seq);
    const now = Atomics.load(ctrl, CTRL_SEQ);
    if (now === seq) continue;
    seq = now;
    const cmd = Atomics.load(ctrl, CTRL_CMD);
    try {
      if (cmd === CMD_STEP) batch.step();
      else if (cmd === CMD_RESET) {
        const payload = receiveMessageOnPort(port)?.message as ResetPayload | undefined;
        if (!payload) throw new BackendError('AsyncVectorEnv worker.reset: expected reset arguments on the worker port, got none. This is a bug in AsyncVectorEnv.');
        batch.reset(payload.seeds, payload.options);
      } else if (cmd === CMD_CLOSE) batch.close();
    } catch (err) {
      port.postMessage(serializeError(err, batch.failedIndex));
      Atomics.add(ctrl, CTRL_ERRORS, 1);
    }
    if (Atomics.sub(ctrl, CTRL_PENDING, 1) === 1) Atomics.notify(ctrl, CTRL_PENDING);
    if (cmd === CMD_CLOSE) {
      port.close();
      parent.close();
      return;
    }
  }
}
