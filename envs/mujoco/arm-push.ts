import type { ResetArgs, ResetResult, StepResult } from '../../src/core/env.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { armXml, ARM_PUCK_HALF_HEIGHT } from '../../sim/assets/arm.js';
import { ArmEnv, type ArmEnvOptions } from './arm-env.js';
import { isFiniteVector, unboundedBox, type MujocoAction } from './mujoco-env.js';

/** Options of {@link ArmPush} (reward weights as Gymnasium's Pusher-v5). */
export interface ArmPushOptions extends ArmEnvOptions {
  /** Weight of `-|goal - puck|`. Default 1. */
  rewardDistWeight?: number;
  /** Weight of `-|puck - ee|` (shaping: get to the puck). Default 0.5. */
  rewardNearWeight?: number;
  /** Weight of `-sum(action^2)`. Default 0.1. */
  rewardControlWeight?: number;
  /**
   * Reward added on every step that ends with the puck within `successThresholdM` of the goal
   * (`info.isSuccess`). Default 0: Pusher-v5's dense reward alone. A positive weight aligns the
   * return with the success rate, which the dense distance terms do not (they also pay for a puck
   * left 6 cm away), as Gymnasium-Robotics' sparse Fetch rewards score only reaching the goal.
   */
  rewardSuccessWeight?: number;
}

const ARM_PUSH_OPTION_KEYS: readonly string[] = ['rewardDistWeight', 'rewardNearWeight', 'rewardControlWeight', 'rewardSuccessWeight', 'resetNoiseScale', 'successThresholdM', 'renderMode', 'width', 'height'];

/** Where the puck starts and where goals are drawn (x, y in metres on the table). */
export const ARM_PUSH_PUCK_LOW: readonly number[] = [0.32, -0.15];
export const ARM_PUSH_PUCK_HIGH: readonly number[] = [0.45, 0.15];
export const ARM_PUSH_GOAL_LOW: readonly number[] = [0.28, -0.22];
export const ARM_PUSH_GOAL_HIGH: readonly number[] = [0.5, 0.22];
/** Goals lie at least this far from the puck's start (m). */
export const ARM_PUSH_MIN_GOAL_DISTANCE = 0.1;

/** Where a push task draws the puck's start and the goal (x, y boxes on the table). */
export interface ArmPushRegion {
  puckLow: readonly number[];
  puckHigh: readonly number[];
  goalLow: readonly number[];
  goalHigh: readonly number[];
  /** Draw a side first (one more draw): with probability 1/2 both boxes are mirrored to -y. */
  mirrorY: boolean;
}
const ARM_PUSH_REGION: ArmPushRegion = { puckLow: ARM_PUSH_PUCK_LOW, puckHigh: ARM_PUSH_PUCK_HIGH, goalLow: ARM_PUSH_GOAL_LOW, goalHigh: ARM_PUSH_GOAL_HIGH, mirrorY: false };

/** Layout of {@link ArmPush}'s observation: `[start, end)` index ranges. */
export const ARM_PUSH_OBS = {
  qpos: [0, 6],
  qvel: [6, 12],
  ee: [12, 15],
  puck: [15, 18],
  puckVel: [18, 21],
  goal: [21, 24],
  puckMinusEe: [24, 27],
  goalMinusPuck: [27, 30],
} as const;

/**
 * ArmPush-v0: push a puck across the table to a goal with the arm's pusher
 * sphere (dense-reward variant of the classic pushing task).
 *
 * - Observation: `Float64Array [30]`: arm joint angles (6), joint speeds (6),
 *   end-effector position (3), puck position (3), puck linear velocity (3),
 *   goal position (3, on the table), puck - ee (3), goal - puck (3); see
 *   {@link ARM_PUSH_OBS}.
 * - Action: `Box(-1, 1, [6])` joint-speed commands (2 rad/s at 1).
 * - Reward (dense, as Gymnasium's Pusher-v5): `-|goal - puck|_xy - 0.5 |puck - ee|
 *   - 0.1 sum(action^2)` (weights are options), plus `rewardSuccessWeight` (default 0) on
 *   every step that ends in success; `info.isSuccess` when the puck's centre is within
 *   `successThresholdM` (0.05 m) of the goal in the table plane, `info.distance`.
 * - Never terminates; `make` adds `TimeLimit(150)` (6 s at dt 0.04 s).
 * - Reset: home posture + U(-0.1, 0.1) rad per joint; puck uniform in
 *   [0.32, 0.45] x [-0.15, 0.15]; goal uniform in [0.28, 0.5] x [-0.22, 0.22]
 *   at least 0.1 m from the puck. `options.qpos`/`options.qvel` (13/12
 *   numbers, puck included) and `options.goal` (2 numbers) set them exactly.
 */
