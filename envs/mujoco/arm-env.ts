import { ARM_HOME_QPOS } from '../../sim/assets/arm.js';
import { MujocoEnv, type MujocoEnvOptions } from './mujoco-env.js';

/** Number of arm joints (and actuators). */
export const ARM_DOF = 6;

/** Options shared by the arm tasks. */
export interface ArmEnvOptions extends MujocoEnvOptions {
  /** Half-width of the uniform noise added to the home joint angles at reset (rad). Default 0.1. */
  resetNoiseScale?: number;
  /** Distance (m) under which the task counts as solved (`info.isSuccess`). Default 0.05. */
  successThresholdM?: number;
}

/**
 * Base of the arm tasks on `sim/assets/arm.ts`: the 6 arm joints are the
 * first 6 coordinates of `qpos`/`qvel`, the action is the 6 velocity-servo
 * commands in [-1, 1] (2 rad/s at 1), and one env step is 8 physics steps of
 * 5 ms (dt = 0.04 s, 25 Hz).
 */
export abstract class ArmEnv<Obs = Float64Array> extends MujocoEnv<Obs> {
  protected readonly eeSite: number;
  protected readonly resetNoiseScale: number;
  readonly successThresholdM: number;

  constructor(envName: string, xml: string, options: ArmEnvOptions = {}) {
    super(envName, xml, 8, options);
    this.eeSite = this.world.id('site', 'ee');
    this.resetNoiseScale = options.resetNoiseScale ?? 0.1;
    this.successThresholdM = options.successThresholdM ?? 0.05;
    for (let i = 0; i < ARM_DOF; i++) this.initQpos[i] = ARM_HOME_QPOS[i];
  }

  /** Home posture + U(-noise, noise) per arm joint, zero velocities; other coordinates from `initQpos`. */
  protected randomArmState(): { qpos: Float64Array; qvel: Float64Array } {
    const qpos = this.initQpos.slice();
    const s = this.resetNoiseScale;
    for (let i = 0; i < ARM_DOF; i++) qpos[i] += this.rng.uniform(-s, s);
    return { qpos, qvel: new Float64Array(this.world.nv) };
  }

  /** Writes arm qpos (6), arm qvel (6) and the end-effector position (3) into `obs` from index 0. */
  protected writeArmObs(obs: Float64Array): void {
    const qpos = this.world.qpos();
    const qvel = this.world.qvel();
    const site = this.world.siteXpos();
    for (let i = 0; i < ARM_DOF; i++) {
      obs[i] = qpos[i];
      obs[ARM_DOF + i] = qvel[i];
    }
    const e = 3 * this.eeSite;
    obs[12] = site[e];
    obs[13] = site[e + 1];
    obs[14] = site[e + 2];
  }

  /** `sum(action^2)`. */
  protected static squaredNorm(action: ArrayLike<number>): number {
    let sq = 0;
    for (let i = 0; i < action.length; i++) sq += action[i] * action[i];
    return sq;
  }
}
