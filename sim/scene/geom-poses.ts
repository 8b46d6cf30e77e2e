/**
 * Compact geom poses: `Float32Array [ngeom x 7]`, each row
 * `(x, y, z, qw, qx, qy, qz)` in MuJoCo's world frame (Z-up, metres,
 * quaternion w-first as in MuJoCo). This is what the viewer streams per frame
 * and what the renderer sends to its page.
 *
 * Browser-safe: imports nothing.
 */

/** Floats per geom in a pose buffer. */
export const POSE_STRIDE = 7;

/**
 * Writes the poses of all geoms from MuJoCo's `geom_xpos` (`[ngeom x 3]`) and
 * `geom_xmat` (`[ngeom x 9]`, row-major rotation) into `out`
 * (`Float32Array [ngeom x 7]`, preallocated by the caller). No allocation.
 *
 * @returns `out`.
 */
export function writeGeomPoses(geomXpos: ArrayLike<number>, geomXmat: ArrayLike<number>, ngeom: number, out: Float32Array): Float32Array {
  for (let g = 0; g < ngeom; g++) {
    const p = 3 * g;
    const m = 9 * g;
    const o = POSE_STRIDE * g;
    out[o] = geomXpos[p];
    out[o + 1] = geomXpos[p + 1];
    out[o + 2] = geomXpos[p + 2];
    mat2QuatInto(geomXmat, m, out, o + 3);
  }
  return out;
}

/**
 * Rotation matrix (row-major, 9 numbers from `mat[m]`) to a unit quaternion
 * (w, x, y, z) written at `out[o..o+3]`, with w >= 0. Shepperd's method: pick
 * the largest of (trace, diagonal) to divide by, for numerical stability.
 */
export function mat2QuatInto(mat: ArrayLike<number>, m: number, out: { [i: number]: number }, o: number): void {
  const r00 = mat[m], r01 = mat[m + 1], r02 = mat[m + 2];
  const r10 = mat[m + 3], r11 = mat[m + 4], r12 = mat[m + 5];
  const r20 = mat[m + 6], r21 = mat[m + 7], r22 = mat[m + 8];
  const trace = r00 + r11 + r22;
  let w: number, x: number, y: number, z: number;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    w = 0.25 * s;
    x = (r21 - r12) / s;
    y = (r02 - r20) / s;
    z = (r10 - r01) / s;
  } else if (r00 > r11 && r00 > r22) {
    const s = Math.sqrt(1 + r00 - r11 - r22) * 2;
    w = (r21 - r12) / s;
    x = 0.25 * s;
    y = (r01 + r10) / s;
    z = (r02 + r20) / s;
  } else if (r11 > r22) {
    const s = Math.sqrt(1 + r11 - r00 - r22) * 2;
    w = (r02 - r20) / s;
    x = (r01 + r10) / s;
    y = 0.25 * s;
    z = (r12 + r21) / s;
  } else {
    const s = Math.sqrt(1 + r22 - r00 - r11) * 2;
    w = (r10 - r01) / s;
    x = (r02 + r20) / s;
    y = (r12 + r21) / s;
    z = 0.25 * s;
  }
  const sign = w < 0 ? -1 : 1;
  const n = sign / Math.hypot(w, x, y, z);
  out[o] = w * n;
  out[o + 1] = x * n;
  out[o + 2] = y * n;
  out[o + 3] = z * n;
}
