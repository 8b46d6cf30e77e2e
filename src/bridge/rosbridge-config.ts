import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { spaceFromJSON } from '../core/spaces/from-json.js';
import type { Space } from '../core/spaces/space.js';
import { Box } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { MultiDiscrete } from '../core/spaces/multi-discrete.js';
import { MultiBinary } from '../core/spaces/multi-binary.js';
import { MAX_CONTROL_RATE_HZ, MIN_CONTROL_RATE_HZ, validateMessage } from './protocol.js';
import { checkSpaceLimits } from './space-limits.js';
import { ActionGuard } from './action-guard.js';
import { actionLayout } from '../core/vector-env.js';

const topicName = z.string().regex(/^\/?[A-Za-z][\w/]*$/, 'a ROS name such as /joint_states');

/**
 * The topic mapping of the rosbridge v2 adapter, usually a JSON file
 * (`lamkit serve --rosbridge robot.json`). Example:
 *
 * ```json
 * { "robotId": "arm", "controlRateHz": 50,
 *   "observationSpace": { "type": "Box", ... }, "actionSpace": { "type": "Box", ... },
 *   "safeAction": [0, 0],
 *   "observation": { "topic": "/joint_states", "type": "sensor_msgs/JointState", "fields": ["position", "velocity"] },
 *   "action": { "topic": "/joint_command", "type": "std_msgs/Float64MultiArray" },
 *   "stepInfo": { "topic": "/lamkit/step_info" },
 *   "resetService": "/lamkit/reset" }
 * ```
 */
export const RosbridgeConfigSchema = z.strictObject({
  /** URL path of the adapter. Default '/rosbridge'. */
  path: z.string().startsWith('/').optional(),
  /** Robot id (a `?robot=` query parameter on the URL overrides it, for several robots). */
  robotId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
  controlRateHz: z.number().min(MIN_CONTROL_RATE_HZ).max(MAX_CONTROL_RATE_HZ),
  observationSpace: z.looseObject({ type: z.string() }),
  actionSpace: z.looseObject({ type: z.string() }),
  safeAction: z.array(z.number()),
  /** Observations: a JointState (concatenating `fields`, in order) or a Float64MultiArray (`data`). */
  observation: z.strictObject({
    topic: topicName,
    type: z.enum(['sensor_msgs/JointState', 'sensor_msgs/msg/JointState', 'std_msgs/Float64MultiArray', 'std_msgs/msg/Float64MultiArray']),
    fields: z.array(z.enum(['position', 'velocity', 'effort'])).min(1).optional(),
  }),
  /**
   * Actions, published by the server to subscribers of this topic, as the flat action (`ActionGuard` layout):
   * Float64MultiArray `data` (any action space; a Discrete action is `[index]`), Int32 `data` (Discrete: the index),
   * Int32MultiArray `data` (Discrete, MultiDiscrete, MultiBinary), JointTrajectory `points[0].positions` (Box).
   */
  action: z.strictObject({
    topic: topicName,
    type: z.enum([
      'std_msgs/Float64MultiArray',
      'std_msgs/msg/Float64MultiArray',
      'std_msgs/Int32',
      'std_msgs/msg/Int32',
      'std_msgs/Int32MultiArray',
      'std_msgs/msg/Int32MultiArray',
      'trajectory_msgs/JointTrajectory',
      'trajectory_msgs/msg/JointTrajectory',
    ]),
    /** `joint_names` of JointTrajectory actions. */
    jointNames: z.array(z.string()).optional(),
  }),
  /** Optional Float64MultiArray `[reward, terminated, truncated]` the robot publishes before each observation. */
  stepInfo: z.strictObject({ topic: topicName }).optional(),
  /** Service the robot advertises; the server calls it to start an episode (args `{ seed }` when seeded). */
  resetService: topicName,
});

export type RosbridgeConfig = z.infer<typeof RosbridgeConfigSchema>;

/** How actions go onto the action topic (from `action.type`). */
export type RosActionEncoding = 'float64-array' | 'int32' | 'int32-array' | 'trajectory';

/** A validated config with its spaces built. */
export interface ResolvedRosbridgeConfig extends RosbridgeConfig {
  path: string;
  obsSpace: Space<unknown>;
  actSpace: Space<unknown>;
  fields: Array<'position' | 'velocity' | 'effort'>;
  isJointState: boolean;
  isTrajectory: boolean;
  actionEncoding: RosActionEncoding;
}

