import type { AsyncEnv, Env, Info, StepResult } from './env.js';
import type { Policy } from './policy.js';
import type { ActionBatch } from './vector-env.js';
import { ActionUnbatcher } from './vector-env.js';
import { Discrete } from './spaces/discrete.js';
import { MultiBinary } from './spaces/multi-binary.js';
import { InvalidArgument, formatError, describeValue } from './errors.js';

/**
 * One step as the per-step hook sees it. The loop hands the hook the SAME
 * object on every step (no per-step allocation): copy the fields you keep.
 */
export interface EpisodeStep<Obs = unknown, Act = unknown> {
  /** Episode index in this run, from 0. */
  episode: number;
  /** Step index within the episode, from 0. */
  t: number;
  /** Steps of the whole run before this one. */
  totalSteps: number;
  /** Observation the action was chosen from. */
  obs: Obs;
  /**
   * The action given to `env.step`: a number for `Discrete`, else a view of
   * the policy's `ActionBatch` (valid until the policy's next `act`).
   */
  action: Act;
  reward: number;
  /** Observation after the step (the true final observation on the last step). */
  nextObs: Obs;
  terminated: boolean;
  truncated: boolean;
  info: Info;
  /** Undiscounted return of the episode so far, this step included. */
  episodeReturn: number;
}

/** What the loop hands `onEpisodeStart` after each reset. */
export interface EpisodeStart<Obs = unknown> {
  /** Episode index in this run, from 0. */
  episode: number;
  /** Seed the env was reset with, or null for an unseeded reset. */
  seed: number | null;
  obs: Obs;
  info: Info;
}

/** One finished episode. */
export interface EpisodeOutcome {
  /** Episode index in this run, from 0. */
  episode: number;
  /** Seed of its reset, or null for an unseeded reset. */
  seed: number | null;
  /** Undiscounted sum of rewards. */
  return: number;
  /** Steps taken. */
  length: number;
  /** `info.isSuccess` of the last step as a boolean (numbers: nonzero = true), or null when the task did not report it. */
  success: boolean | null;
  /** The last step reached a terminal state of the MDP. */
  terminated: boolean;
  /** The last step was truncated, or `onStep` ended the episode (an outside cause, in Gymnasium's terms). */
  truncated: boolean;
}

/**
 * What `onStep` may ask of the loop: nothing (carry on), or `'end-episode'`
 * to end the current episode after this step (the next step starts a new
 * one; the record counts it as truncated). E.g. the viewer's reset button.
 */
export type StepControl = void | 'end-episode';

/** Options of {@link runEpisodes}. Every limit is optional; the loop stops at the first one reached. */
export interface RunEpisodesOptions<Obs = unknown, Act = unknown> {
  /** Stop after this many finished episodes (positive integer). Default: no limit. */
  episodes?: number;
  /** Stop after this many steps in total (positive integer); the episode cut short is not recorded. Default: no limit. */
  maxSteps?: number;
  /** Episode k resets with `seed + k` (a safe integer). Exclusive with `seeds`. */
  seed?: number;
  /**
   * Episode k resets with `seeds[k]`; episodes past the end of the list reset
   * without a seed, continuing the env's random stream (`[s]` seeds only the
   * first episode, Gymnasium's usual pattern). Exclusive with `seed`.
   * Neither: every reset is unseeded.
   */
  seeds?: readonly number[];
  /** Passed to `policy.act` (take the mode of the distribution). Default false. */
  deterministic?: boolean;
  /**
   * Stops the loop: checked before every reset and step (an env or policy
   * call in flight completes first). The loop then resolves with
   * `aborted: true`; it does not throw.
   */
  signal?: AbortSignal;
  /**
   * Give the event loop a turn (a `setTimeout(0)`) every this many steps.
   * Default: never. A synchronous env with a synchronous policy otherwise
   * runs without letting timers (or an abort fired from one) run.
   */
  yieldEvery?: number;
  /** Keep every {@link EpisodeOutcome} in the result. Default true; pass false for endless runs (streams, servers). */
  keepEpisodes?: boolean;
  /** Called after every reset (awaited when it returns a promise). */
  onEpisodeStart?: (start: EpisodeStart<Obs>) => void | Promise<void>;
  /** Called after every step with the reused {@link EpisodeStep} (awaited when it returns a promise). */
  onStep?: (step: EpisodeStep<Obs, Act>) => StepControl | Promise<StepControl>;
  /** Called after every finished episode (awaited when it returns a promise). */
  onEpisodeEnd?: (record: EpisodeOutcome) => void | Promise<void>;
}

