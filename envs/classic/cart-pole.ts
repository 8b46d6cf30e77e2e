import { BaseEnv, type EnvMetadata, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { InvalidAction, InvalidArgument, ResetNeeded, formatError, describeValue } from '../../src/core/errors.js';
import { isFiniteVector, resetBounds } from './reset-options.js';

/** Options of {@link CartPole}'s constructor (Gymnasium's `CartPoleEnv.__init__`). */
export interface CartPoleOptions {
  /** Gymnasium 1.x `sutton_barto_reward`: 0 per step and -1 on termination instead of +1 per step. Default false. */
  suttonBartoReward?: boolean;
  /** Only `undefined` is supported for now (no renderer yet). */
  renderMode?: string;
  /** Mass of the pole in kg (Gymnasium: 0.1); changed-dynamics variants (CartPole-heavy-v0) set it. */
  massPoleKg?: number;
  /** Half the pole's length in metres (Gymnasium: 0.5). */
  poleHalfLengthM?: number;
}

// Constants of Gymnasium's CartPoleEnv (gymnasium/envs/classic_control/cartpole.py).
const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
/** Half the pole's length (metres). */
const LENGTH = 0.5;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU_SECONDS = 0.02;
/** Angle at which the episode fails: 12 degrees. */
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

/**
 * CartPole-v1, identical to Gymnasium's `CartPoleEnv` (Barto, Sutton &
 * Anderson 1983): a pole hinged on a cart; push the cart left (action 0) or
 * right (action 1) by 10 N to keep the pole upright.
 *
 * - Observation: `Float32Array [4]` = `[x, xDot, theta, thetaDot]` (metres,
 *   m/s, radians, rad/s), in `Box([-4.8, -inf, -0.419, -inf], [4.8, inf, 0.419, inf])`.
 * - Action: `Discrete(2)`.
 * - Reward: 1 every step, including the terminating one (0 for steps taken
 *   after termination without a reset, as Gymnasium).
 * - Terminated when `|x| > 2.4` or `|theta| > 12 deg`. `make` adds
 *   `TimeLimit(500)`.
 * - Reset: every state variable uniform in [-0.05, 0.05] (Gymnasium's
 *   `options.low`/`options.high` change the bounds), or exactly
 *   `options.state` when given.
 *
 * The state is integrated in float64 with Gymnasium's formulas in the same
 * order (explicit Euler), so trajectories match Gymnasium's bit for bit.
 */
export class CartPole extends BaseEnv<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Discrete;
  override readonly metadata: EnvMetadata = { renderModes: [], renderFps: 50 };
  private readonly suttonBartoReward: boolean;
  // Gymnasium's derived constants, computed in its order (bit-for-bit trajectories).
  private readonly massPole: number;
  private readonly length: number;
  private readonly totalMass: number;
  private readonly polemassLength: number;
  // State (float64). `hasState` is false until the first reset.
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Gymnasium's `steps_beyond_terminated`: -1 while the episode runs (None). */
  private stepsBeyondTerminated = -1;

  constructor(options: CartPoleOptions = {}) {
    super();
    if (options.renderMode !== undefined) {
      throw new InvalidArgument(
        formatError('CartPole.renderMode', 'undefined (CartPole has no renderer yet)', describeValue(options.renderMode), 'Omit renderMode'),
      );
    }
    this.suttonBartoReward = options.suttonBartoReward ?? false;
    for (const [k, v] of [['massPoleKg', options.massPoleKg], ['poleHalfLengthM', options.poleHalfLengthM]] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new InvalidArgument(formatError(`CartPole.${k}`, 'a positive number or undefined', describeValue(v), `Pass e.g. ${k === 'massPoleKg' ? '0.1' : '0.5'} or omit it`));
      }
    }
    this.massPole = options.massPoleKg ?? MASS_POLE;
    this.length = options.poleHalfLengthM ?? LENGTH;
    this.totalMass = this.massPole + MASS_CART;
    this.polemassLength = this.massPole * this.length;
    const high = [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity];
    this.observationSpace = new Box<Float32Array>(high.map((h) => -h), high, [4], 'float32');
    this.actionSpace = new Discrete(2);
  }

  /** The float64 state `[x, xDot, theta, thetaDot]` (a copy), or null before the first reset. */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.x, this.xDot, this.theta, this.thetaDot) : null;
  }

  /**
   * Starts an episode. `options.state` (4 finite numbers) sets the state
   * exactly; otherwise each variable is drawn uniformly from
   * `[options.low ?? -0.05, options.high ?? 0.05]`.
   */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args);
    const options = args?.options;
    const state = options?.state;
    if (state !== undefined) {
      if (!isFiniteVector(state, 4)) {
        throw new InvalidArgument(
          formatError('CartPole.reset.options.state', '4 finite numbers [x, x_dot, theta, theta_dot]', describeValue(state), 'Pass e.g. { state: [0, 0, 0.05, 0] }'),
        );
      }
      this.x = state[0];
      this.xDot = state[1];
      this.theta = state[2];
      this.thetaDot = state[3];
    } else {
      const [low, high] = resetBounds('CartPole.reset.options', options, -0.05, 0.05);
      this.x = this.rng.uniform(low, high);
      this.xDot = this.rng.uniform(low, high);
      this.theta = this.rng.uniform(low, high);
      this.thetaDot = this.rng.uniform(low, high);
    }
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) throw this.invalidAction(action);
    if (!this.hasState) {
      throw new ResetNeeded(formatError('CartPole.step', 'reset() before step()', 'step() on an env that was never reset', 'Call env.reset() first'));
    }
    const x = this.x;
    const xDot = this.xDot;
    const theta = this.theta;
    const thetaDot = this.thetaDot;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    // https://coneural.org/florian/papers/05_cart_pole.pdf; same operation order as Gymnasium.
    const temp = (force + this.polemassLength * (thetaDot * thetaDot) * sintheta) / this.totalMass;
    const thetaacc = (GRAVITY * sintheta - costheta * temp) / (this.length * (4.0 / 3.0 - (this.massPole * (costheta * costheta)) / this.totalMass));
    const xacc = temp - (this.polemassLength * thetaacc * costheta) / this.totalMass;
    // Gymnasium's default kinematics_integrator "euler".
    this.x = x + TAU_SECONDS * xDot;
    this.xDot = xDot + TAU_SECONDS * xacc;
    this.theta = theta + TAU_SECONDS * thetaDot;
    this.thetaDot = thetaDot + TAU_SECONDS * thetaacc;

    const terminated =
      this.x < -X_THRESHOLD || this.x > X_THRESHOLD || this.theta < -THETA_THRESHOLD_RADIANS || this.theta > THETA_THRESHOLD_RADIANS;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // The pole just fell.
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      // Stepping after termination is undefined behaviour in Gymnasium (it warns); it returns 0 (or -1).
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return { obs: this.observe(), reward, terminated, truncated: false, info: {} };
  }

  private observe(): Float32Array {
    const obs = new Float32Array(4);
    obs[0] = this.x;
    obs[1] = this.xDot;
    obs[2] = this.theta;
    obs[3] = this.thetaDot;
    return obs;
  }

  private invalidAction(action: unknown): InvalidAction {
    return new InvalidAction(
      formatError('CartPole.step.action', `an action in ${this.actionSpace.toString()}`, describeValue(action), 'Pass 0 (push left) or 1 (push right)'),
    );
  }
}
