import type { ResetArgs, ResetResult, StepResult } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { armXml } from '../../sim/assets/arm.js';
import { ArmEnv, ARM_DOF, type ArmEnvOptions } from './arm-env.js';
import type { MujocoAction } from './mujoco-env.js';

/** Object colours of LangReach-v0 and their `rgba`. */
export const LANG_REACH_COLOURS = { red: '0.9 0.15 0.15 1', green: '0.15 0.7 0.2 1', blue: '0.15 0.3 0.9 1', yellow: '0.95 0.85 0.1 1' } as const;
/** Object shapes and the words an instruction may use for each. */
export const LANG_REACH_SHAPES = { ball: ['ball', 'sphere'], cube: ['cube', 'box', 'block'] } as const;
/** Instruction openings; the instruction is `<verb> the <colour> <shape word>`. */
export const LANG_REACH_VERBS = ['touch', 'go to', 'reach', 'move to', 'point at', 'tap'] as const;

type Colour = keyof typeof LANG_REACH_COLOURS;
type Shape = keyof typeof LANG_REACH_SHAPES;
/** Every (colour, shape) object of the model, in mocap order: `red ball`, `red cube`, `green ball`, ... */
export const LANG_REACH_OBJECTS: ReadonlyArray<{ colour: Colour; shape: Shape; name: string }> = (Object.keys(LANG_REACH_COLOURS) as Colour[]).flatMap((colour) =>
  (Object.keys(LANG_REACH_SHAPES) as Shape[]).map((shape) => ({ colour, shape, name: `${colour} ${shape}` })),
);

/** Half-size of every object (sphere radius, cube half-edge), metres. */
export const LANG_REACH_OBJECT_HALF = 0.03;
/** The point to touch: this high (m) above an object's centre (the pusher resting on its top). */
const TOUCH_HEIGHT = LANG_REACH_OBJECT_HALF + 0.02;
/** Objects lie in this box of the table (m), at least {@link MIN_SEPARATION_M} apart. */
const AREA_LOW = [0.25, -0.25];
const AREA_HIGH = [0.55, 0.25];
const MIN_SEPARATION_M = 0.12;
/** Where objects not in the episode wait: under the floor, out of every camera's sight. */
const HIDDEN_Z = -1.5;
/** The `overview` camera image observations are drawn from: straight down over the table (image right = +x, up = +y). */
export const LANG_REACH_CAMERA = { pos: [0.4, 0, 0.85], fovyDeg: 45 } as const;
/**
 * LangReach-v1's start posture (rad, base to hand): the arm folded back over its base, the hand at about
 * (0.09, 0, 0.38) m, so no link lies between the `overview` camera and the table's object area (v0 starts at
 * `ARM_HOME_QPOS`, the hand over the table, which hides the target on the first frame in 8-13% of scenes).
 */
export const LANG_REACH_CLEAR_QPOS: readonly number[] = [0, -0.5, 2.15, 0, 1.85, 0];
/** LangReach's task id per start posture: `home` (the arm's home posture over the table) or `clear` ({@link LANG_REACH_CLEAR_QPOS}). */
export const LANG_REACH_IDS = { home: 'LangReach-v0', clear: 'LangReach-v1' } as const;
/** Longest instruction in characters ("move to the yellow sphere" is 25). */
export const LANG_REACH_MAX_CHARS = 40;

/**
 * How many of the 7 x 7 pixels around an object's centre, projected through the `overview` camera
 * ({@link LANG_REACH_CAMERA}) onto the objects' top plane, have its colour (chromaticity within 0.15, L1, of its
 * `rgba`) in an `overview` image (`Uint8Array [height x width x 3]`). Fewer than {@link LANG_REACH_SEEN_PIXELS}: the
 * object is hidden (under the arm). For diagnostics (`bench:lang-reach-keypoints`) and tests.
 */
