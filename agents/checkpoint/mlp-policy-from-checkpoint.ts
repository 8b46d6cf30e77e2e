import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { MlpPolicy } from '../policies/mlp-policy.js';
import { flatFromTensors, type MlpSpec } from '../policies/param-layout.js';
import { checkCheckpointJson, parsePolicyPart, float32FromBytes } from './parse-checkpoint.js';

/** Options of {@link mlpPolicyFromCheckpoint}. */
export interface MlpPolicyFromCheckpointOptions {
  /** Seed of the sampling stream for stochastic actions (default 0). */
  seed?: number;
}

/**
 * An `mlp` checkpoint's policy from the contents of its two files, without a
 * file system or tfjs: what a web page does after fetching
 * `checkpoint/checkpoint.json` and `checkpoint/policy.bin` (exported from
 * `lamkit/browser`). Observations are normalized with the saved statistics,
 * as `loadPolicy` does. Other kinds need the tfjs backend: use `loadPolicy`.
 *
 * ```ts
 * const json = await (await fetch('run/checkpoint/checkpoint.json')).json();
 * const bytes = new Uint8Array(await (await fetch('run/checkpoint/policy.bin')).arrayBuffer());
 * const policy = mlpPolicyFromCheckpoint(json, bytes);
 * ```
 */
export function mlpPolicyFromCheckpoint(checkpointJson: unknown, policyBin: Uint8Array, options: MlpPolicyFromCheckpointOptions = {}): MlpPolicy & { envId: string } {
  const where = 'mlpPolicyFromCheckpoint.checkpointJson';
  const ck = checkpointJson as Record<string, any>;
  const numParams = checkCheckpointJson(ck, where);
  if (ck.policy.kind !== 'mlp') {
    throw new FileFormatError(formatError(`${where}.policy.kind`, "'mlp' (the kind with a plain-JS forward pass)", describeValue(ck.policy.kind), 'Load other kinds with loadPolicy (Node, tfjs backend)'));
  }
  const weights = float32FromBytes(policyBin, numParams, 'mlpPolicyFromCheckpoint.policyBin', `${numParams} float32 parameters of the 'mlp' policy`);
  const part = parsePolicyPart(ck, weights, where);
  const spec = part.policy.spec as unknown as MlpSpec;
  const policy = new MlpPolicy({
    spec,
    theta: flatFromTensors(spec, part.policy.tensors, `${where}.policy.tensors`),
    observationSpace: part.meta.observationSpace,
    actionSpace: part.meta.actionSpace,
    obsStats: part.normalization.obs,
    clipObs: part.normalization.clipObs,
    seed: options.seed ?? 0,
  });
  return Object.assign(policy, { envId: part.meta.envId });
}
