import type { AsyncEnv, Env } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** An env that `lamkit bench` evaluates in (simulated or remote). */
export type BenchEnv = Env<unknown, unknown> | AsyncEnv<unknown, unknown>;

/**
 * Where `lamkit bench` gets envs and policies from. src/bench knows no
 * concrete task, network or expert: the caller supplies these (the CLI's
 * src/cli/commands/bench-sources.ts: registered tasks, `loadPolicy`, the
 * scripted experts, random actions).
 */
export interface BenchSources {
  /** Makes the env of a registered task (the caller closes it). */
  makeEnv(envId: string): Promise<BenchEnv>;
  /**
   * The policy of `source` on `envId`: `random`, `expert`, or a checkpoint
   * path. `seed` seeds its sampling (random actions, stochastic policies).
   * A missing or corrupt checkpoint throws an error that names the file.
   */
  makePolicy(source: string, env: BenchEnv, envId: string, seed: number): Promise<Policy>;
  /** Whether `envId` has a scripted expert (`expert` source; normalized scores). */
  hasExpert(envId: string): boolean;
}

/**
 * A {@link BenchSources} named by module URL and export (functions cannot
 * cross into worker threads): workers import `module` and call
 * `(await import(module))[exportName](args)`, like `WorkerEnvFactory`.
 */
export interface BenchSourcesModule {
  /** URL of the ES module (`import.meta.url` of the file that exports it). */
  module: string;
  /** Name of the export: `(args) => BenchSources | Promise<BenchSources>`. */
  exportName: string;
  /** Its argument (structured-cloneable plain data). */
  args?: unknown;
}

/** Imports a {@link BenchSourcesModule} and calls its export. */
export async function loadBenchSources(m: BenchSourcesModule): Promise<BenchSources> {
  const mod = (await import(m.module)) as Record<string, unknown>;
  const factory = mod[m.exportName];
  if (typeof factory !== 'function') {
    throw new InvalidArgument(formatError(`loadBenchSources(${m.module}).${m.exportName}`, 'an exported function returning BenchSources', describeValue(factory), 'Export the factory under that name'));
  }
  return (await (factory as (args: unknown) => BenchSources | Promise<BenchSources>)(m.args)) as BenchSources;
}
