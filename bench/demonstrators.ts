// Demonstrators and reference returns shared by the benchmarks that record demonstrations
// (bench/imitate.ts, bench/continual.ts): a task's demonstrator is its scripted expert, a fixed
// checkpoint, or a PPO policy trained once with `lamkit train` and kept in
// bench/results/imitate/demonstrators/ (so both benchmarks use the same one).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runTrain } from '../src/cli/commands/train.js';
import { lamkitBenchSources } from '../src/cli/commands/bench-sources.js';
import * as lib from '../src/index.js';

/** Where a task's demonstrations come from: the scripted expert, a checkpoint, or PPO trained here on first use. */
export type DemonstratorSpec = { checkpoint: string } | { ppoSteps: number } | 'expert';

/**
 * The PPO demonstrators of the tasks without a scripted expert (the cache in {@link DEMONSTRATOR_DIR}
 * is keyed by task, so every benchmark takes them from here).
 */
export const DEMONSTRATORS = {
  'Pendulum-v1': { ppoSteps: 200_000 },
  'InvertedPendulum-v5': { ppoSteps: 61_440 },
  'Reacher-v5': { ppoSteps: 1_000_000 },
} as const satisfies Record<string, DemonstratorSpec>;

/** Where trained demonstrators are kept. */
export const DEMONSTRATOR_DIR = 'bench/results/imitate/demonstrators';

/** The demonstrator of `envId` as a policy source (`expert` or a checkpoint directory); a PPO one is trained on first use (PPO defaults, seed 0). */
export async function demonstratorSource(envId: string, spec: DemonstratorSpec, log: (line: string) => void = console.log): Promise<string> {
  if (spec === 'expert') return 'expert';
  if ('checkpoint' in spec) return spec.checkpoint;
  const dir = join(DEMONSTRATOR_DIR, `${envId}-ppo`);
  if (!existsSync(join(dir, 'checkpoint'))) {
    log(`${envId}: training the demonstrator (lamkit train, PPO defaults, ${spec.ppoSteps} steps, seed 0) into ${dir}`);
    await runTrain({ algo: 'ppo', env: envId, totalSteps: String(spec.ppoSteps), seed: '0', out: dir, force: true, progress: false, checkpointMinutes: '0', vectorization: 'sync' });
  }
  return join(dir, 'checkpoint');
}

let sourcesPromise: ReturnType<typeof lamkitBenchSources> | null = null;

/** Mean return (and success rate, where the task reports one) of `source` (random | expert | checkpoint of `sourceEnvId`) on `envId`. */
export async function evaluateSource(source: string, envId: string, options: { episodes: number; seed: number; deterministic?: boolean }, sourceEnvId = envId): Promise<{ meanReturn: number; successRate: number | null }> {
  sourcesPromise ??= lamkitBenchSources();
  const sources = await sourcesPromise;
  const env = await lib.makeAsync(envId);
  const policy = await sources.makePolicy(source, env, sourceEnvId, 0);
  try {
    const ev = await lib.evaluatePolicy(policy, env, { deterministic: true, ...options });
    return { meanReturn: ev.meanReturn, successRate: ev.successRate };
  } finally {
    policy.dispose?.();
    await env.close();
  }
}
