import type { Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';

/** Tasks with a scripted expert (`--policy expert`, `--expert expert`, `lamkit bench --policies expert`). */
export const SCRIPTED_EXPERT_TASKS = ['ArmReach-v0', 'ArmReach-reversed-v0', 'ArmPush-v0', 'ArmPushDisc-v0', 'CommandAvatar-v0', 'LangReach-v0', 'LangReach-v1'] as const;

const ARM_KEYS = ['gain', 'dampingM', 'postureGain'];
const LANG_REACH_KEYS = [...ARM_KEYS, 'maxSpeed', 'lookFirst', 'lookIfHidden', 'lookToleranceRad', 'lookMaxSteps', 'lookGain'];
/** Expert options that are switches (booleans); the others are numbers. */
const BOOLEAN_OPTIONS = ['lookFirst', 'lookIfHidden'];
/** The options each scripted expert takes (`lamkit record --expert-options`): the keys of its constructor's options. */
const EXPERT_OPTION_KEYS: Record<(typeof SCRIPTED_EXPERT_TASKS)[number], readonly string[]> = {
  'ArmReach-v0': [...ARM_KEYS, 'maxSpeed'],
  'ArmReach-reversed-v0': [...ARM_KEYS, 'maxSpeed'],
  'ArmPush-v0': [...ARM_KEYS, 'approachSpeed', 'pushSpeed'],
  'ArmPushDisc-v0': [...ARM_KEYS, 'approachSpeed', 'pushSpeed'],
  'CommandAvatar-v0': [],
  'LangReach-v0': LANG_REACH_KEYS,
  'LangReach-v1': LANG_REACH_KEYS,
};

/**
 * The scripted expert of `envId`, as a factory taking the env. Loads envs/
 * on first use. A task without one is an `InvalidArgument` naming `where`
 * (the flag that asked for it) with `fix`. `options` go to the expert's
 * constructor (e.g. `{ lookFirst: true }` for LangReach's); a key the expert
 * does not take is an `InvalidArgument` naming `optionsFlag` and the keys it takes.
 */
export async function expertFactory(envId: string, where = 'view --policy expert', fix = 'Pass a checkpoint, or omit --policy for random actions', options: Record<string, unknown> = {}, optionsFlag = '--expert-options'): Promise<(env: Env<unknown, unknown>) => Policy> {
  const envs = await import('../../../envs/index.js');
  const o = options as never;
  const experts: Record<(typeof SCRIPTED_EXPERT_TASKS)[number], (env: Env<unknown, unknown>) => Policy> = {
    'ArmReach-v0': (env) => new envs.ArmReachExpert(env, o),
    'ArmReach-reversed-v0': (env) => new envs.ArmReachReversedExpert(env, o),
    'ArmPush-v0': (env) => new envs.ArmPushExpert(env, o),
    'ArmPushDisc-v0': (env) => new envs.ArmPushDiscExpert(env, o),
    'CommandAvatar-v0': (env) => new envs.CommandAvatarExpert(env),
    'LangReach-v0': (env) => new envs.LangReachExpert(env, o),
    'LangReach-v1': (env) => new envs.LangReachExpert(env, o),
  };
  const make = (experts as Record<string, (env: Env<unknown, unknown>) => Policy>)[envId];
  if (!make) throw new InvalidArgument(formatError(where, `a task with a scripted expert (${SCRIPTED_EXPERT_TASKS.join(', ')})`, describeValue(envId), fix));
  const keys = EXPERT_OPTION_KEYS[envId as (typeof SCRIPTED_EXPERT_TASKS)[number]];
  const unknown = Object.keys(options).filter((k) => !keys.includes(k));
  if (unknown.length > 0) {
    const takes = keys.length === 0 ? `no options for ${envId}'s expert` : `options of ${envId}'s expert (${keys.join(', ')})`;
    throw new InvalidArgument(formatError(optionsFlag, takes, unknown.map((k) => JSON.stringify(k)).join(', '), keys.length === 0 ? `Omit ${optionsFlag.split(' ').pop()}` : 'Drop or rename the unknown keys'));
  }
  // Every option is a finite number (gains, speeds, tolerances) but the switches (lookFirst), which are booleans.
  for (const [k, v] of Object.entries(options)) {
    const flag = BOOLEAN_OPTIONS.includes(k);
    if (flag ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidArgument(formatError(`${optionsFlag} ${k}`, flag ? 'true or false' : 'a finite number', describeValue(v), `Pass e.g. {"${k}": ${flag ? 'true' : '0.5'}}`));
    }
  }
  return make;
}
