import type { Env, EnvMetadata, EnvSpec, ResetArgs, ResetResult, StepResult } from './env.js';
import type { Space } from './spaces/space.js';

/**
 * Base of all wrappers (Gymnasium's `Wrapper`): forwards everything to the
 * wrapped env; subclasses override what they change. `InnerObs`/`InnerAct`
 * are the wrapped env's types, `Obs`/`Act` the types this wrapper exposes.
 */
export class Wrapper<Obs = unknown, Act = unknown, InnerObs = Obs, InnerAct = Act> implements Env<Obs, Act> {
  readonly env: Env<InnerObs, InnerAct>;
  private obsSpaceOverride?: Space<Obs>;
  private actSpaceOverride?: Space<Act>;

  constructor(env: Env<InnerObs, InnerAct>) {
    this.env = env;
  }

  get observationSpace(): Space<Obs> {
    return this.obsSpaceOverride ?? (this.env.observationSpace as unknown as Space<Obs>);
  }
  set observationSpace(space: Space<Obs>) {
    this.obsSpaceOverride = space;
  }
  get actionSpace(): Space<Act> {
    return this.actSpaceOverride ?? (this.env.actionSpace as unknown as Space<Act>);
  }
  set actionSpace(space: Space<Act>) {
    this.actSpaceOverride = space;
  }
  get metadata(): EnvMetadata {
    return this.env.metadata;
  }
  get renderMode(): string | undefined {
    return this.env.renderMode;
  }
  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }
  set spec(spec: EnvSpec | undefined) {
    this.env.spec = spec;
  }
  get unwrapped(): Env<unknown, unknown> {
    return this.env.unwrapped;
  }

  reset(args?: ResetArgs): ResetResult<Obs> {
    return this.env.reset(args) as unknown as ResetResult<Obs>;
  }

  step(action: Act): StepResult<Obs> {
    return this.env.step(action as unknown as InnerAct) as unknown as StepResult<Obs>;
  }

  render(): unknown {
    return this.env.render?.();
  }

  close(): void {
    this.env.close();
  }

  /** Finds the first wrapper of the given class in the stack (this one included), or undefined. */
  findWrapper<W>(ctor: abstract new (...args: never[]) => W): W | undefined {
    let e: Env<unknown, unknown> = this as Env<unknown, unknown>;
    for (;;) {
      if (e instanceof ctor) return e as W;
      if (!(e instanceof Wrapper)) return undefined;
      e = e.env;
    }
  }

  toString(): string {
    return `<${this.constructor.name}${String(this.env)}>`;
  }
}

/** A wrapper that only transforms observations: override `observation(obs)`. */
export abstract class ObservationWrapper<Obs, Act, InnerObs> extends Wrapper<Obs, Act, InnerObs, Act> {
  abstract observation(obs: InnerObs): Obs;
  override reset(args?: ResetArgs): ResetResult<Obs> {
    const { obs, info } = this.env.reset(args);
    return { obs: this.observation(obs), info };
  }
  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    return { obs: this.observation(r.obs), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }
}

/** A wrapper that only transforms actions: override `action(act)`. */
export abstract class ActionWrapper<Obs, Act, InnerAct> extends Wrapper<Obs, Act, Obs, InnerAct> {
  abstract action(act: Act): InnerAct;
  override step(action: Act): StepResult<Obs> {
    return this.env.step(this.action(action));
  }
}

/** A wrapper that only transforms rewards: override `reward(r)`. */
export abstract class RewardWrapper<Obs, Act> extends Wrapper<Obs, Act> {
  abstract reward(r: number): number;
  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    r.reward = this.reward(r.reward);
    return r;
  }
}