/** What {@link runEpisodes} resolves with. */
export interface RunEpisodesResult {
  /** Finished episodes in order (empty when `keepEpisodes` is false). */
  episodes: EpisodeOutcome[];
  /** Number of finished episodes. */
  episodeCount: number;
  /** Steps taken in total, the unfinished episode's included. */
  steps: number;
  /** The loop stopped because `signal` aborted. */
  aborted: boolean;
}

/**
 * The one "policy drives env" loop: reset, then flatten the observation into
 * `Float32Array [1 x obsDim]`, `policy.act`, unbatch the action, `env.step`,
 * until the episode ends; repeat until `episodes`, `maxSteps` or `signal`.
 * `policy.resetEpisode?.(0)` is called at every episode start (history-based
 * policies clear their context). Works with a synchronous `Env` and with an
 * `AsyncEnv` (a robot over WebSocket, an env in a worker): results that are
 * not promises are used without awaiting, so a synchronous env and policy
 * run without microtask hops. Beyond what the env and the policy return, the
 * loop allocates nothing per step (MultiBinary actions reuse one buffer).
 *
 * Evaluation (`evaluatePolicy`), the `transitions` stream, the viewer and
 * the policy server are built on it through the hooks. The env is not
 * closed (its owner closes it).
 *
 * ```ts
 * const { episodes } = await runEpisodes(env, policy, { episodes: 10, seed: 0, deterministic: true });
 * episodes.map((e) => e.return);
 * ```
 *
 * @throws InvalidArgument for bad options or a policy whose spaces differ from the env's;
 *   `InvalidAction` when the policy returns a batch of the wrong type or length.
 */
export async function runEpisodes<Obs = unknown, Act = unknown>(env: Env<Obs, Act> | AsyncEnv<Obs, Act>, policy: Policy, options: RunEpisodesOptions<Obs, Act> = {}): Promise<RunEpisodesResult> {
  const episodes = limit('runEpisodes.episodes', options.episodes);
  const maxSteps = limit('runEpisodes.maxSteps', options.maxSteps);
  const yieldEvery = limit('runEpisodes.yieldEvery', options.yieldEvery);
  const seedOf = seeding(options.seed, options.seeds);
  assertPolicyFits('runEpisodes.policy', policy, env);
  const { signal, onEpisodeStart, onStep, onEpisodeEnd } = options;
  const keep = options.keepEpisodes ?? true;

  const space = env.observationSpace;
  const flat = new Float32Array(space.flatDim);
  const unbatch: ActionUnbatcher = new ActionUnbatcher(env.actionSpace, 1);
  const toAction = singleAction(env.actionSpace);
  const actOptions = { deterministic: options.deterministic ?? false };
  const result: RunEpisodesResult = { episodes: [], episodeCount: 0, steps: 0, aborted: false };
  const step: EpisodeStep<Obs, Act> = { episode: 0, t: 0, totalSteps: 0, obs: undefined as Obs, action: undefined as Act, reward: 0, nextObs: undefined as Obs, terminated: false, truncated: false, info: {}, episodeReturn: 0 };

  for (let episode = 0; episode < episodes && result.steps < maxSteps; episode++) {
    if (signal?.aborted) break;
    const seed = seedOf(episode);
    const resetting = env.reset(seed === null ? {} : { seed });
    const reset = isPromiseLike(resetting) ? await resetting : resetting;
    policy.resetEpisode?.(0);
    if (onEpisodeStart) {
      const started = onEpisodeStart({ episode, seed, obs: reset.obs, info: reset.info });
      if (isPromiseLike(started)) await started;
    }
    let obs = reset.obs;
    let episodeReturn = 0;
    let length = 0;
    let last: StepResult<Obs> | null = null;
    let endedByHook = false;
    while (result.steps < maxSteps) {
      if (signal?.aborted) break;
      space.flattenInto(obs, flat, 0);
      const acting = policy.act(flat, actOptions);
      const batch = isPromiseLike(acting) ? await acting : acting;
      if (signal?.aborted) break;
      unbatch.check('runEpisodes.policy.act', batch);
      const action = toAction(batch) as Act;
      const stepping = env.step(action);
      last = isPromiseLike(stepping) ? await stepping : stepping;
      episodeReturn += last.reward;
      length++;
      result.steps++;
      if (onStep) {
        step.episode = episode;
        step.t = length - 1;
        step.totalSteps = result.steps - 1;
        step.obs = obs;
        step.action = action;
        step.reward = last.reward;
        step.nextObs = last.obs;
        step.terminated = last.terminated;
        step.truncated = last.truncated;
        step.info = last.info;
        step.episodeReturn = episodeReturn;
        const control = onStep(step);
        endedByHook = (isPromiseLike(control) ? await control : control) === 'end-episode';
      }
      obs = last.obs;
      if (last.terminated || last.truncated || endedByHook) break;
      if (result.steps % yieldEvery === 0) await yieldToEventLoop();
    }
    if (last === null || !(last.terminated || last.truncated || endedByHook)) break; // aborted or out of steps mid-episode
    const record: EpisodeOutcome = {
      episode,
      seed,
      return: episodeReturn,
      length,
      success: successOf(last.info),
      terminated: last.terminated,
      truncated: last.truncated || (endedByHook && !last.terminated),
    };
    result.episodeCount++;
    if (keep) result.episodes.push(record);
    if (onEpisodeEnd) {
      const ended = onEpisodeEnd(record);
      if (isPromiseLike(ended)) await ended;
    }
    if (result.steps % yieldEvery === 0) await yieldToEventLoop();
  }
  result.aborted = signal?.aborted ?? false;
  return result;
}

