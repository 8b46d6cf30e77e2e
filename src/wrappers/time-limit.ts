import type { Env, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * Truncates episodes after `maxEpisodeSteps` steps (Gymnasium's `TimeLimit`):
 * the step that reaches the limit returns `truncated = true` (and keeps the
 * env's own `terminated`, so both can be true together).
 */
export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  readonly maxEpisodeSteps: number;
  private elapsedSteps = 0;

  constructor(env: Env<Obs, Act>, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new InvalidArgument(formatError('TimeLimit.maxEpisodeSteps', 'a positive integer', describeValue(maxEpisodeSteps), 'Pass e.g. 500'));
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** Steps taken in the current episode. */
  get elapsed(): number {
    return this.elapsedSteps;
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    this.elapsedSteps = 0;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) r.truncated = true;
    return r;
  }
}