export class ArmPush extends ArmEnv {
  readonly observationSpace = unboundedBox(30);
  private readonly rewardDistWeight: number;
  private readonly rewardNearWeight: number;
  private readonly rewardControlWeight: number;
  private readonly rewardSuccessWeight: number;
  private readonly goalMocap: number;
  private readonly puckQposAdr: number;
  private readonly puckDofAdr: number;
  private readonly region: ArmPushRegion;

  /** @param variant the env's name and model (a variant such as {@link ArmPushDisc} passes its own). */
  constructor(options: ArmPushOptions = {}, variant: { envName: string; xml: string; region?: ArmPushRegion } = { envName: 'ArmPush-v0', xml: armXml({ puck: true }) }) {
    super(variant.envName, variant.xml, options);
    // A misspelt option would otherwise train on the default reward without a word (Gymnasium: TypeError).
    const unknown = Object.keys(options).filter((k) => !ARM_PUSH_OPTION_KEYS.includes(k));
    if (unknown.length > 0) {
      throw new InvalidArgument(formatError(`${variant.envName} options`, `keys among ${ARM_PUSH_OPTION_KEYS.join(', ')}`, unknown.join(', '), 'Check the spelling (envs/mujoco/arm-push.ts, ArmPushOptions)'));
    }
    this.region = variant.region ?? ARM_PUSH_REGION;
    const weight = (key: 'rewardDistWeight' | 'rewardNearWeight' | 'rewardControlWeight' | 'rewardSuccessWeight', fallback: number): number => {
      const w = options[key];
      if (w === undefined) return fallback;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new InvalidArgument(formatError(`${variant.envName}.${key}`, 'a finite number >= 0', describeValue(w), `Pass e.g. { ${key}: ${fallback || 1} } or omit it for ${fallback}`));
      }
      return w;
    };
    this.rewardDistWeight = weight('rewardDistWeight', 1);
    this.rewardNearWeight = weight('rewardNearWeight', 0.5);
    this.rewardControlWeight = weight('rewardControlWeight', 0.1);
    this.rewardSuccessWeight = weight('rewardSuccessWeight', 0);
    this.goalMocap = this.world.mocapId('goal');
    this.puckQposAdr = this.world.jointQposAdr('puck');
    this.puckDofAdr = this.world.jointDofAdr('puck');
    // Named observation fields (qpos, qvel, ee as ArmReach-v0's): see ArmReach's.
    this.metadata.observationFields = ARM_PUSH_OBS;
  }

  reset(args?: ResetArgs): ResetResult<Float64Array> {
    let puckX = 0;
    let puckY = 0;
    let side = 1;
    const r = this.region;
    this.resetWorld(args, () => {
      const { qpos, qvel } = this.randomArmState();
      const p = this.puckQposAdr;
      if (r.mirrorY) side = this.rng.uniform(0, 1) < 0.5 ? -1 : 1;
      puckX = this.rng.uniform(r.puckLow[0], r.puckHigh[0]);
      puckY = side * this.rng.uniform(r.puckLow[1], r.puckHigh[1]);
      qpos.set([puckX, puckY, ARM_PUCK_HALF_HEIGHT, 1, 0, 0, 0], p);
      this.world.setState(qpos, qvel);
    });
    const qpos = this.world.qpos();
    puckX = qpos[this.puckQposAdr];
    puckY = qpos[this.puckQposAdr + 1];
    const goal = args?.options?.goal;
    const mocap = this.world.mocapPos();
    const m = 3 * this.goalMocap;
    if (goal !== undefined) {
      if (!isFiniteVector(goal, 2)) {
        throw new InvalidArgument(formatError(`${this.envName}.reset.options.goal`, '2 finite numbers (x, y in metres)', describeValue(goal), 'Pass e.g. { goal: [0.4, 0.1] }'));
      }
      mocap[m] = goal[0];
      mocap[m + 1] = goal[1];
    } else {
      let gx: number, gy: number;
      do {
        gx = this.rng.uniform(r.goalLow[0], r.goalHigh[0]);
        gy = side * this.rng.uniform(r.goalLow[1], r.goalHigh[1]);
      } while (Math.hypot(gx - puckX, gy - puckY) < ARM_PUSH_MIN_GOAL_DISTANCE);
      mocap[m] = gx;
      mocap[m + 1] = gy;
    }
    mocap[m + 2] = 0.001;
    this.world.forward();
    const obs = this.observe();
    return { obs, info: { isSuccess: this.distance(obs) < this.successThresholdM } };
  }

  step(action: MujocoAction): StepResult<Float64Array> {
    this.doSimulation(action);
    const obs = this.observe();
    const distance = this.distance(obs);
    const near = Math.sqrt(obs[24] * obs[24] + obs[25] * obs[25] + obs[26] * obs[26]);
    const isSuccess = distance < this.successThresholdM;
    const reward = -this.rewardDistWeight * distance - this.rewardNearWeight * near - this.rewardControlWeight * ArmEnv.squaredNorm(action) + (isSuccess ? this.rewardSuccessWeight : 0);
    return { obs, reward, terminated: false, truncated: false, info: { isSuccess, distance } };
  }

  /** Puck-to-goal distance in the table plane. */
  private distance(obs: Float64Array): number {
    return Math.sqrt(obs[27] * obs[27] + obs[28] * obs[28]);
  }

  private observe(): Float64Array {
    const obs = new Float64Array(30);
    this.writeArmObs(obs);
    const qpos = this.world.qpos();
    const qvel = this.world.qvel();
    const mocap = this.world.mocapPos();
    const p = this.puckQposAdr;
    const v = this.puckDofAdr;
    const m = 3 * this.goalMocap;
    for (let i = 0; i < 3; i++) {
      obs[15 + i] = qpos[p + i];
      obs[18 + i] = qvel[v + i];
      obs[21 + i] = mocap[m + i];
      obs[24 + i] = qpos[p + i] - obs[12 + i];
      obs[27 + i] = mocap[m + i] - qpos[p + i];
    }
    return obs;
  }
}

