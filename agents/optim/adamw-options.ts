import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

/** Hyperparameters of the AdamW optimizers (PyTorch's `torch.optim.AdamW` names). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  /** Added to the denominator; CleanRL uses 1e-5 (PyTorch's default is 1e-8). */
  eps: number;
  /** Decoupled weight decay (Loshchilov & Hutter 2019, arXiv:1711.05101); 0 is plain Adam. */
  weightDecay: number;
}

/** Per-group overrides: the group's learning rate is `lr x lrScale`. */
export interface GroupOptions {
  /** Multiplies the scheduled learning rate for this group (default 1). */
  lrScale?: number;
  /** Overrides {@link AdamWOptions.weightDecay} for this group. */
  weightDecay?: number;
}

/** One group's Adam moments, flat over the group's parameters in the network's order (`Float32Array [groupSize]`). */
export interface GroupAdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Serializable optimizer state: one entry per group that has trained (frozen
 * groups that never trained have none).
 */
export interface OptimizerState {
  groups: Record<string, GroupAdamState>;
}

/** Validates AdamW hyperparameters (house-format errors naming `where`). */
export function checkAdamWOptions(options: AdamWOptions, where: string): AdamWOptions {
  for (const k of ['beta1', 'beta2'] as const) {
    const x = options[k];
    if (!(x >= 0 && x < 1)) throw new InvalidArgument(formatError(`${where}.${k}`, 'a number in [0, 1)', describeValue(x), 'Use 0.9 / 0.999'));
  }
  if (!(options.eps > 0)) throw new InvalidArgument(formatError(`${where}.eps`, 'a positive number', describeValue(options.eps), 'Use 1e-5'));
  if (!(options.weightDecay >= 0)) throw new InvalidArgument(formatError(`${where}.weightDecay`, 'a number >= 0', describeValue(options.weightDecay), 'Use 0 (plain Adam) or e.g. 0.01'));
  return { ...options };
}

/** Validates per-group options against the network's group names. */
export function checkGroupOptions(groups: Readonly<Record<string, GroupOptions>>, names: readonly string[], where: string): void {
  for (const [name, o] of Object.entries(groups)) {
    if (!names.includes(name)) throw new InvalidArgument(formatError(`${where}.${name}`, `a parameter group of the network (${names.join(', ')})`, describeValue(name), 'Fix the group name'));
    if (o.lrScale !== undefined && !(o.lrScale >= 0)) throw new InvalidArgument(formatError(`${where}.${name}.lrScale`, 'a number >= 0', describeValue(o.lrScale), 'Use e.g. 0.1'));
    if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new InvalidArgument(formatError(`${where}.${name}.weightDecay`, 'a number >= 0', describeValue(o.weightDecay), 'Use e.g. 0.01'));
  }
}

/** Validates a restored group state against the group's size. */
export function checkGroupState(state: GroupAdamState, size: number, where: string): void {
  for (const k of ['m', 'v'] as const) {
    if (!(state[k] instanceof Float32Array) || state[k].length !== size) {
      throw new FileFormatError(formatError(`${where}.${k}`, `Float32Array [${size}]`, describeValue(state[k]), 'Load optimizer state saved with the same network'));
    }
  }
  if (!Number.isInteger(state.step) || state.step < 0) {
    throw new FileFormatError(formatError(`${where}.step`, 'a non-negative integer', describeValue(state.step), 'Load optimizer state written by lamkit'));
  }
}