/**
 * Throws `InvalidArgument` (message starting with `where`) unless the
 * policy's spaces equal the env's.
 */
export function assertPolicyFits(where: string, policy: Policy, env: { observationSpace: Policy['observationSpace']; actionSpace: Policy['actionSpace'] }): void {
  if (policy.observationSpace.equals(env.observationSpace) && policy.actionSpace.equals(env.actionSpace)) return;
  throw new InvalidArgument(
    formatError(where, `a policy for ${env.observationSpace.toString()} -> ${env.actionSpace.toString()}`, `${policy.observationSpace.toString()} -> ${policy.actionSpace.toString()}`, 'Load the policy trained on this task'),
  );
}

/** `info.isSuccess` as a boolean, or null when absent or not a boolean/number. */
function successOf(info: Info): boolean | null {
  const s = info.isSuccess;
  if (typeof s === 'boolean') return s;
  if (typeof s === 'number') return s !== 0;
  return null;
}

/** A positive-integer limit, Infinity when omitted. */
function limit(where: string, value: number | undefined): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (Number.isInteger(value) && value > 0) return value;
  throw new InvalidArgument(formatError(where, 'a positive integer', describeValue(value), 'Omit it for no limit'));
}

/** The seed of episode k, or null for an unseeded reset. */
function seeding(seed: number | undefined, seeds: readonly number[] | undefined): (k: number) => number | null {
  if (seed !== undefined && seeds !== undefined) {
    throw new InvalidArgument(formatError('runEpisodes.seeds', 'either seed or seeds', `both (seed ${describeValue(seed)}, seeds ${describeValue(seeds)})`, 'Pass seed for seed + k, or the explicit list'));
  }
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed)) throw new InvalidArgument(formatError('runEpisodes.seed', 'a safe integer', describeValue(seed), 'Pass e.g. { seed: 0 }'));
    return (k) => seed + k;
  }
  if (seeds !== undefined) {
    if (!Array.isArray(seeds) || !seeds.every((s) => Number.isSafeInteger(s))) {
      throw new InvalidArgument(formatError('runEpisodes.seeds', 'an array of safe integers', describeValue(seeds), 'Pass e.g. { seeds: [0, 1, 2] }'));
    }
    return (k) => (k < seeds.length ? seeds[k] : null);
  }
  return () => null;
}

/** How the single action of a `[1 x actDim]` batch is handed to `env.step`, without allocating. */
function singleAction(space: Policy['actionSpace']): (batch: ActionBatch) => unknown {
  if (space instanceof Discrete) return (batch) => batch[0];
  if (space instanceof MultiBinary) {
    const bits = new Int8Array(space.flatDim);
    return (batch) => (bits.set(batch), bits);
  }
  // Box / MultiDiscrete: the [1 x actDim] batch is the action itself.
  return (batch) => batch;
}

/** True for promises (and thenables): only those are awaited, so synchronous results cost no microtask hop or wrapper promise. */
function isPromiseLike<T>(x: T | PromiseLike<T>): x is PromiseLike<T> {
  return typeof (x as { then?: unknown } | null | undefined)?.then === 'function';
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
