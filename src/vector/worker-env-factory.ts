import type { Env } from '../core/env.js';

/**
 * How an `AsyncVectorEnv` worker builds its sub-envs. Functions cannot cross
 * threads and a worker has its own module graph, so the factory is named by
 * module URL and export: the worker imports `module`, calls
 * `(await import(module))[exportName](args)` once (it may be async: load WASM,
 * register tasks), then calls the returned {@link EnvMaker} once per sub-env.
 *
 * `makeVec(id, { vectorizationMode: 'async' })` fills this in for a
 * registered task; src/vector itself knows nothing about the registry.
 *
 * ```ts
 * // my-task.ts
 * export function myTask(args: { size: number }) { return () => new MyEnv(args.size); }
 * // main thread
 * await AsyncVectorEnv.create({ numEnvs: 8, factory: { module: new URL('./my-task.js', import.meta.url).href, exportName: 'myTask', args: { size: 3 } } });
 * ```
 */
export interface WorkerEnvFactory {
  /** URL (`file:`, `data:`, ...) of the ES module that exports the factory, e.g. `import.meta.url`. */
  module: string;
  /** Name of the export: a {@link WorkerEnvFactoryFn}. */
  exportName: string;
  /** The factory's argument; must be structured-cloneable (plain data, no functions). */
  args?: unknown;
}

/** Builds one sub-env; `index` is its global index in the vector env (0-based). */
export type EnvMaker = (index: number) => Env<unknown, unknown>;

/** What a {@link WorkerEnvFactory} export is: called once per worker with `args`, returns the per-sub-env maker. */
export type WorkerEnvFactoryFn = (args: any) => EnvMaker | Promise<EnvMaker>;
