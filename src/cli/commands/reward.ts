import type { Command } from 'commander';
import { InvalidArgument, formatError } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';
import { readLearnedReward } from './train-reward.js';

/** Flags of `lamkit reward` as commander hands them over. */
export interface RewardFlags {
  checkpoint: string;
  env?: string;
  episodes: string;
  seed: string;
}

/** What `lamkit reward` measured along the episodes. */
export interface RewardOutcome {
  envId: string;
  kind: string;
  /** Per episode: the env's return and the learned reward's undiscounted sum. */
  episodes: Array<{ envReturn: number; learnedReturn: number; length: number }>;
  /** Pearson correlation of env and learned reward over all steps (NaN when either is constant). */
  stepCorrelation: number;
}

/**
 * `lamkit reward --checkpoint <gail|airl run> [--env <id>]`: runs the run's
 * own policy (deterministic) for `--episodes` episodes on `--env` (default:
 * the run's task; another id with the same spaces evaluates the reward on a
 * variant) and scores every step with the frozen learned reward that can be
 * reused alone (AIRL: g; GAIL: the discriminator logit), beside the env's
 * reward.
 */
export async function runReward(flags: RewardFlags): Promise<RewardOutcome> {
  const episodes = parseIntFlag('lamkit reward --episodes', flags.episodes, 1, '5') as number;
  const seed = parseIntFlag('lamkit reward --seed', flags.seed, 0, '0') as number;
  const lib = await import('../../index.js');
  // The backend before the reward's tensors (else they land on tfjs's default pure-JS CPU backend, with its banner).
  await lib.initBackend();
  const { reward, data } = readLearnedReward(lib, flags.checkpoint, 'lamkit reward --checkpoint', seed);
  const envId = flags.env ?? data.meta.envId;
  const policy = await lib.loadPolicy(flags.checkpoint, { seed });
  const env = await lib.makeAsync(envId);
  try {
    const obsDim = env.observationSpace.flatDim;
    if (obsDim !== reward.spec.obsDim) throw new InvalidArgument(formatError('lamkit reward --env', `a task with ${reward.spec.obsDim} observation values (the reward's)`, `${envId} with ${obsDim}`, `Pass --env ${data.meta.envId} or a variant of it`));
    const start = env.actionSpace instanceof lib.Discrete ? env.actionSpace.start : null;
    const out: RewardOutcome['episodes'] = [];
    const envRewards: number[] = [];
    const learned: number[] = [];
    let steps: Array<{ obs: Float32Array; act: number[]; next: Float32Array; terminated: boolean; r: number }> = [];
    await lib.runEpisodes(env, policy, {
      episodes,
      seed,
      deterministic: true,
      onEpisodeStart: () => void (steps = []),
      onStep: (s) => {
        const obs = new Float32Array(obsDim);
        const next = new Float32Array(obsDim);
        env.observationSpace.flattenInto(s.obs, obs, 0);
        env.observationSpace.flattenInto(s.nextObs, next, 0);
        const act = start !== null ? [(s.action as number) - start] : Array.from(s.action as ArrayLike<number>);
        steps.push({ obs, act, next, terminated: s.terminated, r: s.reward });
      },
      onEpisodeEnd: () => {
        const n = steps.length;
        const ad = steps[0]?.act.length ?? 1;
        const t = { obsDim, actDim: ad, rows: n, obs: new Float32Array(n * obsDim), nextObs: new Float32Array(n * obsDim), actions: new Float32Array(n * ad), terminated: new Uint8Array(n), absorbing: new Uint8Array(n) };
        steps.forEach((st, i) => {
          t.obs.set(st.obs, i * obsDim);
          t.nextObs.set(st.next, i * obsDim);
          t.actions.set(st.act, i * ad);
          t.terminated[i] = st.terminated ? 1 : 0;
        });
        const r = n > 0 ? reward.reward(t) : new Float64Array(0);
        out.push({ envReturn: steps.reduce((a, s) => a + s.r, 0), learnedReturn: r.reduce((a, b) => a + b, 0), length: n });
        steps.forEach((s, i) => (envRewards.push(s.r), learned.push(r[i])));
      },
    });
    return { envId, kind: reward.spec.kind, episodes: out, stepCorrelation: pearson(envRewards, learned) };
  } finally {
    reward.dispose();
    policy.dispose?.();
    await env.close();
  }
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Registers `lamkit reward`. */
export function register(program: Command): void {
  program
    .command('reward')
    .description("Score episodes of a GAIL/AIRL run's policy with its learned reward, beside the env's")
    .requiredOption('--checkpoint <dir>', 'the --out of lamkit imitate --algo gail|airl (or its checkpoint/)')
    .option('--env <id>', "the task to run on (default: the run's; a variant with the same spaces tests the reward there)")
    .option('--episodes <n>', 'episodes to run', '5')
    .option('--seed <n>', 'seed of the first episode (episode k uses seed + k)', '0')
    .action(async (flags: RewardFlags) => {
      const o = await runReward(flags);
      o.episodes.forEach((e, i) => process.stdout.write(`lamkit reward: ${o.envId} episode ${i}: env return ${e.envReturn.toFixed(2)}, learned (${o.kind === 'airl' ? 'g' : 'logit'}) return ${e.learnedReturn.toFixed(2)}, ${e.length} steps\n`));
      process.stdout.write(`lamkit reward: correlation of env and learned reward over ${o.episodes.reduce((a, e) => a + e.length, 0)} steps: ${Number.isNaN(o.stepCorrelation) ? 'undefined (one of them is constant)' : o.stepCorrelation.toFixed(3)}\n`);
    });
}
