import type { Env } from '../../src/core/env.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { InvalidArgument, formatError } from '../../src/core/errors.js';
import { ArmExpert, type ArmExpertOptions } from './arm-expert.js';
import { LangReach } from './lang-reach.js';

/** Options of {@link LangReachExpert}. */
export interface LangReachExpertOptions extends ArmExpertOptions {
  /** Cap on the commanded end-effector speed (m/s). Default 0.6. */
  maxSpeed?: number;
}

/**
 * Scripted expert of `LangReach-v0` (a {@link Policy}): it cheats, as the
 * issue allows: it reads the target's place from the simulator
 * (`LangReach.targetPoint`, privileged) instead of the words and the image,
 * then moves like `ArmReachExpert` (Cartesian P controller, speed cap,
 * damped-least-squares IK from the observed joint angles). So it labels
 * demonstrations for behaviour cloning, for the one env it was built on
 * (one observation row per call).
 */
export class LangReachExpert extends ArmExpert {
  private readonly env: LangReach;
  private readonly maxSpeed: number;

  /** @param env a `LangReach-v0` env (wrapped or not): the expert reads its simulator. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace' | 'unwrapped'>, options: LangReachExpertOptions = {}) {
    const inner = env?.unwrapped;
    const space = env?.observationSpace;
    if (!(inner instanceof LangReach) || !(space instanceof Dict) || !space.spaces.instruction) {
      throw new InvalidArgument(formatError('LangReachExpert.env', 'a LangReach-v0 env (wrapped or not)', String(space), "Build it with makeAsync('LangReach-v0')"));
    }
    // Flat Dict rows in sorted keys (image when a camera is added, instruction, state): the state's first 6 entries are the joint angles.
    let stateOffset = 0;
    for (const k of space.keys) {
      if (k === 'state') break;
      stateOffset += space.spaces[k].flatDim;
    }
    super('LangReachExpert', env, space.flatDim, options, stateOffset);
    this.env = inner;
    this.maxSpeed = options.maxSpeed ?? 0.6;
  }

  override act(obs: Float32Array): Float32Array {
    if (obs.length !== this.observationSpace.flatDim) {
      throw new InvalidArgument(formatError('LangReachExpert.act.obs', `one observation row (${this.observationSpace.flatDim} numbers): the expert reads its own env's simulator`, `${obs.length} numbers`, 'Build one expert per env'));
    }
    return super.act(obs);
  }

  protected override cartesianVelocity(_o: Float32Array, vel: Float64Array): number {
    const p = this.env.targetPoint();
    const ee = this.env.endEffector();
    for (let i = 0; i < 3; i++) vel[i] = this.gain * (p[i] - ee[i]);
    return this.maxSpeed;
  }
}
