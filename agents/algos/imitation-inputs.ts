import type { Policy } from '../../src/core/policy.js';
import type { Env, AsyncEnv } from '../../src/core/env.js';
import { InvalidArgument, formatError } from '../../src/core/errors.js';
import type { TrainerContext, TrainerConfigBase } from './trainer.js';
import type { Transitions } from '../rewards/transitions.js';
import type { Demonstrations } from './bc/demonstrations.js';

/**
 * What a 'demonstrations' trainer gets besides the {@link TrainerContext}:
 * the host (`lamkit imitate`, a test, a library user) reads the dataset and
 * builds the expert; agents never read task registries.
 */
export interface ImitationInputs {
  /** Expert transitions (raw observations, stored-form actions) for GAIL / AIRL. */
  transitions: Transitions;
  /** The same demonstrations as labelled steps, for BC / DAgger. */
  demonstrations: Demonstrations;
  /**
   * The labeller DAgger queries, built for the env it labels in (a scripted
   * expert reads that env's state; a trained policy ignores it), or null.
   */
  expert: ((env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>) => Policy) | null;
  /** A fresh single env of the task (DAgger rolls its mixture policy in it), or null. */
  makeEnv: (() => Promise<Env<unknown, unknown> | AsyncEnv<unknown, unknown>>) | null;
  /** Where DAgger writes its aggregated dataset (a LeRobot dataset directory), or null. */
  aggregateDir: string | null;
  /** Task id stored in the aggregated dataset. */
  envId: string | null;
}

/** A trainer context with imitation inputs. */
export type ImitationContext<C extends TrainerConfigBase = TrainerConfigBase> = TrainerContext<C> & { imitation?: ImitationInputs };

/** The imitation inputs of a context; a context without them is a typed error naming `where`. */
export function imitationInputs(ctx: ImitationContext<any>, where: string): ImitationInputs {
  if (!ctx.imitation) throw new InvalidArgument(formatError(`${where}.imitation`, 'demonstrations (ctx.imitation)', 'none', 'Run it through lamkit imitate --data <dataset>, or pass ctx.imitation'));
  return ctx.imitation;
}
