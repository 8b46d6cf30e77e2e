import type { Env, StepResult } from './env.js';
import { Space } from './spaces/space.js';
import { Rng } from './rng.js';
import { EnvCheckError, ResetNeeded, formatError, describeValue } from './errors.js';

/** Options of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** Seed of the seeded resets and of the action sampler. Default 0. */
  seed?: number;
  /** Steps per seeded rollout (episodes that end are reset and continued). Default 20. */
  steps?: number;
  /**
   * Builds a second, fresh instance of the same env (e.g. `() => make(id)`).
   * When given, `checkEnv` also checks that a fresh env refuses `step()`
   * before `reset()` with `ResetNeeded`, and that two instances with the
   * same seed produce the same trajectory. Instances it builds are closed.
   */
  makeFresh?: () => Env<unknown, unknown>;
  /** Skip the determinism checks (default: `env.spec?.nondeterministic`). */
  nondeterministic?: boolean;
  /** Leave `env` open (by default `checkEnv` ends by calling `close()` twice). */
  skipClose?: boolean;
}

/** One recorded step, with observations copied into plain arrays. */
interface Recorded {
  obs: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Checks that `env` keeps the Env contract (Gymnasium's `check_env`), and
 * throws an `EnvCheckError` that names the broken rule, the offending
 * value and how to fix it. It checks:
 *
 * - `observationSpace` and `actionSpace` are `Space` instances whose own
 *   samples they contain; `metadata.renderModes` is an array;
 * - `step()` before the first `reset()` throws `ResetNeeded` (on a fresh env:
 *   `env` itself when an `OrderEnforcing` in its stack has not seen a reset
 *   yet, and `options.makeFresh()` when given);
 * - `reset` returns `{ obs, info }` with `obs` in the observation space, both
 *   seeded and unseeded; `reset({ seed })` twice gives the same observation,
 *   and re-seeds the env's `npRandom` (when it exposes one, as `BaseEnv` does);
 * - every `step` returns `{ obs, reward, terminated, truncated, info }` with
 *   `obs` in the space, a finite numeric reward, boolean flags and an object
 *   `info`; the observation of one step is not overwritten by the next;
 * - the same seed and the same seeded action samples give the same
 *   trajectory, twice on `env` (and on a fresh instance when `makeFresh` is
 *   given), unless the env is declared nondeterministic;
 * - `close()` may be called twice.
 *
 * It resets and steps `env` (and closes it unless `skipClose`).
 */
export function checkEnv(env: Env<unknown, unknown>, options: CheckEnvOptions = {}): void {
  const where = `checkEnv(${envName(env)})`;
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 20;
  checkSpaces(where, env, seed);

  if (hasUnresetOrderEnforcing(env)) checkStepBeforeReset(`${where}.step`, env);
  let fresh: Env<unknown, unknown> | undefined;
  if (options.makeFresh) {
    fresh = options.makeFresh();
    checkStepBeforeReset(`${where}.makeFresh().step`, fresh);
  }

  try {
    const first = env.reset({ seed });
    checkResetResult(`${where}.reset({ seed: ${seed} })`, env, first);
    const again = env.reset({ seed });
    checkResetResult(`${where}.reset({ seed: ${seed} })`, env, again);
    const nondeterministic = options.nondeterministic ?? env.spec?.nondeterministic ?? false;
    if (!nondeterministic) {
      const diff = firstDifference(snapshot(first.obs), snapshot(again.obs), 'obs');
      if (diff !== null) {
        throw new EnvCheckError(
          formatError(
            `${where}.reset`,
            `the same observation from reset({ seed: ${seed} }) twice`,
            `different observations (${diff})`,
            'Draw every random number from this.rng (re-seeded by reset({ seed })), never Math.random or a generator shared across instances',
          ),
        );
      }
    }
    checkResetResult(`${where}.reset()`, env, env.reset());
    if (!nondeterministic) checkRngReseeded(`${where}.reset`, env, seed);

    const a = rollout(where, env, seed, steps);
    const b = rollout(where, env, seed, steps);
    if (!nondeterministic) {
      compareTrajectories(`${where}.step`, a, b, 'two rollouts of the same env');
      if (fresh) compareTrajectories(`${where}.step`, a, rollout(where, fresh, seed, steps), 'the env and a fresh instance from makeFresh()');
    }
  } finally {
    fresh?.close();
  }

  if (!options.skipClose) {
    for (const attempt of ['first', 'second']) {
      try {
        env.close();
      } catch (err) {
        throw new EnvCheckError(
          formatError(`${where}.close`, `close() to succeed when called twice`, `${describeError(err)} on the ${attempt} call`, 'Make close() idempotent: release resources once, then return'),
        );
      }
    }
  }
}

function envName(env: Env<unknown, unknown>): string {
  return env?.spec?.id ?? env?.unwrapped?.constructor?.name ?? describeValue(env);
}

function checkSpaces(where: string, env: Env<unknown, unknown>, seed: number): void {
  if (env === null || typeof env !== 'object' || typeof env.reset !== 'function' || typeof env.step !== 'function') {
    throw new EnvCheckError(formatError(where, 'an Env with reset() and step()', describeValue(env), 'Extend BaseEnv or implement the Env interface'));
  }
  const rng = new Rng(seed);
  for (const name of ['observationSpace', 'actionSpace'] as const) {
    const space = env[name] as unknown;
    if (!(space instanceof Space)) {
      throw new EnvCheckError(formatError(`${where}.${name}`, 'a Space instance (Box, Discrete, ...)', describeValue(space), `Set ${name} to a lamkit Space in the constructor`));
    }
    const sample = space.sample(rng);
    const why = space.explain(sample);
    if (why !== null) {
      throw new EnvCheckError(formatError(`${where}.${name}`, 'a space that contains its own samples', `${describeValue(sample)} (${why})`, 'Check the bounds and dtype of the space'));
    }
  }
  const modes = (env.metadata as { renderModes?: unknown } | undefined)?.renderModes;
  if (!Array.isArray(modes)) {
    throw new EnvCheckError(formatError(`${where}.metadata.renderModes`, 'an array of render modes', describeValue(modes), "Set metadata = { renderModes: [] } when the env cannot render"));
  }
}

/**
 * Gymnasium's `check_reset_seed`: for envs that expose their generator
 * (`BaseEnv.npRandom`), `reset({ seed })` must put it in the same state for
 * the same seed and in a different state for another seed.
 */
function checkRngReseeded(where: string, env: Env<unknown, unknown>, seed: number): void {
  const rng = (env.unwrapped as { npRandom?: unknown }).npRandom;
  if (!(rng instanceof Rng)) return;
  env.reset({ seed });
  const a = JSON.stringify(rng.getState());
  env.reset({ seed });
  const b = JSON.stringify(rng.getState());
  env.reset({ seed: seed + 1 });
  const c = JSON.stringify(rng.getState());
  if (a !== b || a === c) {
    throw new EnvCheckError(
      formatError(
        where,
        'reset({ seed }) to re-seed the env generator (same seed: same state, other seed: other state)',
        a !== b ? `a different generator state after two resets with seed ${seed}` : `the same generator state for seeds ${seed} and ${seed + 1}`,
        'Call this.seedRng(args) at the start of reset() and draw only from this.rng',
      ),
    );
  }
}

/** True when some wrapper in `env`'s stack tracks reset order and has not seen a reset. */
function hasUnresetOrderEnforcing(env: Env<unknown, unknown>): boolean {
  let e: unknown = env;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 64; depth++) {
    if ((e as { hasResetBefore?: unknown }).hasResetBefore === false) return true;
    e = (e as { env?: unknown }).env;
  }
  return false;
}

function checkStepBeforeReset(where: string, env: Env<unknown, unknown>): void {
  const action = env.actionSpace.sample(new Rng(0));
  let result: unknown;
  try {
    result = env.step(action);
  } catch (err) {
    if (err instanceof ResetNeeded) return;
    throw new EnvCheckError(
      formatError(where, 'ResetNeeded from step() before the first reset()', describeError(err), 'Throw ResetNeeded when step() comes before reset(), or wrap with OrderEnforcing (make does)'),
    );
  }
  throw new EnvCheckError(
    formatError(where, 'ResetNeeded from step() before the first reset()', `a result ${describeValue(result)}`, 'Wrap the env with OrderEnforcing (make does), or throw ResetNeeded in step() until reset() is called'),
  );
}

function checkResetResult(where: string, env: Env<unknown, unknown>, r: unknown): void {
  if (r === null || typeof r !== 'object' || !('obs' in r) || !('info' in r)) {
    throw new EnvCheckError(formatError(where, 'an object { obs, info }', describeValue(r), 'Return { obs, info } from reset() (Gymnasium 1.x)'));
  }
  const { obs, info } = r as { obs: unknown; info: unknown };
  checkObs(`${where}.obs`, env, obs);
  checkInfo(`${where}.info`, info);
}

function checkObs(where: string, env: Env<unknown, unknown>, obs: unknown): void {
  const why = env.observationSpace.explain(obs);
  if (why !== null) {
    throw new EnvCheckError(
      formatError(where, `a value in ${env.observationSpace.toString()}`, `${describeValue(obs)} (${why})`, 'Return observations inside observationSpace (check shape, dtype and bounds)'),
    );
  }
}

function checkInfo(where: string, info: unknown): void {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    throw new EnvCheckError(formatError(where, 'an info object', describeValue(info), 'Return {} when there is nothing to report'));
  }
}

