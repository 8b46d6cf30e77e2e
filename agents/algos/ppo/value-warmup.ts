import type * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { ActorCritic } from '../../policies/actor-critic.js';

/**
 * Whether a variable of `net` belongs to its value function only, so that
 * training it leaves the actor's outputs unchanged: the MLP's `critic`
 * group (a separate trunk), the transformer's value head (`head.value.*`;
 * its trunk is shared with the actor, so it stays put during a warm-up).
 */
export function isValueVariable(net: ActorCritic, v: tf.Variable): boolean {
  const entry = net.variables().find((g) => g.variable === v);
  if (!entry) return false;
  return entry.group === 'critic' || /head\.value\.(weight|bias)$/.test(v.name);
}

/** Checks that a value warm-up has something to train. */
export function checkValueWarmup(net: ActorCritic, updates: number): void {
  if (updates === 0) return;
  if (!net.variables().some((g) => isValueVariable(net, g.variable))) {
    throw new InvalidArgument(formatError('PPO.config.valueWarmupUpdates', `0 for a '${net.kind}' network (it has no separate value parameters)`, String(updates), 'Set valueWarmupUpdates 0'));
  }
}
