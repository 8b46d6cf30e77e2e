import { FileFormatError, formatError, describeValue } from '../../../src/core/errors.js';
import type { RngState } from '../../../src/core/rng.js';
import type { CheckpointData, CheckpointMeta } from '../../checkpoint/save-checkpoint.js';
import { resolvePpoConfig, type ResolvedPpoConfig } from './ppo-config.js';
import type { PpoTrainingState } from './ppo.js';

/** A PPO training state as checkpoint data (format v2, algo `ppo`). */
export function ppoCheckpoint(state: PpoTrainingState, meta: CheckpointMeta): CheckpointData {
  return {
    meta,
    policy: state.policy,
    normalization: { obs: state.normalizer.obs, ret: state.normalizer.ret, clipObs: state.config.clipObs },
    algo: {
      name: 'ppo',
      config: stripDerived(state.config as unknown as Record<string, unknown>),
      state: { rng: state.rng, globalStep: state.globalStep, update: state.update, episodes: state.episodes, wallSeconds: state.wallSeconds, ...(state.klRefCoef !== undefined ? { klRefCoef: state.klRefCoef } : {}) },
      optimizer: state.optimizer,
    },
  };
}

/**
 * The PPO training state of a checkpoint (to resume it); `where` names the
 * checkpoint in errors. The config is re-resolved, so a hand-edited
 * `totalSteps` stays consistent with the derived values.
 */
export function ppoStateFromCheckpoint(data: CheckpointData, where: string): PpoTrainingState {
  if (data.algo.name !== 'ppo') {
    throw new FileFormatError(formatError(`${where}.algo.name`, "'ppo' (a run trained by PPO)", describeValue(data.algo.name), 'Resume a run with the trainer that wrote it'));
  }
  let config: ResolvedPpoConfig;
  try {
    config = resolvePpoConfig(stripDerived(data.algo.config), `${where}.algo.config`);
  } catch (err) {
    throw new FileFormatError((err as Error).message, { cause: err });
  }
  const st = data.algo.state as Record<string, unknown>;
  for (const k of ['globalStep', 'update', 'episodes', 'wallSeconds']) {
    if (typeof st[k] !== 'number' || !((st[k] as number) >= 0)) throw new FileFormatError(formatError(`${where}.algo.state.${k}`, 'a non-negative number', describeValue(st[k]), 'Re-save the checkpoint'));
  }
  return {
    config,
    policy: data.policy,
    optimizer: data.algo.optimizer ?? { groups: {} },
    normalizer: { obs: data.normalization.obs, ret: data.normalization.ret },
    rng: st.rng as RngState,
    globalStep: st.globalStep as number,
    update: st.update as number,
    episodes: st.episodes as number,
    wallSeconds: st.wallSeconds as number,
    ...(typeof st.klRefCoef === 'number' ? { klRefCoef: st.klRefCoef } : {}),
  };
}

/** The config fields without the values `resolvePpoConfig` derives. */
export function stripDerived(c: Record<string, unknown>): Record<string, unknown> {
  const { batchSize: _b, minibatchSize: _m, numUpdates: _n, ...rest } = c;
  return rest;
}
