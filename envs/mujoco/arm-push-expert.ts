import type { Env } from '../../src/core/env.js';
import { ARM_PUCK_HALF_HEIGHT, ARM_PUCK_RADIUS, ARM_PUSHER_RADIUS } from '../../sim/assets/arm.js';
import { ArmExpert, type ArmExpertOptions } from './arm-expert.js';
import { ARM_PUSH_OBS, ARM_PUSH_DISC_RADIUS } from './arm-push.js';

/** Options of {@link ArmPushExpert}. */
export interface ArmPushExpertOptions extends ArmExpertOptions {
  /** Speed cap while moving to the pushing position (m/s). Default 0.5. */
  approachSpeed?: number;
  /** Speed cap while pushing (m/s). Default 0.3. */
  pushSpeed?: number;
  /** Radius of the pushed object (m). Default ArmPush-v0's puck, {@link ARM_PUCK_RADIUS}. */
  puckRadius?: number;
}

/** Height of the pusher's centre while pushing: the puck's mid-height. */
const Z_PUSH = ARM_PUCK_HALF_HEIGHT;
/** Height at which the pusher travels over the puck. */
const Z_TRAVEL = 0.1;
/** Extra gap behind the puck where the pusher lands before pushing. */
const PRE_GAP = 0.03;

/**
 * Scripted expert for `ArmPush-v0` (a {@link Policy}). From the observation
 * alone it decides, each step, between three moves of the end effector:
 *
 * 1. travel at 0.1 m height to the point behind the puck on the goal-puck
 *    line (lifting straight up first when it is low, so it never sweeps
 *    through the puck);
 * 2. descend there to the puck's mid-height;
 * 3. push along the line until the puck's centre reaches the goal (steering
 *    back onto the line), re-approaching when the puck slips sideways.
 *
 * Cartesian velocities (P control, capped) become joint speeds through
 * damped-least-squares inverse kinematics (see {@link ArmExpert}).
 * Observation rows have 30 entries. Deterministic.
 */
export class ArmPushExpert extends ArmExpert {
  private readonly approachSpeed: number;
  private readonly pushSpeed: number;
  /** Pusher and puck touch when their centres are this far apart in the plane. */
  private readonly contact: number;

  /** @param env an `ArmPush-v0` env (wrapped or not); its spaces are the policy's. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace'>, options: ArmPushExpertOptions = {}, where = 'ArmPushExpert') {
    super(where, env, 30, options);
    this.contact = (options.puckRadius ?? ARM_PUCK_RADIUS) + ARM_PUSHER_RADIUS;
    this.approachSpeed = options.approachSpeed ?? 0.5;
    this.pushSpeed = options.pushSpeed ?? 0.3;
  }

  /** Writes the uncapped end-effector velocity into `vel`; returns the speed cap for the current move. */
  protected override cartesianVelocity(o: Float32Array, vel: Float64Array): number {
    const contact = this.contact;
    const [ee, puck, goal] = [ARM_PUSH_OBS.ee[0], ARM_PUSH_OBS.puck[0], ARM_PUSH_OBS.goal[0]];
    const ex = o[ee], ey = o[ee + 1], ez = o[ee + 2];
    const px = o[puck], py = o[puck + 1];
    const gx = o[goal], gy = o[goal + 1];
    const dist = Math.hypot(gx - px, gy - py);
    if (dist < 1e-6) {
      vel.fill(0);
      return 0;
    }
    // Unit vector puck -> goal, and the pusher's position in that frame.
    const ux = (gx - px) / dist, uy = (gy - py) / dist;
    const rx = ex - px, ry = ey - py;
    const along = rx * ux + ry * uy;
    const lateral = -rx * uy + ry * ux;
    const behind = along < -(contact - 0.02) && along > -(contact + PRE_GAP + 0.02) && Math.abs(lateral) < 0.025;
    const preX = px - ux * (contact + PRE_GAP);
    const preY = py - uy * (contact + PRE_GAP);
    if (behind && ez < Z_PUSH + 0.015) {
      // Push: track the contact point behind the puck (slightly inside it),
      // plus a feed-forward along the line that fades near the goal.
      const feed = this.pushSpeed * Math.min(1, dist / 0.1);
      vel[0] = this.gain * (px - ux * (contact - 0.01) - ex) + ux * feed;
      vel[1] = this.gain * (py - uy * (contact - 0.01) - ey) + uy * feed;
      vel[2] = this.gain * (Z_PUSH - ez);
      return this.pushSpeed;
    }
    let tx: number, ty: number, tz: number;
    if (Math.hypot(ex - preX, ey - preY) < 0.02) {
      [tx, ty, tz] = [preX, preY, Z_PUSH];
    } else if (ez < Z_TRAVEL - 0.03 && Math.hypot(rx, ry) < contact + 0.015) {
      // Back away from the puck before lifting: a sudden change of direction
      // while touching it would kick it.
      const r = Math.max(Math.hypot(rx, ry), 1e-6);
      [tx, ty, tz] = [px + (rx / r) * (contact + 0.03), py + (ry / r) * (contact + 0.03), ez];
    } else if (ez < Z_TRAVEL - 0.03) {
      [tx, ty, tz] = [ex, ey, Z_TRAVEL];
    } else {
      [tx, ty, tz] = [preX, preY, Z_TRAVEL];
    }
    vel[0] = this.gain * (tx - ex);
    vel[1] = this.gain * (ty - ey);
    vel[2] = this.gain * (tz - ez);
    return this.approachSpeed;
  }
}

/** The scripted expert of `ArmPushDisc-v0`: {@link ArmPushExpert} told the disc's radius. */
export class ArmPushDiscExpert extends ArmPushExpert {
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace'>, options: Omit<ArmPushExpertOptions, 'puckRadius'> = {}) {
    super(env, { ...options, puckRadius: ARM_PUSH_DISC_RADIUS }, 'ArmPushDiscExpert');
  }
}
