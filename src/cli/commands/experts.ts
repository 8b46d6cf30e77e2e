import type { Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';

/** Tasks with a scripted expert (`--policy expert`, `--expert expert`, `lamkit bench --policies expert`). */
export const SCRIPTED_EXPERT_TASKS = ['ArmReach-v0', 'ArmReach-reversed-v0', 'ArmPush-v0', 'ArmPushDisc-v0', 'CommandAvatar-v0', 'LangReach-v0', 'LangReach-v1'] as const;

/**
 * The scripted expert of `envId`, as a factory taking the env. Loads envs/
 * on first use. A task without one is an `InvalidArgument` naming `where`
 * (the flag that asked for it) with `fix`.
 */
export async function expertFactory(envId: string, where = 'view --policy expert', fix = 'Pass a checkpoint, or omit --policy for random actions'): Promise<(env: Env<unknown, unknown>) => Policy> {
  const envs = await import('../../../envs/index.js');
  const experts: Record<(typeof SCRIPTED_EXPERT_TASKS)[number], (env: Env<unknown, unknown>) => Policy> = {
    'ArmReach-v0': (env) => new envs.ArmReachExpert(env),
    'ArmReach-reversed-v0': (env) => new envs.ArmReachReversedExpert(env),
    'ArmPush-v0': (env) => new envs.ArmPushExpert(env),
    'ArmPushDisc-v0': (env) => new envs.ArmPushDiscExpert(env),
    'CommandAvatar-v0': (env) => new envs.CommandAvatarExpert(env),
    'LangReach-v0': (env) => new envs.LangReachExpert(env),
    'LangReach-v1': (env) => new envs.LangReachExpert(env),
  };
  const make = (experts as Record<string, (env: Env<unknown, unknown>) => Policy>)[envId];
  if (!make) throw new InvalidArgument(formatError(where, `a task with a scripted expert (${SCRIPTED_EXPERT_TASKS.join(', ')})`, describeValue(envId), fix));
  return make;
}
