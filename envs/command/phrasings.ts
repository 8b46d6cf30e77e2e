/**
 * The instruction set of CommandAvatar-v0, with its HELD-OUT phrasing split.
 *
 * Fixed in the repository before any model was trained on it (issue #15):
 * the `heldOut` cores and wrappers below never appear in a `seen`
 * instruction, so accuracy on `phrasing: 'heldOut'` measures generalization
 * to templates and synonyms a model never saw. Changing these lists changes
 * the benchmark: don't, add a new task version instead.
 *
 * An instruction is `prefix + core + suffix`. `seen` instructions use a seen
 * core, prefix and suffix; `heldOut` ones have a held-out core, or a seen
 * core with a held-out prefix or suffix.
 */

/** The nine discrete actions, in action-index order. */
export const COMMAND_ACTIONS = ['none', 'left', 'right', 'up', 'down', 'forward', 'backward', 'jump', 'attack'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

/** Core phrasings per action: what to do. */
export const CORES: Readonly<Record<CommandAction, { seen: readonly string[]; heldOut: readonly string[] }>> = {
  none: { seen: ['hold still', 'do nothing', 'stay put', 'wait', 'stop moving', 'stand still'], heldOut: ['freeze', 'remain motionless', 'pause', 'keep calm and idle'] },
  left: { seen: ['move left', 'step to the left', 'go left', 'walk left', 'head left', 'left'], heldOut: ['shift leftward', 'sidestep to your left', 'travel left'] },
  right: { seen: ['move right', 'step to the right', 'go right', 'walk right', 'head right', 'right'], heldOut: ['shift rightward', 'sidestep to your right', 'travel right'] },
  up: { seen: ['stand up tall', 'rise up', 'get up', 'raise yourself', 'up'], heldOut: ['stretch upward', 'straighten up', 'ascend'] },
  down: { seen: ['crouch', 'get down', 'duck', 'go down low', 'down'], heldOut: ['squat', 'kneel', 'lower yourself', 'descend'] },
  forward: { seen: ['move forward', 'step forward', 'go ahead', 'walk forward', 'forward'], heldOut: ['advance', 'proceed onward', 'march ahead'] },
  backward: { seen: ['move backward', 'step back', 'go back', 'walk backward', 'backward'], heldOut: ['retreat', 'reverse', 'back away'] },
  jump: { seen: ['jump', 'jump up high', 'leap', 'leap into the air'], heldOut: ['hop', 'spring upward', 'bounce'] },
  attack: { seen: ['attack', 'strike the target', 'hit it', 'punch', 'attack the enemy'], heldOut: ['smack it', 'assault the target', 'fight', 'kick the enemy'] },
};

/** Words around the core. */
export const PREFIXES = { seen: ['', 'please ', 'now ', 'quickly, '], heldOut: ['kindly ', 'ok, ', 'alright then, '] } as const;
export const SUFFIXES = { seen: ['', '!', ' now', '.'], heldOut: [' at once', ' please', '?'] } as const;

/** Which phrasings a generator draws from. */
export type PhrasingSplit = 'seen' | 'heldOut' | 'all';

/** Every instruction of `split` for `action`, in a fixed order. */
export function phrasings(action: CommandAction, split: PhrasingSplit): string[] {
  const out: string[] = [];
  const compose = (cores: readonly string[], prefixes: readonly string[], suffixes: readonly string[]): void => {
    for (const c of cores) for (const p of prefixes) for (const s of suffixes) out.push(capitalize(p + c + s));
  };
  const { seen, heldOut } = CORES[action];
  if (split !== 'heldOut') compose(seen, PREFIXES.seen, SUFFIXES.seen);
  if (split !== 'seen') {
    compose(heldOut, [...PREFIXES.seen, ...PREFIXES.heldOut], [...SUFFIXES.seen, ...SUFFIXES.heldOut]);
    compose(seen, PREFIXES.heldOut, [...SUFFIXES.seen, ...SUFFIXES.heldOut]);
    compose(seen, PREFIXES.seen, SUFFIXES.heldOut);
  }
  return out;
}

/** The longest instruction of any split, in characters. */
export function longestPhrasing(): number {
  let n = 0;
  for (const a of COMMAND_ACTIONS) for (const p of phrasings(a, 'all')) n = Math.max(n, p.length);
  return n;
}

/** Half the instructions start with a capital letter, as people type them (seeded by the position, not random). */
function capitalize(s: string): string {
  return s.length % 2 === 0 ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}
