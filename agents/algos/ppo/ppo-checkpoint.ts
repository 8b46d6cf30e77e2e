import { FileFormatError, formatError, describeValue } from '../../../src/core/errors.js';
import type { RngState } from '../../../src/core/rng.js';
import type { CheckpointData, CheckpointMeta } from '../../checkpoint/save-checkpoint.js';
import { resolvePpoConfig, type ResolvedPpoConfig } from './ppo-config.js';
import type { PpoTrainingState } from './ppo.js';
import type { PolicyState } from '../../policies/policy-state.js';
import type { SelfImitationState } from './self-imitation.js';

/** A PPO training state as checkpoint data (format v2, algo `ppo`). */
export function ppoCheckpoint(state: PpoTrainingState, meta: CheckpointMeta): CheckpointData {
  return {
    meta,
    policy: state.policy,
    normalization: { obs: state.normalizer.obs, ret: state.normalizer.ret, clipObs: state.config.clipObs },
    algo: {
      name: 'ppo',
      config: stripDerived(state.config as unknown as Record<string, unknown>),
      state: {
        rng: state.rng,
        globalStep: state.globalStep,
        update: state.update,
        episodes: state.episodes,
        wallSeconds: state.wallSeconds,
        ...(state.klRefCoef !== undefined ? { klRefCoef: state.klRefCoef } : {}),
        // The KL reference's kind, spec, groups and tensor shapes; its weights go to arrays.bin as `reference.<tensor>`.
        ...(state.reference ? { reference: { ...state.reference, tensors: state.reference.tensors.map(({ name, group, shape }) => ({ name, group, shape })) } } : {}),
        // Self-imitation's replay: its episode lengths here, its steps in arrays.bin.
        ...(state.selfImitation ? { selfImitation: { lengths: state.selfImitation.lengths } } : {}),
      },
      optimizer: state.optimizer,
      ...(state.reference || state.selfImitation
        ? {
            arrays: {
              ...(state.reference ? Object.fromEntries(state.reference.tensors.map((t) => [`${REFERENCE_PREFIX}${t.name}`, t.data])) : {}),
              ...(state.selfImitation ? { [SELF_IMITATION_OBS]: state.selfImitation.obs, [SELF_IMITATION_ACTIONS]: state.selfImitation.actions } : {}),
            },
          }
        : {}),
    },
  };
}

/** `algo.arrays` names of self-imitation's replay. */
const SELF_IMITATION_OBS = 'selfImitation.obs';
const SELF_IMITATION_ACTIONS = 'selfImitation.actions';

/** Self-imitation's replay a checkpoint stores (`algo.state.selfImitation.lengths` and two `algo.arrays`), or undefined. */
function selfImitationFromCheckpoint(data: CheckpointData, where: string): SelfImitationState | undefined {
  const si = (data.algo.state as Record<string, unknown>).selfImitation as { lengths?: unknown } | undefined;
  if (si === undefined) return undefined;
  const lengths = si?.lengths;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isInteger(n) && n > 0)) {
    throw new FileFormatError(formatError(`${where}.algo.state.selfImitation.lengths`, 'a list of positive episode lengths', describeValue(lengths), 'Re-save the checkpoint, or start a new run with --from it'));
  }
  const obs = data.algo.arrays?.[SELF_IMITATION_OBS];
  const actions = data.algo.arrays?.[SELF_IMITATION_ACTIONS];
  if (!obs || !actions) {
    throw new FileFormatError(formatError(`${where}.algo.arrays`, `the arrays ${SELF_IMITATION_OBS} and ${SELF_IMITATION_ACTIONS}`, `${obs ? '' : SELF_IMITATION_OBS + ' missing '}${actions ? '' : SELF_IMITATION_ACTIONS + ' missing'}`.trim(), 'Re-save the checkpoint, or start a new run with --from it'));
  }
  return { obs, actions, lengths: lengths as number[] };
}

/** `algo.arrays` names of the KL reference's tensors. */
const REFERENCE_PREFIX = 'reference.';

/** The KL reference a checkpoint stores (`algo.state.reference` and its `algo.arrays`), or undefined. */
function referenceFromCheckpoint(data: CheckpointData, where: string): PolicyState | undefined {
  const ref = (data.algo.state as Record<string, unknown>).reference as Record<string, unknown> | undefined;
  if (ref === undefined) return undefined;
  const w = `${where}.algo.state.reference`;
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new FileFormatError(formatError(`${w}${field}`, expected, describeValue(got), 'Re-save the checkpoint, or start a new run with --from it'));
  };
  if (ref === null || typeof ref !== 'object') bad('', 'an object { kind, spec, groups, tensors }', ref);
  if (typeof ref.kind !== 'string') bad('.kind', 'a policy kind', ref.kind);
  if (ref.spec === null || typeof ref.spec !== 'object') bad('.spec', 'an object', ref.spec);
  if (!Array.isArray(ref.groups)) bad('.groups', 'a list of { name, trainable }', ref.groups);
  if (!Array.isArray(ref.tensors)) bad('.tensors', 'a list of { name, group, shape }', ref.tensors);
  const tensors = (ref.tensors as Array<{ name: unknown; group: unknown; shape: unknown }>).map((t, i) => {
    if (typeof t?.name !== 'string' || typeof t.group !== 'string' || !Array.isArray(t.shape) || !t.shape.every((n) => Number.isInteger(n) && n >= 0)) bad(`.tensors[${i}]`, '{ name, group, shape }', t);
    const data_ = data.algo.arrays?.[`${REFERENCE_PREFIX}${t.name as string}`];
    const size = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (!data_ || data_.length !== size) {
      throw new FileFormatError(formatError(`${where}.algo.arrays.${REFERENCE_PREFIX}${t.name as string}`, `${size} float32 values (shape [${(t.shape as number[]).join(',')}])`, data_ ? `${data_.length}` : 'no such array', 'Re-save the checkpoint, or start a new run with --from it'));
    }
    return { name: t.name as string, group: t.group as string, shape: t.shape as number[], data: data_ };
  });
  return { kind: ref.kind as string, spec: ref.spec as Record<string, unknown>, groups: ref.groups as PolicyState['groups'], tensors };
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
  const reference = referenceFromCheckpoint(data, where);
  const selfImitation = selfImitationFromCheckpoint(data, where);
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
    ...(reference ? { reference } : {}),
    ...(selfImitation ? { selfImitation } : {}),
  };
}

/** The config fields without the values `resolvePpoConfig` derives. */
export function stripDerived(c: Record<string, unknown>): Record<string, unknown> {
  const { batchSize: _b, minibatchSize: _m, numUpdates: _n, ...rest } = c;
  return rest;
}
