import type { MlpSpec, ParamEntry } from './param-layout.js';
import { paramLayout, actorOutDim, layoutSize } from './param-layout.js';
import { FileFormatError, formatError } from '../../src/core/errors.js';

interface JsLayer {
  w: number; // offset of weight [in x out]
  b: number; // offset of bias [out]
  in: number;
  out: number;
}

/**
 * Plain-JS forward pass of an {@link MlpActorCritic} from a copy of its flat
 * parameters, for rollouts and `Policy.act`: one observation row at a time,
 * float64 accumulation, no allocation per call. tfjs's per-call overhead
 * (~35-47 us on wasm) dominates at batch sizes of a vector env; this pass
 * costs ~10 us per row for a 64x64 MLP (see bench/ppo-inference.ts).
 * Call {@link setParams} after each update.
 */
export class JsActorCritic {
  readonly spec: MlpSpec;
  readonly outDim: number;
  /** Per layer: weights transposed to `[out x in]` then bias `[out]`, float64 (dot products accumulate in a register). */
  private packed: Float64Array;
  private readonly actor: JsLayer[];
  private readonly critic: JsLayer[];
  private readonly logStdOffset: number;
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;
  private readonly numParams: number;
  /** The Gaussian head's log-std view into the parameters, or null. */
  logStd: Float32Array | null = null;

  constructor(spec: MlpSpec, theta: Float32Array) {
    this.spec = spec;
    const layout = paramLayout(spec);
    this.numParams = layoutSize(layout);
    this.outDim = actorOutDim(spec.head);
    const byName = new Map<string, ParamEntry>(layout.map((e) => [e.name, e]));
    const layers = (trunk: string): JsLayer[] =>
      Array.from({ length: spec.hidden.length + 1 }, (_, l) => {
        const w = byName.get(`${trunk}.${l}.weight`) as ParamEntry;
        const b = byName.get(`${trunk}.${l}.bias`) as ParamEntry;
        return { w: w.offset, b: b.offset, in: w.shape[0], out: w.shape[1] };
      });
    this.actor = layers('actor');
    this.critic = layers('critic');
    this.logStdOffset = byName.get('actor.log_std')?.offset ?? -1;
    const width = Math.max(spec.obsDim, this.outDim, ...spec.hidden);
    this.bufA = new Float64Array(width);
    this.bufB = new Float64Array(width);
    this.packed = new Float64Array(layoutSize(layout));
    this.setParams(theta);
  }

  /** Copies the flat parameters `theta` (layout of `paramLayout`) into the forward pass's packed form. */
  setParams(theta: Float32Array): void {
    if (theta.length !== this.numParams) {
      throw new FileFormatError(formatError('JsActorCritic.setParams', `${this.numParams} parameters`, `${theta.length}`, 'Pass weights of the same architecture'));
    }
    for (const L of [...this.actor, ...this.critic]) {
      // Packed at the weight's own offset: [out x in] transposed weights, then the bias (same total size).
      for (let i = 0; i < L.in; i++) for (let j = 0; j < L.out; j++) this.packed[L.w + j * L.in + i] = theta[L.w + i * L.out + j];
      for (let j = 0; j < L.out; j++) this.packed[L.b + j] = theta[L.b + j];
    }
    this.logStd = this.logStdOffset >= 0 ? theta.slice(this.logStdOffset, this.logStdOffset + this.outDim) : null;
  }

  /** Actor output (logits or Gaussian mean) of `obs[obsOffset ...]` into `out[outOffset ... + outDim]`. */
  actorRow(obs: ArrayLike<number>, obsOffset: number, out: Float64Array, outOffset: number): void {
    const h = this.run(this.actor, obs, obsOffset);
    for (let j = 0; j < this.outDim; j++) out[outOffset + j] = h[j];
  }

  /** `V(obs[obsOffset ...])`. */
  valueRow(obs: ArrayLike<number>, obsOffset: number): number {
    return this.run(this.critic, obs, obsOffset)[0];
  }

  private run(layers: readonly JsLayer[], obs: ArrayLike<number>, obsOffset: number): Float64Array {
    const p = this.packed;
    const relu = this.spec.activation === 'relu';
    let x = this.bufA;
    let y = this.bufB;
    const n0 = layers[0].in;
    for (let i = 0; i < n0; i++) x[i] = obs[obsOffset + i];
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l];
      const n = L.in;
      const last = l + 1 === layers.length;
      for (let j = 0; j < L.out; j++) {
        const row = L.w + j * n;
        // Four independent partial sums: a single running sum is bound by the add latency (~3x slower).
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let i = 0;
        for (; i + 3 < n; i += 4) {
          a0 += x[i] * p[row + i];
          a1 += x[i + 1] * p[row + i + 1];
          a2 += x[i + 2] * p[row + i + 2];
          a3 += x[i + 3] * p[row + i + 3];
        }
        for (; i < n; i++) a0 += x[i] * p[row + i];
        const acc = p[L.b + j] + (a0 + a1 + (a2 + a3));
        y[j] = last ? acc : relu ? (acc > 0 ? acc : 0) : Math.tanh(acc);
      }
      const t = x;
      x = y;
      y = t;
    }
    return x;
  }
}
