import type { BenchSources, BenchSourcesModule, BenchEnv } from '../../bench/bench-sources.js';
import type { Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { RandomPolicy } from '../../bench/random-policy.js';

/** Tasks with a scripted expert (envs/mujoco): the only tasks with normalized scores. */
export const EXPERT_TASKS = ['ArmReach-v0', 'ArmPush-v0'] as const;

/**
 * The {@link BenchSources} of `lamkit bench` (loaded in each worker thread
 * and in the main thread): registered tasks through `makeAsync`, checkpoints
 * through `loadPolicy` (which names the file when it is missing or
 * corrupt), the scripted experts of the arm tasks, seeded random actions.
 */
export async function lamkitBenchSources(): Promise<BenchSources> {
  const envs = await import('../../../envs/index.js');
  const { makeAsync } = await import('../../registry/registry.js');
  const { loadPolicy } = await import('../../../agents/checkpoint/load-policy.js');
  const experts: Record<string, (env: Env<unknown, unknown>) => Policy> = {
    'ArmReach-v0': (env) => new envs.ArmReachExpert(env),
    'ArmReach-reversed-v0': (env) => new envs.ArmReachReversedExpert(env),
    'ArmPush-v0': (env) => new envs.ArmPushExpert(env),
  };
  return {
    makeEnv: (envId) => makeAsync(envId),
    async makePolicy(source: string, env: BenchEnv, envId: string, seed: number): Promise<Policy> {
      if (source === 'random') return new RandomPolicy(env, seed);
      if (source === 'expert') {
        const make = experts[envId];
        if (!make) throw new InvalidArgument(formatError('lamkit bench --policies expert', `a task with a scripted expert (${Object.keys(experts).join(', ')})`, describeValue(envId), 'Drop expert for this task'));
        return make(env as Env<unknown, unknown>);
      }
      const policy = await loadPolicy(source, { seed });
      if (policy.envId !== envId) {
        policy.dispose?.();
        throw new InvalidArgument(formatError('lamkit bench --policies', `a checkpoint trained on ${envId}`, `one trained on ${policy.envId} (${policy.checkpointDir})`, `Bench it on --envs ${policy.envId}`));
      }
      return policy;
    },
    hasExpert: (envId) => envId in experts,
  };
}

/** This module as a {@link BenchSourcesModule} (workers import it by URL). */
export const LAMKIT_BENCH_SOURCES: BenchSourcesModule = { module: import.meta.url, exportName: 'lamkitBenchSources' };
