import type { AsyncEnv, Env, ResetArgs, ResetResult, StepResult } from '../../../src/core/env.js';
import type { Policy } from '../../../src/core/policy.js';
import type { ActionBatch } from '../../../src/core/vector-env.js';
import { Discrete } from '../../../src/core/spaces/discrete.js';
import type { Rng } from '../../../src/core/rng.js';

/**
 * DAgger's mixture policy pi_i = beta_i pi* + (1 - beta_i) pi_learner
 * (Ross et al. 2011, arXiv:1011.0686), placed in the env so a recorder that
 * runs the EXPERT records the expert's label for every visited state while
 * the env executes the mixture: each `step(expertAction)` executes the
 * expert's action with probability `beta`, else the learner's
 * (deterministic) action for the current observation.
 */
export class MixtureEnv implements AsyncEnv<unknown, unknown> {
  readonly observationSpace: AsyncEnv['observationSpace'];
  readonly actionSpace: AsyncEnv['actionSpace'];
  readonly metadata: AsyncEnv['metadata'];
  /** Steps that executed the learner's action (diagnostics). */
  learnerSteps = 0;
  steps = 0;
  private readonly flat: Float32Array;

  constructor(private readonly inner: Env<unknown, unknown> | AsyncEnv<unknown, unknown>, private readonly learner: Policy, private readonly beta: number, private readonly rng: Rng) {
    this.observationSpace = inner.observationSpace;
    this.actionSpace = inner.actionSpace;
    this.metadata = inner.metadata;
    this.flat = new Float32Array(inner.observationSpace.flatDim);
  }

  get unwrapped(): unknown {
    return (this.inner as { unwrapped?: unknown }).unwrapped ?? this.inner;
  }

  async reset(args?: ResetArgs): Promise<ResetResult<unknown>> {
    const r = await this.inner.reset(args);
    this.observationSpace.flattenInto(r.obs, this.flat, 0);
    this.learner.resetEpisode?.(0);
    return r;
  }

  async step(expertAction: unknown): Promise<StepResult<unknown>> {
    let action = expertAction;
    this.steps++;
    if (this.rng.random() >= this.beta) {
      const batch: ActionBatch = await this.learner.act(this.flat, { deterministic: true });
      action = this.actionSpace instanceof Discrete ? batch[0] : batch.slice();
      this.learnerSteps++;
    }
    const r = await this.inner.step(action);
    this.observationSpace.flattenInto(r.obs, this.flat, 0);
    return r;
  }

  async close(): Promise<void> {
    // The inner env belongs to the caller.
  }
}
