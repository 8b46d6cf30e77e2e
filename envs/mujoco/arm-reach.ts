import type { ResetArgs, ResetResult, StepResult } from '../../src/core/env.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { ARM_GEAR, armXml } from '../../sim/assets/arm.js';
import { ArmEnv, type ArmEnvOptions } from './arm-env.js';
import { isFiniteVector, unboundedBox, type MujocoAction } from './mujoco-env.js';

/** Options of {@link ArmReach}. */
export interface ArmReachOptions extends ArmEnvOptions {
  /** Weight of the control cost `-sum(action^2)`. Default 0.01. */
  controlCostWeight?: number;
}

/** Where targets are drawn (metres, world frame): a box above the table in front of the arm. */
export const ARM_REACH_TARGET_LOW: readonly number[] = [0.25, -0.25, 0.05];
export const ARM_REACH_TARGET_HIGH: readonly number[] = [0.55, 0.25, 0.35];

/** Layout of {@link ArmReach}'s observation: `[start, end)` index ranges. */
export const ARM_REACH_OBS = { qpos: [0, 6], qvel: [6, 12], ee: [12, 15], target: [15, 18], targetMinusEe: [18, 21] } as const;

/**
 * ArmReach-v0: move the 6-DoF arm's end effector (`ee` site) to a random
 * target point above the table.
 *
 * - Observation: `Float64Array [21]`: arm joint angles (6, rad), joint
 *   speeds (6, rad/s), end-effector position (3, m), target position (3),
 *   target - end effector (3); see {@link ARM_REACH_OBS}.
 * - Action: `Box(-1, 1, [6])` joint-speed commands (2 rad/s at 1); MuJoCo
 *   clamps out-of-range values.
 * - Reward (dense): `-|target - ee| - controlCostWeight * sum(action^2)`;
 *   `info.isSuccess` when `|target - ee| < successThresholdM` (0.05 m),
 *   `info.distance`.
 * - Never terminates; `make` adds `TimeLimit(50)` (2 s at dt 0.04 s).
 * - Reset: home posture + U(-0.1, 0.1) rad per joint, target uniform in
 *   [0.25, 0.55] x [-0.25, 0.25] x [0.05, 0.35]; or `options.qpos`/`options.qvel`
 *   and/or `options.target` (3 numbers) exactly.
 */
export class ArmReach extends ArmEnv {
  readonly observationSpace = unboundedBox(21);
  private readonly controlCostWeight: number;
  private readonly targetMocap: number;

  constructor(options: ArmReachOptions = {}, variant: { envName: string; xml: string } = { envName: 'ArmReach-v0', xml: armXml({ puck: false }) }) {
    super(variant.envName, variant.xml, options);
    this.controlCostWeight = options.controlCostWeight ?? 0.01;
    this.targetMocap = this.world.mocapId('target');
    // Named observation fields: recorded datasets name their columns after them, and a pretrained transformer lends a new task's tokenizer the columns of fields it knows.
    this.metadata.observationFields = ARM_REACH_OBS;
  }

  reset(args?: ResetArgs): ResetResult<Float64Array> {
    this.resetWorld(args, () => {
      const { qpos, qvel } = this.randomArmState();
      this.world.setState(qpos, qvel);
    });
    const target = args?.options?.target;
    const mocap = this.world.mocapPos();
    const m = 3 * this.targetMocap;
    if (target !== undefined) {
      if (!isFiniteVector(target, 3)) {
        throw new InvalidArgument(formatError('ArmReach-v0.reset.options.target', '3 finite numbers (metres)', describeValue(target), 'Pass e.g. { target: [0.4, 0, 0.2] }'));
      }
      for (let i = 0; i < 3; i++) mocap[m + i] = target[i];
    } else {
      for (let i = 0; i < 3; i++) mocap[m + i] = this.rng.uniform(ARM_REACH_TARGET_LOW[i], ARM_REACH_TARGET_HIGH[i]);
    }
    this.world.forward();
    const obs = this.observe();
    return { obs, info: { isSuccess: this.distance(obs) < this.successThresholdM } };
  }

  step(action: MujocoAction): StepResult<Float64Array> {
    this.doSimulation(action);
    const obs = this.observe();
    const distance = this.distance(obs);
    const reward = -distance - this.controlCostWeight * ArmEnv.squaredNorm(action);
    return { obs, reward, terminated: false, truncated: false, info: { isSuccess: distance < this.successThresholdM, distance } };
  }

  private distance(obs: Float64Array): number {
    return Math.sqrt(obs[18] * obs[18] + obs[19] * obs[19] + obs[20] * obs[20]);
  }

  private observe(): Float64Array {
    const obs = new Float64Array(21);
    this.writeArmObs(obs);
    const mocap = this.world.mocapPos();
    const m = 3 * this.targetMocap;
    for (let i = 0; i < 3; i++) {
      obs[15 + i] = mocap[m + i];
      obs[18 + i] = mocap[m + i] - obs[12 + i];
    }
    return obs;
  }
}

/** The servo gears of ArmReach-reversed-v0: the shoulder's yaw motor turns the other way. */
export const ARM_REACH_REVERSED_GEARS: readonly number[] = [-ARM_GEAR, ARM_GEAR, ARM_GEAR, ARM_GEAR, ARM_GEAR, ARM_GEAR];

/**
 * ArmReach-reversed-v0: {@link ArmReach} with the shoulder's yaw motor
 * mounted the other way round (its servo gear negated), everything else
 * equal: the same command turns the base the opposite way. A changed
 * dynamics for reward transfer (issue 14): a policy learned on ArmReach-v0
 * (or its scripted expert) swings away from targets off the centre line,
 * while a reward of the hand's distance to the target still holds.
 */
export class ArmReachReversed extends ArmReach {
  constructor(options: ArmReachOptions = {}) {
    super(options, { envName: 'ArmReach-reversed-v0', xml: armXml({ puck: false, name: 'arm_reach_reversed', gears: ARM_REACH_REVERSED_GEARS }) });
  }
}
