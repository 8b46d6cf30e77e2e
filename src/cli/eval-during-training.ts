import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import { InvalidArgument, formatError } from '../core/errors.js';
import type { AsyncEnv, Env } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import type { MetricStream, MetricRow } from '../streams/metrics.js';
import type { EvaluatePolicyOptions, PolicyEvaluation } from '../bench/evaluate-policy.js';
import type { UpdateBoundary } from '../../agents/algos/trainer.js';
import type { CheckpointData } from '../../agents/checkpoint/save-checkpoint.js';

/** What one evaluation during training measured (also `best/eval.json` for the best one). */
export interface TrainEvalRecord {
  globalStep: number;
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  meanLength: number;
  successRate: number | null;
  /** Seed of the first episode (episode k: seed + k). */
  seed: number;
}

/** Options of {@link EvalDuringTraining}. */
export interface EvalDuringTrainingOptions {
  /** A separate env of the task (not one of the training envs); the caller closes it. */
  env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>;
  /** `evaluatePolicy` (passed in, so `lamkit --help` loads nothing heavy). */
  evaluate: (policy: Policy, env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>, options: EvaluatePolicyOptions) => Promise<PolicyEvaluation>;
  /** `saveCheckpoint` (atomic). */
  saveCheckpoint: (dir: string, data: CheckpointData) => void;
  /** The run directory: the best policy goes to `<outDir>/best/`. */
  outDir: string;
  /** Evaluate after the update that crosses each multiple of this many env steps. */
  everySteps: number;
  /** Episodes per evaluation. */
  episodes: number;
  /** Episode k of every evaluation resets with `seed + k` (the same each time, so evaluations compare). */
  seed: number;
  /** The step the run starts (or resumes) at. */
  startStep: number;
  /** Where the `eval/*` rows go. */
  metrics: MetricStream;
  /** Status lines, e.g. `lamkit train: eval at step 10240: return 500.00 ± 0.00 over 10 episodes (new best, saved to best/)`. */
  log: (line: string) => void;
  /** The command in status lines. Default `lamkit train`. */
  command?: string;
  /**
   * What makes an evaluation the best so far: `return` (the mean return, SB3's
   * EvalCallback; default) or `success` (the success rate, ties broken by the
   * mean return; for tasks that report `info.isSuccess`, whose return is not
   * their goal).
   */
  selectBy?: EvalSelectBy;
}

/** What {@link EvalDuringTraining} keeps in `best/`: the highest mean return, or the highest success rate (ties: return). */
export type EvalSelectBy = 'return' | 'success';

/** The values `--select-by` takes on `lamkit train`. */
export const EVAL_SELECT_BY: readonly EvalSelectBy[] = ['return', 'success'];

/** Whether evaluation `a` beats `b` under `selectBy` (`success` falls back to the return on a tie or where a task reports no success). */
export function betterEval(a: TrainEvalRecord, b: TrainEvalRecord, selectBy: EvalSelectBy): boolean {
  if (selectBy === 'success' && a.successRate !== null && b.successRate !== null && a.successRate !== b.successRate) return a.successRate > b.successRate;
  return a.meanReturn > b.meanReturn;
}

/**
 * Evaluation during training and the best model (SB3's `EvalCallback`), for
 * any trainer the CLI runs: call {@link afterUpdate} from the trainer
 * context's `afterUpdate`. After the update that crosses a multiple of
 * `everySteps`, the deterministic policy runs `episodes` episodes on `env`;
 * `eval/mean_return`, `eval/std_return`, `eval/mean_length` (and
 * `eval/success_rate` when the task reports success) go to the metric
 * stream, and a mean return above the best so far (with `selectBy:
 * 'success'`: a higher success rate, or the same one and a higher return)
 * saves the checkpoint to `best/` with `best/eval.json`. A resumed run reads the best so far from
 * `best/eval.json`.
 */
export class EvalDuringTraining {
  /** The best evaluation so far (its checkpoint is in `best/`), or null. */
  best: TrainEvalRecord | null = null;
  private lastStep: number;
  private readonly bestDir: string;
  private readonly options: EvalDuringTrainingOptions;

  constructor(options: EvalDuringTrainingOptions) {
    this.options = options;
    this.lastStep = options.startStep;
    this.bestDir = join(options.outDir, 'best');
    const file = join(this.bestDir, 'eval.json');
    if (existsSync(file)) {
      try {
        this.best = JSON.parse(readFileSync(file, 'utf8')) as TrainEvalRecord;
      } catch {
        // A crash between saving best/ and its eval.json: the next evaluation replaces it.
        this.best = null;
      }
    }
  }

  /** Evaluates when this update crossed a multiple of `everySteps`; see the class note. */
  async afterUpdate(at: UpdateBoundary): Promise<void> {
    const o = this.options;
    const due = Math.floor(at.globalStep / o.everySteps) > Math.floor(this.lastStep / o.everySteps);
    this.lastStep = at.globalStep;
    if (!due) return;
    const policy = at.policy();
    let ev: PolicyEvaluation;
    try {
      ev = await o.evaluate(policy, o.env, { episodes: o.episodes, seed: o.seed, deterministic: true });
    } finally {
      policy.dispose?.();
    }
    if (o.selectBy === 'success' && ev.successRate === null) {
      throw new InvalidArgument(formatError(`${o.command ?? 'lamkit train'} --select-by success`, 'a task that reports success (info.isSuccess) in its evaluations', 'an evaluation without it', 'Use --select-by return'));
    }
    const rec: TrainEvalRecord = { globalStep: at.globalStep, episodes: ev.episodes, meanReturn: ev.meanReturn, stdReturn: ev.stdReturn, meanLength: ev.meanLength, successRate: ev.successRate, seed: o.seed };
    const row: MetricRow = { global_step: at.globalStep, wall_s: at.wallSeconds, 'eval/mean_return': rec.meanReturn, 'eval/std_return': rec.stdReturn, 'eval/mean_length': rec.meanLength };
    if (rec.successRate !== null) row['eval/success_rate'] = rec.successRate;
    o.metrics.emit(row);
    const better = this.best === null || betterEval(rec, this.best, o.selectBy ?? 'return');
    if (better) {
      o.saveCheckpoint(this.bestDir, at.checkpoint());
      writeFileAtomic(join(this.bestDir, 'eval.json'), JSON.stringify(rec, null, 2) + '\n');
      this.best = rec;
    }
    const success = rec.successRate === null ? '' : `, success ${(100 * rec.successRate).toFixed(0)}%`;
    o.log(`${o.command ?? 'lamkit train'}: eval at step ${at.globalStep}: return ${rec.meanReturn.toFixed(2)} ± ${rec.stdReturn.toFixed(2)} over ${rec.episodes} episodes${success}${better ? ' (new best, saved to best/)' : ''}`);
  }
}
