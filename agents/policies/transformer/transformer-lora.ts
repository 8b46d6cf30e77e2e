// LoRA adapters on a transformer's tensors: adding them (LoRA's start, PiSSA's split, VeRA's vectors or DoRA's magnitudes) and folding them back in.
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { type TransformerSpec, type LoraSpec, checkTransformerSpec, initTransformerParams, loraTargetName, loraTargetShape, columnNorms } from './transformer-spec.js';

/**
 * Adds fresh LoRA adapters to a spec and its tensors. By default A normal
 * with std 1/sqrt(d) and B = 0, so outputs are unchanged, and the base
 * tensors are shared, not copied. With `init: 'pissa'` each adapted
 * projection is split by its singular value decomposition (float64): A B
 * takes the top `rank` triplets and the projection, a new array, the
 * residual (see {@link LoraSpec.init}); the given tensors are left as they are.
 */
export function addLora(spec: TransformerSpec, tensors: ReadonlyMap<string, Float32Array>, lora: LoraSpec, rng: Rng): { spec: TransformerSpec; tensors: Map<string, Float32Array> } {
  if (spec.lora) throw new InvalidArgument(formatError('addLora.spec', 'a network without adapters', `one with rank-${spec.lora.rank} adapters`, 'Merge them first (mergeLora) or fine-tune the adapters it has'));
  // VeRA's random matrices need a seed in the spec (they are regenerated from it, never stored): drawn here when absent.
  const seed = lora.kind === 'vera' && lora.seed === undefined ? { seed: Math.floor(rng.random() * 2 ** 32) } : {};
  const withLora: TransformerSpec = { ...spec, lora: { ...lora, targets: [...lora.targets], ...seed } };
  checkTransformerSpec(withLora);
  const fresh = initTransformerParams(withLora, rng, { logStdInit: 0 });
  const out = new Map(tensors);
  for (const [name, t] of fresh) if (/\.(lora_a|lora_b|vera_d|vera_b)$/.test(name)) out.set(name, t);
  // DoRA's magnitudes start as the given projections' column norms.
  if (lora.kind === 'dora') {
    for (let l = 0; l < spec.layers; l++) {
      for (const w of lora.targets) {
        const name = loraTargetName(l, w);
        out.set(`${name}.dora_m`, columnNorms(tensors.get(name) as Float32Array, ...loraTargetShape(spec, w)));
      }
    }
  }
  if (lora.init === 'pissa') {
    for (let l = 0; l < spec.layers; l++) {
      for (const w of lora.targets) {
        const name = loraTargetName(l, w);
        const W = tensors.get(name) as Float32Array;
        const cols = (out.get(`${name}.lora_b`) as Float32Array).length / lora.rank;
        const split = principalSplit(W, W.length / cols, cols, lora.rank, lora.alpha / lora.rank);
        out.set(name, split.residual);
        out.set(`${name}.lora_a`, split.a);
        out.set(`${name}.lora_b`, split.b);
      }
    }
  }
  return { spec: withLora, tensors: out };
}

/**
 * PiSSA's split of a `rows x cols` matrix (row-major): `a [rows x r] =
 * U_r sqrt(S_r / scale)`, `b [r x cols] = sqrt(S_r / scale) V_r^T` and the
 * residual `W - U_r S_r V_r^T`, so `residual + scale a b` is `W` up to
 * float32 rounding. The SVD (ml-matrix, float64) is of the matrix itself; a
 * wide one is decomposed through its transpose.
 */
export function principalSplit(W: Float32Array, rows: number, cols: number, r: number, scale: number): { a: Float32Array; b: Float32Array; residual: Float32Array } {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, W[i * cols + j]);
  const svd = new SingularValueDecomposition(m, { autoTranspose: true });
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  const S = svd.diagonal;
  const a = new Float32Array(rows * r);
  const b = new Float32Array(r * cols);
  const top = new Float64Array(rows * cols);
  for (let k = 0; k < r; k++) {
    const root = Math.sqrt(S[k] / scale);
    for (let i = 0; i < rows; i++) a[i * r + k] = U.get(i, k) * root;
    for (let j = 0; j < cols; j++) b[k * cols + j] = V.get(j, k) * root;
    for (let i = 0; i < rows; i++) {
      const u = U.get(i, k) * S[k];
      for (let j = 0; j < cols; j++) top[i * cols + j] += u * V.get(j, k);
    }
  }
  const residual = new Float32Array(rows * cols);
  for (let i = 0; i < residual.length; i++) residual[i] = W[i] - top[i];
  return { a, b, residual };
}

