import { join } from 'node:path';
import { writeFileAtomic } from '../../data/atomic-write.js';
import { learningCurveSvg } from './learning-curve-svg.js';

/** Inputs of {@link writeRunReport}. */
export interface RunReportInput {
  envId: string;
  algo: string;
  config: { seed: number; totalSteps: number };
  backend: string;
  result: { globalStep: number; updates: number; wallSeconds: number };
  /** Every finished episode of this invocation: step, return, wall seconds. */
  episodes: ReadonlyArray<{ step: number; value: number; wall: number }>;
  resumedFrom: string | null;
}

/**
 * Writes the end-of-run files (each atomically): `summary.json`,
 * `learning-curve.svg` and `config.json` (the resolved config). Returns the summary.
 *
 * Summary fields: env, algo, seed, steps, updates, wall seconds, backend,
 * episode count, mean return of the last 20 episodes, the best such mean,
 * and mean env steps per second.
 */
export function writeRunReport(outDir: string, input: RunReportInput): Record<string, unknown> {
  const ep = input.episodes;
  let best: number | null = null;
  let sum = 0;
  for (let i = 0; i < ep.length; i++) {
    sum += ep[i].value;
    if (i >= 20) sum -= ep[i - 20].value;
    if (i >= 19) best = Math.max(best ?? -Infinity, sum / 20);
  }
  const last = ep.slice(-20);
  const summary = {
    envId: input.envId,
    algo: input.algo,
    seed: input.config.seed,
    totalSteps: input.config.totalSteps,
    globalStep: input.result.globalStep,
    updates: input.result.updates,
    wallSeconds: input.result.wallSeconds,
    backend: input.backend,
    episodes: ep.length,
    finalMeanReturn20: last.length > 0 ? last.reduce((a, e) => a + e.value, 0) / last.length : null,
    bestMeanReturn20: best,
    resumedFrom: input.resumedFrom,
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(input.config, null, 2) + '\n');
  writeFileAtomic(
    join(outDir, 'learning-curve.svg'),
    learningCurveSvg(ep.map((e) => ({ step: e.step, value: e.value })), { title: `${input.envId} - ${input.algo} (seed ${input.config.seed})` }),
  );
  return summary;
}
