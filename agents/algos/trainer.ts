import type { VectorEnv } from '../../src/core/vector-env.js';
import type { Policy } from '../../src/core/policy.js';
import type { MetricStream } from '../../src/streams/metrics.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { CheckpointData, CheckpointMeta } from '../checkpoint/save-checkpoint.js';
import type { RewardHook, RolloutSource } from './ppo/ppo-types.js';

/**
 * What a trainer learns from: `reward` trainers (`lamkit train --algo`)
 * learn from the env's reward; `demonstrations` trainers (BC, DAgger, GAIL,
 * AIRL: the imitation issue adds them and the `lamkit imitate` command that
 * runs this family) learn from recorded demonstrations.
 */
export type TrainerFamily = 'reward' | 'demonstrations';

/** The settings every trainer's resolved config carries (the CLI's `--seed`, `--total-steps`, `--num-envs`). */
export interface TrainerConfigBase {
  seed: number;
  totalSteps: number;
  numEnvs: number;
}

/** What the CLI (or any host) hands a trainer: the env, where things go, and how to stop. */
export interface TrainerContext<C extends TrainerConfigBase = TrainerConfigBase> {
  vec: VectorEnv;
  /** The resolved algorithm config. */
  config: C;
  /** The network config (`{ kind, ... }`; `--policy-kind` and `--config '{"policy": ...}'`), for fresh networks. */
  policy: Record<string, unknown> | undefined;
  /** `--from`: a checkpoint whose network (and normalization) to start from, or null. */
  from: CheckpointData | null;
  /** `--resume`: the checkpoint of the run to continue, or null. */
  resume: CheckpointData | null;
  /** Where the trainer emits its metric rows (run outputs and progress listen to it). */
  metrics: MetricStream;
  /** Task and spaces to record in checkpoints. */
  meta: CheckpointMeta;
  /** Writes a checkpoint (atomically; the host picks the directory). */
  save(data: CheckpointData): void;
  /** Asked between updates: true once the user asked to stop (Ctrl-C); the trainer saves and returns. */
  stop(): boolean;
  /**
   * Called by the trainer after every update, before `stop()` is asked, and
   * awaited. The host does there what every trainer should get without
   * writing it: timed checkpoints (`lamkit train --checkpoint-minutes`),
   * evaluation of the deterministic policy and the `best/` checkpoint
   * (`--eval-every`). Optional for hosts (a library user may omit it).
   */
  afterUpdate?(at: UpdateBoundary): Promise<void>;
  /**
   * Rollouts from elsewhere instead of `vec` (scale-out: `lamkit train --broker`,
   * agents/scale); `vec` then only gives the spaces. Trainers that cannot use
   * it refuse it (PPO uses it).
   */
  rolloutSource?: RolloutSource;
  /**
   * Relabels each rollout's rewards before the update (`lamkit train
   * --reward <gail|airl run>`: a frozen learned reward, e.g. for reward
   * transfer to changed dynamics). Trainers that cannot use it refuse it
   * (PPO uses it).
   */
  rewardHook?: RewardHook;
  /** A failure after which the last good state is worth saving (e.g. a robot disconnected). */
  recoverable(err: unknown): boolean;
  /** Status lines for the user. */
  log(line: string): void;
}

/** What a trainer hands {@link TrainerContext.afterUpdate}: where it is, and the policy and checkpoint on demand. */
export interface UpdateBoundary {
  /** Env steps taken so far. */
  globalStep: number;
  /** Seconds of training so far (resumed runs included): the `wall_s` of metric rows the host emits. */
  wallSeconds: number;
  /** True after the run's last update (the final checkpoint follows anyway). */
  last: boolean;
  /** The current network as a {@link Policy} with frozen normalization; the caller disposes it. */
  policy(): Policy;
  /** The current training state as checkpoint data (what `save` would write now). */
  checkpoint(): CheckpointData;
}

/** What a trainer's run returns (the run report's input). */
export interface TrainerResult {
  globalStep: number;
  updates: number;
  wallSeconds: number;
  episodes: Array<{ globalStep: number; wallSeconds: number; return: number; length: number }>;
}

/**
 * A training algorithm as the CLI runs it. Each registers itself by name
 * (`registerTrainer`); `lamkit train --algo <name>` resolves the reward
 * family. See docs/extending.md.
 */
export interface Trainer<C extends TrainerConfigBase = TrainerConfigBase> {
  name: string;
  family: TrainerFamily;
  /** One line for `--help` and error messages. */
  description: string;
  /** The default algorithm config for a task (a tuned table), under the user's `--config`. */
  defaults(envId: string, discreteActions: boolean): Record<string, unknown>;
  /** Validates a config (defaults, then the user's fields), computes derived values; typed errors name `where`. */
  resolveConfig(config: Record<string, unknown>, where: string): C;
  /** The config of a checkpoint being resumed, with `totalSteps` replaced when given. */
  resumeConfig(data: CheckpointData, totalSteps: number | undefined, where: string): C;
  /** Env steps the run will end at (the progress bar's 100%). */
  endStep(config: C): number;
  /** Runs training to the end (or until `ctx.stop()`), saving checkpoints through `ctx.save`. */
  run(ctx: TrainerContext<C>): Promise<TrainerResult>;
}

const TRAINERS = new Map<string, Trainer<any>>();

/** Adds a trainer (an existing name is an error). */
export function registerTrainer<C extends TrainerConfigBase>(trainer: Trainer<C>): void {
  if (TRAINERS.has(trainer.name)) throw new InvalidArgument(formatError('registerTrainer.name', 'a new trainer name', describeValue(trainer.name), 'Pick another name'));
  TRAINERS.set(trainer.name, trainer);
}

/** Names of the registered trainers of a family. */
export function trainerNames(family: TrainerFamily): string[] {
  return [...TRAINERS.values()].filter((t) => t.family === family).map((t) => t.name);
}

/**
 * The trainer `name` of `family`; an unknown name lists the registered ones
 * (and a trainer of the other family says which command runs it).
 * @param where the flag in messages, e.g. `lamkit train --algo`.
 */
export function trainer(name: string, family: TrainerFamily, where: string): Trainer {
  const t = TRAINERS.get(name);
  if (t && t.family === family) return t;
  const names = trainerNames(family);
  const listed = names.length > 0 ? `one of ${names.join(', ')}` : 'a registered algorithm (none is registered yet)';
  const other = t ? `; ${name} learns from ${t.family === 'reward' ? "the env's reward: use lamkit train" : 'demonstrations: use lamkit imitate'}` : '';
  throw new InvalidArgument(formatError(where, listed, describeValue(name), names.length > 0 ? `Pass ${where.split(' ').pop()} ${names[0]}${other}` : `Register one with registerTrainer${other}`));
}
