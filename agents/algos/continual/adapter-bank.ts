import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { NamedTensor } from '../../policies/actor-critic.js';
import { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import type { TransformerSpec } from '../../policies/transformer/transformer-spec.js';

/**
 * One adapter per task over a frozen trunk (the `adapters` strategy): for
 * each task id, the spec of its network and every tensor that is not the
 * shared trunk (its LoRA adapters, tokenizers and heads). {@link select}
 * rebuilds the task's network from the trunk and that task's tensors, so a
 * task is served by exactly what was trained on it.
 */
export class AdapterBank {
  private readonly trunk: NamedTensor[];
  private readonly byTask = new Map<string, { spec: TransformerSpec; tensors: NamedTensor[]; params: number }>();

  /** `trunk`: the frozen shared tensors (group `trunk`) every adapter is applied to. */
  constructor(trunk: readonly NamedTensor[]) {
    this.trunk = trunk.filter((t) => t.group === 'trunk').map((t) => ({ ...t, data: t.data.slice() }));
  }

  /** Stores `net`'s adapter (everything but the trunk) under `taskId`. */
  save(taskId: string, net: TransformerActorCritic): void {
    const tensors = net.readTensors().filter((t) => t.group !== 'trunk');
    this.byTask.set(taskId, { spec: { ...net.spec }, tensors, params: tensors.reduce((a, t) => a + t.data.length, 0) });
  }

  /** Task ids with an adapter, in the order saved. */
  get taskIds(): string[] {
    return [...this.byTask.keys()];
  }

  /** Parameters an adapter adds (its tensors outside the trunk). */
  paramsOf(taskId: string): number {
    return this.get(taskId).params;
  }

  /** Parameters of the shared trunk. */
  get trunkParams(): number {
    return this.trunk.reduce((a, t) => a + t.data.length, 0);
  }

  /** A new network: the trunk plus the adapter trained on `taskId` (the caller disposes it). */
  select(taskId: string): TransformerActorCritic {
    const a = this.get(taskId);
    return TransformerActorCritic.fromTensors(a.spec, [...this.trunk, ...a.tensors]);
  }

  private get(taskId: string): { spec: TransformerSpec; tensors: NamedTensor[]; params: number } {
    const a = this.byTask.get(taskId);
    if (!a) throw new InvalidArgument(formatError('AdapterBank.select', `a task id with an adapter (${this.taskIds.join(', ') || 'none yet'})`, describeValue(taskId), 'Train the task first'));
    return a;
  }
}
