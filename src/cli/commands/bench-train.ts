import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError } from '../../core/errors.js';
import type { BenchPolicy, TrainingRunResult } from '../../bench/bench-results.js';
import type { CurveSeries } from '../../bench/charts/learning-curve-chart.js';
import { parseIntFlag } from '../flags.js';
import { parseSeeds, readCurve, runBenchCommand, type BenchOutcome } from './bench.js';
import { runTrain } from './train.js';

/** Flags of `lamkit bench train`. */
export interface BenchTrainFlags {
  envs: string[];
  algo: string;
  seeds: string;
  totalSteps: string;
  config?: string;
  episodes: string;
  evalSeeds: string;
  out?: string;
  bootstrapReps: string;
  confidence: string;
  latencyCalls: string;
  workers?: string;
  force?: boolean;
  quick?: boolean;
}

/**
 * `lamkit bench train --algo <name> --envs <id...> --seeds 1,2,3 --total-steps N --out <dir>`:
 * CleanRL's benchmark runner for lamkit. Trains one run per task and seed
 * with `lamkit train` (into `<out>/runs/<task>/seed-<s>`, one after
 * another: the runs share the cores), then evaluates every checkpoint
 * (`--episodes` per evaluation seed) into the same report as `lamkit bench`,
 * with each run's wall-clock, SPS and learning curve. Runs already finished
 * in `--out` (summary.json present) are reused, so an interrupted benchmark
 * continues where it stopped; `--force` retrains them. Ctrl-C stops the
 * current run at its next update (its checkpoint is saved) and writes the
 * report of the training finished so far, without evaluation.
 */
export async function runBenchTrain(flags: BenchTrainFlags, extra: { command?: string } = {}): Promise<BenchOutcome> {
  const seeds = parseSeeds('lamkit bench train --seeds', flags.seeds);
  parseIntFlag('lamkit bench train --total-steps', flags.totalSteps, 1, '100000');
  if (flags.out === undefined) throw new InvalidArgument(formatError('lamkit bench train --out', 'an output directory', 'nothing', 'Pass e.g. --out bench-ppo'));
  const outDir = resolve(flags.out);
  const training: TrainingRunResult[] = [];
  const curves: CurveSeries[] = [];
  const policy: BenchPolicy = { label: flags.algo, role: 'policy', listed: true, sources: [] };
  let interrupted = false;
  for (const envId of flags.envs) {
    for (const seed of seeds) {
      if (interrupted) break;
      const runDir = join(outDir, 'runs', envId, `seed-${seed}`);
      let summary: { globalStep: number; wallSeconds: number; finalMeanReturn20: number | null };
      if (existsSync(join(runDir, 'summary.json')) && !flags.force) {
        summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
        process.stderr.write(`lamkit bench train: ${envId} seed ${seed}: reusing the finished run in ${runDir}\n`);
      } else {
        process.stderr.write(`lamkit bench train: ${envId} seed ${seed}: training ${flags.totalSteps} steps into ${runDir}\n`);
        const outcome = await runTrain(
          { env: envId, algo: flags.algo, seed: String(seed), totalSteps: flags.totalSteps, config: flags.config, out: runDir, force: flags.force, vectorization: 'sync', progress: false },
          { log: (line) => process.stderr.write(line + '\n') },
        );
        summary = outcome.summary as typeof summary;
        interrupted = outcome.interrupted;
      }
      training.push({ algo: flags.algo, envId, seed, outDir: runDir, globalStep: summary.globalStep, wallSeconds: summary.wallSeconds, stepsPerSecond: summary.wallSeconds > 0 ? summary.globalStep / summary.wallSeconds : 0, finalMeanReturn20: summary.finalMeanReturn20 });
      policy.sources.push({ source: runDir, envId });
      const curve = readCurve(runDir, flags.algo, envId);
      if (curve) curves.push({ ...curve, seed });
    }
  }
  return runBenchCommand(
    { seeds: flags.evalSeeds, episodes: flags.episodes, out: flags.out, bootstrapReps: flags.bootstrapReps, confidence: flags.confidence, latencyCalls: flags.latencyCalls, workers: flags.workers, references: true, threshold: '0.05', force: true },
    { policies: [policy], envs: flags.envs, training, curves, command: extra.command, skipEvaluation: interrupted },
  );
}
