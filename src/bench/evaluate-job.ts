import { evaluatePolicy } from './evaluate-policy.js';
import type { BenchEnv, BenchSources } from './bench-sources.js';

/** Episode k of the run with seed s resets with `s * EPISODE_SEED_STRIDE + k`, so runs never share an episode. */
export const EPISODE_SEED_STRIDE = 10_000;

/** One evaluation run: a policy source on a task with one seed (one score: the mean of its episodes). */
export interface EvaluationJob {
  /** Position in the plan (results are reported in this order). */
  index: number;
  /** The policy's label in the report. */
  policy: string;
  /** `random`, `expert` or a checkpoint path. */
  source: string;
  envId: string;
  /** Run seed: episode seeds and the policy's sampling seed derive from it. */
  seed: number;
  /** Episodes to run, at most {@link EPISODE_SEED_STRIDE}. */
  episodes: number;
  /** Take the mode of the action distribution (the default of `lamkit bench`). */
  deterministic: boolean;
}

/** What one {@link EvaluationJob} measured (or why it failed). */
export interface EvaluationRun extends EvaluationJob {
  /** Undiscounted return of each finished episode. */
  returns: number[];
  /** Length of each finished episode. */
  lengths: number[];
  /** `info.isSuccess` of each episode's last step, or null where the task does not report it. */
  successes: Array<boolean | null>;
  /** Env steps taken in finished episodes. */
  steps: number;
  /** Wall seconds of the episodes (policy and env together; policy loading excluded). */
  wallSeconds: number;
  /** Stopped by Ctrl-C before all episodes finished. */
  aborted: boolean;
  /** Why the run failed (e.g. a corrupt checkpoint, naming the file), or null. */
  error: { name: string; message: string } | null;
}

/**
 * Runs one job with `sources`: makes (or reuses from `envs`) the task's
 * env, builds the policy, runs `job.episodes` episodes with
 * {@link evaluatePolicy} and disposes the policy. `signal` stops it within
 * one step; pass `yieldEvery` when the signal is fired from this thread's
 * event loop (a Ctrl-C handler), so a synchronous env gives it turns. Errors become
 * `run.error` instead of throwing, so one bad checkpoint loses no other run.
 */
export async function evaluateJob(sources: BenchSources, job: EvaluationJob, envs: Map<string, BenchEnv>, signal?: AbortSignal, yieldEvery?: number): Promise<EvaluationRun> {
  const run: EvaluationRun = { ...job, returns: [], lengths: [], successes: [], steps: 0, wallSeconds: 0, aborted: false, error: null };
  let policy: Awaited<ReturnType<BenchSources['makePolicy']>> | null = null;
  try {
    let env = envs.get(job.envId);
    if (!env) {
      env = await sources.makeEnv(job.envId);
      envs.set(job.envId, env);
    }
    policy = await sources.makePolicy(job.source, env, job.envId, job.seed);
    const t0 = performance.now();
    const ev = await evaluatePolicy(policy, env, { episodes: job.episodes, seed: job.seed * EPISODE_SEED_STRIDE, deterministic: job.deterministic, signal, yieldEvery });
    run.wallSeconds = (performance.now() - t0) / 1000;
    run.returns = ev.returns;
    run.lengths = ev.lengths;
    run.successes = ev.successes;
    run.steps = ev.lengths.reduce((a, b) => a + b, 0);
    run.aborted = ev.aborted;
  } catch (err) {
    const e = err as Error;
    run.error = { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
  } finally {
    policy?.dispose?.();
  }
  return run;
}

/** Closes every env of a job cache (each once). */
export async function closeEnvs(envs: Map<string, BenchEnv>): Promise<void> {
  for (const env of envs.values()) await env.close();
  envs.clear();
}
