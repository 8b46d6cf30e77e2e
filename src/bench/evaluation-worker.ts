/**
 * Worker-thread entry of {@link runEvaluationJobs} (not a public module):
 * loads the {@link BenchSourcesModule} once, then runs the jobs it is sent
 * one at a time and posts each {@link EvaluationRun} back. Ctrl-C reaches it
 * through a shared flag read before every env step, so a run stops within
 * one step and keeps its finished episodes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBenchSources, type BenchEnv, type BenchSourcesModule } from './bench-sources.js';
import { evaluateJob, closeEnvs, type EvaluationJob } from './evaluate-job.js';

interface EvaluationWorkerData {
  sources: BenchSourcesModule;
  /** SharedArrayBuffer of one Int32: nonzero once the run is interrupted. */
  abortFlag: SharedArrayBuffer;
}

const port = parentPort;
if (!port) throw new Error('evaluation-worker: expected to run in a worker thread');
const data = workerData as EvaluationWorkerData;
const flag = new Int32Array(data.abortFlag);
// runEpisodes only reads `signal.aborted`; this one reads the shared flag (no message needs to arrive mid-run).
const signal = { get aborted() { return Atomics.load(flag, 0) !== 0; } } as AbortSignal;
const envs = new Map<string, BenchEnv>();

try {
  const sources = await loadBenchSources(data.sources);
  port.on('message', (msg: { type: 'job'; job: EvaluationJob } | { type: 'close' }) => {
    if (msg.type === 'close') {
      void closeEnvs(envs).finally(() => port.close());
      return;
    }
    void evaluateJob(sources, msg.job, envs, signal).then((run) => port.postMessage({ type: 'run', run }));
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  const e = err as Error;
  port.postMessage({ type: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
}
