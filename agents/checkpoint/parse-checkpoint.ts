import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { spaceFromJSON } from '../../src/core/spaces/from-json.js';
import type { Space, SpaceJSON } from '../../src/core/spaces/space.js';
import type { NamedTensor } from '../policies/actor-critic.js';
import type { PolicyState } from '../policies/policy-state.js';
import type { CheckpointMeta, CheckpointNormalization } from './checkpoint-types.js';

/** Format tag in `checkpoint.json`; bump `CHECKPOINT_VERSION` on incompatible changes. */
export const CHECKPOINT_FORMAT = 'lamkit-checkpoint';
export const CHECKPOINT_VERSION = 2;

/** The parts of a v2 checkpoint an inference policy needs (no file system: Node and the browser share it). */
export interface PolicyPart {
  meta: CheckpointMeta;
  policy: PolicyState;
  normalization: CheckpointNormalization;
}

/**
 * Checks `checkpoint.json`'s format and policy manifest; returns the number of
 * float32 values `policy.bin` must hold. `where` names the file in errors.
 */
export function checkCheckpointJson(ck: Record<string, any>, where: string): number {
  if (ck === null || typeof ck !== 'object' || ck.format !== CHECKPOINT_FORMAT || ck.version !== CHECKPOINT_VERSION) {
    throw new FileFormatError(formatError(where, `format '${CHECKPOINT_FORMAT}' version ${CHECKPOINT_VERSION}`, `format ${describeValue(ck?.format)} version ${describeValue(ck?.version)}`, 'Use a checkpoint written by this lamkit version'));
  }
  const policy = ck.policy ?? {};
  if (typeof policy.kind !== 'string' || typeof policy.spec !== 'object' || policy.spec === null || !Array.isArray(policy.tensors) || !Array.isArray(policy.groups) || !Number.isInteger(policy.numParams)) {
    throw new FileFormatError(formatError(`${where}.policy`, '{ kind, spec, groups, numParams, tensors }', describeValue(policy), 'Re-save the checkpoint'));
  }
  return policy.numParams as number;
}

/** The task, the network (tensors sliced out of `weights`) and the normalization of a checked `checkpoint.json`. */
export function parsePolicyPart(ck: Record<string, any>, weights: Float32Array, where: string): PolicyPart {
  const policy = ck.policy;
  const manifest = policy.tensors as Array<{ name: string; group: string; shape: number[]; offset: number }>;
  let end = 0;
  const tensors: NamedTensor[] = manifest.map((m, i) => {
    const size = Array.isArray(m?.shape) && m.shape.every((d) => Number.isInteger(d) && d > 0) ? m.shape.reduce((a, b) => a * b, 1) : -1;
    if (typeof m?.name !== 'string' || size < 0 || m.offset !== end || typeof m.group !== 'string') {
      throw new FileFormatError(formatError(`${where}.policy.tensors[${i}]`, `{ name, group, shape, offset: ${end} }`, describeValue(m), 'The tensor manifest is corrupt; re-save the checkpoint'));
    }
    end += size;
    return { name: m.name, group: m.group, shape: [...m.shape], data: weights.slice(m.offset, m.offset + size) };
  });
  if (end !== policy.numParams) {
    throw new FileFormatError(formatError(`${where}.policy.numParams`, `the sum of the tensor sizes (${end})`, describeValue(policy.numParams), 'The tensor manifest is corrupt; re-save the checkpoint'));
  }
  const { observationSpace, actionSpace } = parseSpaces(ck.observationSpace, ck.actionSpace, where);
  const norm = ck.normalization ?? {};
  if (norm.obs && !(Array.isArray(norm.obs.mean) && norm.obs.mean.length === observationSpace.flatDim)) {
    throw new FileFormatError(formatError(`${where}.normalization.obs.mean`, `${observationSpace.flatDim} numbers (the observation space's flatDim)`, describeValue(norm.obs.mean), 'Re-save the checkpoint'));
  }
  if (ck.envKwargs !== undefined && (ck.envKwargs === null || typeof ck.envKwargs !== 'object' || Array.isArray(ck.envKwargs))) {
    throw new FileFormatError(formatError(`${where}.envKwargs`, 'an object of task options, or no field', describeValue(ck.envKwargs), 'Re-save the checkpoint'));
  }
  return {
    meta: { envId: String(ck.envId), observationSpace, actionSpace, backend: String(ck.backend), ...(ck.envKwargs !== undefined ? { envKwargs: ck.envKwargs as Record<string, unknown> } : {}) },
    policy: { kind: policy.kind, spec: policy.spec, groups: policy.groups, tensors },
    normalization: { obs: norm.obs ?? null, ret: norm.ret ?? null, clipObs: typeof norm.clipObs === 'number' ? norm.clipObs : 10 },
  };
}

/** Parses the two spaces of a checkpoint; errors name `where`. */
export function parseSpaces(obs: unknown, act: unknown, where: string): { observationSpace: Space<unknown>; actionSpace: Space<unknown> } {
  try {
    return { observationSpace: spaceFromJSON(obs as SpaceJSON), actionSpace: spaceFromJSON(act as SpaceJSON) };
  } catch (err) {
    throw new FileFormatError(formatError(`${where}.observationSpace/actionSpace`, 'valid space JSON', (err as Error).message, 'Re-save the checkpoint'), { cause: err });
  }
}

/** Throws unless `byteLength` holds exactly `count` float32 values. */
export function checkFloat32Size(byteLength: number, count: number, where: string, expected: string): void {
  if (!(Number.isInteger(count) && count >= 0) || byteLength !== count * 4) {
    throw new FileFormatError(formatError(where, `${count * 4} bytes (${expected})`, `${byteLength} bytes`, 'The file does not match the manifest in the checkpoint'));
  }
}

/** float32 little-endian values of `bytes` (exactly `count` of them; `where` and `expected` name the file in errors). */
export function float32FromBytes(bytes: Uint8Array, count: number, where: string, expected: string): Float32Array {
  checkFloat32Size(bytes.byteLength, count, where, expected);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
