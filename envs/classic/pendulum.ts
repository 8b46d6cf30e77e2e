import { BaseEnv, type EnvMetadata, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { InvalidAction, InvalidArgument, ResetNeeded, formatError, describeValue } from '../../src/core/errors.js';
import { isFiniteVector, numberOption } from './reset-options.js';

/** Options of {@link Pendulum}'s constructor (Gymnasium's `PendulumEnv.__init__`). */
export interface PendulumOptions {
  /** Gravity (m/s^2). Default 10.0, as Gymnasium. */
  g?: number;
  /** Only `undefined` is supported for now (no renderer yet). */
  renderMode?: string;
}

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT_SECONDS = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;
/** Gymnasium's reset defaults: theta in [-pi, pi], theta_dot in [-1, 1]. */
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;
const TWO_PI = 2 * Math.PI;

/**
 * Pendulum-v1, identical to Gymnasium's `PendulumEnv`: swing a frictionless
 * pendulum up and keep it upright with a bounded torque.
 *
 * - Observation: `Float32Array [3]` = `[cos(theta), sin(theta), thetaDot]`
 *   in `Box([-1, -1, -8], [1, 1, 8])` (theta in radians, 0 = upright).
 * - Action: `Float32Array [1]` torque (N m) in `Box(-2, 2, [1])`. Torques
 *   outside [-2, 2] are clipped, as Gymnasium does; NaN or a wrong length
 *   is an `InvalidAction`.
 * - Reward: `-(angleNormalize(theta)^2 + 0.1 thetaDot^2 + 0.001 u^2)`, from
 *   the state before the step. Never terminates; `make` adds `TimeLimit(200)`.
 * - Reset: theta uniform in `[-x_init, x_init]` (default pi), thetaDot in
 *   `[-y_init, y_init]` (default 1), or exactly `options.state = [theta, thetaDot]`.
 *
 * Float64 maths in Gymnasium's order. A `Float32Array` action follows
 * numpy's float32 rules (`3 * u` and `0.001 * u**2` rounded to float32), any
 * other numeric array is float64, so both match Gymnasium bit for bit.
 */
export class Pendulum extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Box<Float32Array>;
  override readonly metadata: EnvMetadata = { renderModes: [], renderFps: 30 };
  /** Gravity (m/s^2). */
  readonly g: number;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** The last applied (clipped) torque, or NaN before the first step of an episode (Gymnasium's `last_u`). */
  lastTorque = NaN;

  constructor(options: PendulumOptions = {}) {
    super();
    if (options.renderMode !== undefined) {
      throw new InvalidArgument(
        formatError('Pendulum.renderMode', 'undefined (Pendulum has no renderer yet)', describeValue(options.renderMode), 'Omit renderMode'),
      );
    }
    const g = options.g ?? 10.0;
    if (typeof g !== 'number' || !Number.isFinite(g)) {
      throw new InvalidArgument(formatError('Pendulum.g', 'a finite number (m/s^2)', describeValue(g), 'Omit g for 10.0'));
    }
    this.g = g;
    this.observationSpace = new Box<Float32Array>([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED], [3], 'float32');
    this.actionSpace = new Box<Float32Array>(-MAX_TORQUE, MAX_TORQUE, [1], 'float32');
  }

  /** The float64 state `[theta, thetaDot]` (a copy), or null before the first reset. */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.theta, this.thetaDot) : null;
  }

  /**
   * Starts an episode. `options.state` sets `[theta, thetaDot]` exactly;
   * otherwise Gymnasium's `options.x_init` / `options.y_init` bound the
   * uniform draw of theta / thetaDot.
   */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args);
    const options = args?.options;
    const state = options?.state;
    if (state !== undefined) {
      if (!isFiniteVector(state, 2)) {
        throw new InvalidArgument(
          formatError('Pendulum.reset.options.state', '2 finite numbers [theta, theta_dot]', describeValue(state), 'Pass e.g. { state: [3.14, 0] }'),
        );
      }
      this.theta = state[0];
      this.thetaDot = state[1];
    } else {
      const x = numberOption('Pendulum.reset.options', options, 'x_init', DEFAULT_X);
      const y = numberOption('Pendulum.reset.options', options, 'y_init', DEFAULT_Y);
      this.theta = this.rng.uniform(-x, x);
      this.thetaDot = this.rng.uniform(-y, y);
    }
    this.hasState = true;
    this.lastTorque = NaN;
    return { obs: this.observe(), info: {} };
  }

  step(action: Float32Array): StepResult<Float32Array> {
    // Hot path: one check that rejects non-arrays, wrong lengths and NaN.
    const a = (action as ArrayLike<number> | null | undefined)?.[0];
    if (typeof a !== 'number' || a !== a || (action as ArrayLike<number>).length !== 1) throw this.invalidAction(action);
    if (!this.hasState) {
      throw new ResetNeeded(formatError('Pendulum.step', 'reset() before step()', 'step() on an env that was never reset', 'Call env.reset() first'));
    }
    const th = this.theta;
    const thdot = this.thetaDot;
    const f32 = action instanceof Float32Array;
    // np.clip(u, -max_torque, max_torque)[0]
    const u = a < -MAX_TORQUE ? -MAX_TORQUE : a > MAX_TORQUE ? MAX_TORQUE : a;
    this.lastTorque = u;
    const uSq = f32 ? Math.fround(u * u) : u * u;
    const torqueCost = f32 ? Math.fround(Math.fround(0.001) * uSq) : 0.001 * uSq;
    const thNorm = angleNormalize(th);
    const costs = thNorm * thNorm + 0.1 * (thdot * thdot) + torqueCost;
    const torqueTerm = f32 ? Math.fround((3.0 / (MASS * LENGTH * LENGTH)) * u) : (3.0 / (MASS * LENGTH * LENGTH)) * u;
    let newthdot = thdot + (((3 * this.g) / (2 * LENGTH)) * Math.sin(th) + torqueTerm) * DT_SECONDS;
    newthdot = newthdot < -MAX_SPEED ? -MAX_SPEED : newthdot > MAX_SPEED ? MAX_SPEED : newthdot;
    this.theta = th + newthdot * DT_SECONDS;
    this.thetaDot = newthdot;
    return { obs: this.observe(), reward: -costs, terminated: false, truncated: false, info: {} };
  }

  private observe(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = Math.cos(this.theta);
    obs[1] = Math.sin(this.theta);
    obs[2] = this.thetaDot;
    return obs;
  }

  private invalidAction(action: unknown): InvalidAction {
    return new InvalidAction(
      formatError('Pendulum.step.action', `an action in ${this.actionSpace.toString()} (one torque, not NaN)`, describeValue(action), 'Pass e.g. Float32Array.of(0.5); torques outside [-2, 2] are clipped'),
    );
  }
}

/** Gymnasium's `angle_normalize`: `((x + pi) % (2 pi)) - pi` with Python's floored modulo, in [-pi, pi). */
export function angleNormalize(x: number): number {
  let r = (x + Math.PI) % TWO_PI;
  if (r < 0) r += TWO_PI;
  return r - Math.PI;
}