/** The fields `resolveRosbridgeConfig` adds; a resolved config given again is resolved from the rest. */
const DERIVED = ['obsSpace', 'actSpace', 'fields', 'isJointState', 'isTrajectory', 'actionEncoding'] as const;

const ENCODINGS: Record<RosActionEncoding, { types: string; fits: (s: Space<unknown>) => boolean }> = {
  'float64-array': { types: 'std_msgs/Float64MultiArray', fits: () => true },
  int32: { types: 'std_msgs/Int32', fits: (s) => s instanceof Discrete },
  'int32-array': { types: 'std_msgs/Int32MultiArray', fits: (s) => s instanceof Discrete || s instanceof MultiDiscrete || s instanceof MultiBinary },
  trajectory: { types: 'trajectory_msgs/JointTrajectory', fits: (s) => s instanceof Box },
};

function encodingOf(type: string): RosActionEncoding {
  if (type.includes('JointTrajectory')) return 'trajectory';
  if (type.includes('Int32MultiArray')) return 'int32-array';
  if (type.includes('Int32')) return 'int32';
  return 'float64-array';
}

/**
 * Validates a config object (spaces included) and builds its spaces; throws
 * `InvalidArgument` naming the bad field. Idempotent: a config it resolved
 * before (e.g. from `loadRosbridgeConfig`, handed to `BridgeServer.listen`)
 * resolves again to an equal config.
 */
export function resolveRosbridgeConfig(config: unknown, where = 'rosbridge config'): ResolvedRosbridgeConfig {
  let raw = config;
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const copy: Record<string, unknown> = { ...(config as Record<string, unknown>) };
    for (const k of DERIVED) delete copy[k];
    raw = copy;
  }
  let c: RosbridgeConfig;
  let obsSpace: Space<unknown>;
  let actSpace: Space<unknown>;
  try {
    c = validateMessage(RosbridgeConfigSchema, raw, where);
    checkSpaceLimits(c.observationSpace, `${where}.observationSpace`);
    checkSpaceLimits(c.actionSpace, `${where}.actionSpace`);
    obsSpace = spaceFromJSON(c.observationSpace, `${where}.observationSpace`);
    actSpace = spaceFromJSON(c.actionSpace, `${where}.actionSpace`);
  } catch (err) {
    throw new InvalidArgument(err instanceof Error ? err.message.replace(/See docs\/bridge-protocol\.md for the message fields|\(see Limits in docs\/bridge-protocol\.md\)/, 'See the rosbridge section of docs/bridge-protocol.md') : String(err));
  }
  const actionEncoding = encodingOf(c.action.type);
  const enc = ENCODINGS[actionEncoding];
  if (!enc.fits(actSpace)) {
    const fitting = Object.values(ENCODINGS).filter((e) => e.fits(actSpace)).map((e) => e.types);
    throw new InvalidArgument(formatError(`${where}.action.type`, `${fitting.join(' or ')} for ${actSpace.toString()}`, JSON.stringify(c.action.type), 'See the rosbridge section of docs/bridge-protocol.md'));
  }
  // The safe action is the flat wire action (Discrete: [index]), checked exactly as when the robot attaches.
  let actDim: number;
  try {
    actDim = actionLayout(actSpace).actDim;
  } catch (err) {
    throw new InvalidArgument(err instanceof Error ? err.message : String(err));
  }
  if (c.safeAction.length !== actDim) {
    throw new InvalidArgument(formatError(`${where}.safeAction`, `${actDim} numbers for ${actSpace.toString()}`, describeValue(c.safeAction), 'Announce a safe action inside the action space'));
  }
  try {
    new ActionGuard(actSpace, c.safeAction, where);
  } catch (err) {
    throw new InvalidArgument(err instanceof Error ? err.message : String(err));
  }
  return {
    ...c,
    path: c.path ?? '/rosbridge',
    obsSpace,
    actSpace,
    fields: c.observation.fields ?? ['position', 'velocity'],
    isJointState: c.observation.type.includes('JointState'),
    isTrajectory: actionEncoding === 'trajectory',
    actionEncoding,
  };
}

/** Reads and validates a rosbridge config JSON file. */
export async function loadRosbridgeConfig(file: string): Promise<ResolvedRosbridgeConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new FileFormatError(formatError(`loadRosbridgeConfig(${file})`, 'a readable JSON file', err instanceof Error ? err.message : String(err), 'Check the path and the JSON syntax'), { cause: err });
  }
  return resolveRosbridgeConfig(raw, `rosbridge config ${file}`);
}
