import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
/** Options of {@link armXml}. */
export interface ArmXmlOptions {
  /** Add a movable puck (free joint, `puck` body) and a goal marker (`goal` mocap body). Default false. */
  puck?: boolean;
  /** Model name. Default 'arm_reach' or 'arm_push'. */
  name?: string;
  /** MJCF bodies (and cameras) placed in the world instead of the reach `target` marker (LangReach-v0's coloured objects). */
  objects?: string;
  /**
   * Gear of each joint's velocity servo, base to hand (default 0.5 each:
   * `ctrl` 1 commands 2 rad/s). A negative gear turns the joint the other
   * way (ArmReach-reversed-v0: a motor mounted the other way round).
   */
  gears?: readonly number[];
  /** Radius of the puck (and of the goal marker) in metres, with `puck`. Default {@link ARM_PUCK_RADIUS}. */
  puckRadius?: number;
  /** Mass of the puck in kg, with `puck`. Default 0.1. */
  puckMass?: number;
}

/** Default gear of the arm's velocity servos. */
export const ARM_GEAR = 0.5;

/** Joint names of the arm, base to hand. */
export const ARM_JOINTS = ['shoulder_yaw', 'shoulder_pitch', 'elbow_pitch', 'forearm_roll', 'wrist_pitch', 'hand_roll'] as const;

/** Joint angles (rad) of the arm's home posture: hand above the table, pointing down. */
export const ARM_HOME_QPOS: readonly number[] = [0, 0.35, 1.45, 0, 1.34, 0];

/** Radius of the pusher sphere at the end effector (metres). */
export const ARM_PUSHER_RADIUS = 0.02;
/** Radius and half-height of the puck (metres). */
export const ARM_PUCK_RADIUS = 0.03;
export const ARM_PUCK_HALF_HEIGHT = 0.02;

/**
 * MJCF of lamkit's 6-DoF arm on a table, written for this project.
 *
 * Z up, metres. The table top is the plane z = 0 (0.9 x 1.2 m, centred at
 * x = 0.3); the arm's base sits at the origin on the table's back edge
 * region. Joints (yaw, pitch, pitch, roll, pitch, roll) carry links of 0.2
 * (column), 0.3 (upper arm), 0.2 (forearm), 0.08 (wrist) and 0.1 m (hand);
 * the `ee` site is at the tip of the hand, inside a pusher sphere of radius
 * 0.02 (the only part of the arm that collides, and only with the puck).
 *
 * Actuators are velocity servos with gravity compensation (`gravcomp`):
 * `ctrl` in [-1, 1] commands a joint speed of `2 ctrl` rad/s (gear 0.5,
 * kv 400). The integrator is `implicitfast` (stable with stiff servos) at
 * 5 ms. `target` (reach) and `goal` (push) are mocap bodies: markers that
 * never collide, moved through `mocap_pos`.
 */
