import type { BenchSources, BenchSourcesModule, BenchEnv } from '../../bench/bench-sources.js';
import type { Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { RandomPolicy } from '../../bench/random-policy.js';

/** Tasks whose scripted expert `lamkit bench` adds as the normalized score's 1 (flat-observation arm tasks; the others' experts still run with `--policies expert`). */
const BENCH_EXPERT_TASKS = ['ArmReach-v0', 'ArmReach-reversed-v0', 'ArmPush-v0', 'ArmPushDisc-v0'] as const;

/**
 * The {@link BenchSources} of `lamkit bench` (loaded in each worker thread
 * and in the main thread): registered tasks through `makeAsync`, checkpoints
 * through `loadPolicy` (which names the file when it is missing or
 * corrupt), the scripted experts of the arm tasks, seeded random actions.
 */
export async function lamkitBenchSources(): Promise<BenchSources> {
  await import('../../../envs/index.js'); // registers the tasks
  const { makeAsync } = await import('../../registry/registry.js');
  const { loadPolicy } = await import('../../../agents/checkpoint/load-policy.js');

  return {
    makeEnv: (envId) => makeAsync(envId),
    async makePolicy(source: string, env: BenchEnv, envId: string, seed: number): Promise<Policy> {
      if (source === 'random') return new RandomPolicy(env, seed);
      if (source === 'expert') {
        const { expertFactory } = await import('./experts.js');
        return (await expertFactory(envId, 'lamkit bench --policies expert', 'Drop expert for this task'))(env as Env<unknown, unknown>);
      }
      const policy = await loadPolicy(source, { seed });
      if (policy.envId !== envId) {
        policy.dispose?.();
        throw new InvalidArgument(formatError('lamkit bench --policies', `a checkpoint trained on ${envId}`, `one trained on ${policy.envId} (${policy.checkpointDir})`, `Bench it on --envs ${policy.envId}`));
      }
      return policy;
    },
    hasExpert: (envId) => (BENCH_EXPERT_TASKS as readonly string[]).includes(envId),
  };
}

/** This module as a {@link BenchSourcesModule} (workers import it by URL). */
export const LAMKIT_BENCH_SOURCES: BenchSourcesModule = { module: import.meta.url, exportName: 'lamkitBenchSources' };
