import { BaseEnv, type Info, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import type { Rng } from '../../src/core/rng.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import type { Space } from '../../src/core/spaces/space.js';

/** What an injected `reset` sees. */
export interface TestResetContext {
  /** The env's own generator (already re-seeded when `args.seed` was given). */
  rng: Rng;
  args: ResetArgs | undefined;
  /** Number of resets so far, this one included. */
  resetCount: number;
}

/** What an injected `step` sees. */
export interface TestStepContext {
  rng: Rng;
  /** Steps taken in this episode before this one (0 on the first step). */
  t: number;
  /** Steps taken since construction before this one. */
  totalSteps: number;
  resetCount: number;
}

/** Options of {@link TestEnv}: everything is injectable, everything has a simple default. */
export interface TestEnvOptions<Obs, Act> {
  /** Default: `Box(-inf, inf, [1], float32)`. */
  observationSpace?: Space<Obs>;
  /** Default: `Discrete(2)`. */
  actionSpace?: Space<Act>;
  /** Default: `{ obs: Float32Array [t], info: {} }` with t = 0. */
  reset?: (ctx: TestResetContext) => ResetResult<Obs>;
  /**
   * Default: observation `Float32Array [t + 1]` (the step count in the
   * episode), reward `t + 1`, terminated when `t + 1 === episodeLength`,
   * never truncated, `info: { t: t + 1 }`.
   */
  step?: (action: Act, ctx: TestStepContext) => StepResult<Obs>;
  /** Episode length of the default `step` (known lengths for autoreset tests). Default 5. */
  episodeLength?: number;
}

/**
 * A generic env for tests with injectable `reset`/`step` (Gymnasium's test
 * "GenericTestEnv"). Records what it was given: `actions`, `resetArgs`,
 * `resetCount`, `stepCount`, `closeCount`.
 *
 * ```ts
 * const env = new TestEnv({ episodeLength: 3 });          // counter env
 * const env2 = new TestEnv({ step: (a) => ({ obs: ..., reward: 1, terminated: false, truncated: false, info: {} }) });
 * ```
 */
export class TestEnv<Obs = Float32Array, Act = number> extends BaseEnv<Obs, Act> {
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  readonly episodeLength: number;
  readonly actions: Act[] = [];
  readonly resetArgs: Array<ResetArgs | undefined> = [];
  resetCount = 0;
  stepCount = 0;
  closeCount = 0;
  /** Steps in the current episode. */
  t = 0;
  private readonly resetFn?: TestEnvOptions<Obs, Act>['reset'];
  private readonly stepFn?: TestEnvOptions<Obs, Act>['step'];

  constructor(options: TestEnvOptions<Obs, Act> = {}) {
    super();
    this.observationSpace = options.observationSpace ?? (new Box(-Infinity, Infinity, [1], 'float32') as unknown as Space<Obs>);
    this.actionSpace = options.actionSpace ?? (new Discrete(2) as unknown as Space<Act>);
    this.episodeLength = options.episodeLength ?? 5;
    this.resetFn = options.reset;
    this.stepFn = options.step;
  }

  /** The env's generator, for injected functions and assertions. */
  get random(): Rng {
    return this.rng;
  }

  reset(args?: ResetArgs): ResetResult<Obs> {
    this.seedRng(args);
    this.resetCount++;
    this.resetArgs.push(args);
    this.t = 0;
    if (this.resetFn) return this.resetFn({ rng: this.rng, args, resetCount: this.resetCount });
    return { obs: Float32Array.of(0) as unknown as Obs, info: {} };
  }

  step(action: Act): StepResult<Obs> {
    this.actions.push(action);
    const ctx: TestStepContext = { rng: this.rng, t: this.t, totalSteps: this.stepCount, resetCount: this.resetCount };
    this.t++;
    this.stepCount++;
    if (this.stepFn) return this.stepFn(action, ctx);
    const info: Info = { t: this.t };
    return { obs: Float32Array.of(this.t) as unknown as Obs, reward: this.t, terminated: this.t === this.episodeLength, truncated: false, info };
  }

  override close(): void {
    this.closeCount++;
  }
}
