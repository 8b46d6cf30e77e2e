import { z } from 'zod';
import { formatError, describeValue } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';

/**
 * The lamkit bridge protocol, version 1 (docs/bridge-protocol.md is the
 * normative text). Every text frame is one JSON object with a `type` field;
 * binary frames carry float vectors (see binary-frame.ts). Every incoming
 * message is validated against these schemas before anything acts on it.
 */
export const PROTOCOL_VERSION = 1;

/** Longest vector (observation or action) a message may carry. */
export const MAX_VECTOR_LENGTH = 65536;

const robotId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a robot id of 1-64 characters from [A-Za-z0-9_.:-]');
const seq = z.number().int().nonnegative().max(2 ** 32 - 1);
const finiteVector = z.array(z.number()).max(MAX_VECTOR_LENGTH);
const info = z.record(z.string(), z.unknown());
// Spaces are validated structurally by spaceFromJSON, which names the bad field.
const spaceJSON = z.looseObject({ type: z.string() });

/** Robot -> server: first message; announces who the robot is and what it accepts. */
export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  robotId,
  observationSpace: spaceJSON,
  actionSpace: spaceJSON,
  controlRateHz: z.number().positive().max(100000),
  /** Flat action (layout of encodeAction) applied when no fresh action is available. */
  safeAction: finiteVector,
  /** The robot sends observations as binary frames and wants actions as binary frames. */
  binary: z.boolean().optional(),
});

/** Robot -> server: the observation answering request `seq` (a reset or an action). */
export const ObsSchema = z.strictObject({
  type: z.literal('obs'),
  seq,
  obs: finiteVector,
  reward: z.number().optional(),
  terminated: z.boolean().optional(),
  truncated: z.boolean().optional(),
  info: info.optional(),
});

/** Either side: keeps the link alive; `t` is the sender's clock in ms. */
export const HeartbeatSchema = z.strictObject({ type: z.literal('heartbeat'), t: z.number() });

/** Either side: the episode ended outside the normal step flow (robot fault, server timeout). */
export const EpisodeEndSchema = z.strictObject({
  type: z.literal('episode_end'),
  seq,
  reason: z.string().max(200),
});

/** Either side: a problem with a message the peer sent. */
export const ErrorSchema = z.strictObject({
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(4096),
  seq: seq.optional(),
});

/** Server -> robot: the handshake was accepted. */
export const WelcomeSchema = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  robotId,
  heartbeatMs: z.number().positive(),
  maxMessageBytes: z.number().int().positive(),
});

/** Server -> robot: start a new episode, answer with an `obs` carrying the same seq. */
export const ResetSchema = z.strictObject({ type: z.literal('reset'), seq, seed: z.number().int().optional() });

/** Server -> robot: apply this flat action, answer with an `obs` carrying the same seq. */
export const ActionSchema = z.strictObject({ type: z.literal('action'), seq, action: finiteVector });

/** Server -> robot: stop now (apply the safe action); only a `reset` resumes. */
export const EstopSchema = z.strictObject({ type: z.literal('estop'), reason: z.string().max(200) });

export const RobotMessageSchema = z.discriminatedUnion('type', [HelloSchema, ObsSchema, HeartbeatSchema, EpisodeEndSchema, ErrorSchema]);
export const ServerMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema,
  ResetSchema,
  ActionSchema,
  EstopSchema,
  HeartbeatSchema,
  EpisodeEndSchema,
  ErrorSchema,
]);

export type HelloMessage = z.infer<typeof HelloSchema>;
export type ObsMessage = z.infer<typeof ObsSchema>;
export type RobotMessage = z.infer<typeof RobotMessageSchema>;
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** Reads the value at a zod issue path, for the `got` part of the message. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string' ? `at most ${issue.maximum} ${issue.origin === 'array' ? 'items' : 'characters'}` : `a number <= ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? `at least ${issue.minimum} ${issue.origin === 'array' ? 'items' : 'characters'}` : `a number >= ${issue.minimum}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return Array.isArray((issue as { options?: unknown[] }).options)
        ? `one of ${(issue as unknown as { options: unknown[] }).options.map((o) => JSON.stringify(o)).join(', ')}`
        : 'one of the allowed forms';
    case 'unrecognized_keys':
      return 'no unknown fields';
    default:
      return issue.message;
  }
}

/**
 * Validates `input` (already JSON-parsed) against `schema`, or throws a
 * `BridgeProtocolError('BAD_MESSAGE')` naming the first bad field, e.g.
 * `BridgeServer.message.obs.seq: expected an integer, got 1.5. ...`.
 */
export function validateMessage<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const type = input !== null && typeof input === 'object' && typeof (input as { type?: unknown }).type === 'string' ? (input as { type: string }).type : '';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const got = issue.code === 'unrecognized_keys' ? `field(s) ${issue.keys.join(', ')}` : describeValue(valueAt(input, issue.path));
  const fieldWhere = `${where}${type && issue.path[0] !== 'type' ? '.' + type : ''}${path}`;
  throw new BridgeProtocolError('BAD_MESSAGE', formatError(fieldWhere, expectedOf(issue), got, 'See docs/bridge-protocol.md for the message fields'));
}

/** JSON.parse that throws `BridgeProtocolError('BAD_JSON')` with the parser's reason. */
export function parseJSON(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BridgeProtocolError(
      'BAD_JSON',
      formatError(where, 'a JSON object', `${describeValue(text)} (${err instanceof Error ? err.message : String(err)})`, 'Send one JSON object per text frame'),
    );
  }
}
