import type { Policy, ActOptions } from '../../../src/core/policy.js';
import type { Space } from '../../../src/core/spaces/space.js';
import type { ActionBatch } from '../../../src/core/vector-env.js';
import { allocateActions } from '../../../src/core/vector-env.js';
import { Rng } from '../../../src/core/rng.js';
import { InvalidObservation, formatError, describeValue } from '../../../src/core/errors.js';
import type { RunningMeanStdState } from '../../../src/core/running-mean-std.js';
import { normalizeRows } from '../../algos/ppo/vec-normalizer.js';
import type { ActionSampler } from '../../distributions/action-distribution.js';
import { ActionCodec } from '../action-codec.js';
import type { PolicyParts } from '../policy-parts.js';
import { type TransformerSpec, chunkOf, transformerSampler } from './transformer-spec.js';
import { TransformerJs } from './transformer-js.js';
import { TemporalEnsemble } from './temporal-ensemble.js';

/**
 * A trained transformer as a {@link Policy} in plain JS (no tfjs): the
 * cached incremental decoder of {@link TransformerJs}, one history per row
 * (sub-env) until `resetEpisode(i)`, frozen observation normalization,
 * actions sampled with a seeded `Rng` or the mode with `{ deterministic: true }`.
 * An action-chunking network (`spec.chunk > 1`) acts on the temporal
 * ensemble of its overlapping chunk predictions ({@link TemporalEnsemble},
 * coefficient `spec.ensembleCoef`, default 0.01).
 * What `loadPolicy` returns for `transformer` checkpoints.
 */
export class TransformerPolicy implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly spec: TransformerSpec;
  private readonly js: TransformerJs;
  private readonly sampler: ActionSampler;
  private readonly codec: ActionCodec;
  private readonly obsStats: RunningMeanStdState | null;
  private readonly clipObs: number;
  private readonly rng: Rng;
  private normBuf = new Float32Array(0);
  private readonly out: Float64Array;
  private readonly ensemble: TemporalEnsemble | null;
  private readonly ensembled: Float64Array;
  private actBuf = new Float32Array(0);

  constructor(spec: TransformerSpec, tensors: ReadonlyMap<string, Float32Array>, parts: PolicyParts) {
    this.spec = spec;
    this.observationSpace = parts.observationSpace;
    this.actionSpace = parts.actionSpace;
    this.js = new TransformerJs(spec, tensors);
    this.sampler = transformerSampler(spec);
    this.codec = new ActionCodec(parts.actionSpace);
    this.obsStats = parts.obsStats;
    this.clipObs = parts.clipObs;
    this.rng = new Rng(parts.seed ?? 0);
    this.out = new Float64Array(this.js.outDim);
    this.ensemble = chunkOf(spec) > 1 ? new TemporalEnsemble(chunkOf(spec), this.js.stepOutDim, spec.ensembleCoef ?? 0.01) : null;
    this.ensembled = new Float64Array(this.js.stepOutDim);
  }

  /** @param obs `Float32Array [numEnvs x obsDim]`; row i continues sub-env i's history. */
  act(obs: Float32Array, options: ActOptions = {}): ActionBatch {
    const rows = this.rows(obs, 'TransformerPolicy.act.obs');
    const x = this.input(obs, rows);
    const ad = this.sampler.actDim;
    if (this.actBuf.length < rows * ad) this.actBuf = new Float32Array(rows * ad);
    for (let i = 0; i < rows; i++) {
      this.js.step(i, x, i * this.spec.obsDim, this.out, 0, true);
      let row = this.out;
      if (this.ensemble) {
        this.ensemble.step(i, this.out, 0, this.ensembled, 0);
        row = this.ensembled;
      }
      this.sampler.sampleRow(row, 0, this.js.logStd, this.rng, options.deterministic === true, this.actBuf, i * ad);
      this.js.recordAction(i, this.actBuf, i * ad);
    }
    const actions = allocateActions(this.actionSpace, rows);
    this.codec.toEnvActions(this.actBuf, rows, actions);
    return actions;
  }

  /** Critic value of each row's next step (histories are not advanced). */
  value(obs: Float32Array): Float64Array {
    const rows = this.rows(obs, 'TransformerPolicy.value.obs');
    const x = this.input(obs, rows);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) out[i] = this.js.step(i, x, i * this.spec.obsDim, this.out, 0, false);
    return out;
  }

  resetEpisode(envIndex: number): void {
    this.js.resetEpisode(envIndex);
    this.ensemble?.reset(envIndex);
  }

  /** Nothing to release (plain JS). */
  dispose(): void {}

  private rows(obs: Float32Array, where: string): number {
    const d = this.spec.obsDim;
    if (!(obs instanceof Float32Array) || obs.length === 0 || obs.length % d !== 0) {
      throw new InvalidObservation(formatError(where, `Float32Array [numEnvs x ${d}]`, describeValue(obs), 'Flatten observations with observationSpace.flatten'));
    }
    return obs.length / d;
  }

  private input(obs: Float32Array, rows: number): Float32Array {
    if (!this.obsStats) return obs;
    if (this.normBuf.length < obs.length) this.normBuf = new Float32Array(obs.length);
    normalizeRows(obs, rows, this.spec.obsDim, this.obsStats.mean, this.obsStats.var, this.clipObs, this.normBuf);
    return this.normBuf;
  }
}
