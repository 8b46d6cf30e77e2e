import type { Rng } from '../../src/core/rng.js';
import { type MlpSpec, type ParamEntry, layoutSize } from './param-layout.js';

/**
 * Fills `out [rows x cols]` (row-major) with a random (semi-)orthogonal
 * matrix times `gain`, as `torch.nn.init.orthogonal_` (Saxe et al. 2014,
 * arXiv:1312.6120): QR of a standard normal matrix with the signs of R's
 * diagonal folded into Q, so the result is uniform over orthogonal matrices.
 * Uses modified Gram-Schmidt on the longer side, in float64.
 */
export function orthogonalInto(out: Float32Array, offset: number, rows: number, cols: number, gain: number, rng: Rng): void {
  const n = Math.max(rows, cols); // vector length
  const k = Math.min(rows, cols); // number of orthonormal vectors
  const q = new Float64Array(k * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let a = 0; a < k; a++) {
    const va = a * n;
    for (let b = 0; b < a; b++) {
      const vb = b * n;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[va + i] * q[vb + i];
      for (let i = 0; i < n; i++) q[va + i] -= dot * q[vb + i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[va + i] * q[va + i];
    // R's diagonal is the norm (positive) in Gram-Schmidt, so no sign fix is needed.
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[va + i] /= norm;
  }
  // Vectors run along the longer side: columns when rows >= cols, else rows.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = rows >= cols ? q[c * n + r] : q[r * n + c];
      out[offset + r * cols + c] = gain * v;
    }
  }
}

/** Options of {@link initMlpParams}. */
export interface InitOptions {
  /** Initial value of the Gaussian head's log standard deviation (CleanRL: 0). */
  logStdInit: number;
}

/**
 * CleanRL's `layer_init`: orthogonal weights with gain sqrt(2) in hidden
 * layers, 0.01 on the actor's output (near-uniform initial policy, Andrychowicz
 * et al. 2021, arXiv:2006.05990), 1 on the critic's output; zero biases.
 * @returns the flat parameter vector `Float32Array [layoutSize]`.
 */
export function initMlpParams(spec: MlpSpec, layout: readonly ParamEntry[], rng: Rng, options: InitOptions): Float32Array {
  const theta = new Float32Array(layoutSize(layout));
  const lastLayer = spec.hidden.length;
  for (const e of layout) {
    if (e.name === 'actor.log_std') {
      theta.fill(options.logStdInit, e.offset, e.offset + e.size);
      continue;
    }
    if (!e.name.endsWith('.weight')) continue; // biases stay 0
    const [trunk, layerText] = e.name.split('.');
    const layer = Number(layerText);
    const gain = layer < lastLayer ? Math.SQRT2 : trunk === 'actor' ? 0.01 : 1;
    orthogonalInto(theta, e.offset, e.shape[0], e.shape[1], gain, rng);
  }
  return theta;
}
