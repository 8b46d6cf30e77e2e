// Worker thread of MessageParsePool (parse-pool.ts): decodes, shape-checks, parses and validates large
// JSON text messages off the server's event loop and answers with a compact result.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { parseRobotMessage, type ParseRequest, type ParseWorkerData, type WorkerReady } from './parse-pool.js';

/**
 * Lowers this thread's CPU priority to `nice` (see PARSE_WORKER_NICE), so
 * that the server's event loop (and the robots' processes on the same
 * machine) preempt a large message's parse instead of waiting for a core
 * behind it. Linux only (setpriority on a thread id changes that thread
 * alone); elsewhere the thread keeps the process's priority. Returns the
 * thread's id and nice value (null where they cannot be read).
 */
function lowerPriority(nice: number): { tid: number | null; nice: number | null } {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop()); // '<pid>/task/<tid>'
    if (!Number.isInteger(tid) || tid <= 0) return { tid: null, nice: null };
    if (nice > getPriority(tid)) setPriority(tid, nice);
    return { tid, nice: getPriority(tid) };
  } catch {
    return { tid: null, nice: null };
  }
}

const port = parentPort;
if (port) {
  const thread = lowerPriority((workerData as ParseWorkerData).nice);
  port.on('message', (req: ParseRequest) => {
    const reply = parseRobotMessage(new Uint8Array(req.bytes), req.where, req.obs);
    port.postMessage({ id: req.id, ...reply }, reply.ok && reply.msg.type === 'obs' ? [reply.msg.obs.buffer as ArrayBuffer] : []);
  });
  port.postMessage({ ready: true, ...thread } satisfies WorkerReady);
}
