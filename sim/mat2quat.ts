import { mat2QuatInto } from './scene/geom-poses.js';

/** Rotation matrix (row-major, 9 numbers) to a unit quaternion (w, x, y, z) with w >= 0 (Shepperd's method). */
export function mat2Quat(m: ArrayLike<number>): Float64Array {
  const out = new Float64Array(4);
  mat2QuatInto(m, 0, out, 0);
  return out;
}

/** The pose of object `i` from `[n x 3]` positions and `[n x 9]` matrices (copies), quaternion from `quat` when given. */
export function poseAt(pos: Float64Array, mat: Float64Array, i: number, quat?: Float64Array): { posWorld: Float64Array; quatWxyz: Float64Array; xmat: Float64Array } {
  const xmat = mat.slice(9 * i, 9 * i + 9);
  return { posWorld: pos.slice(3 * i, 3 * i + 3), quatWxyz: quat ? quat.slice(4 * i, 4 * i + 4) : mat2Quat(xmat), xmat };
}