function checkStepResult(where: string, env: Env<unknown, unknown>, r: StepResult<unknown>): void {
  if (r === null || typeof r !== 'object') {
    throw new EnvCheckError(formatError(where, 'an object { obs, reward, terminated, truncated, info }', describeValue(r), 'Return the five named fields'));
  }
  checkObs(`${where}.obs`, env, r.obs);
  if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
    throw new EnvCheckError(formatError(`${where}.reward`, 'a finite number', describeValue(r.reward), 'Return a numeric reward (check for NaN from the dynamics)'));
  }
  for (const flag of ['terminated', 'truncated'] as const) {
    if (typeof r[flag] !== 'boolean') {
      throw new EnvCheckError(formatError(`${where}.${flag}`, 'a boolean', describeValue(r[flag]), 'Return true/false, never a number or a single `done`'));
    }
  }
  checkInfo(`${where}.info`, r.info);
}

/** Seeded rollout of `steps` steps, resetting (unseeded) when an episode ends. */
function rollout(where: string, env: Env<unknown, unknown>, seed: number, steps: number): Recorded[] {
  const out: Recorded[] = [];
  const { obs } = env.reset({ seed });
  out.push({ obs: snapshot(obs), reward: 0, terminated: false, truncated: false });
  const actionRng = new Rng(seed);
  let prevObs: unknown = obs;
  let prevCopy: unknown = snapshot(obs);
  for (let t = 0; t < steps; t++) {
    const action = env.actionSpace.sample(actionRng);
    const r = env.step(action);
    checkStepResult(`${where}.step (step ${t})`, env, r);
    const diff = firstDifference(prevCopy, snapshot(prevObs), 'obs');
    if (diff !== null) {
      throw new EnvCheckError(
        formatError(
          `${where}.step (step ${t})`,
          'observations owned by the caller',
          `the previous observation changed after step() (${diff})`,
          'Return a new array from reset()/step(); do not reuse an internal buffer',
        ),
      );
    }
    prevObs = r.obs;
    prevCopy = snapshot(r.obs);
    out.push({ obs: prevCopy, reward: r.reward, terminated: r.terminated, truncated: r.truncated });
    if (r.terminated || r.truncated) {
      const reset = env.reset();
      checkResetResult(`${where}.reset() after an episode end`, env, reset);
      prevObs = reset.obs;
      prevCopy = snapshot(reset.obs);
      out.push({ obs: prevCopy, reward: 0, terminated: false, truncated: false });
    }
  }
  return out;
}

function compareTrajectories(where: string, a: Recorded[], b: Recorded[], what: string): void {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const diff = firstDifference(a[i], b[i], `record ${i}`);
    if (diff !== null) {
      throw new EnvCheckError(
        formatError(
          where,
          `the same trajectory from ${what} with the same seed and seeded actions`,
          `a difference at ${diff}`,
          'Draw every random number from this.rng (re-seeded by reset({ seed })) and keep no state across episodes or instances outside reset()',
        ),
      );
    }
  }
  if (a.length !== b.length) {
    throw new EnvCheckError(
      formatError(where, `the same trajectory from ${what}`, `${a.length} and ${b.length} records (episodes ended at different steps)`, 'Make episode ends depend only on the seeded state'),
    );
  }
}

/** A deep copy with typed arrays turned into plain arrays (so later mutation is visible). */
function snapshot(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(snapshot);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = snapshot((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Describes the first difference between two snapshots, or null when equal (NaN equals NaN). */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || (Number.isNaN(a) && Number.isNaN(b)) ? null : `${path}: ${describeValue(a)} vs ${describeValue(b)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${describeValue(a)} vs ${describeValue(b)}`;
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : `a thrown ${describeValue(err)}`;
}
