import type { ActOptions, Policy } from '../core/policy.js';
import type { ActionBatch } from '../core/vector-env.js';
import type { Rng } from '../core/rng.js';
import { Box } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** How executed actions differ from the policy's ("play" data, DART-style demonstrations). */
export interface PerturbationOptions {
  /** Std of Gaussian noise added to each action component (Box actions only), in action units; the result is clipped to the Box bounds. Default 0. */
  actionNoiseStd?: number;
  /** Probability of executing a uniformly random action (`space.sample`) instead. Default 0. */
  epsilon?: number;
  /** Seeded source of the noise. */
  rng: Rng;
}

/**
 * Wraps a policy so the env executes a perturbed action while the clean one
 * stays readable as {@link PerturbedPolicy.clean}: behaviour cloning on
 * (state visited under noise, clean action) learns to correct drift (Laskey
 * et al. 2017, "DART: Noise Injection for Robust Imitation Learning").
 * Batch size 1 (the recorder's loop).
 */
export class PerturbedPolicy implements Policy {
  readonly observationSpace: Policy['observationSpace'];
  readonly actionSpace: Policy['actionSpace'];
  /** The inner policy's action of the last `act` (copied; valid until the next `act`). */
  readonly clean: ActionBatch;
  private readonly executed: ActionBatch;
  private readonly std: number;
  private readonly epsilon: number;
  private readonly rng: Rng;
  private readonly low: Float64Array | null;
  private readonly high: Float64Array | null;

  constructor(private readonly inner: Policy, options: PerturbationOptions) {
    this.observationSpace = inner.observationSpace;
    this.actionSpace = inner.actionSpace;
    this.std = options.actionNoiseStd ?? 0;
    this.epsilon = options.epsilon ?? 0;
    this.rng = options.rng;
    if (!(this.std >= 0 && Number.isFinite(this.std))) throw new InvalidArgument(formatError('PerturbedPolicy.actionNoiseStd', 'a finite number >= 0', describeValue(this.std), 'Pass e.g. 0.1'));
    if (!(this.epsilon >= 0 && this.epsilon <= 1)) throw new InvalidArgument(formatError('PerturbedPolicy.epsilon', 'a probability in [0, 1]', describeValue(this.epsilon), 'Pass e.g. 0.1'));
    const box = inner.actionSpace instanceof Box ? inner.actionSpace : null;
    if (this.std > 0 && !box) throw new InvalidArgument(formatError('PerturbedPolicy.actionNoiseStd', 'a continuous (Box) action space for Gaussian noise', inner.actionSpace.toString(), 'Use epsilon for discrete actions'));
    this.low = box ? box.low : null;
    this.high = box ? box.high : null;
    const dim = inner.actionSpace instanceof Discrete ? 1 : inner.actionSpace.flatDim;
    const float = box !== null;
    this.clean = float ? new Float32Array(dim) : new Int32Array(dim);
    this.executed = float ? new Float32Array(dim) : new Int32Array(dim);
  }

  act(obs: Float32Array, options?: ActOptions): ActionBatch | Promise<ActionBatch> {
    const out = this.inner.act(obs, options);
    return out instanceof Promise ? out.then((b) => this.perturb(b)) : this.perturb(out);
  }

  resetEpisode(envIndex: number): void {
    this.inner.resetEpisode?.(envIndex);
  }

  dispose(): void {
    this.inner.dispose?.();
  }

  private perturb(batch: ActionBatch): ActionBatch {
    this.clean.set(batch);
    if (this.epsilon > 0 && this.rng.random() < this.epsilon) {
      const a = this.actionSpace.sample(this.rng);
      if (typeof a === 'number') this.executed[0] = a;
      else this.executed.set(a as ArrayLike<number>);
      return this.executed;
    }
    if (this.std > 0) {
      for (let i = 0; i < batch.length; i++) {
        const v = batch[i] + this.rng.normal(0, this.std);
        this.executed[i] = Math.min(this.high![i], Math.max(this.low![i], v));
      }
      return this.executed;
    }
    this.executed.set(batch);
    return this.executed;
  }
}
