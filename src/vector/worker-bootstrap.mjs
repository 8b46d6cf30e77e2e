// Entry of AsyncVectorEnv workers when lamkit runs from its TypeScript sources:
// worker threads do not inherit the parent's tsx loader, so register it here,
// then load the real worker (src/vector/async-worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
