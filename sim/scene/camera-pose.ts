import { Matrix4 } from 'three';
import type { PerspectiveCamera } from 'three';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { SceneDescription } from './scene-description.js';

/**
 * A camera pose in MuJoCo's world frame, with MuJoCo's (and OpenGL's) camera
 * convention: the camera looks along its -Z axis, +Y is up in the image.
 * That is the layout of MuJoCo's `cam_xpos`/`cam_xmat`, so a named MJCF
 * camera's pose can be used as is.
 */
export interface CameraPose {
  /** Camera position, metres, MuJoCo world frame `[3]`. */
  posWorld: [number, number, number];
  /** Rotation, row-major `[9]`; columns are the camera's x, y, z axes in the world. */
  xmat: number[];
  /** Vertical field of view, degrees. */
  fovyDeg: number;
}

type Vec3 = readonly [number, number, number] | readonly number[];

/**
 * A camera at `position` looking at `target` (MuJoCo world frame, Z-up), with
 * the world's +Z up in the image (or +Y when looking straight up or down).
 */
export function lookAtCamera(position: Vec3, target: Vec3, fovyDeg = 45): CameraPose {
  for (const [what, v] of [['position', position], ['target', target]] as const) {
    if (!Array.isArray(v) || v.length !== 3 || !v.every(Number.isFinite)) {
      throw new InvalidArgument(formatError(`lookAtCamera.${what}`, '3 finite numbers [x, y, z] (metres, MuJoCo Z-up world)', describeValue(v), 'Pass e.g. [0, -1.5, 1]'));
    }
  }
  if (!(fovyDeg > 0 && fovyDeg < 180)) {
    throw new InvalidArgument(formatError('lookAtCamera.fovyDeg', 'a field of view in (0, 180) degrees', describeValue(fovyDeg), 'Pass e.g. 45'));
  }
  let fx = target[0] - position[0], fy = target[1] - position[1], fz = target[2] - position[2];
  const fn = Math.hypot(fx, fy, fz);
  if (fn < 1e-12) {
    throw new InvalidArgument(formatError('lookAtCamera.target', 'a point different from the position', describeValue(target), 'Move the camera away from its target'));
  }
  fx /= fn; fy /= fn; fz /= fn;
  // right = forward x up, with up = +Z unless looking (almost) straight along it.
  let [ux, uy, uz] = Math.abs(fz) > 0.999 ? [0, 1, 0] : [0, 0, 1];
  let rx = fy * uz - fz * uy, ry = fz * ux - fx * uz, rz = fx * uy - fy * ux;
  const rn = Math.hypot(rx, ry, rz);
  rx /= rn; ry /= rn; rz /= rn;
  // camera up = right x forward
  ux = ry * fz - rz * fy; uy = rz * fx - rx * fz; uz = rx * fy - ry * fx;
  return {
    posWorld: [position[0], position[1], position[2]],
    xmat: [rx, ux, -fx, ry, uy, -fy, rz, uz, -fz],
    fovyDeg,
  };
}

/**
 * MuJoCo's default free camera for a model: looking at `stat.center` from
 * `1.5 x stat.extent` away, azimuth 90 deg, elevation -45 deg (from -Y, above).
 */
export function defaultFreeCamera(description: SceneDescription): CameraPose {
  const [cx, cy, cz] = description.center;
  const d = 1.5 * description.extent;
  const c = Math.SQRT1_2;
  return lookAtCamera([cx, cy - c * d, cz + c * d], [cx, cy, cz], description.fovyDeg || 45);
}

const MUJOCO_TO_Y_UP = new Matrix4().makeRotationX(-Math.PI / 2);
const scratch = new Matrix4();

/**
 * Places a three.js camera that is NOT parented to the MuJoCo root at a
 * MuJoCo-frame pose: `matrix = Rx(-pi/2) * [xmat | pos]`.
 */
export function applyCameraPose(camera: PerspectiveCamera, pose: CameraPose): void {
  const m = pose.xmat;
  const p = pose.posWorld;
  scratch.set(m[0], m[1], m[2], p[0], m[3], m[4], m[5], p[1], m[6], m[7], m[8], p[2], 0, 0, 0, 1);
  camera.matrixAutoUpdate = false;
  camera.matrix.multiplyMatrices(MUJOCO_TO_Y_UP, scratch);
  camera.updateMatrixWorld(true);
  if (camera.fov !== pose.fovyDeg) {
    camera.fov = pose.fovyDeg;
    camera.updateProjectionMatrix();
  }
}
