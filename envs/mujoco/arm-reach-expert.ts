import type { Env } from '../../src/core/env.js';
import type { ActOptions, Policy } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { ArmIk, type ArmIkOptions } from './arm-ik.js';
import { ARM_DOF } from './arm-env.js';
import { ARM_REACH_OBS } from './arm-reach.js';

/** Options of {@link ArmReachExpert}. */
export interface ArmReachExpertOptions extends ArmIkOptions {
  /** Proportional gain from position error (m) to end-effector velocity (m/s). Default 5. */
  gain?: number;
  /** Cap on the commanded end-effector speed (m/s). Default 0.6. */
  maxSpeed?: number;
}

/** Joint speed (rad/s) that an action of 1 commands (velocity servo gear 0.5). */
const RAD_PER_S_PER_ACTION = 2;

/**
 * Scripted expert for `ArmReach-v0` (a {@link Policy}): a P controller in
 * Cartesian space (`v = gain * (target - ee)`, capped at `maxSpeed`) mapped
 * to joint speeds by damped-least-squares inverse kinematics
 * ({@link ArmIk}). It reads only the observation (joint angles, end
 * effector, target), so it can label demonstrations for behaviour cloning.
 * Deterministic; `options.deterministic` is ignored.
 */
export class ArmReachExpert implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  private readonly ik: ArmIk;
  private readonly gain: number;
  private readonly maxSpeed: number;
  private readonly vel = new Float64Array(3);
  private readonly qdot = new Float64Array(ARM_DOF);

  /** @param env an `ArmReach-v0` env (wrapped or not); its spaces are the policy's. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace'>, options: ArmReachExpertOptions = {}) {
    checkSpaces('ArmReachExpert', env, 21);
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    this.gain = options.gain ?? 5;
    this.maxSpeed = options.maxSpeed ?? 0.6;
    this.ik = new ArmIk(options);
  }

  /** @param obs `Float32Array [numEnvs x 21]`. @returns `Float32Array [numEnvs x 6]` in [-1, 1]. */
  act(obs: Float32Array, _options?: ActOptions): Float32Array {
    const n = obs.length / 21;
    const out = new Float32Array(n * ARM_DOF);
    for (let e = 0; e < n; e++) {
      const o = obs.subarray(e * 21, (e + 1) * 21);
      const d = ARM_REACH_OBS.targetMinusEe[0];
      for (let i = 0; i < 3; i++) this.vel[i] = this.gain * o[d + i];
      capNorm(this.vel, this.maxSpeed);
      this.ik.jointVelocity(o, this.vel, this.qdot);
      writeAction(this.qdot, out, e * ARM_DOF);
    }
    return out;
  }

  /** Frees the kinematic model. Idempotent. */
  dispose(): void {
    this.ik.close();
  }
}

/** Scales `v` down so its Euclidean norm is at most `max`. */
export function capNorm(v: Float64Array, max: number): void {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const norm = Math.sqrt(sq);
  if (norm > max) for (let i = 0; i < v.length; i++) v[i] *= max / norm;
}

/** Joint speeds (rad/s) -> actions in [-1, 1], scaled uniformly so the direction is kept. */
export function writeAction(qdot: Float64Array, out: Float32Array, offset: number): void {
  let peak = 0;
  for (let i = 0; i < ARM_DOF; i++) peak = Math.max(peak, Math.abs(qdot[i] / RAD_PER_S_PER_ACTION));
  const scale = peak > 1 ? 1 / peak : 1;
  for (let i = 0; i < ARM_DOF; i++) out[offset + i] = (qdot[i] / RAD_PER_S_PER_ACTION) * scale;
}

/** Throws unless `env` has an observation of `obsDim` and 6 actions. */
export function checkSpaces(where: string, env: Pick<Env, 'observationSpace' | 'actionSpace'>, obsDim: number): void {
  const obsOk = env?.observationSpace?.flatDim === obsDim;
  const actOk = env?.actionSpace?.flatDim === ARM_DOF;
  if (!obsOk || !actOk) {
    throw new InvalidArgument(
      formatError(`${where}.env`, `an env with ${obsDim} observations and ${ARM_DOF} actions`, `${describeValue(env?.observationSpace?.flatDim)} and ${describeValue(env?.actionSpace?.flatDim)}`, 'Pass the task this expert is written for'),
    );
  }
}
