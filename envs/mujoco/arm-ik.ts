import { Matrix, solve } from 'ml-matrix';
import { BackendError, formatError } from '../../src/core/errors.js';
import { loadedMujoco } from '../../sim/load-mujoco.js';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { armXml, ARM_HOME_QPOS } from '../../sim/assets/arm.js';
import { ARM_DOF } from './arm-env.js';

/** Options of {@link ArmIk}. */
export interface ArmIkOptions {
  /** Damping of the least-squares solve (m). Default 0.05. */
  dampingM?: number;
  /** Gain pulling the joints toward the home posture inside the Jacobian's null space (1/s). Default 1. */
  postureGain?: number;
}

/**
 * Differential inverse kinematics for lamkit's arm: joint speeds that move
 * the end effector with a requested Cartesian velocity, by damped least
 * squares (Nakamura & Hanafusa 1986; Wampler 1986):
 *
 *   qdot = J^T (J J^T + lambda^2 I)^-1 v  +  (I - J^+ J) k (q_home - q)
 *
 * where `J` is the 3 x 6 translational Jacobian of the `ee` site. The
 * Jacobian comes from a private kinematic copy of the model set to the
 * observed joint angles, so an expert built on it acts from observations
 * alone.
 */
export class ArmIk {
  private readonly world: MujocoWorld;
  private readonly lambda2: number;
  private readonly postureGain: number;
  private readonly jac: Float64Array;

  constructor(options: ArmIkOptions = {}) {
    const mj = loadedMujoco();
    if (!mj) {
      throw new BackendError(formatError('ArmIk', 'the MuJoCo WASM module to be loaded', 'it is not loaded yet', 'Await loadMujoco() (or makeAsync) first'));
    }
    this.world = MujocoWorld.createSync(mj, { xml: armXml({ puck: false, name: 'arm_kinematics' }) });
    const damping = options.dampingM ?? 0.05;
    this.lambda2 = damping * damping;
    this.postureGain = options.postureGain ?? 1;
    this.jac = new Float64Array(3 * this.world.nv);
  }

  /**
   * Joint speeds (rad/s) for end-effector velocity `velWorld` (m/s) at joint
   * angles `q` (first 6 entries used), written into `out` (`Float64Array [6]`).
   */
  jointVelocity(q: ArrayLike<number>, velWorld: ArrayLike<number>, out: Float64Array): Float64Array {
    const qpos = this.world.qpos();
    for (let i = 0; i < ARM_DOF; i++) qpos[i] = q[i];
    this.world.forward();
    this.world.jacSite('ee', this.jac);
    const nv = this.world.nv;
    const J = new Matrix(3, ARM_DOF);
    for (let r = 0; r < 3; r++) for (let c = 0; c < ARM_DOF; c++) J.set(r, c, this.jac[r * nv + c]);
    const Jt = J.transpose();
    const A = J.mmul(Jt);
    for (let i = 0; i < 3; i++) A.set(i, i, A.get(i, i) + this.lambda2);
    // Task-space term.
    const y = solve(A, Matrix.columnVector([velWorld[0], velWorld[1], velWorld[2]]));
    const qdotTask = Jt.mmul(y);
    // Posture term projected into the (damped) null space: z - J^+ J z.
    const z = new Matrix(ARM_DOF, 1);
    for (let i = 0; i < ARM_DOF; i++) z.set(i, 0, this.postureGain * (ARM_HOME_QPOS[i] - q[i]));
    const zProj = Jt.mmul(solve(A, J.mmul(z)));
    for (let i = 0; i < ARM_DOF; i++) out[i] = qdotTask.get(i, 0) + z.get(i, 0) - zProj.get(i, 0);
    return out;
  }

  /** Frees the kinematic model. Idempotent. */
  close(): void {
    this.world.close();
  }
}
