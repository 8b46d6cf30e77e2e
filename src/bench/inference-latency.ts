import type { Policy } from '../core/policy.js';
import type { ActionBatch } from '../core/vector-env.js';
import { runEpisodes } from '../core/run-episodes.js';
import { percentileOfSorted } from './interquartile-mean.js';
import type { BenchEnv } from './bench-sources.js';

/** `policy.act` latency on single observations. */
export interface LatencyFigures {
  /** Median, microseconds. */
  p50: number;
  /** 99th percentile, microseconds. */
  p99: number;
  /** Calls timed (after the warm-up). */
  calls: number;
}

/**
 * Times `policy.act` on one observation at a time (batch 1, deterministic),
 * as a controller calls it: the policy drives `env` through
 * {@link runEpisodes} for `warmup + calls` steps and only the `act` calls
 * are timed (until the promise settles for asynchronous policies); the
 * first `warmup` are discarded (JIT, caches). Run it with nothing else in
 * the process (lamkit bench does, after the workers finish).
 */
export async function measureInferenceLatency(policy: Policy, env: BenchEnv, options: { calls: number; warmup?: number; seed?: number }): Promise<LatencyFigures> {
  const warmup = options.warmup ?? 100;
  const times = new Float64Array(options.calls);
  let k = -warmup;
  const record = (t0: number): void => {
    if (k >= 0 && k < times.length) times[k] = (performance.now() - t0) * 1000;
    k++;
  };
  const timed: Policy = {
    observationSpace: policy.observationSpace,
    actionSpace: policy.actionSpace,
    resetEpisode: policy.resetEpisode ? (i) => policy.resetEpisode?.(i) : undefined,
    act(obs, actOptions): ActionBatch | Promise<ActionBatch> {
      const t0 = performance.now();
      const out = policy.act(obs, actOptions);
      if (typeof (out as Promise<ActionBatch>).then === 'function') {
        return (out as Promise<ActionBatch>).then((v) => (record(t0), v));
      }
      record(t0);
      return out;
    },
  };
  await runEpisodes(env, timed, { maxSteps: warmup + options.calls, seed: options.seed ?? 0, deterministic: true });
  const n = Math.max(0, Math.min(k, times.length));
  const sorted = times.subarray(0, n).sort();
  return n === 0 ? { p50: NaN, p99: NaN, calls: 0 } : { p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99), calls: n };
}