/** Radius (m) and mass (kg) of ArmPushDisc-v0's disc (ArmPush-v0's puck: 0.03 m, 0.1 kg). */
export const ARM_PUSH_DISC_RADIUS = 0.045;
export const ARM_PUSH_DISC_MASS = 0.3;
/** ArmPushDisc-v0's start and goal boxes, on one side of the table (mirrored to -y half the time); ArmPush-v0's puck starts within |y| <= 0.15. */
export const ARM_PUSH_DISC_REGION: ArmPushRegion = { puckLow: [0.25, 0.2], puckHigh: [0.4, 0.3], goalLow: [0.2, 0.12], goalHigh: [0.45, 0.42], mirrorY: true };

/**
 * ArmPushDisc-v0: {@link ArmPush} with a larger, heavier object (a disc of
 * radius 0.045 m and 0.3 kg instead of the 0.03 m, 0.1 kg puck) in another
 * part of the table: the disc starts in x [0.25, 0.4], |y| [0.2, 0.3] (the
 * puck: x [0.32, 0.45], |y| <= 0.15) and goals lie on the same side,
 * x [0.2, 0.45], |y| [0.12, 0.42]. Observation layout (and names), reward
 * and success test are ArmPush-v0's. A related task for pretraining (issue 12): `lamkit-base`
 * learns pushing here, and ArmPush-v0 stays held out of its data, as
 * Meta-World's ML10 trains on `sweep` and tests on `sweep-into`. The pusher
 * must stop farther behind the bigger disc, and the disc slides differently.
 */
export class ArmPushDisc extends ArmPush {
  constructor(options: ArmPushOptions = {}) {
    super(options, { envName: 'ArmPushDisc-v0', xml: armXml({ puck: true, name: 'arm_push_disc', puckRadius: ARM_PUSH_DISC_RADIUS, puckMass: ARM_PUSH_DISC_MASS }), region: ARM_PUSH_DISC_REGION });
  }
}
