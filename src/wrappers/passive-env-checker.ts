import type { Env, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { EnvCheckError, formatError, describeValue } from '../core/errors.js';

/**
 * Checks the first `reset` and the first `step` of an env against the Env
 * contract (Gymnasium's `PassiveEnvChecker`): the observation lies in the
 * observation space, the reward is a finite number, the flags are booleans,
 * `info` is an object. Unlike Gymnasium it throws `EnvCheckError` instead of
 * warning, so a broken task fails where it breaks. After the first step it
 * costs nothing.
 */
export class PassiveEnvChecker<Obs, Act> extends Wrapper<Obs, Act> {
  private checkedReset = false;
  private checkedStep = false;

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    if (!this.checkedReset) {
      this.checkedReset = true;
      if (r === null || typeof r !== 'object' || !('obs' in r) || !('info' in r)) {
        throw new EnvCheckError(formatError(`${this.where()}.reset`, 'an object { obs, info }', describeValue(r), 'Return { obs, info } from reset()'));
      }
      this.checkObs('reset', r.obs);
      this.checkInfo('reset', r.info);
    }
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    if (!this.checkedStep) {
      this.checkedStep = true;
      if (r === null || typeof r !== 'object') {
        throw new EnvCheckError(formatError(`${this.where()}.step`, 'an object { obs, reward, terminated, truncated, info }', describeValue(r), 'Return the 5 named fields'));
      }
      this.checkObs('step', r.obs);
      if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
        throw new EnvCheckError(formatError(`${this.where()}.step.reward`, 'a finite number', describeValue(r.reward), 'Return a numeric reward'));
      }
      for (const flag of ['terminated', 'truncated'] as const) {
        if (typeof r[flag] !== 'boolean') {
          throw new EnvCheckError(formatError(`${this.where()}.step.${flag}`, 'a boolean', describeValue(r[flag]), 'Return true/false, never a number or a single `done`'));
        }
      }
      this.checkInfo('step', r.info);
    }
    return r;
  }

  private checkObs(method: string, obs: unknown): void {
    const why = this.observationSpace.explain(obs);
    if (why !== null) {
      throw new EnvCheckError(
        formatError(`${this.where()}.${method}.obs`, `a value in ${this.observationSpace.toString()}`, `${describeValue(obs)} (${why})`, 'Make the observation match observationSpace'),
      );
    }
  }

  private checkInfo(method: string, info: unknown): void {
    if (info === null || typeof info !== 'object' || Array.isArray(info)) {
      throw new EnvCheckError(formatError(`${this.where()}.${method}.info`, 'an object', describeValue(info), 'Return {} when there is nothing to report'));
    }
  }

  private where(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }
}
