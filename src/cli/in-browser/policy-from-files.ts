import type { Policy } from '../../core/policy.js';
import { FileFormatError, formatError, describeValue } from '../../core/errors.js';
import { checkCheckpointJson, parsePolicyPart, float32FromBytes } from '../../../agents/checkpoint/parse-checkpoint.js';
import { MlpPolicy } from '../../../agents/policies/mlp-policy.js';
import { flatFromTensors, type MlpSpec } from '../../../agents/policies/param-layout.js';
import { TransformerPolicy } from '../../../agents/policies/transformer/transformer-policy.js';
import type { TransformerSpec } from '../../../agents/policies/transformer/transformer-spec.js';

/**
 * A checkpoint's policy from the contents of `checkpoint.json` and
 * `policy.bin`, for kinds with a plain-JS forward pass (`mlp`,
 * `transformer`): no file system, no tfjs (what a page runs).
 */
export function policyFromCheckpointFiles(checkpointJson: unknown, policyBin: Uint8Array, seed: number): Policy & { kind: string } {
  const where = 'policyFromCheckpointFiles.checkpointJson';
  const ck = checkpointJson as Record<string, any>;
  const numParams = checkCheckpointJson(ck, where);
  const part = parsePolicyPart(ck, float32FromBytes(policyBin, numParams, 'policyFromCheckpointFiles.policyBin', `${numParams} float32 parameters`), where);
  const parts = { observationSpace: part.meta.observationSpace, actionSpace: part.meta.actionSpace, obsStats: part.normalization.obs, clipObs: part.normalization.clipObs, seed };
  const kind = part.policy.kind;
  if (kind === 'mlp') {
    const spec = part.policy.spec as unknown as MlpSpec;
    return Object.assign(new MlpPolicy({ ...parts, spec, theta: flatFromTensors(spec, part.policy.tensors, `${where}.policy.tensors`) }), { kind });
  }
  if (kind === 'transformer') {
    return Object.assign(new TransformerPolicy(part.policy.spec as unknown as TransformerSpec, new Map(part.policy.tensors.map((t) => [t.name, t.data])), parts), { kind });
  }
  throw new FileFormatError(formatError(`${where}.policy.kind`, "'mlp' or 'transformer' (kinds with a plain-JS forward pass)", describeValue(kind), 'Export other kinds with `lamkit export` and run them with onnxruntime-web'));
}
