import type { Env, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { ResetNeeded } from '../core/errors.js';

/**
 * Throws `ResetNeeded` when `step` or `render` is called before the first
 * `reset` (Gymnasium's `OrderEnforcing`). `make` adds it to every env.
 */
export class OrderEnforcing<Obs, Act> extends Wrapper<Obs, Act> {
  private hasReset = false;
  private readonly disableRenderOrderEnforcing: boolean;

  constructor(env: Env<Obs, Act>, options: { disableRenderOrderEnforcing?: boolean } = {}) {
    super(env);
    this.disableRenderOrderEnforcing = options.disableRenderOrderEnforcing ?? false;
  }

  /** Whether `reset` has been called. */
  get hasResetBefore(): boolean {
    return this.hasReset;
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    this.hasReset = true;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    if (!this.hasReset) {
      throw new ResetNeeded(`${this.where()}.step: expected reset() before step(), got step() on an env that was never reset. Call env.reset() first.`);
    }
    return this.env.step(action);
  }

  override render(): unknown {
    if (!this.disableRenderOrderEnforcing && !this.hasReset) {
      throw new ResetNeeded(`${this.where()}.render: expected reset() before render(), got render() on an env that was never reset. Call env.reset() first, or pass disableRenderOrderEnforcing.`);
    }
    return super.render();
  }

  private where(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }
}
