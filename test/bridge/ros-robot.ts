import * as roslib from 'roslib';
import type { Env } from '../../src/core/env.js';

// roslib 2.1.0's bundled typings re-export extensionless paths that NodeNext cannot follow: describe the bits used here.
export interface RosLike {
  isConnected: boolean;
  connect(url: string): Promise<void>;
  close(): void;
  on(event: string, cb: (m: never) => void): void;
  once(event: string, cb: () => void): void;
}
export interface TopicLike<M> {
  advertise(): void;
  publish(msg: object): void;
  subscribe(cb: (msg: M) => void): void;
}
export const { Ros, Topic, Service } = roslib as unknown as {
  Ros: new (o: object) => RosLike;
  Topic: new <M = unknown>(o: { ros: RosLike; name: string; messageType: string }) => TopicLike<M>;
  Service: new (o: { ros: RosLike; name: string; serviceType: string }) => { advertise(cb: (req: { seed?: number }, res: Record<string, unknown>) => boolean): Promise<void> };
};

/** How a roslib robot maps its env onto topics (a subset of a rosbridge config, from the robot's side). */
export interface RosRobotMapping {
  obsTopic: string;
  /** The observation goes out as `{ data: flat }` (std_msgs/Float64MultiArray). */
  actionTopic: string;
  actionType: string;
  /** The env action from the received ROS message. */
  decodeAction: (msg: Record<string, any>) => unknown;
  stepInfoTopic?: string;
  resetService?: string;
}

/**
 * A ROS robot written with roslib only (it knows nothing about lamkit's own protocol): it publishes the
 * env's flat observations as std_msgs/Float64MultiArray, applies the actions it receives, publishes
 * `[reward, terminated, truncated]` on the step-info topic and serves the reset service.
 */
export async function rosEnvRobot(url: string, env: Env<unknown, unknown>, m: RosRobotMapping): Promise<{ ros: RosLike; actions: unknown[]; episodes: number }> {
  const ros = new Ros({});
  const state = { ros, actions: [] as unknown[], episodes: 0 };
  ros.on('error', () => {});
  await ros.connect(url);
  await new Promise<void>((resolve) => (ros.isConnected ? resolve() : ros.once('connection', () => resolve())));
  const obsTopic = new Topic({ ros, name: m.obsTopic, messageType: 'std_msgs/Float64MultiArray' });
  const info = new Topic({ ros, name: m.stepInfoTopic ?? '/lamkit/step_info', messageType: 'std_msgs/Float64MultiArray' });
  const command = new Topic<Record<string, any>>({ ros, name: m.actionTopic, messageType: m.actionType });
  const flat = new Float32Array(env.observationSpace.flatDim);
  const publishObs = (obs: unknown): void => {
    env.observationSpace.flattenInto(obs, flat, 0);
    obsTopic.publish({ layout: { dim: [], data_offset: 0 }, data: Array.from(flat) });
  };
  obsTopic.advertise();
  info.advertise();
  let needsReset = true;
  command.subscribe((msg) => {
    if (needsReset) return; // e.g. the safe action published on an emergency stop
    const a = m.decodeAction(msg);
    state.actions.push(a);
    const r = env.step(a);
    if (r.terminated || r.truncated) {
      needsReset = true;
      state.episodes++;
    }
    info.publish({ layout: { dim: [], data_offset: 0 }, data: [r.reward, r.terminated ? 1 : 0, r.truncated ? 1 : 0] });
    publishObs(r.obs);
  });
  const reset = new Service({ ros, name: m.resetService ?? '/lamkit/reset', serviceType: 'std_srvs/Trigger' });
  await reset.advertise((req: { seed?: number }, res: Record<string, unknown>) => {
    const r = env.reset(req.seed === undefined ? {} : { seed: req.seed });
    needsReset = false;
    res.success = true;
    res.message = 'reset';
    publishObs(r.obs);
    return true;
  });
  return state;
}
