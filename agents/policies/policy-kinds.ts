import { z } from 'zod';
import type { Rng } from '../../src/core/rng.js';
import type { Policy } from '../../src/core/policy.js';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { expectedOfIssue, type ZodIssueLike } from '../../src/core/zod-issue.js';
import type { ActorCritic, NamedTensor } from './actor-critic.js';
import type { HeadSpec, MlpSpec } from './param-layout.js';
import { MlpActorCritic, flatFromTensors } from './mlp-actor-critic.js';
import { WindowMlpActorCritic, type WindowMlpSpec } from './window-mlp-actor-critic.js';
import { TransformerActorCritic } from './transformer/transformer-actor-critic.js';
import { TransformerPolicy } from './transformer/transformer-policy.js';
import type { TransformerSpec } from './transformer/transformer-spec.js';
import { MlpPolicy } from './mlp-policy.js';
import type { PolicyParts } from './policy-parts.js';

export type { PolicyParts };

/** What a network must fit: the flat observation size and the action head (from the task's spaces). */
export interface PolicyIo {
  obsDim: number;
  head: HeadSpec;
  /** A Box action's bounds (what a binned head discretizes); absent for discrete actions. */
  actionBounds?: { low: number[]; high: number[] };
}

/**
 * One registered network kind. `lamkit train --policy-kind <kind>`,
 * `--config '{"policy": {...}}'` and checkpoints (`policy.kind`) name it.
 * See docs/extending.md for how to add one.
 */
export interface PolicyKind {
  kind: string;
  /** One line for `--help` and error messages. */
  description: string;
  /** Validates a user's policy config (without `kind`), fills defaults; typed errors name `where`. */
  resolveConfig(config: Record<string, unknown>, where: string): Record<string, unknown>;
  /** A freshly initialized network (the tfjs backend must be started). */
  create(config: Record<string, unknown>, io: PolicyIo, rng: Rng): ActorCritic;
  /** Rebuilds a trained network from a checkpoint's `spec` and tensors (the tfjs backend must be started). */
  fromCheckpoint(spec: Record<string, unknown>, tensors: readonly NamedTensor[]): ActorCritic;
  /**
   * An inference policy without the tfjs backend (plain JS), when the kind has
   * one; `loadPolicy` otherwise starts the backend and wraps `fromCheckpoint`
   * in a {@link NetworkPolicy}.
   */
  jsPolicy?(spec: Record<string, unknown>, tensors: readonly NamedTensor[], parts: PolicyParts): Policy;
}

const KINDS = new Map<string, PolicyKind>();

/** Adds a network kind (an existing name is an error). */
export function registerPolicyKind(kind: PolicyKind): void {
  if (KINDS.has(kind.kind)) throw new InvalidArgument(formatError('registerPolicyKind.kind', 'a new kind name', describeValue(kind.kind), 'Pick another name'));
  KINDS.set(kind.kind, kind);
}

/** The registered kind `name`; an unknown name lists the registered ones. */
export function policyKind(name: unknown, where = 'policy.kind', errorType: typeof InvalidArgument | typeof FileFormatError = InvalidArgument): PolicyKind {
  const k = typeof name === 'string' ? KINDS.get(name) : undefined;
  if (!k) throw new errorType(formatError(where, `a registered policy kind (${[...KINDS.keys()].join(', ')})`, describeValue(name), 'Pick one of those, or register yours with registerPolicyKind'));
  return k;
}

/** Names of the registered kinds. */
export function policyKinds(): string[] {
  return [...KINDS.keys()];
}

/** Validates `{ kind, ...fields }` (kind defaults to `mlp`) and fills the kind's defaults. */
export function resolvePolicyConfig(config: Record<string, unknown> | undefined, where = 'policy'): { kind: string } & Record<string, unknown> {
  const { kind = 'mlp', ...rest } = config ?? {};
  const k = policyKind(kind, `${where}.kind`);
  return { kind: k.kind, ...k.resolveConfig(rest, where) };
}

/**
 * Parses `config` with a zod schema; the first issue becomes a house-format `InvalidArgument` naming its path.
 * `fields`: where the schema's fields are documented, for the error's hint (default: the policy kinds).
 */
export function parseWith<T>(schema: z.ZodType<T>, config: Record<string, unknown>, where: string, fields = 'agents/policies/policy-kinds.ts'): T {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    // As PPO's config errors (agents/algos/ppo/ppo-config.ts).
    throw new InvalidArgument(formatError([where, ...path].join('.'), `only known keys (see ${fields})`, `unknown key(s) ${keys.join(', ')}`, 'Fix the spelling or remove them'));
  }
  const got = path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
  throw new InvalidArgument(formatError([where, ...path].join('.'), expectedOfIssue(issue as ZodIssueLike), describeValue(got), fields === 'agents/policies/policy-kinds.ts' ? 'See the policy kinds in agents/policies/policy-kinds.ts' : `See ${fields}`));
}

const mlpFields = {
  /** Hidden widths of each trunk. */
  hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
  /** Hidden activation. */
  activation: z.enum(['tanh', 'relu']).default('tanh'),
  /** Initial log-std of Gaussian heads. */
  logStdInit: z.number().default(0),
};
const mlpSchema = z.object(mlpFields).strict();
const windowSchema = z.object({ ...mlpFields, /** Observations the network sees (current + history). */ window: z.number().int().min(1).default(4) }).strict();

