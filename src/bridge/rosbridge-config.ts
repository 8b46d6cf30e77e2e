import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { spaceFromJSON } from '../core/spaces/from-json.js';
import type { Space } from '../core/spaces/space.js';
import { validateMessage } from './protocol.js';

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
  controlRateHz: z.number().positive(),
  observationSpace: z.looseObject({ type: z.string() }),
  actionSpace: z.looseObject({ type: z.string() }),
  safeAction: z.array(z.number()),
  /** Observations: a JointState (concatenating `fields`, in order) or a Float64MultiArray (`data`). */
  observation: z.strictObject({
    topic: topicName,
    type: z.enum(['sensor_msgs/JointState', 'sensor_msgs/msg/JointState', 'std_msgs/Float64MultiArray', 'std_msgs/msg/Float64MultiArray']),
    fields: z.array(z.enum(['position', 'velocity', 'effort'])).min(1).optional(),
  }),
  /** Actions, published by the server to subscribers of this topic. */
  action: z.strictObject({
    topic: topicName,
    type: z.enum(['std_msgs/Float64MultiArray', 'std_msgs/msg/Float64MultiArray', 'trajectory_msgs/JointTrajectory', 'trajectory_msgs/msg/JointTrajectory']),
    /** `joint_names` of JointTrajectory actions. */
    jointNames: z.array(z.string()).optional(),
  }),
  /** Optional Float64MultiArray `[reward, terminated, truncated]` the robot publishes before each observation. */
  stepInfo: z.strictObject({ topic: topicName }).optional(),
  /** Service the robot advertises; the server calls it to start an episode (args `{ seed }` when seeded). */
  resetService: topicName,
});

export type RosbridgeConfig = z.infer<typeof RosbridgeConfigSchema>;

/** A validated config with its spaces built. */
export interface ResolvedRosbridgeConfig extends RosbridgeConfig {
  path: string;
  obsSpace: Space<unknown>;
  actSpace: Space<unknown>;
  fields: Array<'position' | 'velocity' | 'effort'>;
  isJointState: boolean;
  isTrajectory: boolean;
}

/** Validates a config object (spaces included); throws `InvalidArgument` naming the bad field. */
export function resolveRosbridgeConfig(config: unknown, where = 'rosbridge config'): ResolvedRosbridgeConfig {
  let c: RosbridgeConfig;
  try {
    c = validateMessage(RosbridgeConfigSchema, config, where);
  } catch (err) {
    throw new InvalidArgument(err instanceof Error ? err.message.replace('See docs/bridge-protocol.md for the message fields', 'See the rosbridge section of docs/bridge-protocol.md') : String(err));
  }
  const obsSpace = spaceFromJSON(c.observationSpace, `${where}.observationSpace`);
  const actSpace = spaceFromJSON(c.actionSpace, `${where}.actionSpace`);
  if (c.safeAction.length !== actSpace.flatDim) {
    throw new InvalidArgument(formatError(`${where}.safeAction`, `${actSpace.flatDim} numbers for ${actSpace.toString()}`, describeValue(c.safeAction), 'Announce a safe action inside the action space'));
  }
  return {
    ...c,
    path: c.path ?? '/rosbridge',
    obsSpace,
    actSpace,
    fields: c.observation.fields ?? ['position', 'velocity'],
    isJointState: c.observation.type.includes('JointState'),
    isTrajectory: c.action.type.includes('JointTrajectory'),
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
