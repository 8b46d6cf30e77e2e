import type { Space } from '../../src/core/spaces/space.js';
import { BaseEnv, type EnvMetadata, type ResetArgs } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { BackendError, InvalidAction, InvalidArgument, ResetNeeded, formatError, describeValue } from '../../src/core/errors.js';
import { loadedMujoco } from '../../sim/load-mujoco.js';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { isFiniteVector } from '../classic/reset-options.js';
import type { CameraSpec, RgbImage } from '../../sim/render/scene-renderer.js';
import type { LazySceneRenderer } from '../../sim/render/lazy-scene-renderer.js';

/** An action for a MuJoCo task: `nu` numbers (Float32Array, Float64Array or number[]). */
export type MujocoAction = ArrayLike<number>;

/** A float64 `Box` typed as a space of `Float64Array` (what MuJoCo tasks observe). */
export type Float64Box = Box<Float64Array>;

/** `Box(-inf, inf, [n], 'float64')`, Gymnasium's observation space for MuJoCo tasks. */
export function unboundedBox(n: number): Float64Box {
  return new Box(-Infinity, Infinity, [n], 'float64') as Float64Box;
}

/** Options every MuJoCo task accepts. */
export interface MujocoEnvOptions {
  /** `'rgb_array'` enables {@link MujocoEnv.renderAsync}; default none. */
  renderMode?: string;
  /** Image size in pixels for `rgb_array` (default: the renderer's, 84 x 84). */
  width?: number;
  height?: number;
}

/**
 * Base of lamkit's MuJoCo tasks (Gymnasium's `MujocoEnv`): owns one
 * {@link MujocoWorld}, maps an action to `ctrl` and advances `frameSkip`
 * physics steps per env step.
 *
 * Construction is synchronous, so MuJoCo's WASM module must be loaded first:
 * `await loadMujoco()` or `await makeAsync(id)` (registrations declare it in
 * `prepare`).
 *
 * Observations are `Float64Array` (float64, as Gymnasium's), owned by the
 * caller. Actions are not clipped by the task: MuJoCo clamps `ctrl` to each
 * actuator's `ctrlrange` (as Gymnasium does); only a wrong length or a
 * non-finite entry is rejected.
 */
export abstract class MujocoEnv<Obs = Float64Array> extends BaseEnv<Obs, MujocoAction> {
  /** A float64 Box for the flat tasks; a `Dict` (e.g. `{ instruction, state }`) for instruction-following ones. */
  abstract override readonly observationSpace: Space<Obs> & (Obs extends Float64Array ? Float64Box : unknown);
  readonly actionSpace: Box;
  override readonly metadata: EnvMetadata;
  /** The physics world (poses for scenes/viewers, Jacobians for experts). */
  readonly world: MujocoWorld;
  /** Physics steps per env step. */
  readonly frameSkip: number;
  /** `qpos`/`qvel` of the model's initial state (Gymnasium's `init_qpos`/`init_qvel`). */
  protected readonly initQpos: Float64Array;
  protected readonly initQvel: Float64Array;
  protected hasReset = false;
  override readonly renderMode?: string;
  protected readonly envName: string;
  private readonly renderSize: { width?: number; height?: number };
  private images: Promise<LazySceneRenderer> | null = null;

  constructor(envName: string, xml: string, frameSkip: number, options: MujocoEnvOptions = {}) {
    super();
    this.envName = envName;
    if (options.renderMode !== undefined && options.renderMode !== 'rgb_array') {
      throw new InvalidArgument(formatError(`${envName}.renderMode`, "'rgb_array' or undefined", describeValue(options.renderMode), "Pass renderMode: 'rgb_array' or omit it"));
    }
    this.renderMode = options.renderMode;
    this.renderSize = { width: options.width, height: options.height };
    const mj = loadedMujoco();
    if (!mj) {
      throw new BackendError(
        formatError(`${envName}`, 'the MuJoCo WASM module to be loaded before construction', 'it is not loaded yet', `Use await makeAsync('${envName}') or await loadMujoco() first`),
      );
    }
    this.world = MujocoWorld.createSync(mj, { xml, name: envName });
    this.frameSkip = frameSkip;
    this.initQpos = this.world.qpos().slice();
    this.initQvel = this.world.qvel().slice();
    const range = this.world.model.actuator_ctrlrange as Float64Array;
    const nu = this.world.nu;
    const low: number[] = [];
    const high: number[] = [];
    for (let i = 0; i < nu; i++) {
      low.push(range[2 * i]);
      high.push(range[2 * i + 1]);
    }
    this.actionSpace = new Box(low, high, [nu], 'float32');
    this.metadata = { renderModes: ['rgb_array'], renderFps: Math.round(1 / this.dt) };
  }