registerPolicyKind({
  kind: 'mlp',
  description: 'MLP actor-critic, separate trunks (CleanRL); plain-JS rollouts and a hand-derived PPO gradient',
  resolveConfig: (c, where) => parseWith(mlpSchema, c, where),
  create: (c, io, rng) => {
    const cfg = c as z.infer<typeof mlpSchema>;
    return MlpActorCritic.create({ obsDim: io.obsDim, hidden: cfg.hidden, activation: cfg.activation, head: io.head }, rng, { logStdInit: cfg.logStdInit });
  },
  fromCheckpoint: (spec, tensors) => MlpActorCritic.fromParams(spec as unknown as MlpSpec, flatFromTensors(spec as unknown as MlpSpec, tensors, 'checkpoint policy.tensors')),
  jsPolicy: (spec, tensors, parts) => new MlpPolicy({ ...parts, spec: spec as unknown as MlpSpec, theta: flatFromTensors(spec as unknown as MlpSpec, tensors, 'checkpoint policy.tensors') }),
});

registerPolicyKind({
  kind: 'window-mlp',
  description: 'MLP over the last `window` observations of an episode (a sequence policy; autodiff only)',
  resolveConfig: (c, where) => parseWith(windowSchema, c, where),
  create: (c, io, rng) => {
    const cfg = c as z.infer<typeof windowSchema>;
    return WindowMlpActorCritic.create({ obsDim: io.obsDim, window: cfg.window, hidden: cfg.hidden, activation: cfg.activation, head: io.head }, rng, { logStdInit: cfg.logStdInit });
  },
  fromCheckpoint: (spec, tensors) => WindowMlpActorCritic.fromTensors(spec as unknown as WindowMlpSpec, tensors),
});

const transformerSchema = z
  .object({
    /** Width of the token stream. */
    dModel: z.number().int().positive().default(64),
    /** Transformer blocks. */
    layers: z.number().int().positive().default(2),
    /** Attention heads (divide dModel). */
    heads: z.number().int().positive().default(4),
    /** MLP width as a multiple of dModel. */
    mlpRatio: z.number().positive().default(4),
    /** Steps a token attends to (itself and window - 1 before it in its episode). */
    window: z.number().int().min(1).default(8),
    /** Rows of the task-embedding table and the row this network uses. */
    tasks: z.number().int().positive().default(1),
    taskIndex: z.number().int().min(0).default(0),
    /** Initial log-std of Gaussian heads. */
    logStdInit: z.number().default(0),
    /** Box actions: a diagonal Gaussian, or `bins` categorical bins per dimension over the bounds. */
    continuousHead: z.enum(['gaussian', 'binned']).default('gaussian'),
    bins: z.number().int().min(2).default(21),
    /** Action chunking: steps each token predicts (1 = off); run time averages the overlaps with weights exp(-ensembleCoef i). */
    chunk: z.number().int().min(1).default(1),
    ensembleCoef: z.number().min(0).default(0.01),
    /** Dropout on attention weights and residual branches, training only. */
    dropout: z.number().min(0).lt(1).default(0),
  })
  .strict();

/** The transformer spec's head options (chunking, binning, dropout) from a resolved config; binning needs the Box bounds. */
export function transformerHeadOptions(c: Pick<z.infer<typeof transformerSchema>, 'continuousHead' | 'bins' | 'chunk' | 'ensembleCoef' | 'dropout'>, io: PolicyIo): Pick<TransformerSpec, 'chunk' | 'ensembleCoef' | 'binned' | 'dropout'> {
  const out: Pick<TransformerSpec, 'chunk' | 'ensembleCoef' | 'binned' | 'dropout'> = {};
  if (c.chunk > 1) Object.assign(out, { chunk: c.chunk, ensembleCoef: c.ensembleCoef });
  if (c.dropout > 0) out.dropout = c.dropout;
  if (c.continuousHead === 'binned' && io.head.kind === 'gaussian') {
    if (!io.actionBounds) throw new InvalidArgument(formatError('policy.continuousHead', "'gaussian' when the action bounds are unknown", "'binned'", 'Pass the Box action space\'s bounds (PolicyIo.actionBounds)'));
    out.binned = { bins: c.bins, low: [...io.actionBounds.low], high: [...io.actionBounds.high] };
  }
  return out;
}

registerPolicyKind({
  kind: 'transformer',
  description: 'causal transformer over (observation, previous action) tokens: ALiBi band attention, plain-JS cached rollouts, autodiff training',
  resolveConfig: (c, where) => parseWith(transformerSchema, c, where),
  create: (c, io, rng) => {
    const { logStdInit, continuousHead, bins, chunk, ensembleCoef, dropout, ...arch } = c as z.infer<typeof transformerSchema>;
    return TransformerActorCritic.create({ obsDim: io.obsDim, head: io.head, ...arch, ...transformerHeadOptions({ continuousHead, bins, chunk, ensembleCoef, dropout }, io) }, rng, { logStdInit });
  },
  fromCheckpoint: (spec, tensors) => TransformerActorCritic.fromTensors(spec as unknown as TransformerSpec, tensors),
  jsPolicy: (spec, tensors, parts) => new TransformerPolicy(spec as unknown as TransformerSpec, new Map(tensors.map((t) => [t.name, t.data])), parts),
});
