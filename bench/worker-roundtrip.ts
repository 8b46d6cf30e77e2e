/**
 * Why AsyncVectorEnv signals workers through shared memory: the round-trip
 * time of one "step" command to 2 idle workers and back, with Atomics
 * (workers block in Atomics.wait, the main thread awaits Atomics.waitAsync,
 * as AsyncVectorEnv does) against one postMessage pair per worker.
 *
 * Run: `node --import tsx bench/worker-roundtrip.ts` (prints microseconds per round trip).
 */
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';

const NUM_WORKERS = 2;
const ROUNDS = 20000;

const ATOMICS_WORKER = `
const { workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.sab);
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seq);
  seq = Atomics.load(ctrl, 0);
  if (Atomics.load(ctrl, 1) === 1) break;
  if (Atomics.sub(ctrl, 2, 1) === 1) Atomics.notify(ctrl, 2);
}`;
const MESSAGE_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => { if (m === 'close') parentPort.close(); else parentPort.postMessage(m); });`;

type WaitAsync = (ta: Int32Array, i: number, v: number) => { async: boolean; value: unknown };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

async function atomicsRoundTripUs(): Promise<number> {
  const sab = new SharedArrayBuffer(16);
  const ctrl = new Int32Array(sab);
  const workers = Array.from({ length: NUM_WORKERS }, () => new Worker(ATOMICS_WORKER, { eval: true, workerData: { sab } }));
  await new Promise((r) => setTimeout(r, 300));
  const roundTrip = async (): Promise<void> => {
    Atomics.store(ctrl, 2, NUM_WORKERS);
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    for (let v = Atomics.load(ctrl, 2); v > 0; v = Atomics.load(ctrl, 2)) {
      const w = waitAsync(ctrl, 2, v);
      if (w.async) await w.value;
    }
  };
  for (let i = 0; i < 1000; i++) await roundTrip();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await roundTrip();
  const us = ((performance.now() - t0) / ROUNDS) * 1000;
  Atomics.store(ctrl, 1, 1);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
  await Promise.all(workers.map((w) => w.terminate()));
  return us;
}

async function messageRoundTripUs(): Promise<number> {
  const workers = Array.from({ length: NUM_WORKERS }, () => new Worker(MESSAGE_WORKER, { eval: true }));
  await new Promise((r) => setTimeout(r, 300));
  const roundTrip = (): Promise<unknown[]> =>
    Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(1); })));
  for (let i = 0; i < 1000; i++) await roundTrip();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await roundTrip();
  const us = ((performance.now() - t0) / ROUNDS) * 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  return us;
}

console.log(`# round trip to ${NUM_WORKERS} idle workers, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`Atomics.wait / Atomics.waitAsync   ${(await atomicsRoundTripUs()).toFixed(1)} us`);
console.log(`postMessage pair per worker         ${(await messageRoundTripUs()).toFixed(1)} us`);
