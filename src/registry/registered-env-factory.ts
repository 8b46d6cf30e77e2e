import type { WorkerEnvFactory, EnvMaker } from '../vector/worker-env-factory.js';
import { make, prepare, type MakeOptions } from './registry.js';

/** Arguments of {@link makeRegistered} (structured-cloneable). */
export interface RegisteredEnvArgs {
  /** Registered env id. */
  id: string;
  /** URL of the module that registers `id` (the registration's `module`); imported first. */
  module: string;
  /** Options of `make` for every sub-env (plain data). */
  makeOptions?: MakeOptions;
}

/**
 * A {@link WorkerEnvFactory} export: in a worker thread, imports the module
 * that registers `id`, awaits the task's `prepare` hook (e.g. MuJoCo's WASM),
 * and returns a maker that calls `make(id, makeOptions)`. This is how
 * `makeVec(id, { vectorizationMode: 'async' })` builds sub-envs; the vector
 * layer below only sees a module URL and an export name.
 */
export async function makeRegistered(args: RegisteredEnvArgs): Promise<EnvMaker> {
  await import(args.module);
  await prepare(args.id);
  return () => make(args.id, args.makeOptions ?? {});
}

/** This module's URL as workers must import it (the `.ts` source under tsx, the `.js` file when built). */
const SELF_URL = import.meta.url;

/** The {@link WorkerEnvFactory} that makes the registered task `args.id` in each worker. */
export function registeredEnvFactory(args: RegisteredEnvArgs): WorkerEnvFactory {
  return { module: SELF_URL, exportName: 'makeRegistered', args };
}
