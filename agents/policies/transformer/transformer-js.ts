import { type TransformerSpec, actionInputDim, alibiSlopes, chunkOf, stepOutDim } from './transformer-spec.js';
import { mergeLora } from './transformer-lora.js';

/** One sub-env's decoding state: per layer, keys and values of its last `window - 1` tokens (a ring), and its previous action. */
interface SubEnvCache {
  /** Per layer: `[(window - 1) x dModel]` keys, then values. */
  keys: Float64Array[];
  values: Float64Array[];
  /** Tokens held (<= window - 1) and the ring slot of the oldest. */
  length: number;
  start: number;
  /** The previous step's action input (`actionInputDim`), valid when `hasPrev`. */
  prevAction: Float64Array;
  hasPrev: boolean;
}

/** A dense layer packed for the inner loop: `[out x in]` (transposed) weights, float64. */
interface Dense {
  w: Float64Array;
  b: Float64Array | null;
  in: number;
  out: number;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (Hendrycks & Gimpel 2016), as the tfjs side computes it. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/**
 * The transformer's incremental forward pass in plain JS, for rollouts and
 * robot control: one token per step per sub-env, keys and values of the last
 * `window - 1` tokens cached per layer. Because attention is a band (each
 * token sees itself and the `window - 1` tokens before it in its episode)
 * and positions enter only as ALiBi distance penalties, the cache gives
 * exactly the outputs of the full banded forward over the whole episode,
 * also past step `window` (test/agents/transformer.test.ts).
 *
 * Float64 accumulation, no allocation per step. Call {@link setParams} after
 * every update.
 */
export class TransformerJs {
  readonly spec: TransformerSpec;
  /** Actor outputs per step: `chunk x stepOutDim` (the chunk's predicted steps side by side). */
  readonly outDim: number;
  /** Actor outputs per predicted step. */
  readonly stepOutDim: number;
  private readonly d: number;
  private readonly dh: number;
  private readonly actIn: number;
  private readonly slopes: Float64Array;
  private p = new Map<string, Float64Array>();
  /** Tokenizers, heads and per-block layers, packed once per setParams (no string lookups per step). */
  private io!: { obs: Dense; act: Dense; actor: Dense; value: Dense };
  private blocks: Array<{ wq: Dense; wk: Dense; wv: Dense; wo: Dense; w1: Dense; w2: Dense; ln1: [Float64Array, Float64Array]; ln2: [Float64Array, Float64Array] }> = [];
  private lnF: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)];
  private readonly caches: SubEnvCache[] = [];
  // Scratch.
  private readonly x: Float64Array;
  private readonly h: Float64Array;
  private readonly q: Float64Array;
  private readonly k: Float64Array;
  private readonly v: Float64Array;
  private readonly o: Float64Array;
  private readonly att: Float64Array;
  private readonly mlp: Float64Array;
  private readonly tmp: Float64Array;
  /** The observation as float64 (every dense input one array type: the hot loop stays monomorphic). */
  private readonly obs64: Float64Array;
  /** The Gaussian head's log-std (float32, as sampled), or null. */
  logStd: Float32Array | null = null;

  constructor(spec: TransformerSpec, tensors: ReadonlyMap<string, Float32Array>) {
    this.spec = spec;
    this.d = spec.dModel;
    this.dh = spec.dModel / spec.heads;
    this.actIn = actionInputDim(spec.head);
    this.stepOutDim = stepOutDim(spec);
    this.outDim = chunkOf(spec) * this.stepOutDim;
    this.slopes = alibiSlopes(spec.heads);
    const hidden = Math.round(spec.mlpRatio * spec.dModel);
    this.x = new Float64Array(this.d);
    this.h = new Float64Array(this.d);
    this.q = new Float64Array(this.d);
    this.k = new Float64Array(this.d);
    this.v = new Float64Array(this.d);
    this.o = new Float64Array(this.d);
    this.att = new Float64Array(spec.window);
    this.mlp = new Float64Array(hidden);
    this.tmp = new Float64Array(Math.max(this.d, this.outDim, 1));
    this.obs64 = new Float64Array(spec.obsDim);
    this.setParams(tensors);
  }

  /** Copies the parameters (by name, as `transformerLayout`) into the packed forms; LoRA adapters are folded in. */
  setParams(withAdapters: ReadonlyMap<string, Float32Array>): void {
    const tensors = mergeLora(this.spec, withAdapters).tensors;
    const get = (name: string): Float32Array => tensors.get(name) as Float32Array;
    this.p = new Map([...tensors].map(([n, t]) => [n, Float64Array.from(t)]));
    const dense = (w: string, b: string | null, inDim: number, outDim: number): Dense => {
      const src = get(w);
      const packed = new Float64Array(inDim * outDim);
      for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) packed[j * inDim + i] = src[i * outDim + j];
      return { w: packed, b: b ? Float64Array.from(get(b)) : null, in: inDim, out: outDim };
    };
    const d = this.d;
    const hidden = this.mlp.length;
    const ln = (name: string): [Float64Array, Float64Array] => [this.p.get(`${name}.gamma`) as Float64Array, this.p.get(`${name}.beta`) as Float64Array];
    this.io = {
      obs: dense('tok.obs.weight', 'tok.obs.bias', this.spec.obsDim, d),
      act: dense('tok.act.weight', null, this.actIn, d),
      actor: dense('head.actor.weight', 'head.actor.bias', d, this.outDim),
      value: dense('head.value.weight', 'head.value.bias', d, 1),
    };
    this.blocks = Array.from({ length: this.spec.layers }, (_, l) => ({
      wq: dense(`blocks.${l}.attn.wq`, null, d, d),
      wk: dense(`blocks.${l}.attn.wk`, null, d, d),
      wv: dense(`blocks.${l}.attn.wv`, null, d, d),
      wo: dense(`blocks.${l}.attn.wo`, null, d, d),
      w1: dense(`blocks.${l}.mlp.w1`, `blocks.${l}.mlp.b1`, d, hidden),
      w2: dense(`blocks.${l}.mlp.w2`, `blocks.${l}.mlp.b2`, hidden, d),
      ln1: ln(`blocks.${l}.ln1`),
      ln2: ln(`blocks.${l}.ln2`),
    }));
    this.lnF = ln('ln_f');
    this.logStd = tensors.has('head.actor.log_std') ? get('head.actor.log_std').slice() : null;
  }

  /** Sub-env `i` starts an episode: its cache and previous action are cleared. */
  resetEpisode(i: number): void {
    const c = this.caches[i];
    if (!c) return;
    c.length = 0;
    c.start = 0;
    c.hasPrev = false;
  }

  /**
   * One step of sub-env `i`: the token of (`obs[obsOffset ...]`, its previous
   * action) through every block. Writes the actor output to `out[outOffset
   * ... + outDim]` and returns V. With `record`, the token joins the cache
   * (call {@link recordAction} with the action taken); without, the cache is
   * left as it was (a value probe of the next observation).
   */
  step(i: number, obs: ArrayLike<number>, obsOffset: number, out: Float64Array, outOffset: number, record: boolean): number {
    const c = this.cache(i);
    const { d, dh, spec } = this;
    const x = this.x;
    // Token: obs tokenizer + (previous action or the start embedding) + task embedding.
    const obs64 = this.obs64;
    for (let j = 0; j < obs64.length; j++) obs64[j] = obs[obsOffset + j];
    this.apply(this.io.obs, obs64, 0, x, false);
    if (c.hasPrev) {
      this.apply(this.io.act, c.prevAction, 0, this.tmp, false);
      for (let j = 0; j < d; j++) x[j] += this.tmp[j];
    } else {
      const s = this.p.get('tok.start') as Float64Array;
      for (let j = 0; j < d; j++) x[j] += s[j];
    }
    const task = this.p.get('task.embedding') as Float64Array;
    for (let j = 0; j < d; j++) x[j] += task[spec.taskIndex * d + j];
    const held = c.length;
    const W = spec.window - 1;
    const scale = 1 / Math.sqrt(dh);
    for (let l = 0; l < spec.layers; l++) {
      const B = this.blocks[l];
      this.layerNorm(x, B.ln1, this.h);
      this.apply(B.wq, this.h, 0, this.q, false);
      this.apply(B.wk, this.h, 0, this.k, false);
      this.apply(B.wv, this.h, 0, this.v, false);
      const K = c.keys[l];
      const V = c.values[l];
      for (let hh = 0; hh < spec.heads; hh++) {
        const off = hh * dh;
        const slope = this.slopes[hh];
        // Scores of the held tokens (oldest first; distance held - j) and of this token (distance 0).
        let max = -Infinity;
        for (let j = 0; j <= held; j++) {
          let s = 0;
          if (j < held) {
            const row = ((c.start + j) % W) * d + off;
            for (let e = 0; e < dh; e++) s += this.q[off + e] * K[row + e];
          } else {
            for (let e = 0; e < dh; e++) s += this.q[off + e] * this.k[off + e];
          }
          s = s * scale - slope * (held - j);
          this.att[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j <= held; j++) sum += this.att[j] = Math.exp(this.att[j] - max);
        for (let e = 0; e < dh; e++) this.o[off + e] = 0;
        for (let j = 0; j <= held; j++) {
          const p = this.att[j] / sum;
          if (j < held) {
            const row = ((c.start + j) % W) * d + off;
            for (let e = 0; e < dh; e++) this.o[off + e] += p * V[row + e];
          } else {
            for (let e = 0; e < dh; e++) this.o[off + e] += p * this.v[off + e];
          }
        }
      }
      if (record && W > 0) {
        // This token's key and value take the next slot (the oldest one once full).
        const slot = (c.start + (held < W ? held : 0)) % W;
        K.set(this.k, slot * d);
        V.set(this.v, slot * d);
      }
      this.apply(B.wo, this.o, 0, this.tmp, false);
      for (let j = 0; j < d; j++) x[j] += this.tmp[j];
      this.layerNorm(x, B.ln2, this.h);
      this.apply(B.w1, this.h, 0, this.mlp, true);
      this.apply(B.w2, this.mlp, 0, this.tmp, false);
      for (let j = 0; j < d; j++) x[j] += this.tmp[j];
    }
    if (record && W > 0) {
      if (held < W) c.length += 1;
      else c.start = (c.start + 1) % W;
    }
    this.layerNorm(x, this.lnF, this.h);
    this.apply(this.io.actor, this.h, 0, this.tmp, false);
    for (let j = 0; j < this.outDim; j++) out[outOffset + j] = this.tmp[j];
    this.apply(this.io.value, this.h, 0, this.tmp, false);
    return this.tmp[0];
  }

  /** The action sub-env `i` took at the step just recorded (stored form: category indices or the raw Gaussian sample). */
  recordAction(i: number, action: ArrayLike<number>, offset: number): void {
    const c = this.cache(i);
    const head = this.spec.head;
    if (head.kind === 'categorical') {
      c.prevAction.fill(0);
      let base = 0;
      head.nvec.forEach((n, j) => {
        c.prevAction[base + action[offset + j]] = 1;
        base += n;
      });
    } else {
      for (let j = 0; j < head.dim; j++) c.prevAction[j] = action[offset + j];
    }
    c.hasPrev = true;
  }

  private cache(i: number): SubEnvCache {
    while (this.caches.length <= i) {
      const W = Math.max(1, this.spec.window - 1);
      this.caches.push({
        keys: Array.from({ length: this.spec.layers }, () => new Float64Array(W * this.d)),
        values: Array.from({ length: this.spec.layers }, () => new Float64Array(W * this.d)),
        length: 0,
        start: 0,
        prevAction: new Float64Array(this.actIn),
        hasPrev: false,
      });
    }
    return this.caches[i];
  }

  /** `y = W x + b` (optionally GELU): four rows at a time, each `x[i]` loaded once for all four. */
  private apply(L: Dense, x: Float64Array, xOff: number, y: Float64Array, geluOut: boolean): void {
    const n = L.in;
    const w = L.w;
    const b = L.b;
    let j = 0;
    for (; j + 3 < L.out; j += 4) {
      const r0 = j * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = 0; i < n; i++) {
        const xi = x[xOff + i];
        a0 += xi * w[r0 + i];
        a1 += xi * w[r1 + i];
        a2 += xi * w[r2 + i];
        a3 += xi * w[r3 + i];
      }
      if (b) {
        a0 += b[j];
        a1 += b[j + 1];
        a2 += b[j + 2];
        a3 += b[j + 3];
      }
      if (geluOut) {
        y[j] = gelu(a0);
        y[j + 1] = gelu(a1);
        y[j + 2] = gelu(a2);
        y[j + 3] = gelu(a3);
      } else {
        y[j] = a0;
        y[j + 1] = a1;
        y[j + 2] = a2;
        y[j + 3] = a3;
      }
    }
    for (; j < L.out; j++) {
      const row = j * n;
      let a = 0;
      for (let i = 0; i < n; i++) a += x[xOff + i] * w[row + i];
      if (b) a += b[j];
      y[j] = geluOut ? gelu(a) : a;
    }
  }

  private layerNorm(x: Float64Array, [g, b]: [Float64Array, Float64Array], out: Float64Array): void {
    const d = this.d;
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[j];
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[j] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + LN_EPS);
    for (let j = 0; j < d; j++) out[j] = (x[j] - mean) * inv * g[j] + b[j];
  }
}

/** LayerNorm epsilon (both sides). */
export const LN_EPS = 1e-5;
