import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { BackendError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { loadBenchSources, type BenchEnv, type BenchSourcesModule } from './bench-sources.js';
import { evaluateJob, closeEnvs, type EvaluationJob, type EvaluationRun } from './evaluate-job.js';

/** Options of {@link runEvaluationJobs}. */
export interface EvaluationPoolOptions {
  /** Where workers get envs and policies. */
  sources: BenchSourcesModule;
  /** Worker threads (default: min(jobs, cores)); 0 runs the jobs in this thread, one after another. */
  workers?: number;
  /** Stops every run within one env step; finished episodes are kept (`aborted: true`), unstarted jobs are skipped. */
  signal?: AbortSignal;
  /** Called as each run finishes (progress lines). */
  onRun?: (run: EvaluationRun) => void;
}

/**
 * Runs evaluation jobs in parallel worker threads (each job: one policy
 * source x task x seed, see {@link evaluateJob}), handing the next job to
 * whichever worker is free. A job's result depends only on the job (its
 * seeds), not on the worker or the order, so the same plan gives the same
 * runs with any number of workers. Returns the runs in job order; jobs not
 * started before `signal` aborted are left out.
 */
export async function runEvaluationJobs(jobs: readonly EvaluationJob[], options: EvaluationPoolOptions): Promise<EvaluationRun[]> {
  const workers = options.workers ?? Math.min(jobs.length, availableParallelism());
  if (!(Number.isInteger(workers) && workers >= 0)) {
    throw new InvalidArgument(formatError('runEvaluationJobs.workers', 'a non-negative integer', describeValue(workers), 'Pass 0 to run in this thread'));
  }
  const runs: EvaluationRun[] = [];
  const report = (run: EvaluationRun): void => {
    runs.push(run);
    options.onRun?.(run);
  };
  if (jobs.length === 0) return runs;
  if (workers === 0) await runInThread(jobs, options, report);
  else await runInWorkers(jobs, Math.min(workers, jobs.length), options, report);
  return runs.sort((a, b) => a.index - b.index);
}

async function runInThread(jobs: readonly EvaluationJob[], options: EvaluationPoolOptions, report: (run: EvaluationRun) => void): Promise<void> {
  const sources = await loadBenchSources(options.sources);
  const envs = new Map<string, BenchEnv>();
  try {
    for (const job of jobs) {
      if (options.signal?.aborted) break;
      // In this thread the abort comes from a Ctrl-C handler: let the event loop run every 1,000 steps.
      report(await evaluateJob(sources, job, envs, options.signal, 1000));
    }
  } finally {
    await closeEnvs(envs);
  }
}

/** Running from the TypeScript sources (through tsx), workers need the bootstrap that registers tsx first (as AsyncVectorEnv's). */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? '../vector/worker-bootstrap.mjs' : './evaluation-worker.js', import.meta.url);
const WORKER_ENTRY = new URL(FROM_SOURCE ? './evaluation-worker.ts' : './evaluation-worker.js', import.meta.url).href;

async function runInWorkers(jobs: readonly EvaluationJob[], count: number, options: EvaluationPoolOptions, report: (run: EvaluationRun) => void): Promise<void> {
  const abortFlag = new SharedArrayBuffer(4);
  const flag = new Int32Array(abortFlag);
  const onAbort = (): void => void Atomics.store(flag, 0, 1);
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // The bootstrap registers tsx itself: drop the parent's `--import tsx` so it is not loaded twice.
  const execArgv = !FROM_SOURCE ? process.execArgv : process.execArgv.filter((a, i, all) => !(a === 'tsx' && all[i - 1] === '--import') && !(a === '--import' && all[i + 1] === 'tsx') && a !== '--import=tsx');
  let next = 0;
  const pool: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(WORKER_URL, { workerData: { entry: WORKER_ENTRY, sources: options.sources, abortFlag }, execArgv });
          pool.push(worker);
          let busy = false;
          const feed = (): void => {
            if (next >= jobs.length || options.signal?.aborted) {
              busy = false;
              worker.postMessage({ type: 'close' });
              return;
            }
            busy = true;
            worker.postMessage({ type: 'job', job: jobs[next++] });
          };
          worker.on('message', (msg: { type: 'ready' } | { type: 'run'; run: EvaluationRun } | { type: 'error'; error: { name: string; message: string } }) => {
            if (msg.type === 'ready') feed();
            else if (msg.type === 'run') {
              report(msg.run);
              feed();
            } else reject(new BackendError(formatError('runEvaluationJobs', 'the bench sources to load in a worker', `${msg.error.name}: ${msg.error.message}`, `Check ${options.sources.module}`)));
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (busy) reject(new BackendError(formatError('runEvaluationJobs', 'a worker to finish its job', `exit code ${code}`, 'See the error printed above')));
            else resolve();
          });
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