/**
 * VeRA's frozen random matrices of a spec with `lora.kind: 'vera'`, regenerated from `lora.seed`:
 * `a [maxIn x rank]` and `b [rank x maxOut]` (`max(d, hidden)` both), uniform as PEFT's Kaiming init
 * (`a` within +-1/sqrt(maxIn), `b` within +-1/sqrt(rank)); a projection `[in x out]` uses the first `in`
 * rows of `a` and the first `out` columns of `b` ({@link veraSlices}).
 */
export function veraBases(spec: TransformerSpec): { a: Float32Array; b: Float32Array; maxIn: number; maxOut: number } {
  const lora = spec.lora as LoraSpec;
  const r = lora.rank;
  const max = Math.max(spec.dModel, Math.round(spec.mlpRatio * spec.dModel));
  const rng = new Rng(lora.seed as number);
  const uniform = (n: number, bound: number): Float32Array => Float32Array.from({ length: n }, () => (2 * rng.random() - 1) * bound);
  const a = uniform(max * r, 1 / Math.sqrt(max));
  const b = uniform(r * max, 1 / Math.sqrt(r));
  return { a, b, maxIn: max, maxOut: max };
}

/** The slices of {@link veraBases} a projection `[inDim x outDim]` uses: `a [inDim x rank]`, `b [rank x outDim]` (row-major copies). */
export function veraSlices(bases: ReturnType<typeof veraBases>, rank: number, inDim: number, outDim: number): { a: Float32Array; b: Float32Array } {
  const b = new Float32Array(rank * outDim);
  for (let k = 0; k < rank; k++) b.set(bases.b.subarray(k * bases.maxOut, k * bases.maxOut + outDim), k * outDim);
  return { a: bases.a.slice(0, inDim * rank), b };
}

/**
 * Folds the adapters into their projections (float64 sums): `W + (alpha / rank) A B`, VeRA's
 * `W + (alpha / rank) A diag(d) B diag(b)`, or DoRA's `(W + (alpha / rank) A B)` with each column
 * rescaled to norm `m`; the same network without adapters.
 */
export function mergeLora(spec: TransformerSpec, tensors: ReadonlyMap<string, Float32Array>): { spec: TransformerSpec; tensors: Map<string, Float32Array> } {
  const { lora, ...rest } = spec;
  const out = new Map(tensors);
  if (!lora) return { spec: rest, tensors: out };
  const r = lora.rank;
  const scale = lora.alpha / r;
  const bases = lora.kind === 'vera' ? veraBases(spec) : null;
  for (let l = 0; l < spec.layers; l++) {
    for (const w of lora.targets) {
      const name = loraTargetName(l, w);
      const [rows, cols] = loraTargetShape(spec, w);
      let A: Float32Array;
      let B: Float32Array;
      if (bases) {
        // A diag(d) and B diag(b) are the LoRA factors of the same update.
        const slices = veraSlices(bases, r, rows, cols);
        const dv = tensors.get(`${name}.vera_d`) as Float32Array;
        const bv = tensors.get(`${name}.vera_b`) as Float32Array;
        A = slices.a.map((x, i) => x * dv[i % r]);
        B = slices.b.map((x, i) => x * bv[i % cols]);
        out.delete(`${name}.vera_d`);
        out.delete(`${name}.vera_b`);
      } else {
        A = tensors.get(`${name}.lora_a`) as Float32Array;
        B = tensors.get(`${name}.lora_b`) as Float32Array;
        out.delete(`${name}.lora_a`);
        out.delete(`${name}.lora_b`);
      }
      const W = tensors.get(name) as Float32Array;
      const merged = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += A[i * r + k] * B[k * cols + j];
          merged[i * cols + j] = W[i * cols + j] + scale * s;
        }
      }
      if (lora.kind === 'dora') {
        // Each column rescaled to its trained magnitude.
        const m = tensors.get(`${name}.dora_m`) as Float32Array;
        const sq = new Float64Array(cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sq[j] += merged[i * cols + j] ** 2;
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) merged[i * cols + j] *= m[j] / Math.sqrt(sq[j]);
        out.delete(`${name}.dora_m`);
      }
      out.set(name, Float32Array.from(merged));
    }
  }
  return { spec: rest, tensors: out };
}
