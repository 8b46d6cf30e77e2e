import type { Env, EnvSpec } from '../core/env.js';
import { RegistryError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { OrderEnforcing } from '../wrappers/order-enforcing.js';
import { TimeLimit } from '../wrappers/time-limit.js';
import { PassiveEnvChecker } from '../wrappers/passive-env-checker.js';

/** Creates the bare env from the registration's kwargs merged with `make`'s. */
export type EnvFactory = (kwargs: Record<string, unknown>) => Env<any, any>;

/** A registration (Gymnasium's `EnvSpec` plus how to build it). */
export interface EnvRegistration {
  /** `Name-vN` (optionally `namespace/Name-vN`). */
  id: string;
  entryPoint: EnvFactory;
  /** TimeLimit added by `make`; omit for none. */
  maxEpisodeSteps?: number;
  /** Return at which the task counts as solved. */
  rewardThreshold?: number;
  /** True when the same seed may not give the same episode. */
  nondeterministic?: boolean;
  /** Default kwargs passed to `entryPoint`. */
  kwargs?: Record<string, unknown>;
  /**
   * Module URL that registers this id when imported. Worker threads
   * (`AsyncVectorEnv`) import it to rebuild the env; built-in tasks set it.
   */
  module?: string;
  /**
   * Async work the task needs before `make` can build it synchronously, e.g.
   * loading MuJoCo's WASM module. Run by `makeAsync`/`makeVec`; idempotent.
   */
  prepare?: () => Promise<void>;
}

/** Options of `make`. */
export interface MakeOptions {
  /** Overrides the registration's `maxEpisodeSteps` (0 or null: no TimeLimit). */
  maxEpisodeSteps?: number | null;
  /** Skips the passive checker (e.g. in hot benchmark loops). */
  disableEnvChecker?: boolean;
  /** Task kwargs, merged over the registration's. */
  kwargs?: Record<string, unknown>;
  /** Render mode, passed to the task as `kwargs.renderMode`. */
  renderMode?: string;
}

const ID_RE = /^(?:[\w:.-]+\/)?[\w:.-]+?(?:-v(\d+))?$/;
const registry = new Map<string, EnvRegistration>();

/** Registers a task under `spec.id`. Registering an id twice is an error unless `override` is set. */
export function register(spec: EnvRegistration, options: { override?: boolean } = {}): void {
  if (typeof spec?.id !== 'string' || !ID_RE.test(spec.id)) {
    throw new RegistryError(formatError('register.id', "an id like 'Name-v0' or 'namespace/Name-v1'", describeValue(spec?.id), 'Use letters, digits, - _ . and a -vN suffix'));
  }
  if (typeof spec.entryPoint !== 'function') {
    throw new RegistryError(formatError(`register(${spec.id}).entryPoint`, 'a function (kwargs) => Env', describeValue(spec.entryPoint), 'Pass a factory function'));
  }
  if (spec.maxEpisodeSteps !== undefined && (!Number.isInteger(spec.maxEpisodeSteps) || spec.maxEpisodeSteps <= 0)) {
    throw new RegistryError(formatError(`register(${spec.id}).maxEpisodeSteps`, 'a positive integer', describeValue(spec.maxEpisodeSteps), 'Omit it for no time limit'));
  }
  if (registry.has(spec.id) && !options.override) {
    throw new RegistryError(formatError('register', `a new id`, `'${spec.id}', which is already registered`, 'Pick another id or pass { override: true }'));
  }
  registry.set(spec.id, { ...spec, kwargs: { ...(spec.kwargs ?? {}) } });
}

/** Removes a registration (mainly for tests). */
export function unregister(id: string): boolean {
  return registry.delete(id);
}

/** Ids of all registered tasks, sorted. */
export function registeredIds(): string[] {
  return [...registry.keys()].sort();
}

/** The registration of `id`, or a `RegistryError` suggesting close matches. */
export function spec(id: string): EnvRegistration {
  const reg = registry.get(id);
  if (reg) return reg;
  const base = String(id).replace(/-v\d+$/, '');
  const versions = registeredIds().filter((k) => k.replace(/-v\d+$/, '') === base);
  const hint = versions.length > 0 ? `Registered versions: ${versions.join(', ')}` : `Registered ids: ${registeredIds().join(', ') || '(none)'}`;
  throw new RegistryError(formatError('make.id', 'a registered env id', describeValue(id), hint));
}

/**
 * Creates a registered task wrapped like Gymnasium's `make`:
 * `PassiveEnvChecker` -> `OrderEnforcing` -> `TimeLimit` (outermost), with
 * `env.spec` set.
 */
export function make<Obs = any, Act = any>(id: string, options: MakeOptions = {}): Env<Obs, Act> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgument(formatError('make.options', 'an object', describeValue(options), 'Pass e.g. { maxEpisodeSteps: 100 }'));
  }
  const reg = spec(id);
  const kwargs = { ...reg.kwargs, ...(options.kwargs ?? {}) };
  if (options.renderMode !== undefined) kwargs.renderMode = options.renderMode;
  let env: Env<any, any> = reg.entryPoint(kwargs);
  const maxEpisodeSteps = options.maxEpisodeSteps === undefined ? reg.maxEpisodeSteps : options.maxEpisodeSteps || undefined;
  const envSpec: EnvSpec = {
    id: reg.id,
    maxEpisodeSteps,
    rewardThreshold: reg.rewardThreshold,
    nondeterministic: reg.nondeterministic ?? false,
    kwargs,
  };
  env.unwrapped.spec = envSpec;
  if (!options.disableEnvChecker) env = new PassiveEnvChecker(env);
  env = new OrderEnforcing(env);
  if (maxEpisodeSteps !== undefined) env = new TimeLimit(env, maxEpisodeSteps);
  return env as Env<Obs, Act>;
}

/**
 * Like `make`, after awaiting the registration's `prepare` hook (e.g. loading
 * MuJoCo's WASM module). Always safe; required for tasks that declare `prepare`
 * unless it was already awaited.
 */
export async function makeAsync<Obs = any, Act = any>(id: string, options: MakeOptions = {}): Promise<Env<Obs, Act>> {
  await prepare(id);
  return make<Obs, Act>(id, options);
}

/** Awaits the `prepare` hook of `id` (no-op when it has none). */
export async function prepare(id: string): Promise<void> {
  const reg = spec(id);
  if (reg.prepare) await reg.prepare();
}
