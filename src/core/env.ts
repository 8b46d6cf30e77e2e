import type { Space } from './spaces/space.js';
import { Rng } from './rng.js';

/** Free-form per-step information (Gymnasium's `info` dict). */
export type Info = Record<string, unknown>;

/** Arguments of `reset` (Gymnasium's `reset(seed=None, options=None)`). */
export interface ResetArgs {
  /** Re-seeds the env's own `Rng` before resetting. Omit to continue the current stream. */
  seed?: number;
  /** Task-specific options, e.g. `{ state: [...] }` to start from a given state. */
  options?: Record<string, unknown>;
}

/** What `reset` returns. */
export interface ResetResult<Obs> {
  obs: Obs;
  info: Info;
}

/** What `step` returns: Gymnasium 1.x's 5-tuple, as named fields. */
export interface StepResult<Obs> {
  obs: Obs;
  reward: number;
  /** The task reached a terminal state of the MDP (no bootstrapping past it). */
  terminated: boolean;
  /** The episode was cut short by a time limit or an outside cause (bootstrap from `obs`). */
  truncated: boolean;
  info: Info;
}

/** Static description of an env (Gymnasium's `metadata`). */
export interface EnvMetadata {
  renderModes: readonly string[];
  renderFps?: number;
  [key: string]: unknown;
}

/** How a registered env was made (Gymnasium's `EnvSpec`), set by `make`. */
export interface EnvSpec {
  id: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  nondeterministic?: boolean;
  kwargs: Record<string, unknown>;
}

/**
 * The environment contract, with Gymnasium 1.x semantics.
 *
 * Invariants:
 * - `reset` must be called before the first `step` (wrappers from `make`
 *   throw `ResetNeeded` otherwise) and after an episode ends.
 * - `reset({ seed })` re-seeds the env's own `Rng`: the same seed gives the
 *   same episode.
 * - `step` returns `terminated` (MDP terminal state) and `truncated` (time
 *   limit or outside cause) separately; never a single `done`.
 * - Observations returned are owned by the caller (not reused by the env).
 * - `close()` releases resources and may be called any number of times.
 */
export interface Env<Obs = unknown, Act = unknown> {
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  readonly metadata: EnvMetadata;
  /** Render mode chosen at construction (`'rgb_array'`, ...), if any. */
  readonly renderMode?: string;
  /** Set by `make`. */
  spec?: EnvSpec;
  reset(args?: ResetArgs): ResetResult<Obs>;
  step(action: Act): StepResult<Obs>;
  render?(): unknown;
  close(): void;
  /** The innermost env below all wrappers (the env itself when unwrapped). */
  readonly unwrapped: Env<unknown, unknown>;
}

/**
 * The same contract with asynchronous `reset`/`step`, for envs that wait on
 * the outside world (a robot over WebSocket, an env in a worker thread).
 */
export interface AsyncEnv<Obs = unknown, Act = unknown> {
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  readonly metadata: EnvMetadata;
  spec?: EnvSpec;
  reset(args?: ResetArgs): Promise<ResetResult<Obs>>;
  step(action: Act): Promise<StepResult<Obs>>;
  render?(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Convenience base for concrete envs: holds the env's seeded `rng`.
 */
export abstract class BaseEnv<Obs = unknown, Act = unknown> implements Env<Obs, Act> {
  abstract readonly observationSpace: Space<Obs>;
  abstract readonly actionSpace: Space<Act>;
  readonly metadata: EnvMetadata = { renderModes: [] };
  readonly renderMode?: string;
  spec?: EnvSpec;
  /**
   * The env's own generator. Until the first seeded reset it is seeded from
   * 0, so an unseeded program is still deterministic.
   */
  protected rng: Rng = new Rng(0);

  /** Subclasses implement reset and call `this.seedRng(args)` first (Gymnasium's `super().reset(seed=seed)`). */
  abstract reset(args?: ResetArgs): ResetResult<Obs>;

  /** Re-seeds `rng` when `args.seed` is given. */
  protected seedRng(args: ResetArgs | undefined): void {
    if (args?.seed !== undefined) this.rng.seed(args.seed);
  }

  abstract step(action: Act): StepResult<Obs>;

  close(): void {}

  get unwrapped(): Env<unknown, unknown> {
    return this as unknown as Env<unknown, unknown>;
  }

  /** The env's random generator (Gymnasium's `np_random`), e.g. for state snapshots. */
  get npRandom(): Rng {
    return this.rng;
  }
}

/** Adapts a synchronous env to the `AsyncEnv` contract (promises resolve at once). */
export function toAsyncEnv<O, A>(env: Env<O, A>): AsyncEnv<O, A> {
  return {
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    metadata: env.metadata,
    spec: env.spec,
    reset: async (args) => env.reset(args),
    step: async (action) => env.step(action),
    render: env.render ? async () => env.render?.() : undefined,
    close: async () => env.close(),
  };
}
