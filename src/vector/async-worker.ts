/**
 * Worker-thread entry of `AsyncVectorEnv` (not a public module). It rebuilds
 * its slice of sub-envs from a registered id (importing the registration's
 * module first, then `make`), reports the spaces, receives the shared
 * buffers, then serves commands in a blocking `Atomics.wait` loop (see
 * worker-protocol.ts).
 *
 * This is the one file in src/vector that imports the registry: a worker has
 * its own module graph, so it must register and make the task itself.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Env } from '../core/env.js';
import { BackendError } from '../core/errors.js';
import { actionLayout } from '../core/vector-env.js';
import { make, prepare } from '../registry/registry.js';
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
  await import(init.module);
  await prepare(init.id);
  for (let k = 0; k < init.count; k++) envs.push(make(init.id, init.makeOptions));
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
