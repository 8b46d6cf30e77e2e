/** Rotation matrix (row-major) to unit quaternion (w, x, y, z), Shepperd's method. */
export function mat2Quat(m: ArrayLike<number>): Float64Array {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]];
  const tr = m00 + m11 + m22;
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = 0.25 * s;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    w = (m21 - m12) / s;
    x = 0.25 * s;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = 0.25 * s;
    z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = 0.25 * s;
  }
  if (w < 0) {
    w = -w;
    x = -x;
    y = -y;
    z = -z;
  }
  return Float64Array.of(w, x, y, z);
}

/** The pose of object `i` from `[n x 3]` positions and `[n x 9]` matrices (copies), quaternion from `quat` when given. */
export function poseAt(pos: Float64Array, mat: Float64Array, i: number, quat?: Float64Array): { posWorld: Float64Array; quatWxyz: Float64Array; xmat: Float64Array } {
  const xmat = mat.slice(9 * i, 9 * i + 9);
  return { posWorld: pos.slice(3 * i, 3 * i + 3), quatWxyz: quat ? quat.slice(4 * i, 4 * i + 4) : mat2Quat(xmat), xmat };
}
