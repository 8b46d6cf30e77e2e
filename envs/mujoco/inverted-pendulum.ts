import type { ResetArgs, ResetResult, StepResult } from '../../src/core/env.js';
import { INVERTED_PENDULUM_XML } from '../../sim/assets/inverted-pendulum.js';
import { INVERTED_PENDULUM_DAMPED_XML } from '../../sim/assets/inverted-pendulum-damped.js';
import { MujocoEnv, unboundedBox, type MujocoAction, type MujocoEnvOptions } from './mujoco-env.js';

/** Options of {@link InvertedPendulum} (Gymnasium's `InvertedPendulumEnv.__init__`). */
export interface InvertedPendulumOptions extends MujocoEnvOptions {
  /** Half-width of the uniform reset noise on qpos and qvel. Default 0.01. */
  resetNoiseScale?: number;
}

/**
 * InvertedPendulum-v5, equal to Gymnasium's `InvertedPendulumEnv` (v5) on
 * lamkit's own model (`sim/assets/inverted-pendulum.ts`): keep a pole upright
 * on a cart driven by a motor.
 *
 * - Observation: `Float64Array [4]` = cart x (m), pole angle (rad), their velocities.
 * - Action: `Box(-3, 3, [1])` (x100 gear); MuJoCo clamps out-of-range values.
 * - Reward: 1 per step, 0 on the terminating step (`info.rewardSurvive`).
 * - Terminated when the observation is not finite or `|angle| > 0.2`;
 *   `make` adds `TimeLimit(1000)`.
 * - Reset: qpos and qvel + U(-0.01, 0.01), or exactly `options.qpos`/`options.qvel`.
 */
export class InvertedPendulum extends MujocoEnv {
  readonly observationSpace = unboundedBox(4);
  private readonly resetNoiseScale: number;

  /** `model`: another MJCF of the same cart-pole (a changed-dynamics variant such as {@link InvertedPendulumDamped}) and the task id its errors name. */
  constructor(options: InvertedPendulumOptions = {}, model: { envName: string; xml: string } = { envName: 'InvertedPendulum-v5', xml: INVERTED_PENDULUM_XML }) {
    super(model.envName, model.xml, 2, options);
    this.resetNoiseScale = options.resetNoiseScale ?? 0.01;
  }

  reset(args?: ResetArgs): ResetResult<Float64Array> {
    this.resetWorld(args, () => {
      const s = this.resetNoiseScale;
      const qpos = new Float64Array(2);
      const qvel = new Float64Array(2);
      for (let i = 0; i < 2; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
      for (let i = 0; i < 2; i++) qvel[i] = this.initQvel[i] + this.rng.uniform(-s, s);
      this.world.setState(qpos, qvel);
    });
    return { obs: this.observe(), info: {} };
  }

  step(action: MujocoAction): StepResult<Float64Array> {
    this.doSimulation(action);
    const obs = this.observe();
    const terminated = !(Number.isFinite(obs[0]) && Number.isFinite(obs[1]) && Number.isFinite(obs[2]) && Number.isFinite(obs[3])) || Math.abs(obs[1]) > 0.2;
    const reward = terminated ? 0 : 1;
    return { obs, reward, terminated, truncated: false, info: { rewardSurvive: reward } };
  }

  private observe(): Float64Array {
    const qpos = this.world.qpos();
    const qvel = this.world.qvel();
    return Float64Array.of(qpos[0], qpos[1], qvel[0], qvel[1]);
  }
}

/**
 * InvertedPendulum-damped-v0: {@link InvertedPendulum} with ten times the
 * joint damping (`sim/assets/inverted-pendulum-damped.ts`); same spaces,
 * reward and termination. The changed-dynamics target of reward transfer
 * (issue 14): a reward learned by AIRL on InvertedPendulum-v5 trains a
 * fresh agent here.
 */
export class InvertedPendulumDamped extends InvertedPendulum {
  constructor(options: InvertedPendulumOptions = {}) {
    super(options, { envName: 'InvertedPendulum-damped-v0', xml: INVERTED_PENDULUM_DAMPED_XML });
  }
}
