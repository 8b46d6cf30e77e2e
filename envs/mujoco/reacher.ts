import type { ResetArgs, ResetResult, StepResult } from '../../src/core/env.js';
import { REACHER_XML } from '../../sim/assets/reacher.js';
import { MujocoEnv, unboundedBox, type MujocoAction, type MujocoEnvOptions } from './mujoco-env.js';

/** Options of {@link Reacher} (Gymnasium's `ReacherEnv.__init__`). */
export interface ReacherOptions extends MujocoEnvOptions {
  /** Weight of `-|fingertip - target|`. Default 1. */
  rewardDistWeight?: number;
  /** Weight of `-sum(action^2)`. Default 1. */
  rewardControlWeight?: number;
}

/**
 * Reacher-v5, equal to Gymnasium's `ReacherEnv` (v5) on lamkit's own model
 * (`sim/assets/reacher.ts`): move a two-link planar arm's fingertip to a
 * random target.
 *
 * - Observation: `Float64Array [10]` = cos q0, cos q1, sin q0, sin q1,
 *   target x, target y, qdot0, qdot1, (fingertip - target) x, y.
 * - Action: `Box(-1, 1, [2])` torques (x200 gear); out-of-range values are
 *   clamped by MuJoCo, while the control cost uses the raw action.
 * - Reward (after the step): `-|fingertip - target|` (3-D) `- sum(action^2)`;
 *   `info.rewardDist`, `info.rewardCtrl` (Gymnasium's `reward_dist`, `reward_ctrl`).
 * - Never terminates; `make` adds `TimeLimit(50)`.
 * - Reset: arm angles + U(-0.1, 0.1), target uniform in the disk of radius
 *   0.2 (rejection sampling), arm velocities + U(-0.005, 0.005); or exactly
 *   `options.qpos`/`options.qvel`.
 */
export class Reacher extends MujocoEnv {
  readonly observationSpace = unboundedBox(10);
  private readonly rewardDistWeight: number;
  private readonly rewardControlWeight: number;
  private readonly fingertip: number;
  private readonly target: number;

  constructor(options: ReacherOptions = {}) {
    super('Reacher-v5', REACHER_XML, 2, options);
    this.rewardDistWeight = options.rewardDistWeight ?? 1;
    this.rewardControlWeight = options.rewardControlWeight ?? 1;
    this.fingertip = this.world.id('body', 'fingertip');
    this.target = this.world.id('body', 'target');
  }

  reset(args?: ResetArgs): ResetResult<Float64Array> {
    this.resetWorld(args, () => {
      const rng = this.rng;
      const qpos = new Float64Array(4);
      for (let i = 0; i < 4; i++) qpos[i] = this.initQpos[i] + rng.uniform(-0.1, 0.1);
      let gx: number, gy: number;
      do {
        gx = rng.uniform(-0.2, 0.2);
        gy = rng.uniform(-0.2, 0.2);
      } while (Math.hypot(gx, gy) >= 0.2);
      qpos[2] = gx;
      qpos[3] = gy;
      const qvel = new Float64Array(4);
      for (let i = 0; i < 2; i++) qvel[i] = this.initQvel[i] + rng.uniform(-0.005, 0.005);
      this.world.setState(qpos, qvel);
    });
    return { obs: this.observe(), info: {} };
  }

  step(action: MujocoAction): StepResult<Float64Array> {
    this.doSimulation(action);
    const xpos = this.world.xpos();
    const f = 3 * this.fingertip;
    const t = 3 * this.target;
    const dx = xpos[f] - xpos[t];
    const dy = xpos[f + 1] - xpos[t + 1];
    const dz = xpos[f + 2] - xpos[t + 2];
    const rewardDist = -Math.sqrt(dx * dx + dy * dy + dz * dz) * this.rewardDistWeight;
    let sq = 0;
    for (let i = 0; i < action.length; i++) sq += action[i] * action[i];
    const rewardCtrl = -sq * this.rewardControlWeight;
    return { obs: this.observe(), reward: rewardDist + rewardCtrl, terminated: false, truncated: false, info: { rewardDist, rewardCtrl } };
  }

  private observe(): Float64Array {
    const qpos = this.world.qpos();
    const qvel = this.world.qvel();
    const xpos = this.world.xpos();
    const f = 3 * this.fingertip;
    const t = 3 * this.target;
    const obs = new Float64Array(10);
    obs[0] = Math.cos(qpos[0]);
    obs[1] = Math.cos(qpos[1]);
    obs[2] = Math.sin(qpos[0]);
    obs[3] = Math.sin(qpos[1]);
    obs[4] = qpos[2];
    obs[5] = qpos[3];
    obs[6] = qvel[0];
    obs[7] = qvel[1];
    obs[8] = xpos[f] - xpos[t];
    obs[9] = xpos[f + 1] - xpos[t + 1];
    return obs;
  }
}
