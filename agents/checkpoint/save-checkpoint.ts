import { join } from 'node:path';
import { replaceDirAtomic, writeSynced } from '../../src/data/atomic-write.js';
import type { CheckpointData } from './checkpoint-types.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './parse-checkpoint.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './parse-checkpoint.js';
/** The files of a checkpoint directory (format v2). */
export const CHECKPOINT_FILES = ['checkpoint.json', 'policy.bin', 'optimizer.bin'] as const;

export type { CheckpointMeta, CheckpointNormalization, CheckpointAlgo, CheckpointData } from './checkpoint-types.js';

/**
 * Writes a checkpoint (format v2) to directory `dir` atomically (a sibling
 * temp directory, each file fsynced, then renamed over `dir`; see
 * `replaceDirAtomic`): a reader never sees a half-written checkpoint.
 *
 * - `checkpoint.json`: `{ format, version, envId, observationSpace,
 *   actionSpace, backend, envKwargs? (the training envs' task options), policy: { kind, spec, groups, tensors: [{ name,
 *   group, shape, offset }] }, normalization, algo: { name, config, state,
 *   optimizer: { groups: { <name>: { step, offset, size } } } } }`;
 * - `policy.bin`: the tensors, float32 little-endian, at their offsets (in elements);
 * - `optimizer.bin`: per group, Adam's first then second moments (float32),
 *   `m` at `offset`, `v` at `offset + size`;
 * - `arrays.bin` (only when `algo.arrays` has entries): each array (float32)
 *   at the `offset` its `algo.arrays.<name>` entry gives, `length` values.
 */
export function saveCheckpoint(dir: string, data: CheckpointData): void {
  let offset = 0;
  const tensors = data.policy.tensors.map((t) => {
    const entry = { name: t.name, group: t.group, shape: t.shape, offset };
    offset += t.data.length;
    return entry;
  });
  const weights = new Float32Array(offset);
  data.policy.tensors.forEach((t, i) => weights.set(t.data, tensors[i].offset));
  let optOffset = 0;
  const groups: Record<string, { step: number; offset: number; size: number }> = {};
  for (const [name, g] of Object.entries(data.algo.optimizer?.groups ?? {})) {
    groups[name] = { step: g.step, offset: optOffset, size: g.m.length };
    optOffset += 2 * g.m.length;
  }
  const moments = new Float32Array(optOffset);
  for (const [name, g] of Object.entries(data.algo.optimizer?.groups ?? {})) {
    moments.set(g.m, groups[name].offset);
    moments.set(g.v, groups[name].offset + g.m.length);
  }
  const arrayEntries = Object.entries(data.algo.arrays ?? {});
  const arrayIndex: Record<string, { offset: number; length: number }> = {};
  let arraysLength = 0;
  for (const [name, a] of arrayEntries) {
    arrayIndex[name] = { offset: arraysLength, length: a.length };
    arraysLength += a.length;
  }
  const arrays = new Float32Array(arraysLength);
  for (const [name, a] of arrayEntries) arrays.set(a, arrayIndex[name].offset);
  const json = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    envId: data.meta.envId,
    observationSpace: data.meta.observationSpace.toJSON(),
    actionSpace: data.meta.actionSpace.toJSON(),
    backend: data.meta.backend,
    ...(data.meta.envKwargs !== undefined ? { envKwargs: data.meta.envKwargs } : {}),
    policy: { kind: data.policy.kind, spec: data.policy.spec, groups: data.policy.groups, numParams: weights.length, tensors },
    normalization: data.normalization,
    algo: { name: data.algo.name, config: data.algo.config, state: data.algo.state, optimizer: data.algo.optimizer ? { groups } : null, ...(arrayEntries.length > 0 ? { arrays: arrayIndex } : {}) },
  };
  replaceDirAtomic(dir, (tmp) => {
    writeSynced(join(tmp, 'checkpoint.json'), JSON.stringify(json, null, 2));
    writeSynced(join(tmp, 'policy.bin'), littleEndianBytes(weights));
    writeSynced(join(tmp, 'optimizer.bin'), littleEndianBytes(moments));
    if (arrayEntries.length > 0) writeSynced(join(tmp, 'arrays.bin'), littleEndianBytes(arrays));
  });
}

/** float32 little-endian bytes of `a`. */
export function littleEndianBytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  return out;
}
