import type { Command } from 'commander';
import { parseIntFlag } from '../flags.js';

/** Flags of `lamkit eval`. */
export interface EvalFlags {
  checkpoint: string;
  episodes: string;
  seed: string;
  stochastic?: boolean;
}

/** What `lamkit eval` measured. */
export interface EvalOutcome {
  envId: string;
  episodes: number;
  returns: number[];
  lengths: number[];
  meanReturn: number;
  stdReturn: number;
  /** Fraction of episodes whose last step reported `info.isSuccess`, or null when the task never reports it. */
  successRate: number | null;
}

/**
 * Runs a checkpoint's policy for `--episodes` episodes of its task (episode
 * k reset with seed `--seed + k`), deterministic actions unless
 * `--stochastic`, and reports mean +- std return (population std, as SB3's
 * `evaluate_policy`) and the success rate when the task reports `isSuccess`.
 */
export async function runEval(flags: EvalFlags): Promise<EvalOutcome> {
  const episodes = parseIntFlag('lamkit eval --episodes', flags.episodes, 1, '10') as number;
  const seed = parseIntFlag('lamkit eval --seed', flags.seed, 0, '0') as number;
  const lib = await import('../../index.js');
  const policy = await lib.loadPolicy(flags.checkpoint, { seed });
  try {
    const env = await lib.makeAsync(policy.envId);
    try {
      const ev = await lib.evaluatePolicy(policy, env, { episodes, seed, deterministic: !flags.stochastic });
      return { envId: policy.envId, episodes, returns: ev.returns, lengths: ev.lengths, meanReturn: ev.meanReturn, stdReturn: ev.stdReturn, successRate: ev.successRate };
    } finally {
      env.close();
    }
  } finally {
    policy.dispose?.();
  }
}

/** Registers `lamkit eval`. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('Evaluate a trained checkpoint on its task')
    .requiredOption('--checkpoint <dir>', 'a `lamkit train --out` directory or its checkpoint/ subdirectory')
    .option('--episodes <n>', 'episodes to run', '10')
    .option('--seed <n>', 'seed of the first episode (episode k uses seed + k)', '0')
    .option('--stochastic', 'sample actions instead of taking the distribution mode')
    .action(async (flags: EvalFlags) => {
      const r = await runEval(flags);
      const success = r.successRate === null ? '' : `; success rate ${(100 * r.successRate).toFixed(1)}%`;
      process.stdout.write(`lamkit eval: ${r.envId}, ${r.episodes} episodes: return ${r.meanReturn.toFixed(2)} ± ${r.stdReturn.toFixed(2)}${success}\n`);
    });
}
