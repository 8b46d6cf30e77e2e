import { BaseEnv, type EnvMetadata, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { BackendError, InvalidAction, InvalidArgument, ResetNeeded, formatError, describeValue } from '../../src/core/errors.js';
import { loadedMujoco } from '../../sim/load-mujoco.js';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { AVATAR_XML } from '../../sim/assets/avatar.js';
import { COMMAND_ACTIONS, phrasings, type CommandAction, type PhrasingSplit } from './phrasings.js';

/** Options of {@link CommandAvatar}. */
export interface CommandAvatarOptions {
  /** Which phrasings instructions are drawn from: `seen` (training, default), `heldOut` (never in training) or `all`. */
  phrasing?: PhrasingSplit;
  /** Env steps per instruction. Default 4. */
  segmentSteps?: number;
  /** Instructions per episode; the episode terminates after the last. Default 10. */
  segments?: number;
}

/** The observation: the body's state and the current instruction. */
export interface CommandAvatarObs {
  /** `Float32Array [9]`: see {@link COMMAND_AVATAR_STATE}. */
  state: Float32Array;
  instruction: string;
}

/** Layout of the `state` vector. */
export const COMMAND_AVATAR_STATE = ['x', 'y', 'height', 'vx', 'vy', 'vz', 'arm_angle', 'arm_speed', 'segment_progress'] as const;
/** Longest instruction in characters (the `Text` space's `maxLength`). */
export const COMMAND_AVATAR_MAX_CHARS = 64;

/** ctrl per action: [force x, force y, height offset (m), arm angle (rad)]. `jump` raises the servo target high for the segment. */
const CONTROLS: Readonly<Record<CommandAction, readonly [number, number, number, number]>> = {
  none: [0, 0, 0, 0],
  left: [0, 1, 0, 0],
  right: [0, -1, 0, 0],
  up: [0, 0, 0.2, 0],
  down: [0, 0, -0.35, 0],
  forward: [1, 0, 0, 0],
  backward: [-1, 0, 0, 0],
  jump: [0, 0, 1.2, 0],
  attack: [0, 0, 0, -1.5],
};

/**
 * CommandAvatar-v0: a body on a plane (MuJoCo) is told what to do in words
 * ("step to the left", "Jump!", "strike the target", "hold still") and
 * must pick the matching one of nine discrete actions.
 *
 * - Observation: `Dict({ instruction: Text(1, 64, INSTRUCTION_CHARSET),
 *   state: Box(-inf, inf, [9]) })`: position (m), height offset, velocities,
 *   arm angle and speed, and the fraction of the current segment elapsed.
 *   The state says nothing about the command: only the words do.
 * - Action: `Discrete(9)`: none, left, right, up, down, forward, backward,
 *   jump, attack ({@link COMMAND_ACTIONS}).
 * - Each segment of `segmentSteps` steps has one instruction, drawn
 *   uniformly (action, then phrasing) from the `phrasing` split
 *   (envs/command/phrasings.ts, fixed before any model was trained).
 * - Reward: 1 when the action matches the instruction, else 0.
 *   `info`: `command` (the action name asked for), `correct`, and at the
 *   last step `isSuccess` (every action of the episode correct).
 * - Terminates after `segments` instructions (40 steps by default).
 */
export class CommandAvatar extends BaseEnv<CommandAvatarObs, number> {
  readonly observationSpace = new Dict({ state: new Box(-Infinity, Infinity, [COMMAND_AVATAR_STATE.length], 'float32'), instruction: new Text(COMMAND_AVATAR_MAX_CHARS, { minLength: 1, charset: INSTRUCTION_CHARSET }) }) as unknown as Dict<CommandAvatarObs & Record<string, unknown>>;
  readonly actionSpace = new Discrete(COMMAND_ACTIONS.length);
  /** Names of the actions by index (`lamkit record` stores them as the dataset's class names). */
  readonly actionNames: readonly string[] = COMMAND_ACTIONS;
  override readonly metadata: EnvMetadata;
  /** The physics world (poses for the viewer). */
  readonly world: MujocoWorld;
  readonly frameSkip = 4;
  private readonly options: Required<CommandAvatarOptions>;
  private readonly pool: ReadonlyArray<readonly string[]>;
  private command = 0;
  private instruction = '';
  private t = 0;
  private allCorrect = true;
  private hasReset = false;

  constructor(options: CommandAvatarOptions = {}) {
    super();
    const phrasing = options.phrasing ?? 'seen';
    if (!['seen', 'heldOut', 'all'].includes(phrasing)) throw new InvalidArgument(formatError('CommandAvatar-v0.phrasing', "'seen', 'heldOut' or 'all'", describeValue(phrasing), "Pass phrasing: 'heldOut' to evaluate on phrasings never seen in training"));
    for (const k of ['segmentSteps', 'segments'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new InvalidArgument(formatError(`CommandAvatar-v0.${k}`, 'a positive integer', describeValue(v), 'Omit it for the default'));
    }
    this.options = { phrasing, segmentSteps: options.segmentSteps ?? 4, segments: options.segments ?? 10 };
    this.pool = COMMAND_ACTIONS.map((a) => phrasings(a, phrasing));
    const mj = loadedMujoco();
    if (!mj) throw new BackendError(formatError('CommandAvatar-v0', 'the MuJoCo WASM module to be loaded before construction', 'it is not loaded yet', "Use await makeAsync('CommandAvatar-v0') or await loadMujoco() first"));
    this.world = MujocoWorld.createSync(mj, { xml: AVATAR_XML, name: 'CommandAvatar-v0' });
    this.metadata = { renderModes: [], renderFps: Math.round(1 / this.dt) };
  }

  /** Seconds per env step. */
  get dt(): number {
    return this.world.timestepSeconds * this.frameSkip;
  }

  /** The current instruction and the action it asks for (scripted expert, viewer HUD). */
  get currentCommand(): { instruction: string; action: CommandAction; index: number } {
    return { instruction: this.instruction, action: COMMAND_ACTIONS[this.command], index: this.command };
  }

  reset(args?: ResetArgs): ResetResult<CommandAvatarObs> {
    this.seedRng(args);
    this.world.reset();
    const qpos = this.world.qpos();
    qpos[0] = this.rng.uniform(-0.2, 0.2);
    qpos[1] = this.rng.uniform(-0.2, 0.2);
    this.world.forward();
    this.t = 0;
    this.allCorrect = true;
    this.hasReset = true;
    this.nextInstruction();
    return { obs: this.observe(), info: { command: COMMAND_ACTIONS[this.command] } };
  }

  step(action: number): StepResult<CommandAvatarObs> {
    if (!this.actionSpace.contains(action)) {
      throw new InvalidAction(formatError('CommandAvatar-v0.step.action', `an integer in [0, 9): ${COMMAND_ACTIONS.join(', ')}`, describeValue(action), 'Pass the index of the action'));
    }
    if (!this.hasReset) throw new ResetNeeded(formatError('CommandAvatar-v0.step', 'reset() before step()', 'step() on an env that was never reset', 'Call env.reset() first'));
    const asked = this.command;
    const correct = action === asked;
    if (!correct) this.allCorrect = false;
    const c = CONTROLS[COMMAND_ACTIONS[action]];
    this.world.setCtrl(c);
    this.world.step(this.frameSkip);
    this.t++;
    const { segmentSteps, segments } = this.options;
    const terminated = this.t >= segmentSteps * segments;
    if (!terminated && this.t % segmentSteps === 0) this.nextInstruction();
    const info: Record<string, unknown> = { command: COMMAND_ACTIONS[asked], correct };
    if (terminated) info.isSuccess = this.allCorrect;
    return { obs: this.observe(), reward: correct ? 1 : 0, terminated, truncated: false, info };
  }

  /** Frees the MuJoCo model and data. Idempotent. */
  override close(): void {
    this.world.close();
  }

  private nextInstruction(): void {
    this.command = this.rng.integer(0, COMMAND_ACTIONS.length);
    const list = this.pool[this.command];
    this.instruction = list[this.rng.integer(0, list.length)];
  }

  private observe(): CommandAvatarObs {
    const q = this.world.qpos();
    const v = this.world.qvel();
    const progress = (this.t % this.options.segmentSteps) / this.options.segmentSteps;
    return { state: Float32Array.of(q[0], q[1], q[2], v[0], v[1], v[2], q[3], v[3], progress), instruction: this.instruction };
  }
}