export function langReachObjectPixels(image: Uint8Array, width: number, height: number, object: { colour: string; position: readonly number[] }): number {
  const rgba = (LANG_REACH_COLOURS as Record<string, string | undefined>)[object.colour];
  if (rgba === undefined) throw new InvalidArgument(formatError('langReachObjectPixels.object.colour', `one of ${Object.keys(LANG_REACH_COLOURS).join(', ')}`, describeValue(object.colour), 'Pass an object of LangReach.objects()'));
  const rgb = rgba.split(' ').slice(0, 3).map(Number);
  const sum = rgb[0] + rgb[1] + rgb[2];
  let seen = 0;
  for (const o of langReachPixelsNear(object.position, width, height, 3)) {
    const total = image[o] + image[o + 1] + image[o + 2] + 1;
    if ([0, 1, 2].reduce((a, c) => a + Math.abs(image[o + c] / total - rgb[c] / sum), 0) < 0.15) seen++;
  }
  return seen;
}
/**
 * Where an object's centre (m, world frame) lies in an `overview` image of `width x height` pixels ({@link
 * LANG_REACH_CAMERA}), projected onto the objects' top plane: `[column, row]` in pixels (fractional).
 */
export function langReachImagePoint(position: readonly number[], width: number, height: number): [number, number] {
  const tanHalf = Math.tan((LANG_REACH_CAMERA.fovyDeg * Math.PI) / 360);
  const depth = LANG_REACH_CAMERA.pos[2] - 2 * position[2];
  const u = (((position[0] - LANG_REACH_CAMERA.pos[0]) / (depth * tanHalf) + 1) / 2) * width;
  const v = ((1 - (position[1] - LANG_REACH_CAMERA.pos[1]) / (depth * tanHalf)) / 2) * height;
  return [u, v];
}
/**
 * The byte offsets, in an `overview` image of `width x height` RGB pixels, of the pixels within `half` (in x and in
 * y) of an object's projected centre ({@link langReachImagePoint}, rounded), those inside the image only.
 */
export function langReachPixelsNear(position: readonly number[], width: number, height: number, half: number): number[] {
  const [u, v] = langReachImagePoint(position, width, height);
  const out: number[] = [];
  for (let dy = -half; dy <= half; dy++) {
    for (let dx = -half; dx <= half; dx++) {
      const px = Math.round(u + dx);
      const py = Math.round(v + dy);
      if (px >= 0 && py >= 0 && px < width && py < height) out.push((py * width + px) * 3);
    }
  }
  return out;
}
/** Fewer target-coloured pixels than this around its centre ({@link langReachObjectPixels}): the object is hidden. */
export const LANG_REACH_SEEN_PIXELS = 10;

/** The task id of a start posture (`home`: LangReach-v0, `clear`: LangReach-v1); anything else is a typed error. */
function langReachId(pose: unknown): string {
  if (typeof pose !== 'string' || !Object.hasOwn(LANG_REACH_IDS, pose)) {
    throw new InvalidArgument(formatError('LangReach.startPose', `one of ${Object.keys(LANG_REACH_IDS).join(', ')}`, describeValue(pose), "Omit it for LangReach-v0's home posture, or make LangReach-v1"));
  }
  return LANG_REACH_IDS[pose as keyof typeof LANG_REACH_IDS];
}

/** Options of {@link LangReach}. */
export interface LangReachOptions extends ArmEnvOptions {
  /** Objects on the table per episode (2-8); default 3. One is the target, the others distractors. */
  objects?: number;
  /** Weight of the control cost `-sum(action^2)`. Default 0.01. */
  controlCostWeight?: number;
  /**
   * The arm's start posture (before the reset noise): `home` (default; LangReach-v0) or `clear` (LangReach-v1:
   * folded back so the camera sees the whole object area on the first frame).
   */
  startPose?: keyof typeof LANG_REACH_IDS;
}

/** What LangReach-v0 observes: the arm's joints and the instruction (the image is added by the vector layer). */
export interface LangReachObs {
  /** Joint angles (6, rad) then joint speeds (6, rad/s). */
  state: Float32Array;
  instruction: string;
}

/** MJCF of the 8 coloured objects (mocap bodies, no collisions) and the `overview` camera above the table. */
function objectsXml(): string {
  const bodies = LANG_REACH_OBJECTS.map(({ colour, shape }, k) => {
    const geom = shape === 'ball' ? `type="sphere" size="${LANG_REACH_OBJECT_HALF}"` : `type="box" size="${LANG_REACH_OBJECT_HALF} ${LANG_REACH_OBJECT_HALF} ${LANG_REACH_OBJECT_HALF}"`;
    return `
    <body name="${colour}_${shape}" mocap="true" pos="${0.1 * k} 1 ${HIDDEN_Z}">
      <geom name="${colour}_${shape}" ${geom} contype="0" conaffinity="0" rgba="${LANG_REACH_COLOURS[colour]}"/>
    </body>`;
  }).join('');
  // Straight down over the table: image right = +x (away from the arm), image up = +y.
  return `${bodies}
    <camera name="overview" pos="${LANG_REACH_CAMERA.pos.join(' ')}" xyaxes="1 0 0 0 1 0" fovy="${LANG_REACH_CAMERA.fovyDeg}"/>`;
}