export function armXml(options: ArmXmlOptions = {}): string {
  const puck = options.puck ?? false;
  const gears = options.gears;
  if (gears !== undefined && !(gears.length === ARM_JOINTS.length && gears.every((g) => Number.isFinite(g) && g !== 0))) {
    throw new InvalidArgument(formatError('armXml.gears', `${ARM_JOINTS.length} finite non-zero numbers (one per joint, base to hand)`, describeValue(gears), `Pass e.g. [${ARM_JOINTS.map(() => ARM_GEAR).join(', ')}]`));
  }
  const puckRadius = options.puckRadius ?? ARM_PUCK_RADIUS;
  const puckMass = options.puckMass ?? 0.1;
  if (!(Number.isFinite(puckRadius) && puckRadius > 0 && puckRadius <= 0.1) || !(Number.isFinite(puckMass) && puckMass > 0)) {
    throw new InvalidArgument(formatError('armXml.puckRadius/puckMass', 'a radius in (0, 0.1] m and a positive mass in kg', describeValue({ puckRadius, puckMass }), `Pass e.g. { puckRadius: ${ARM_PUCK_RADIUS}, puckMass: 0.1 }`));
  }
  const gearAttr = (k: number): string => (gears !== undefined && gears[k] !== ARM_GEAR ? ` gear="${gears[k]}"` : '');
  const name = options.name ?? (puck ? 'arm_push' : 'arm_reach');
  const puckXml = puck
    ? `
    <body name="puck" pos="0.4 0 ${ARM_PUCK_HALF_HEIGHT}">
      <freejoint name="puck"/>
      <geom name="puck" type="cylinder" size="${puckRadius} ${ARM_PUCK_HALF_HEIGHT}" mass="${puckMass}" contype="4" conaffinity="1" friction="0.5 0.005 0.0001" rgba="0.85 0.35 0.1 1"/>
    </body>
    <body name="goal" mocap="true" pos="0.4 0.15 0.001">
      <geom name="goal" type="cylinder" size="${puckRadius} 0.001" contype="0" conaffinity="0" rgba="0.2 0.8 0.2 0.6"/>
    </body>`
    : options.objects !== undefined
      ? options.objects
      : `
    <body name="target" mocap="true" pos="0.4 0 0.2">
      <geom name="target" type="sphere" size="0.02" contype="0" conaffinity="0" rgba="0.9 0.2 0.2 0.8"/>
    </body>`;
  return `<mujoco model="${name}">
  <compiler angle="radian" autolimits="true"/>
  <size memory="1M"/>
  <option timestep="0.005" integrator="implicitfast" gravity="0 0 -9.81"/>
  <default>
    <joint type="hinge" armature="0.01" damping="0.1"/>
    <geom contype="0" conaffinity="0" density="800" rgba="0.75 0.75 0.8 1"/>
    <velocity kv="400" gear="${ARM_GEAR}" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <light name="top" pos="0.3 0 2" dir="0 0 -1" diffuse="0.8 0.8 0.8"/>
    <geom name="floor" type="plane" pos="0 0 -0.75" size="2 2 0.1" rgba="0.35 0.37 0.4 1"/>
    <geom name="table" type="plane" pos="0.3 0 0" size="0.45 0.6 0.02" contype="1" conaffinity="4" friction="0.5 0.005 0.0001" rgba="0.72 0.56 0.4 1"/>
    <geom name="table_leg_1" type="box" pos="0.7 0.55 -0.375" size="0.03 0.03 0.375" rgba="0.45 0.33 0.22 1"/>
    <geom name="table_leg_2" type="box" pos="0.7 -0.55 -0.375" size="0.03 0.03 0.375" rgba="0.45 0.33 0.22 1"/>
    <geom name="table_leg_3" type="box" pos="-0.1 0.55 -0.375" size="0.03 0.03 0.375" rgba="0.45 0.33 0.22 1"/>
    <geom name="table_leg_4" type="box" pos="-0.1 -0.55 -0.375" size="0.03 0.03 0.375" rgba="0.45 0.33 0.22 1"/>
    <geom name="base" type="cylinder" pos="0 0 0.025" size="0.07 0.025" rgba="0.2 0.2 0.25 1"/>
    <body name="column" pos="0 0 0.05" gravcomp="1">
      <joint name="shoulder_yaw" axis="0 0 1" range="-2.9 2.9"/>
      <geom name="column" type="cylinder" fromto="0 0 0 0 0 0.15" size="0.05" rgba="0.95 0.55 0.15 1"/>
      <body name="upper_arm" pos="0 0 0.15" gravcomp="1">
        <joint name="shoulder_pitch" axis="0 1 0" range="-1.8 1.8"/>
        <geom name="shoulder" type="sphere" size="0.05" rgba="0.2 0.2 0.25 1"/>
        <geom name="upper_arm" type="capsule" fromto="0 0 0 0 0 0.3" size="0.04"/>
        <body name="forearm" pos="0 0 0.3" gravcomp="1">
          <joint name="elbow_pitch" axis="0 1 0" range="-2.6 2.6"/>
          <geom name="elbow" type="sphere" size="0.045" rgba="0.2 0.2 0.25 1"/>
          <geom name="forearm" type="capsule" fromto="0 0 0 0 0 0.2" size="0.035"/>
          <body name="wrist" pos="0 0 0.2" gravcomp="1">
            <joint name="forearm_roll" axis="0 0 1" range="-2.9 2.9"/>
            <geom name="wrist" type="cylinder" fromto="0 0 0 0 0 0.08" size="0.032" rgba="0.95 0.55 0.15 1"/>
            <body name="hand" pos="0 0 0.08" gravcomp="1">
              <joint name="wrist_pitch" axis="0 1 0" range="-2.2 2.2"/>
              <geom name="wrist_joint" type="sphere" size="0.035" rgba="0.2 0.2 0.25 1"/>
              <geom name="hand" type="box" pos="0 0 0.04" size="0.025 0.04 0.04"/>
              <body name="flange" pos="0 0 0.08" gravcomp="1">
                <joint name="hand_roll" axis="0 0 1" range="-2.9 2.9"/>
                <geom name="finger" type="cylinder" fromto="0 0 0 0 0 0.02" size="0.012" rgba="0.2 0.2 0.25 1"/>
                <geom name="pusher" type="sphere" pos="0 0 0.02" size="${ARM_PUSHER_RADIUS}" rgba="0.1 0.6 0.9 1"/>
                <site name="ee" pos="0 0 0.02" size="0.01" rgba="0.1 0.6 0.9 1"/>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>${puckXml}
  </worldbody>
  ${puck ? '<contact>\n    <pair name="pusher_puck" geom1="pusher" geom2="puck" condim="1"/>\n  </contact>\n  ' : ''}<actuator>
    <velocity name="shoulder_yaw" joint="shoulder_yaw"${gearAttr(0)}/>
    <velocity name="shoulder_pitch" joint="shoulder_pitch"${gearAttr(1)}/>
    <velocity name="elbow_pitch" joint="elbow_pitch"${gearAttr(2)}/>
    <velocity name="forearm_roll" joint="forearm_roll"${gearAttr(3)}/>
    <velocity name="wrist_pitch" joint="wrist_pitch"${gearAttr(4)}/>
    <velocity name="hand_roll" joint="hand_roll"${gearAttr(5)}/>
  </actuator>
</mujoco>
`;
}
