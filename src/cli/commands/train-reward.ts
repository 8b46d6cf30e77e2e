import { resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import type { Space } from '../../core/spaces/space.js';
import type { LearnedReward, LearnedRewardState } from '../../../agents/rewards/learned-reward.js';
import type { RewardHook } from '../../../agents/algos/ppo/ppo-types.js';
import type { CheckpointData } from '../../../agents/checkpoint/save-checkpoint.js';

type Lib = typeof import('../../index.js');

/**
 * The frozen learned reward of a `lamkit imitate --algo gail|airl` run (AIRL:
 * g, GAIL: the discriminator logit), read from its checkpoint; `where` names
 * the flag. Refuses a run without one, and (given the target task's spaces)
 * a task whose observation or action size differs from the reward's.
 */
export function readLearnedReward(lib: Lib, run: string, where: string, seed: number, target?: { envId: string; observationSpace: Space<unknown>; actionSpace: Space<unknown> }): { reward: LearnedReward; data: CheckpointData } {
  const { data } = lib.readCheckpoint(run);
  const state = (data.algo.state as { reward?: unknown }).reward;
  if (state === undefined) {
    throw new InvalidArgument(formatError(where, 'a run of lamkit imitate --algo gail or airl (its checkpoint holds the learned reward)', `a ${describeValue(data.algo.name)} checkpoint`, 'Pass the --out of a gail or airl run'));
  }
  if (target) {
    const [obs, act] = [data.meta.observationSpace as Space<unknown>, data.meta.actionSpace as Space<unknown>];
    if (obs.flatDim !== target.observationSpace.flatDim || act.kind !== target.actionSpace.kind || act.flatDim !== target.actionSpace.flatDim) {
      throw new InvalidArgument(formatError(where, `a reward learned on a task with ${target.envId}'s spaces (${target.observationSpace.toString()}, ${target.actionSpace.toString()})`, `one learned on ${data.meta.envId} (${obs.toString()}, ${act.toString()})`, `Train on a variant of ${data.meta.envId}, or learn a reward on ${target.envId}`));
    }
  }
  return { reward: lib.LearnedReward.restore(state as LearnedRewardState, new lib.Rng(seed), `${where} algo.state.reward`), data };
}

/** What `lamkit train --reward` adds to a run: the hook, and the mark its checkpoints carry so a resume keeps the same reward. */
export interface TrainRewardSource {
  hook: RewardHook;
  /** The run the reward came from (absolute path), stored in checkpoints as `algo.state.learnedReward.run`. */
  run: string;
  kind: string;
  /** The support penalty in use (`learnedRewardHook`; kept in the mark so a resume uses the same). */
  supportPenalty: number;
  /** The checkpoint data with the mark added. */
  mark(data: CheckpointData): CheckpointData;
  dispose(): void;
}

/**
 * `lamkit train --reward <gail|airl run>`: PPO trains on the frozen learned
 * reward instead of the env's (measured from the absorbing state's reward
 * and normalized by its running std, as during GAIL/AIRL training:
 * `learnedRewardHook`); the env's reward is still reported (`charts/episodic_return`). This is
 * reward transfer (Fu et al. 2018): learn g with AIRL on one task, train a
 * fresh agent with it on a variant of changed dynamics.
 *
 * A resumed run must name the same reward run: `resumed` is the checkpoint
 * being resumed (or null), whose mark is compared.
 */
export function trainRewardSource(
  lib: Lib,
  flag: string | undefined,
  resumed: CheckpointData | null,
  target: { envId: string; observationSpace: Space<unknown>; actionSpace: Space<unknown> },
  seed: number,
  penaltyFlag?: string,
): TrainRewardSource | null {
  const mark = (resumed?.algo.state as { learnedReward?: { run?: unknown; supportPenalty?: unknown } } | undefined)?.learnedReward;
  const saved = mark?.run;
  if (resumed && saved !== undefined && (flag === undefined || resolve(flag) !== saved)) {
    throw new InvalidArgument(formatError('lamkit train --reward', `${describeValue(saved)} (the learned reward the run being resumed trains on)`, flag === undefined ? 'no --reward' : describeValue(flag), `Resume with --reward ${String(saved)}`));
  }
  if (flag === undefined) return null;
  if (resumed && saved === undefined) {
    throw new InvalidArgument(formatError('lamkit train --reward', "no --reward when resuming a run trained on the env's reward", describeValue(flag), 'Drop --reward, or start a new run with --reward'));
  }
  let penalty: number | undefined;
  if (penaltyFlag !== undefined) {
    penalty = Number(penaltyFlag);
    if (penaltyFlag.trim() === '' || !(penalty >= 0 && Number.isFinite(penalty))) throw new InvalidArgument(formatError('lamkit train --reward-support-penalty', 'a number >= 0', describeValue(penaltyFlag), 'Pass e.g. 1 (0: off)'));
  }
  // A resumed run keeps its penalty (runs marked before it existed: 0).
  const savedPenalty = resumed ? (typeof mark?.supportPenalty === 'number' ? mark.supportPenalty : 0) : undefined;
  if (savedPenalty !== undefined && penalty !== undefined && penalty !== savedPenalty) {
    throw new InvalidArgument(formatError('lamkit train --reward-support-penalty', `${savedPenalty} (the penalty of the run being resumed)`, describeValue(penaltyFlag), `Resume with --reward-support-penalty ${savedPenalty}, or drop the flag`));
  }
  const { reward } = readLearnedReward(lib, flag, 'lamkit train --reward', seed, target);
  const run = resolve(flag);
  const supportPenalty = penalty ?? savedPenalty ?? lib.defaultSupportPenalty(reward);
  let hook: RewardHook;
  try {
    if (supportPenalty > 0) reward.requireSupport('lamkit train --reward-support-penalty');
    hook = lib.learnedRewardHook(reward, { supportPenalty });
  } catch (err) {
    reward.dispose();
    throw err;
  }
  return {
    hook,
    run,
    kind: reward.spec.kind,
    supportPenalty,
    mark: (data) => ({ ...data, algo: { ...data.algo, state: { ...data.algo.state, learnedReward: { run, kind: reward.spec.kind, supportPenalty } } } }),
    dispose: () => reward.dispose(),
  };
}
