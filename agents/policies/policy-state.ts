import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { ActorCritic, NamedTensor } from './actor-critic.js';
import { policyKind } from './policy-kinds.js';

/** A network as data: what checkpoint v2 stores under `policy` (tensors travel in a binary file). */
export interface PolicyState {
  /** Registered kind (`mlp`, `window-mlp`, ...). */
  kind: string;
  /** The kind's architecture (`ActorCritic.toSpec()`). */
  spec: Record<string, unknown>;
  /** Parameter groups and whether each trains. */
  groups: Array<{ name: string; trainable: boolean }>;
  tensors: NamedTensor[];
}

/** Copies a network's kind, spec, groups and tensors. */
export function capturePolicy(net: ActorCritic): PolicyState {
  return { kind: net.kind, spec: net.toSpec(), groups: net.paramGroups().map((g) => ({ name: g.name, trainable: g.trainable })), tensors: net.readTensors() };
}

/**
 * Rebuilds a network from a {@link PolicyState} with its kind's
 * `fromCheckpoint` (the tfjs backend must be started), with the saved
 * trainable flags. Errors are `FileFormatError`s naming `where`.
 */
export function restorePolicy(state: PolicyState, where: string): ActorCritic {
  const kind = policyKind(state.kind, `${where}.kind`, FileFormatError);
  let net: ActorCritic;
  try {
    net = kind.fromCheckpoint(state.spec, state.tensors);
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw new FileFormatError(formatError(`${where}.spec`, `a valid '${state.kind}' spec`, describeValue(state.spec), (err as Error).message), { cause: err });
  }
  try {
    for (const g of state.groups) net.setTrainable(g.name, g.trainable);
  } catch (err) {
    net.dispose();
    throw new FileFormatError(formatError(`${where}.groups`, `the groups of a '${state.kind}' network`, describeValue(state.groups.map((g) => g.name)), 'Re-save the checkpoint'), { cause: err });
  }
  return net;
}
