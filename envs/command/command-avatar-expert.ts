import type { Env } from '../../src/core/env.js';
import type { Policy } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { InvalidArgument, InvalidObservation, formatError, describeValue } from '../../src/core/errors.js';
import { COMMAND_ACTIONS, phrasings } from './phrasings.js';

/**
 * Scripted expert of `CommandAvatar-v0` (a {@link Policy}): reads the
 * instruction from each flat observation row and looks it up in the task's
 * phrasebook (every phrasing of every split), so it is always right and
 * works wherever the observation goes (vector envs, the bridge). An
 * instruction outside the phrasebook is an `InvalidObservation`.
 */
export class CommandAvatarExpert implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  private readonly table = new Map<string, number>();
  private readonly obsDim: number;
  private readonly textOffset: number;
  private readonly text: Space<unknown>;

  /** @param env a `CommandAvatar-v0` env (wrapped or not); its spaces are the policy's. */
  constructor(env: Pick<Env, 'observationSpace' | 'actionSpace'>) {
    const space = env.observationSpace;
    if (!(space instanceof Dict) || !space.spaces.instruction || space.spaces.instruction.kind !== 'Text') {
      throw new InvalidArgument(formatError('CommandAvatarExpert.env.observationSpace', 'a Dict with an instruction Text (CommandAvatar-v0)', space.toString(), "Build it for make('CommandAvatar-v0')"));
    }
    this.observationSpace = space;
    this.actionSpace = env.actionSpace;
    this.obsDim = space.flatDim;
    let offset = 0;
    for (const k of space.keys) {
      if (k === 'instruction') break;
      offset += space.spaces[k].flatDim;
    }
    this.textOffset = offset;
    this.text = space.spaces.instruction;
    COMMAND_ACTIONS.forEach((a, i) => {
      for (const p of phrasings(a, 'all')) this.table.set(p, i);
    });
  }

  act(obs: Float32Array): Int32Array {
    const rows = obs.length / this.obsDim;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const instruction = this.text.unflatten(obs, r * this.obsDim + this.textOffset) as string;
      const a = this.table.get(instruction);
      if (a === undefined) throw new InvalidObservation(formatError(`CommandAvatarExpert.act.obs[${r}].instruction`, "an instruction of CommandAvatar-v0's phrasebook", describeValue(instruction), 'The expert knows only the generated instructions'));
      out[r] = a;
    }
    return out;
  }
}
