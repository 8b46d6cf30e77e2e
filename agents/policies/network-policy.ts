import type { Policy, ActOptions } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import type { ActionBatch } from '../../src/core/vector-env.js';
import { allocateActions } from '../../src/core/vector-env.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidObservation, formatError, describeValue } from '../../src/core/errors.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';
import { normalizeRows } from '../algos/ppo/vec-normalizer.js';
import type { ActorCritic, ActOutput } from './actor-critic.js';
import { ActionCodec } from './action-codec.js';
import type { PolicyParts } from './policy-parts.js';

/** Everything a {@link NetworkPolicy} needs besides the network. */
export type NetworkPolicyParts = PolicyParts;

/**
 * Any {@link ActorCritic} as a {@link Policy}: frozen observation
 * normalization, the network's rollout path (`act`), actions sampled with a
 * seeded `Rng` or the distribution's mode with `{ deterministic: true }`,
 * Box actions clipped to the space. Row i of each `act` call is sub-env i:
 * a sequence network keeps row i's history until `resetEpisode(i)`.
 * Owns the network: `dispose()` frees it.
 */
export class NetworkPolicy implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly net: ActorCritic;
  private readonly codec: ActionCodec;
  private readonly obsStats: RunningMeanStdState | null;
  private readonly clipObs: number;
  private readonly rng: Rng;
  private normBuf = new Float32Array(0);
  private out: ActOutput = { actions: new Float32Array(0), logProbs: new Float64Array(0), values: new Float64Array(0) };
  private disposed = false;

  constructor(net: ActorCritic, parts: NetworkPolicyParts) {
    this.net = net;
    this.observationSpace = parts.observationSpace;
    this.actionSpace = parts.actionSpace;
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
    const rows = this.rows(obs, 'NetworkPolicy.act.obs');
    this.ensure(rows);
    this.net.act({ rows, flat: this.networkInput(obs, rows) }, this.rng, options.deterministic === true, this.out);
    const actions = allocateActions(this.actionSpace, rows);
    this.codec.toEnvActions(this.out.actions, rows, actions);
    return actions;
  }

  /** Critic value of each (raw) observation row: `Float64Array [numEnvs]`. */
  value(obs: Float32Array): Float64Array {
    const rows = this.rows(obs, 'NetworkPolicy.value.obs');
    const out = new Float64Array(rows);
    this.net.value({ rows, flat: this.networkInput(obs, rows) }, out);
    return out;
  }

  resetEpisode(envIndex: number): void {
    this.net.resetEpisode(envIndex);
  }

  /** Frees the network. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.dispose();
  }

  private rows(obs: Float32Array, where: string): number {
    const d = this.net.obsDim;
    if (!(obs instanceof Float32Array) || obs.length === 0 || obs.length % d !== 0) {
      throw new InvalidObservation(formatError(where, `Float32Array [numEnvs x ${d}]`, describeValue(obs), 'Flatten observations with observationSpace.flatten'));
    }
    return obs.length / d;
  }

  /** The frozen observation statistics the network's inputs are normalized with (null: raw inputs). */
  get observationStatistics(): RunningMeanStdState | null {
    return this.obsStats;
  }

  /** `rows` raw observation rows as the network reads them (normalized with the frozen statistics; a reused buffer). */
  networkInput(obs: Float32Array, rows: number): Float32Array {
    if (!this.obsStats) return obs;
    if (this.normBuf.length < obs.length) this.normBuf = new Float32Array(obs.length);
    normalizeRows(obs, rows, this.net.obsDim, this.obsStats.mean, this.obsStats.var, this.clipObs, this.normBuf);
    return this.normBuf;
  }

  private ensure(rows: number): void {
    const ad = this.net.dist.actDim;
    if (this.out.logProbs.length < rows) this.out = { actions: new Float32Array(rows * ad), logProbs: new Float64Array(rows), values: new Float64Array(rows) };
  }
}