  /** Seconds per env step (`timestep x frameSkip`). */
  get dt(): number {
    return this.world.timestepSeconds * this.frameSkip;
  }

  /**
   * Starts an episode like Gymnasium's `MujocoEnv.reset`: `mj_resetData`,
   * then either the exact `options.qpos`/`options.qvel` (both required; used
   * to replay reference episodes) or the task's random initial state.
   */
  protected resetWorld(args: ResetArgs | undefined, randomInit: () => void): void {
    this.seedRng(args);
    this.world.reset();
    const options = args?.options;
    if (options?.qpos !== undefined || options?.qvel !== undefined) {
      const { qpos, qvel } = options;
      if (!isFiniteVector(qpos, this.world.nq) || !isFiniteVector(qvel, this.world.nv)) {
        throw new InvalidArgument(
          formatError(
            `${this.envName}.reset.options`,
            `qpos of ${this.world.nq} and qvel of ${this.world.nv} finite numbers`,
            `qpos=${describeValue(qpos)}, qvel=${describeValue(qvel)}`,
            'Pass both, e.g. { qpos: [...], qvel: [...] }',
          ),
        );
      }
      this.world.setState(qpos, qvel);
    } else {
      randomInit();
    }
    this.hasReset = true;
  }

  /** Validates `action`, writes it to `ctrl` and advances `frameSkip` physics steps (Gymnasium's `do_simulation`). */
  protected doSimulation(action: MujocoAction): void {
    const ctrl = this.world.ctrl();
    const n = ctrl.length;
    if (action === null || typeof action !== 'object' || action.length !== n) throw this.invalidAction(action);
    for (let i = 0; i < n; i++) {
      const a = action[i];
      if (typeof a !== 'number' || !Number.isFinite(a)) throw this.invalidAction(action);
    }
    if (!this.hasReset) {
      throw new ResetNeeded(formatError(`${this.envName}.step`, 'reset() before step()', 'step() on an env that was never reset', 'Call env.reset() first'));
    }
    for (let i = 0; i < n; i++) ctrl[i] = action[i];
    this.world.step(this.frameSkip);
  }

  /**
   * Renders the current state as an RGB image (`Uint8Array [height x width
   * x 3]`) with three.js in headless Chromium (sim/render). Needs
   * `renderMode: 'rgb_array'`; the first call starts the renderer (seconds).
   * Asynchronous because the image comes from another process, which is why
   * the synchronous `render()` is not offered.
   */
  async renderAsync(camera?: CameraSpec): Promise<RgbImage> {
    if (this.renderMode !== 'rgb_array') {
      throw new InvalidArgument(formatError(`${this.envName}.renderAsync`, "an env made with renderMode 'rgb_array'", `renderMode ${describeValue(this.renderMode)}`, "Pass { renderMode: 'rgb_array' } to make"));
    }
    // Loaded on first use so importing a task never pulls in browser code.
    this.images ??= import('../../sim/render/lazy-scene-renderer.js').then((m) => new m.LazySceneRenderer(this.renderSize));
    return (await this.images).render(this.world, camera);
  }

  /** Frees the MuJoCo model and data (and the renderer, if one was started). Idempotent. */
  override close(): void {
    if (this.images) void this.images.then((r) => r.close());
    this.images = null;
    this.world.close();
  }

  private invalidAction(action: unknown): InvalidAction {
    return new InvalidAction(
      formatError(`${this.envName}.step.action`, `${this.world.nu} finite numbers (values outside ${this.actionSpace.toString()} are clamped by MuJoCo)`, describeValue(action), 'Pass a Float32Array of the action space shape'),
    );
  }
}

export { isFiniteVector };
