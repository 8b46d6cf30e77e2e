import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import { learningCurveSvg } from './learning-curve-svg.js';

/** A finished episode on the learning curve. */
export interface EpisodePoint {
  /** Global env step when it finished. */
  step: number;
  /** Its undiscounted return. */
  value: number;
  /** Wall seconds since the run started. */
  wall: number;
}

/** Inputs of {@link writeRunReport}. */
export interface RunReportInput {
  envId: string;
  /** The trainer's registered name, e.g. `ppo`. */
  algo: string;
  /** The resolved config, written whole to `config.json`; `seed` and `totalSteps` also go into the summary. */
  config: { seed: number; totalSteps: number };
  /** The tfjs backend trained on (`tensorflow`, `wasm`, `cpu`). */
  backend: string;
  /** Where training ended; `updates` is the number of optimizer rounds for algorithms that count them. */
  result: { globalStep: number; updates?: number; wallSeconds: number };
  /** Every finished episode of this invocation. */
  episodes: ReadonlyArray<EpisodePoint>;
  /** The run directory resumed from, or null. */
  resumedFrom: string | null;
}

/** What `summary.json` holds (a type alias, so it is also a `Record<string, unknown>`). */
export type RunSummary = {
  envId: string;
  algo: string;
  seed: number;
  totalSteps: number;
  globalStep: number;
  updates: number | null;
  wallSeconds: number;
  backend: string;
  /** Episodes finished in this invocation. */
  episodes: number;
  /** Mean return of the last 20 episodes, null without episodes. */
  finalMeanReturn20: number | null;
  /** Best mean over 20 consecutive episodes, null with fewer than 20. */
  bestMeanReturn20: number | null;
  resumedFrom: string | null;
};

/**
 * Writes the end-of-run files (each atomically): `summary.json`,
 * `learning-curve.svg` and `config.json` (the resolved config). Returns the
 * summary. Used by `RunOutputs.finish`.
 */
export function writeRunReport(outDir: string, input: RunReportInput): RunSummary {
  const ep = input.episodes;
  let best: number | null = null;
  let sum = 0;
  for (let i = 0; i < ep.length; i++) {
    sum += ep[i].value;
    if (i >= 20) sum -= ep[i - 20].value;
    if (i >= 19) best = Math.max(best ?? -Infinity, sum / 20);
  }
  const last = ep.slice(-20);
  const summary: RunSummary = {
    envId: input.envId,
    algo: input.algo,
    seed: input.config.seed,
    totalSteps: input.config.totalSteps,
    globalStep: input.result.globalStep,
    updates: input.result.updates ?? null,
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
