import type { Env } from '../../src/core/env.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { ArmExpert, type ArmExpertOptions } from './arm-expert.js';
import { Box } from '../../src/core/spaces/box.js';
import { LangReach, LANG_REACH_CLEAR_QPOS, LANG_REACH_SEEN_PIXELS, langReachObjectPixels } from './lang-reach.js';

/** Options of {@link LangReachExpert}. */
export interface LangReachExpertOptions extends ArmExpertOptions {
  /** Cap on the commanded end-effector speed (m/s). Default 0.6. */
  maxSpeed?: number;
  /**
   * First move the arm, in joint space, to {@link LANG_REACH_CLEAR_QPOS} (folded back, out of the camera's view of the
   * objects) until every joint is within `lookToleranceRad` of it (or `lookMaxSteps` steps have passed), then reach.
   * On `LangReach-v0`, whose start posture hides the target from the camera in some scenes, demonstrations recorded
   * this way show the target before the reach starts. Default false (reach at once).
   */
  lookFirst?: boolean;
  /**
   * Move clear as `lookFirst` does, but only while the target is hidden from the camera and has not been seen yet this
   * episode (fewer than {@link LANG_REACH_SEEN_PIXELS} target-coloured pixels at its place in the observed image, see
   * {@link langReachObjectPixels}); reach at once when it is in sight. Needs image observations (an env from
   * `makeImageEnv`, as `lamkit record` makes for LangReach). Not with `lookFirst`. Default false.
   */
  lookIfHidden?: boolean;
  /** With `lookFirst` or `lookIfHidden`: the largest joint error (rad) at which the reach starts. Default 0.2. */
  lookToleranceRad?: number;
  /** With `lookFirst` or `lookIfHidden`: the most steps spent moving clear. Default 20. */
  lookMaxSteps?: number;
  /** With `lookFirst` or `lookIfHidden`: joint-space gain (1/s) of the move clear. Default 8. */
  lookGain?: number;
}

/** Where a camera image lies in an observation row (offset, size) and a reused byte copy of it. */
interface ImageRow {
  offset: number;
  height: number;
  width: number;
  pixels: Uint8Array;
}

/**
 * Scripted expert of `LangReach-v0` and `-v1` (a {@link Policy}): it cheats,
 * as the issue allows: it reads the target's place from the simulator
 * (`LangReach.targetPoint`, privileged) instead of the words and the image,
 * then moves like `ArmReachExpert` (Cartesian P controller, speed cap,
 * damped-least-squares IK from the observed joint angles); with `lookFirst`
 * it first moves the arm clear of the camera in joint space, with
 * `lookIfHidden` only while the target is hidden in the observed image, its
 * phase kept per episode (`LangReach.episodeSteps`). So it labels demonstrations for
 * behaviour cloning, for the one env it was built on (one observation row
 * per call).
 */
export class LangReachExpert extends ArmExpert {
  private readonly env: LangReach;
  private readonly maxSpeed: number;
  private readonly look: { tolerance: number; maxSteps: number; gain: number } | null;
  /** With `lookIfHidden` (else null): where the camera image lies in an observation row, and its size. */
  private readonly image: ImageRow | null = null;
  /** With `lookFirst` or `lookIfHidden`: still moving clear in this episode. */
  private clearing = false;

