import type { Env } from '../../src/core/env.js';
import { ArmExpert, type ArmExpertOptions } from './arm-expert.js';
import { ARM_REACH_OBS, ARM_REACH_REVERSED_GEARS } from './arm-reach.js';

/** Options of {@link ArmReachExpert}. */
export interface ArmReachExpertOptions extends ArmExpertOptions {
  /** Cap on the commanded end-effector speed (m/s). Default 0.6. */
  maxSpeed?: number;
}

/**
 * Scripted expert for `ArmReach-v0` (a {@link Policy}): a P controller in
 * Cartesian space (`v = gain * (target - ee)`, capped at `maxSpeed`) mapped
 * to joint speeds by damped-least-squares inverse kinematics (see
 * {@link ArmExpert}). Observation rows have 21 entries (joint angles, end
 * effector, target). Deterministic.
 */
export class ArmReachExpert extends ArmExpert {
  private readonly maxSpeed: number;

  /** @param env an `ArmReach-v0` env (wrapped or not); its spaces are the policy's. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace'>, options: ArmReachExpertOptions = {}) {
    super('ArmReachExpert', env, 21, options);
    this.maxSpeed = options.maxSpeed ?? 0.6;
  }

  protected override cartesianVelocity(o: Float32Array, vel: Float64Array): number {
    const d = ARM_REACH_OBS.targetMinusEe[0];
    for (let i = 0; i < 3; i++) vel[i] = this.gain * o[d + i];
    return this.maxSpeed;
  }
}

/**
 * The scripted expert of `ArmReach-reversed-v0`: {@link ArmReachExpert}'s
 * controller told of the variant's one change, the shoulder's yaw motor
 * reversed (`ARM_REACH_REVERSED_GEARS`), so it negates the yaw command. The
 * expert reference a reward transfer to that variant is scored against
 * (bench/imitate); `ArmReachExpert` itself fails there.
 */
export class ArmReachReversedExpert extends ArmReachExpert {
  override act(obs: Float32Array): Float32Array {
    const out = super.act(obs);
    for (let k = 0; k < out.length; k += ARM_REACH_REVERSED_GEARS.length) {
      for (let j = 0; j < ARM_REACH_REVERSED_GEARS.length; j++) out[k + j] *= Math.sign(ARM_REACH_REVERSED_GEARS[j]);
    }
    return out;
  }
}