/**
 * LangReach-v0: the 6-DoF arm with several coloured objects on the table is
 * told which one to touch ("touch the red ball", "go to the green cube").
 * The target's place is in no number it observes: success needs both the
 * words (which object) and sight (where it is).
 *
 * - Observation: `Dict({ instruction: Text(1, 40, INSTRUCTION_CHARSET),
 *   state: Box(-inf, inf, [12]) })`: joint angles and speeds only. Camera
 *   images come from the vector layer (`AddImageObservation` over a
 *   `BatchedSceneRenderer`, camera `overview`; see `makeImageVec`),
 *   because rendering is asynchronous and `Env.step` is not.
 * - Action: `Box(-1, 1, [6])` joint-speed commands, as ArmReach-v0.
 * - Each episode: `objects` (default 3) distinct (colour, shape) objects of
 *   {@link LANG_REACH_OBJECTS} at random places on the table, at least
 *   0.12 m apart; one is the target, named by `<verb> the <colour> <shape
 *   word>` with synonyms (ball/sphere, cube/box/block).
 * - Reward (dense): `-|p - ee| - controlCostWeight * sum(action^2)` where p
 *   is the point 0.05 m above the target's centre; `info.isSuccess` when
 *   `|p - ee| < successThresholdM` (0.05 m); `info.distance`, `info.target`.
 * - Start: the arm at `ARM_HOME_QPOS` (v0; the hand over the table, which
 *   hides the target from the camera in 8-13% of scenes) or, with
 *   `startPose: 'clear'` (`LangReach-v1`), folded back at
 *   {@link LANG_REACH_CLEAR_QPOS}, out of the camera's view of the objects;
 *   each joint + U(-0.1, 0.1) rad. The scenes per seed are the same.
 * - Never terminates; `make` adds `TimeLimit(50)`.
 */
export class LangReach extends ArmEnv<LangReachObs> {
  readonly observationSpace = new Dict({
    state: new Box(-Infinity, Infinity, [2 * ARM_DOF], 'float32'),
    instruction: new Text(LANG_REACH_MAX_CHARS, { minLength: 1, charset: INSTRUCTION_CHARSET }),
  }) as unknown as Dict<LangReachObs & Record<string, unknown>>;
  /** The camera image observations are drawn from (`makeImageVec`): straight down over the table. */
  readonly imageCamera = { name: 'overview' } as const;
  private readonly controlCostWeight: number;
  private readonly numObjects: number;
  private readonly mocapIds: number[];
  private readonly touchPoint = new Float64Array(3);
  private target = 0;
  private instruction = '';
  /** Objects of the current episode (indices into {@link LANG_REACH_OBJECTS}), target first. */
  private present: number[] = [];
  private steps = 0;

  constructor(options: LangReachOptions = {}) {
    const pose = options.startPose ?? 'home';
    super(langReachId(pose), armXml({ puck: false, name: 'lang_reach', objects: objectsXml() }), options);
    if (pose === 'clear') for (let i = 0; i < ARM_DOF; i++) this.initQpos[i] = LANG_REACH_CLEAR_QPOS[i];
    const n = options.objects ?? 3;
    if (!Number.isInteger(n) || n < 2 || n > LANG_REACH_OBJECTS.length) {
      throw new InvalidArgument(formatError(`${this.envName}.objects`, `an integer in [2, ${LANG_REACH_OBJECTS.length}]`, describeValue(n), 'Omit it for 3 objects'));
    }
    this.numObjects = n;
    this.controlCostWeight = options.controlCostWeight ?? 0.01;
    this.mocapIds = LANG_REACH_OBJECTS.map(({ colour, shape }) => this.world.mocapId(`${colour}_${shape}`));
  }

  /** The instruction and the object it names (scripted expert, viewer HUD). */
  get currentCommand(): { instruction: string; target: string } {
    return { instruction: this.instruction, target: LANG_REACH_OBJECTS[this.target].name };
  }

  /**
   * Privileged: the point to touch (m, world frame; 0.05 m above the
   * target's centre), `Float64Array [3]`, reused. For the scripted expert;
   * a policy never sees it.
   */
  targetPoint(): Float64Array {
    return this.touchPoint;
  }

