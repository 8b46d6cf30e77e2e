import { register, registeredIds, type EnvRegistration } from '../../src/registry/registry.js';
import { loadMujoco } from '../../sim/load-mujoco.js';
import { CommandAvatar, type CommandAvatarOptions } from './command-avatar.js';

/** Registers the instruction-following tasks (cheap: `prepare` loads MuJoCo when one is made). */
const specs: EnvRegistration[] = [
  {
    // 10 instructions of 4 steps each (options.segments, segmentSteps): the env terminates after the
    // last one by itself, so no TimeLimit (it would also flag the terminal step truncated).
    id: 'CommandAvatar-v0',
    entryPoint: (kwargs) => new CommandAvatar(kwargs as CommandAvatarOptions),
    rewardThreshold: 40,
    module: import.meta.url,
    prepare: () => loadMujoco().then(() => undefined),
  },
];

for (const spec of specs) {
  if (!registeredIds().includes(spec.id)) register(spec);
}
