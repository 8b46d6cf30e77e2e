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

/** Longest vector (observation or action) a message may carry; also the most numbers a space may have in its flat form. */
export const MAX_VECTOR_LENGTH = 65536;

/** Deepest nesting of arrays and objects a JSON message may have (checked on the raw text, before parsing). */
export const MAX_JSON_DEPTH = 32;

/**
 * Most object fields (`"key": value` pairs, all objects together) a JSON
 * message may have (checked on the raw text, before parsing). Parsing cost
 * per byte is highest for many small objects or many distinct keys (V8 builds
 * a shape per key set): 256 KiB of them takes tens of ms. Large data goes in
 * arrays (`obs`), which parse an order of magnitude faster.
 */
export const MAX_JSON_FIELDS = 1024;

/** Lowest and highest `hello.controlRateHz` a robot may announce. */
export const MIN_CONTROL_RATE_HZ = 0.1;
export const MAX_CONTROL_RATE_HZ = 100000;

const robotId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a robot id of 1-64 characters from [A-Za-z0-9_.:-]');
const seq = z.number().int().nonnegative().max(2 ** 32 - 1);
const finiteVector = numberVector(MAX_VECTOR_LENGTH);
const info = z.record(z.string(), z.unknown());
// Spaces are validated structurally by spaceFromJSON, which names the bad field.
const spaceJSON = z.looseObject({ type: z.string() });

/**
 * An array of at most `max` numbers, checked in one plain loop: zod's
 * per-element check costs ~0.1 us a number (5 ms for a 43,000-number
 * observation). Only when the loop finds a problem does zod's array schema
 * run, to name the bad element (`obs[3]: expected a number`).
 */
export function numberVector(max: number): z.ZodType<number[]> {
  const precise = z.array(z.number()).max(max);
  return z.unknown().superRefine((v, ctx) => {
    if (Array.isArray(v) && v.length <= max) {
      let i = 0;
      while (i < v.length && typeof v[i] === 'number') i++;
      if (i === v.length) return;
    }
    const r = precise.safeParse(v);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  }) as unknown as z.ZodType<number[]>;
}

/** Robot -> server: first message; announces who the robot is and what it accepts. */
export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  robotId,
  observationSpace: spaceJSON,
  actionSpace: spaceJSON,
  controlRateHz: z.number().min(MIN_CONTROL_RATE_HZ).max(MAX_CONTROL_RATE_HZ),
  /** Flat action (layout of encodeAction) applied when no fresh action is available. */
  safeAction: finiteVector,
  /** The robot sends observations as binary frames and wants actions as binary frames. */
  binary: z.boolean().optional(),
  /** With `binary`: the robot can send packed frames (uint8 image parts as bytes); the server agrees in its welcome. */
  packedFrames: z.boolean().optional(),
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
  /** Present (true) only when the hello asked for packed frames: the server accepts them. */
  packedFrames: z.literal(true).optional(),
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
      return issue.expected === 'int' ? 'an integer' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
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

/** A field name as an error message shows it: plain when short and simple, else quoted and truncated (names come from the network). */
function fieldName(name: string): string {
  return /^[\w$-]{1,60}$/.test(name) ? name : describeValue(name);
}

/** At most 3 field names, then how many more. */
function fieldNames(names: readonly string[]): string {
  return names.slice(0, 3).map(fieldName).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
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
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${fieldName(String(p))}`)).join('');
  const got = issue.code === 'unrecognized_keys' ? `field(s) ${fieldNames(issue.keys)}` : describeValue(valueAt(input, issue.path));
  const fieldWhere = `${where}${type && issue.path[0] !== 'type' ? '.' + type : ''}${path}`;
  throw new BridgeProtocolError('BAD_MESSAGE', formatError(fieldWhere, expectedOf(issue), got, 'See docs/bridge-protocol.md for the message fields'));
}

/**
 * Checks the JSON text in `bytes` (UTF-8) against the limits that bound the
 * cost of parsing it, without parsing it: arrays and objects nested at most
 * {@link MAX_JSON_DEPTH} levels (else `BridgeProtocolError('TOO_DEEP')`),
 * at most {@link MAX_JSON_FIELDS} object fields in all (else
 * `'TOO_MANY_FIELDS'`). One pass over the bytes, skipping strings (UTF-8
 * continuation bytes never look like ASCII); it stops at the first byte over
 * a limit, so neither the parser, the validator nor an error message ever
 * recurses deeper (a message nested 100,000 deep costs one scan, not a stack
 * overflow). Text that is not JSON passes; the parser rejects it next.
 */
export function checkJsonShape(bytes: Uint8Array, where: string): void {
  let depth = 0;
  let fields = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BridgeProtocolError('TOO_DEEP', formatError(where, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`, `level ${depth} at byte ${i}`, 'Flatten the message (see Limits in docs/bridge-protocol.md)'));
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
    else if (b === 0x3a && ++fields > MAX_JSON_FIELDS) {
      throw new BridgeProtocolError(
        'TOO_MANY_FIELDS',
        formatError(where, `at most ${MAX_JSON_FIELDS} object fields in all`, `field ${fields} at byte ${i}`, 'Send bulk data as arrays of numbers (see Limits in docs/bridge-protocol.md)'),
      );
    }
  }
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