  /** @param env a LangReach env, v0 or v1 (wrapped or not): the expert reads its simulator. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace' | 'unwrapped'>, options: LangReachExpertOptions = {}) {
    const inner = env?.unwrapped;
    const space = env?.observationSpace;
    if (!(inner instanceof LangReach) || !(space instanceof Dict) || !space.spaces.instruction) {
      throw new InvalidArgument(formatError('LangReachExpert.env', 'a LangReach-v0 env (wrapped or not)', String(space), "Build it with makeAsync('LangReach-v0')"));
    }
    // Flat Dict rows in sorted keys (image when a camera is added, instruction, state): the state's first 6 entries are the joint angles.
    let stateOffset = 0;
    let image: ImageRow | null = null;
    for (const k of space.keys) {
      if (k === 'state') break;
      const sub = space.spaces[k];
      if (k === 'image' && sub instanceof Box && sub.shape.length === 3 && sub.shape[2] === 3) {
        image = { offset: stateOffset, height: sub.shape[0], width: sub.shape[1], pixels: new Uint8Array(sub.flatDim) };
      }
      stateOffset += sub.flatDim;
    }
    super('LangReachExpert', env, space.flatDim, options, stateOffset);
    this.env = inner;
    this.maxSpeed = options.maxSpeed ?? 0.6;
    if (options.lookFirst !== undefined && typeof options.lookFirst !== 'boolean') {
      throw new InvalidArgument(formatError('LangReachExpert.lookFirst', 'true or false', describeValue(options.lookFirst), 'Pass lookFirst: true to move clear of the camera first, or omit it'));
    }
    if (options.lookIfHidden !== undefined && typeof options.lookIfHidden !== 'boolean') {
      throw new InvalidArgument(formatError('LangReachExpert.lookIfHidden', 'true or false', describeValue(options.lookIfHidden), 'Pass lookIfHidden: true to move clear only while the target is hidden, or omit it'));
    }
    if (options.lookFirst === true && options.lookIfHidden === true) {
      throw new InvalidArgument(formatError('LangReachExpert.options', 'one of lookFirst and lookIfHidden', 'both', 'Keep lookFirst to always move clear first, or lookIfHidden to move clear only while the target is hidden'));
    }
    const looks = options.lookFirst === true || options.lookIfHidden === true;
    const stray = (['lookToleranceRad', 'lookMaxSteps', 'lookGain'] as const).filter((k) => options[k] !== undefined);
    if (!looks && stray.length > 0) {
      throw new InvalidArgument(formatError('LangReachExpert.options', `${stray.join(', ')} only with lookFirst or lookIfHidden: true`, `them without either`, 'Add lookFirst: true (or lookIfHidden: true), or drop them'));
    }
    if (options.lookIfHidden === true) {
      if (!image) throw new InvalidArgument(formatError('LangReachExpert.lookIfHidden', "an env with camera images (an 'image' key, [height, width, 3])", `observation keys ${space.keys.join(', ')}`, "Build the env with makeImageEnv (lamkit record does, unless --no-images), or use lookFirst"));
      this.image = image;
    }
    this.look = looks ? { tolerance: lookOption('lookToleranceRad', options.lookToleranceRad, 0.2, false), maxSteps: lookOption('lookMaxSteps', options.lookMaxSteps, 20, true), gain: lookOption('lookGain', options.lookGain, 8, false) } : null;
  }

  override act(obs: Float32Array): Float32Array {
    if (obs.length !== this.observationSpace.flatDim) {
      throw new InvalidArgument(formatError('LangReachExpert.act.obs', `one observation row (${this.observationSpace.flatDim} numbers): the expert reads its own env's simulator`, `${obs.length} numbers`, 'Build one expert per env'));
    }
    if (this.look) {
      if (this.env.episodeSteps === 0) this.clearing = true;
      if (this.clearing && this.image && this.targetInSight(obs, this.image)) this.clearing = false;
      if (this.clearing) {
        let err = 0;
        for (let i = 0; i < LANG_REACH_CLEAR_QPOS.length; i++) err = Math.max(err, Math.abs(LANG_REACH_CLEAR_QPOS[i] - obs[this.stateOffset + i]));
        if (err <= this.look.tolerance || this.env.episodeSteps >= this.look.maxSteps) this.clearing = false;
      }
      if (this.clearing) {
        const out = new Float32Array(6);
        this.jointAction(obs, LANG_REACH_CLEAR_QPOS, this.look.gain, out, 0);
        return out;
      }
    }
    return super.act(obs);
  }

  /** `lookIfHidden`: the target shows in the observation row's image ({@link LANG_REACH_SEEN_PIXELS} pixels or more). */
  private targetInSight(obs: Float32Array, im: ImageRow): boolean {
    for (let i = 0; i < im.pixels.length; i++) im.pixels[i] = obs[im.offset + i];
    const target = this.env.objects()[0];
    return langReachObjectPixels(im.pixels, im.width, im.height, target) >= LANG_REACH_SEEN_PIXELS;
  }

  protected override cartesianVelocity(_o: Float32Array, vel: Float64Array): number {
    const p = this.env.targetPoint();
    const ee = this.env.endEffector();
    for (let i = 0; i < 3; i++) vel[i] = this.gain * (p[i] - ee[i]);
    return this.maxSpeed;
  }
}

/** A positive number (an integer when `integer`) for a `lookFirst` option, or its default when absent. */
function lookOption(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidArgument(formatError(`LangReachExpert.${name}`, integer ? 'a positive integer' : 'a positive number', describeValue(value), `Omit it for ${fallback}`));
  }
  return value;
}
