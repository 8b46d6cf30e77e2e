import type { Env } from '../../src/core/env.js';
import type { ActOptions, Policy } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { ArmIk, type ArmIkOptions } from './arm-ik.js';
import { ARM_DOF } from './arm-env.js';

/** Options every arm expert takes: the inverse kinematics' and the Cartesian P gain. */
export interface ArmExpertOptions extends ArmIkOptions {
  /** Proportional gain from position error (m) to end-effector velocity (m/s). Default 5. */
  gain?: number;
}

/** Joint speed (rad/s) that an action of 1 commands (velocity servo gear 0.5). */
const RAD_PER_S_PER_ACTION = 2;

/**
 * Base of the scripted arm experts (a {@link Policy}): each step a subclass
 * turns one observation row into a Cartesian end-effector velocity and a
 * speed cap ({@link ArmExpert.cartesianVelocity}); the base caps the speed,
 * maps it to joint speeds by damped-least-squares inverse kinematics
 * ({@link ArmIk}) and scales them into actions in [-1, 1]. Experts read only
 * the observation, so they can label demonstrations for behaviour cloning.
 * Deterministic; `options.deterministic` is ignored.
 */
export abstract class ArmExpert implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  /** Proportional gain (1/s) of the Cartesian controller. */
  protected readonly gain: number;
  private readonly obsDim: number;
  /** Where the 6 joint angles start in an observation row. */
  protected readonly stateOffset: number;
  private readonly ik: ArmIk;
  private readonly vel = new Float64Array(3);
  private readonly qdot = new Float64Array(ARM_DOF);

  /**
   * @param where the subclass's name, for error messages.
   * @param env the task's env (wrapped or not); its spaces are the policy's.
   * @param obsDim the task's observation size.
   * @param stateOffset where the joint angles start in a flat observation row (0 for the flat arm tasks; after the instruction in a `{ instruction, state }` Dict).
   */
  protected constructor(where: string, env: Pick<Env, 'observationSpace' | 'actionSpace'>, obsDim: number, options: ArmExpertOptions, stateOffset = 0) {
    checkSpaces(where, env, obsDim);
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    this.obsDim = obsDim;
    this.stateOffset = stateOffset;
    this.gain = options.gain ?? 5;
    this.ik = new ArmIk(options);
  }

  /**
   * Writes the uncapped end-effector velocity (m/s, world frame) for one
   * observation row into `vel`; returns the speed cap (m/s) for this step.
   */
  protected abstract cartesianVelocity(obsRow: Float32Array, vel: Float64Array): number;

  /** @param obs `Float32Array [numEnvs x obsDim]`. @returns `Float32Array [numEnvs x 6]` in [-1, 1]. */
  act(obs: Float32Array, _options?: ActOptions): Float32Array {
    const d = this.obsDim;
    const n = obs.length / d;
    const out = new Float32Array(n * ARM_DOF);
    for (let e = 0; e < n; e++) {
      const o = obs.subarray(e * d, (e + 1) * d);
      const speed = this.cartesianVelocity(o, this.vel);
      capNorm(this.vel, speed);
      this.ik.jointVelocity(o.subarray(this.stateOffset), this.vel, this.qdot);
      writeAction(this.qdot, out, e * ARM_DOF);
    }
    return out;
  }

  /**
   * Joint-space move: the action that drives the 6 joint angles of `obsRow` towards `goal` (rad) at
   * `gain` (1/s) times the error, scaled uniformly into [-1, 1]; written to `out` from `offset`. For experts
   * that move in joint space for a while (a posture) before their Cartesian controller takes over.
   */
  protected jointAction(obsRow: Float32Array, goal: readonly number[], gain: number, out: Float32Array, offset: number): void {
    for (let i = 0; i < ARM_DOF; i++) this.qdot[i] = gain * (goal[i] - obsRow[this.stateOffset + i]);
    writeAction(this.qdot, out, offset);
  }

  /** Frees the kinematic model. Idempotent. */
  dispose(): void {
    this.ik.close();
  }
}

/** Scales `v` down so its Euclidean norm is at most `max`. */
function capNorm(v: Float64Array, max: number): void {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const norm = Math.sqrt(sq);
  if (norm > max) for (let i = 0; i < v.length; i++) v[i] *= max / norm;
}

/** Joint speeds (rad/s) -> actions in [-1, 1], scaled uniformly so the direction is kept. */
function writeAction(qdot: Float64Array, out: Float32Array, offset: number): void {
  let peak = 0;
  for (let i = 0; i < ARM_DOF; i++) peak = Math.max(peak, Math.abs(qdot[i] / RAD_PER_S_PER_ACTION));
  const scale = peak > 1 ? 1 / peak : 1;
  for (let i = 0; i < ARM_DOF; i++) out[offset + i] = (qdot[i] / RAD_PER_S_PER_ACTION) * scale;
}

/** Throws unless `env` has an observation of `obsDim` and 6 actions. */
function checkSpaces(where: string, env: Pick<Env, 'observationSpace' | 'actionSpace'>, obsDim: number): void {
  const obsOk = env?.observationSpace?.flatDim === obsDim;
  const actOk = env?.actionSpace?.flatDim === ARM_DOF;
  if (!obsOk || !actOk) {
    throw new InvalidArgument(
      formatError(`${where}.env`, `an env with ${obsDim} observations and ${ARM_DOF} actions`, `${describeValue(env?.observationSpace?.flatDim)} and ${describeValue(env?.actionSpace?.flatDim)}`, 'Pass the task this expert is written for'),
    );
  }
}
