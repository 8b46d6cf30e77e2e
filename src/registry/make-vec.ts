import type { Env } from '../core/env.js';
import type { VectorEnv } from '../core/vector-env.js';
import { InvalidArgument, RegistryError, formatError, describeValue } from '../core/errors.js';
import { SyncVectorEnv } from '../vector/sync-vector-env.js';
import { AsyncVectorEnv } from '../vector/async-vector-env.js';
import { make, prepare, spec, type MakeOptions } from './registry.js';
import { registeredEnvFactory } from './registered-env-factory.js';

/** Options of {@link makeVec}. */
export interface MakeVecOptions {
  /** Number of sub-envs (>= 1). */
  numEnvs: number;
  /**
   * `'sync'` (default): all sub-envs in this thread (`SyncVectorEnv`), best for
   * cheap steps. `'async'`: worker threads over shared memory
   * (`AsyncVectorEnv`), best when a step costs more than a few microseconds.
   */
  vectorizationMode?: 'sync' | 'async';
  /** Worker threads in `'async'` mode. Default `min(numEnvs, cores)`. */
  numWorkers?: number;
  /** Options of `make` for every sub-env (in `'async'` mode: plain data only). */
  makeOptions?: MakeOptions;
  /**
   * Wrappers applied to each sub-env after `make`, in order (`'sync'` only:
   * functions cannot be sent to worker threads; for `'async'`, register a task
   * whose entry point applies them).
   */
  wrappers?: ReadonlyArray<(env: Env<any, any>) => Env<any, any>>;
  /** Numeric `info` fields to batch into `info[key]: Float64Array [numEnvs]`. */
  infoKeys?: readonly string[];
}

/**
 * Creates a vector env of a registered task (Gymnasium's `make_vec`). In
 * `'sync'` mode it awaits the registration's `prepare` hook here; in
 * `'async'` mode each worker awaits it (the main thread loads nothing, e.g. no
 * MuJoCo WASM). Each sub-env is `make(id,
 * makeOptions)` (so it carries `TimeLimit`, `OrderEnforcing` and the passive
 * checker); seed them with `await vec.reset({ seed })` (sub-env i gets `seed + i`).
 *
 * ```ts
 * const vec = await makeVec('CartPole-v1', { numEnvs: 8 });
 * const fast = await makeVec('Reacher-v5', { numEnvs: 8, vectorizationMode: 'async', numWorkers: 2 });
 * ```
 */
export async function makeVec(id: string, options: MakeVecOptions): Promise<VectorEnv> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgument(formatError('makeVec.options', 'an object { numEnvs, vectorizationMode?, ... }', describeValue(options), 'Pass e.g. { numEnvs: 8 }'));
  }
  const { numEnvs, vectorizationMode = 'sync', wrappers = [], makeOptions = {} } = options;
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new InvalidArgument(formatError('makeVec.options.numEnvs', 'a positive integer', describeValue(numEnvs), 'Pass e.g. { numEnvs: 8 }'));
  }
  if (vectorizationMode !== 'sync' && vectorizationMode !== 'async') {
    throw new InvalidArgument(formatError('makeVec.options.vectorizationMode', "'sync' or 'async'", describeValue(vectorizationMode), "Use 'async' for worker threads"));
  }
  if (!Array.isArray(wrappers) || !wrappers.every((w) => typeof w === 'function')) {
    throw new InvalidArgument(formatError('makeVec.options.wrappers', 'an array of functions (env) => Env', describeValue(wrappers), 'Pass e.g. [(env) => new ClipAction(env)]'));
  }
  const reg = spec(id);
  if (vectorizationMode === 'sync') {
    await prepare(id);
    const factory = (): Env<any, any> => wrappers.reduce<Env<any, any>>((env, wrap) => wrap(env), make(id, makeOptions));
    return new SyncVectorEnv(Array.from({ length: numEnvs }, () => factory), { infoKeys: options.infoKeys });
  }
  if (wrappers.length > 0) {
    throw new InvalidArgument(
      formatError(
        'makeVec.options.wrappers',
        "no wrappers with vectorizationMode 'async' (functions cannot be sent to worker threads)",
        `${wrappers.length} wrapper function(s)`,
        "Register a task whose entryPoint applies the wrappers (with `module: import.meta.url`), or use 'sync'",
      ),
    );
  }
  if (reg.module === undefined) {
    throw new RegistryError(
      formatError(`makeVec(${id})`, "a registration with `module` (the URL of the file that registers it) for vectorizationMode 'async'", 'none', 'Add `module: import.meta.url` to the register() call'),
    );
  }
  try {
    structuredClone(makeOptions);
  } catch (err) {
    throw new InvalidArgument(formatError('makeVec.options.makeOptions', "structured-cloneable make options (no functions) for vectorizationMode 'async'", describeValue(makeOptions), `Pass plain data (${(err as Error).message})`));
  }
  return AsyncVectorEnv.create({
    factory: registeredEnvFactory({ id, module: reg.module, makeOptions }),
    numEnvs,
    numWorkers: options.numWorkers,
    infoKeys: options.infoKeys,
  });
}
