import type { PolicyState } from '../policies/policy-state.js';
import type { VecNormalizerState } from '../algos/ppo/vec-normalizer.js';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { packMessage, unpackMessage } from './binary-message.js';

/** Format tag and version of weights messages. */
const FORMAT = 'lamkit-weights/1';

/** What the learner publishes after each update: the network, its normalization and how workers should collect. */
export interface WeightsMessage {
  /** The learner's update count when published (rollouts carry it back; their age is measured in it). */
  version: number;
  /** This learner instance (a restart makes a new one). */
  learnerId: string;
  envId: string;
  /** The learner's PPO config without derived values (workers take `numEnvs`, `numSteps`, normalization from it). */
  config: Record<string, unknown>;
  policy: PolicyState;
  normalizer: VecNormalizerState;
  /** Workers wait while this many rollouts are stored and not yet taken by the learner (see docs/scale-out.md). */
  maxQueued: number;
  /** The learner's `--max-policy-lag`: at 0 a worker collects one rollout per version (others would be dropped). */
  maxPolicyLag: number;
  /** The learner's `--rollouts-per-update` (K): a worker collects `config.numEnvs / K` sub-envs (absent from older learners: 1). */
  rolloutsPerUpdate?: number;
  /** The run reached its last update: workers exit. */
  finished: boolean;
}

/** Packs a weights message (tensors as one float32 block each). */
export function encodeWeights(w: WeightsMessage): Uint8Array {
  const arrays: Record<string, Float32Array> = {};
  w.policy.tensors.forEach((t, i) => (arrays[`t${i}`] = t.data));
  const { tensors, ...policy } = w.policy;
  return packMessage({ format: FORMAT, ...w, policy: { ...policy, tensors: tensors.map((t) => ({ name: t.name, group: t.group, shape: t.shape })) } }, arrays);
}

/** Unpacks a weights message; malformed ones are a `FileFormatError` naming `where`. */
export function decodeWeights(bytes: Uint8Array, where: string): WeightsMessage {
  const { header, arrays } = unpackMessage(bytes, where);
  if (header.format !== FORMAT) throw new FileFormatError(formatError(`${where}.format`, `'${FORMAT}'`, describeValue(header.format), 'Run workers and the learner from the same lamkit version'));
  const policy = header.policy as Omit<PolicyState, 'tensors'> & { tensors: Array<{ name: string; group: string; shape: number[] }> };
  if (!policy || !Array.isArray(policy.tensors)) throw new FileFormatError(formatError(`${where}.policy`, 'a policy with tensors', describeValue(policy), 'Run workers and the learner from the same lamkit version'));
  const tensors = policy.tensors.map((t, i) => {
    const data = arrays.get(`t${i}`);
    if (!(data instanceof Float32Array)) throw new FileFormatError(formatError(`${where}.policy.tensors[${i}]`, 'float32 data', describeValue(data), 'Run workers and the learner from the same lamkit version'));
    return { ...t, data };
  });
  const { format: _f, arrays: _a, ...rest } = header;
  return { ...(rest as unknown as WeightsMessage), policy: { ...policy, tensors } };
}
