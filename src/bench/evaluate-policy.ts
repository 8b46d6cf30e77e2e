import type { AsyncEnv, Env } from '../core/env.js';
import type { Policy } from '../core/policy.js';
import { runEpisodes, assertPolicyFits, type EpisodeOutcome } from '../core/run-episodes.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** Options of {@link evaluatePolicy}. */
export interface EvaluatePolicyOptions {
  /** Episodes to run, a positive integer. Default 10 (SB3's `n_eval_episodes`). */
  episodes?: number;
  /** Episode k resets with `seed + k`, a safe integer. Default 0, so evaluations are reproducible. */
  seed?: number;
  /** Take the mode of the action distribution. Default true (SB3's `deterministic=True`). */
  deterministic?: boolean;
  /** Stops early; the figures then cover the episodes finished (`aborted: true`). */
  signal?: AbortSignal;
  /**
   * Give the event loop a turn every this many steps (see `runEpisodes`), so
   * a Ctrl-C handler can abort a synchronous env and policy mid-episode.
   * Default: never.
   */
  yieldEvery?: number;
  /** Called after every finished episode (progress display). */
  onEpisode?: (episode: EpisodeOutcome) => void;
}

/** What {@link evaluatePolicy} measured. Arrays are indexed by episode. */
export interface PolicyEvaluation {
  /** Finished episodes (the requested number unless aborted). */
  episodes: number;
  /** Undiscounted return of each episode. */
  returns: number[];
  /** Length of each episode in steps. */
  lengths: number[];
  /** `info.isSuccess` of each episode's last step, null where the task did not report it. */
  successes: Array<boolean | null>;
  /** Seed of each episode's reset (`seed + k`). */
  seeds: number[];
  /** Mean return (NaN when no episode finished). */
  meanReturn: number;
  /** Population standard deviation of the returns (ddof 0, as SB3's `evaluate_policy` with numpy's `std`). */
  stdReturn: number;
  /** Mean episode length. */
  meanLength: number;
  /** Fraction of the episodes reporting success that succeeded; null when none reported it. */
  successRate: number | null;
  /** Stopped by `signal` before all episodes finished. */
  aborted: boolean;
}

/**
 * Runs `policy` in `env` for `episodes` episodes (episode k reset with
 * `seed + k`, deterministic actions by default) and reports per-episode
 * returns, lengths and successes with their mean, population std and
 * success rate: Stable-Baselines3's `evaluate_policy` on lamkit's single
 * rollout loop ({@link runEpisodes}). The same seed gives the same figures
 * for a deterministic env and policy.
 *
 * Takes env objects (resolving a task id stays with the caller: `make`,
 * `makeAsync`); the env is not closed. An `AsyncEnv` (a robot) works too.
 *
 * ```ts
 * const env = make('CartPole-v1');
 * const ev = await evaluatePolicy(policy, env, { episodes: 10, seed: 0 });
 * console.log(`${ev.meanReturn} +- ${ev.stdReturn}`);
 * ```
 *
 * @throws InvalidArgument for bad options or a policy trained on other spaces.
 */
export async function evaluatePolicy(policy: Policy, env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>, options: EvaluatePolicyOptions = {}): Promise<PolicyEvaluation> {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(episodes) && episodes > 0)) {
    throw new InvalidArgument(formatError('evaluatePolicy.episodes', 'a positive integer', describeValue(episodes), 'Pass e.g. { episodes: 10 }'));
  }
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgument(formatError('evaluatePolicy.seed', 'a safe integer', describeValue(seed), 'Pass e.g. { seed: 0 }; episode k uses seed + k'));
  }
  if (options.deterministic !== undefined && typeof options.deterministic !== 'boolean') {
    throw new InvalidArgument(formatError('evaluatePolicy.deterministic', 'a boolean', describeValue(options.deterministic), 'Pass true for the distribution mode, false to sample'));
  }
  assertPolicyFits('evaluatePolicy.policy', policy, env);
  const run = await runEpisodes(env, policy, {
    episodes,
    seed,
    deterministic: options.deterministic ?? true,
    signal: options.signal,
    yieldEvery: options.yieldEvery,
    onEpisodeEnd: options.onEpisode,
  });
  return summarizeEpisodes(run.episodes, run.aborted);
}

/** Aggregates finished episodes into a {@link PolicyEvaluation}. */
function summarizeEpisodes(outcomes: readonly EpisodeOutcome[], aborted: boolean): PolicyEvaluation {
  const returns = outcomes.map((e) => e.return);
  const lengths = outcomes.map((e) => e.length);
  const successes = outcomes.map((e) => e.success);
  const n = returns.length;
  const meanReturn = n > 0 ? returns.reduce((a, b) => a + b, 0) / n : NaN;
  const stdReturn = n > 0 ? Math.sqrt(returns.reduce((a, b) => a + (b - meanReturn) ** 2, 0) / n) : NaN;
  const meanLength = n > 0 ? lengths.reduce((a, b) => a + b, 0) / n : NaN;
  let reported = 0;
  let succeeded = 0;
  for (const s of successes) {
    if (s === null) continue;
    reported++;
    if (s) succeeded++;
  }
  return {
    episodes: n,
    returns,
    lengths,
    successes,
    seeds: outcomes.map((e) => e.seed as number),
    meanReturn,
    stdReturn,
    meanLength,
    successRate: reported > 0 ? succeeded / reported : null,
    aborted,
  };
}
