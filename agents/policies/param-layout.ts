import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { NamedTensor } from './actor-critic.js';

/** One named tensor inside a flat parameter vector. */
export interface ParamEntry {
  /** e.g. `actor.0.weight` (`[in x out]`), `actor.0.bias` (`[out]`), `actor.log_std`. */
  name: string;
  shape: number[];
  /** Offset (in float32 elements) into the flat vector. */
  offset: number;
  size: number;
}

/** Hidden activation of an MLP trunk. */
export type Activation = 'tanh' | 'relu';

/** The action distribution a policy head parameterizes. */
export type HeadSpec =
  | { kind: 'categorical'; /** Choices per component: `[n]` for Discrete, `nvec` for MultiDiscrete, `[2,...]` for MultiBinary. */ nvec: number[] }
  | { kind: 'gaussian'; /** Action dimensions. */ dim: number };

/** Architecture of an {@link MlpActorCritic}: everything needed to rebuild it from weights. */
export interface MlpSpec {
  obsDim: number;
  /** Hidden layer widths of each trunk (actor and critic are separate, as CleanRL), e.g. `[64, 64]`. */
  hidden: number[];
  activation: Activation;
  head: HeadSpec;
}

/** Width of the actor's output layer: logits (sum of nvec) or the Gaussian mean. */
export function actorOutDim(head: HeadSpec): number {
  return head.kind === 'categorical' ? head.nvec.reduce((a, b) => a + b, 0) : head.dim;
}

/**
 * Where each weight lives in the flat parameter vector: actor layers, then
 * critic layers, then (Gaussian heads) `actor.log_std`. Weights are
 * `[in x out]` row-major, so a layer is `x @ W + b`.
 */
export function paramLayout(spec: MlpSpec): ParamEntry[] {
  checkSpec(spec);
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += size;
  };
  for (const [trunk, outDim] of [['actor', actorOutDim(spec.head)], ['critic', 1]] as const) {
    const widths = [spec.obsDim, ...spec.hidden, outDim];
    for (let l = 0; l + 1 < widths.length; l++) {
      add(`${trunk}.${l}.weight`, [widths[l], widths[l + 1]]);
      add(`${trunk}.${l}.bias`, [widths[l + 1]]);
    }
  }
  if (spec.head.kind === 'gaussian') add('actor.log_std', [spec.head.dim]);
  return entries;
}

/** Total number of parameters of a layout. */
export function layoutSize(layout: readonly ParamEntry[]): number {
  const last = layout[layout.length - 1];
  return last.offset + last.size;
}

function checkSpec(spec: MlpSpec): void {
  const bad = (what: string, expected: string, got: unknown): never => {
    throw new InvalidArgument(formatError(`MlpSpec.${what}`, expected, describeValue(got), 'Check the policy config'));
  };
  if (!Number.isInteger(spec.obsDim) || spec.obsDim <= 0) bad('obsDim', 'a positive integer', spec.obsDim);
  if (!Array.isArray(spec.hidden) || spec.hidden.length === 0 || !spec.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    bad('hidden', 'a non-empty array of positive integers such as [64, 64]', spec.hidden);
  }
  if (spec.activation !== 'tanh' && spec.activation !== 'relu') bad('activation', "'tanh' or 'relu'", spec.activation);
  if (spec.head.kind === 'categorical' && !(spec.head.nvec.length > 0 && spec.head.nvec.every((n) => Number.isInteger(n) && n > 0))) {
    bad('head.nvec', 'positive integers', spec.head.nvec);
  }
  if (spec.head.kind === 'gaussian' && !(Number.isInteger(spec.head.dim) && spec.head.dim > 0)) bad('head.dim', 'a positive integer', spec.head.dim);
}

/** The flat parameters (layout of {@link paramLayout}) from tensors by name; typed errors name the tensor. */
export function flatFromTensors(spec: MlpSpec, tensors: readonly NamedTensor[], where: string): Float32Array {
  const layout = paramLayout(spec);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const theta = new Float32Array(layoutSize(layout));
  for (const e of layout) {
    const t = byName.get(e.name);
    if (!t || t.data.length !== e.size || JSON.stringify(t.shape) !== JSON.stringify(e.shape)) {
      throw new FileFormatError(formatError(`${where}['${e.name}']`, `a tensor of shape [${e.shape.join(',')}] (from ${describeSpec(spec)})`, t ? `shape [${t.shape.join(',')}] with ${t.data.length} values` : 'no such tensor', 'The weights do not match the architecture'));
    }
    theta.set(t.data, e.offset);
  }
  if (byName.size !== layout.length) {
    const extra = [...byName.keys()].filter((n) => !layout.some((e) => e.name === n));
    throw new FileFormatError(formatError(where, `only the tensors of ${describeSpec(spec)}`, `extra tensor(s) ${extra.join(', ')}`, 'The weights do not match the architecture'));
  }
  return theta;
}

/** Short description of an architecture for messages, e.g. `obs 4 -> [64,64] tanh -> categorical [2]`. */
export function describeSpec(spec: MlpSpec): string {
  const head = spec.head.kind === 'categorical' ? `categorical [${spec.head.nvec.join(',')}]` : `gaussian ${spec.head.dim}`;
  return `obs ${spec.obsDim} -> [${spec.hidden.join(',')}] ${spec.activation} -> ${head}`;
}
