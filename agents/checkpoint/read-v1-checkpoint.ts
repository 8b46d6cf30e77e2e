import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { MlpSpec, ParamEntry } from '../policies/param-layout.js';
import { paramLayout, layoutSize } from '../policies/param-layout.js';
import { describeSpec, gatherEntries } from '../policies/mlp-actor-critic.js';
import type { CheckpointData } from './save-checkpoint.js';
import { readJson, readFloat32, readSpaces } from './checkpoint-io.js';

/** The files of a lamkit 0.1 (format v1) checkpoint. */
export const V1_FILES = ['model.json', 'weights.bin', 'optimizer.bin', 'state.json'] as const;

/** Fields of the v1 PPO config that moved to the policy spec. */
const V1_NETWORK_FIELDS = ['hidden', 'activation', 'logStdInit'];

/**
 * Reads a checkpoint written by lamkit 0.1 (`lamkit-ppo-checkpoint` v1: one
 * flat MLP parameter vector and one flat Adam state) and converts it to a v2
 * {@link CheckpointData} in memory: kind `mlp`, tensors by name, Adam moments
 * split into the `actor` / `critic` groups, the network fields of the config
 * moved out and the new PPO fields at their defaults (Adam without weight
 * decay, no frozen groups): the run resumes as it would have. The next save
 * writes format v2.
 */
export function readV1Checkpoint(dir: string): CheckpointData {
  const where = (file: string): string => `loadCheckpoint(${dir}).${file}`;
  for (const f of V1_FILES) {
    if (!existsSync(join(dir, f))) {
      throw new FileFormatError(formatError(where(f), 'the file to exist', 'a missing file', `A v1 checkpoint holds ${V1_FILES.join(', ')}; re-save it or pick another checkpoint`));
    }
  }
  const model = readJson(join(dir, 'model.json'), where('model.json')) as Record<string, unknown>;
  if (model.format !== 'lamkit-ppo-checkpoint' || model.version !== 1) {
    throw new FileFormatError(formatError(where('model.json'), "format 'lamkit-ppo-checkpoint' version 1", `format ${describeValue(model.format)} version ${describeValue(model.version)}`, 'Use a checkpoint written by lamkit'));
  }
  const spec = model.spec as MlpSpec;
  let layout: ParamEntry[];
  try {
    layout = paramLayout(spec);
  } catch (err) {
    throw new FileFormatError(formatError(`${where('model.json')}.spec`, 'a valid MLP spec', describeValue(spec), (err as Error).message), { cause: err });
  }
  const numParams = layoutSize(layout);
  const manifest = model.weights as Array<{ name: string; shape: number[]; offset: number }>;
  if (!Array.isArray(manifest) || manifest.length !== layout.length) {
    throw new FileFormatError(formatError(`${where('model.json')}.weights`, `${layout.length} entries for ${describeSpec(spec)}`, describeValue(manifest), 'The manifest and spec disagree; re-save the checkpoint'));
  }
  layout.forEach((e, i) => {
    const m = manifest[i];
    if (m?.name !== e.name || JSON.stringify(m.shape) !== JSON.stringify(e.shape) || m.offset !== e.offset) {
      throw new FileFormatError(
        formatError(`${where('model.json')}.weights['${e.name}']`, `shape [${e.shape.join(',')}] at offset ${e.offset} (from the spec ${describeSpec(spec)})`, `${describeValue(m?.name)} with shape [${m?.shape?.join(',')}] at offset ${m?.offset}`, 'The weights do not match the architecture'),
      );
    }
  });
  const theta = readFloat32(join(dir, 'weights.bin'), numParams, where('weights.bin'), `${numParams} float32 parameters for ${describeSpec(spec)}`);
  const opt = readFloat32(join(dir, 'optimizer.bin'), 2 * numParams, where('optimizer.bin'), `2 x ${numParams} float32 Adam moments`);
  const st = readJson(join(dir, 'state.json'), where('state.json')) as Record<string, any>;
  for (const k of ['adamStep', 'globalStep', 'update', 'episodes', 'wallSeconds']) {
    if (typeof st[k] !== 'number' || !(st[k] >= 0)) throw new FileFormatError(formatError(`${where('state.json')}.${k}`, 'a non-negative number', describeValue(st[k]), 'Re-save the checkpoint'));
  }
  const { observationSpace, actionSpace } = readSpaces(model.observationSpace, model.actionSpace, where('model.json'));
  if (observationSpace.flatDim !== spec.obsDim) {
    throw new FileFormatError(formatError(`${where('model.json')}.spec.obsDim`, `the observation space's flatDim (${observationSpace.flatDim})`, String(spec.obsDim), 'The checkpoint is inconsistent; re-save it'));
  }
  const groupOf = (name: string): string => (name.startsWith('actor.') ? 'actor' : 'critic');
  const gather = (flat: Float32Array, group: string): Float32Array => gatherEntries(flat, layout.filter((e) => groupOf(e.name) === group));
  const m = opt.subarray(0, numParams);
  const v = opt.subarray(numParams);
  const oldConfig = (st.config ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = { weightDecay: 0, paramGroups: {}, seqLen: 16 };
  for (const [k, val] of Object.entries(oldConfig)) if (!V1_NETWORK_FIELDS.includes(k)) config[k] = val;
  const normalizer = (st.normalizer ?? { obs: null, ret: null }) as { obs: CheckpointData['normalization']['obs']; ret: CheckpointData['normalization']['ret'] };
  return {
    meta: { envId: String(model.envId), observationSpace, actionSpace, backend: String(st.backend) },
    policy: {
      kind: 'mlp',
      spec: { obsDim: spec.obsDim, hidden: spec.hidden, activation: spec.activation, head: spec.head },
      groups: [
        { name: 'actor', trainable: true },
        { name: 'critic', trainable: true },
      ],
      tensors: layout.map((e) => ({ name: e.name, group: groupOf(e.name), shape: [...e.shape], data: theta.slice(e.offset, e.offset + e.size) })),
    },
    normalization: { obs: oldConfig.normalizeObs ? normalizer.obs : null, ret: normalizer.ret, clipObs: typeof oldConfig.clipObs === 'number' ? oldConfig.clipObs : 10 },
    algo: {
      name: 'ppo',
      config,
      state: { rng: st.rng, globalStep: st.globalStep, update: st.update, episodes: st.episodes, wallSeconds: st.wallSeconds },
      optimizer: { groups: { actor: { step: st.adamStep, m: gather(m, 'actor'), v: gather(v, 'actor') }, critic: { step: st.adamStep, m: gather(m, 'critic'), v: gather(v, 'critic') } } },
    },
  };
}