  /**
   * Privileged: the objects on the table this episode (target first), with their centres (m, world frame). For
   * diagnostics (`bench:lang-reach-keypoints`); a policy never sees it.
   */
  objects(): Array<{ name: string; colour: string; shape: string; target: boolean; position: [number, number, number] }> {
    const mocap = this.world.mocapPos();
    return this.present.map((k, i) => {
      const m = 3 * this.mocapIds[k];
      const { name, colour, shape } = LANG_REACH_OBJECTS[k];
      return { name, colour, shape, target: i === 0, position: [mocap[m], mocap[m + 1], mocap[m + 2]] };
    });
  }

  /** Steps taken since the last reset (0 right after it). For the scripted expert's phases; not observed. */
  get episodeSteps(): number {
    return this.steps;
  }

  /** Privileged: the end effector's position (m, world frame), `[x, y, z]`. */
  endEffector(): [number, number, number] {
    const site = this.world.siteXpos();
    const e = 3 * this.eeSite;
    return [site[e], site[e + 1], site[e + 2]];
  }

  reset(args?: ResetArgs): ResetResult<LangReachObs> {
    this.resetWorld(args, () => {
      const { qpos, qvel } = this.randomArmState();
      this.world.setState(qpos, qvel);
    });
    this.placeObjects();
    this.world.forward();
    this.steps = 0;
    const distance = this.distance();
    return { obs: this.observe(), info: { isSuccess: distance < this.successThresholdM, target: LANG_REACH_OBJECTS[this.target].name } };
  }

  step(action: MujocoAction): StepResult<LangReachObs> {
    this.doSimulation(action);
    this.steps++;
    const distance = this.distance();
    const reward = -distance - this.controlCostWeight * ArmEnv.squaredNorm(action);
    return { obs: this.observe(), reward, terminated: false, truncated: false, info: { isSuccess: distance < this.successThresholdM, distance, target: LANG_REACH_OBJECTS[this.target].name } };
  }

  /** Draws the episode's objects, their places, the target and its instruction (all from the env's Rng). */
  private placeObjects(): void {
    const order = LANG_REACH_OBJECTS.map((_, k) => k);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.integer(0, i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.present = order.slice(0, this.numObjects);
    this.target = this.present[0];
    const places: number[][] = [];
    while (places.length < this.numObjects) {
      const p = [this.rng.uniform(AREA_LOW[0], AREA_HIGH[0]), this.rng.uniform(AREA_LOW[1], AREA_HIGH[1])];
      if (places.every((q) => Math.hypot(p[0] - q[0], p[1] - q[1]) >= MIN_SEPARATION_M)) places.push(p);
    }
    const mocap = this.world.mocapPos();
    LANG_REACH_OBJECTS.forEach((_, k) => {
      const m = 3 * this.mocapIds[k];
      mocap[m] = 0.1 * k;
      mocap[m + 1] = 1;
      mocap[m + 2] = HIDDEN_Z;
    });
    this.present.forEach((k, i) => {
      const m = 3 * this.mocapIds[k];
      mocap[m] = places[i][0];
      mocap[m + 1] = places[i][1];
      mocap[m + 2] = LANG_REACH_OBJECT_HALF;
    });
    const t = 3 * this.mocapIds[this.target];
    this.touchPoint[0] = mocap[t];
    this.touchPoint[1] = mocap[t + 1];
    this.touchPoint[2] = mocap[t + 2] + TOUCH_HEIGHT;
    const { colour, shape } = LANG_REACH_OBJECTS[this.target];
    const verb = LANG_REACH_VERBS[this.rng.integer(0, LANG_REACH_VERBS.length)];
    const words = LANG_REACH_SHAPES[shape];
    this.instruction = `${verb} the ${colour} ${words[this.rng.integer(0, words.length)]}`;
  }

  private distance(): number {
    const [x, y, z] = this.endEffector();
    const p = this.touchPoint;
    return Math.hypot(p[0] - x, p[1] - y, p[2] - z);
  }

  private observe(): LangReachObs {
    const qpos = this.world.qpos();
    const qvel = this.world.qvel();
    const state = new Float32Array(2 * ARM_DOF);
    for (let i = 0; i < ARM_DOF; i++) {
      state[i] = qpos[i];
      state[ARM_DOF + i] = qvel[i];
    }
    return { state, instruction: this.instruction };
  }
}
