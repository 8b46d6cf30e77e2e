import type { Policy, ActOptions } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import type { ActionBatch } from '../../src/core/vector-env.js';
import { allocateActions } from '../../src/core/vector-env.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidObservation, formatError, describeValue } from '../../src/core/errors.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';
import type { MlpSpec } from './param-layout.js';
import { JsActorCritic } from './js-actor-critic.js';
import type { PolicyParts } from './policy-parts.js';
import { ActionCodec } from './action-codec.js';
import { makeSampler } from './make-sampler.js';
import type { ActionSampler } from '../distributions/action-distribution.js';
import { normalizeRows } from '../algos/ppo/vec-normalizer.js';

/** Everything an {@link MlpPolicy} needs (what a checkpoint holds besides training state). */
export interface MlpPolicyParts extends PolicyParts {
  spec: MlpSpec;
  /** Flat parameters (see `paramLayout`). */
  theta: Float32Array;
}

/**
 * A trained MLP actor-critic as a {@link Policy}: plain-JS forward pass (no
 * tfjs, no backend start), frozen observation normalization, actions
 * sampled with a seeded `Rng` or, with `{ deterministic: true }`, the mode
 * (argmax / Gaussian mean). Box actions are clipped to the space's bounds.
 */
export class MlpPolicy implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly spec: MlpSpec;
  private readonly net: JsActorCritic;
  private readonly dist: ActionSampler;
  private readonly codec: ActionCodec;
  private readonly obsStats: RunningMeanStdState | null;
  private readonly clipObs: number;
  private readonly rng: Rng;
  private normBuf = new Float32Array(0);
  private outBuf = new Float64Array(0);
  private actBuf = new Float32Array(0);

  constructor(parts: MlpPolicyParts) {
    this.spec = parts.spec;
    this.observationSpace = parts.observationSpace;
    this.actionSpace = parts.actionSpace;
    this.net = new JsActorCritic(parts.spec, parts.theta);
    this.dist = makeSampler(parts.spec.head);
    this.codec = new ActionCodec(parts.actionSpace);
    this.obsStats = parts.obsStats;
    this.clipObs = parts.clipObs;
    this.rng = new Rng(parts.seed ?? 0);
  }

  /**
   * @param obs `Float32Array [numEnvs x obsDim]` (raw, flattened observations).
   * @returns a new `ActionBatch` for `actionSpace`, one row per observation.
   */
  act(obs: Float32Array, options: ActOptions = {}): ActionBatch {
    const d = this.spec.obsDim;
    if (!(obs instanceof Float32Array) || obs.length === 0 || obs.length % d !== 0) {
      throw new InvalidObservation(formatError('MlpPolicy.act.obs', `Float32Array [numEnvs x ${d}]`, describeValue(obs), 'Flatten observations with observationSpace.flatten'));
    }
    const rows = obs.length / d;
    const x = this.networkInput(obs, rows);
    const actDim = this.dist.actDim;
    const deterministic = options.deterministic === true;
    for (let r = 0; r < rows; r++) {
      this.net.actorRow(x, r * d, this.outBuf, 0);
      this.dist.sampleRow(this.outBuf, 0, this.net.logStd, this.rng, deterministic, this.actBuf, r * actDim);
    }
    const out = allocateActions(this.actionSpace, rows);
    this.codec.toEnvActions(this.actBuf, rows, out);
    return out;
  }

  /** Sizes the scratch buffers for `rows` and returns the network's input: `obs`, normalized when the checkpoint carries statistics. */
  private networkInput(obs: Float32Array, rows: number): Float32Array {
    this.ensure(rows);
    if (!this.obsStats) return obs;
    normalizeRows(obs, rows, this.spec.obsDim, this.obsStats.mean, this.obsStats.var, this.clipObs, this.normBuf);
    return this.normBuf;
  }

  /** Critic value of each (raw) observation row: `Float64Array [numEnvs]`. */
  value(obs: Float32Array): Float64Array {
    const d = this.spec.obsDim;
    const rows = obs.length / d;
    const x = this.networkInput(obs, rows);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = this.net.valueRow(x, r * d);
    return out;
  }

  /** Nothing to release (plain JS); present for the `Policy` contract. */
  dispose(): void {}

  private ensure(rows: number): void {
    if (this.normBuf.length < rows * this.spec.obsDim) this.normBuf = new Float32Array(rows * this.spec.obsDim);
    if (this.outBuf.length < this.net.outDim) this.outBuf = new Float64Array(this.net.outDim);
    if (this.actBuf.length < rows * this.dist.actDim) this.actBuf = new Float32Array(rows * this.dist.actDim);
  }
}
