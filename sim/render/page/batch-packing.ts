/**
 * How {@link BatchedSceneRenderer} packs a batch's cameras for the page
 * (browser-safe: imports nothing at run time). Poses travel as
 * `Float32Array [n x ngeom x 7]` (see `writeGeomPoses`), cameras as
 * `Float64Array [n x CAMERA_STRIDE]`, both as base64 strings: Playwright
 * serialises each number of an array argument as an object, which cost
 * more than the draw itself (docs/benchmarks.md, "Batched rendering").
 */
import type { CameraPose } from '../../scene/camera-pose.js';

/** Numbers per camera: position (3), row-major rotation (9), vertical field of view in degrees (1). */
export const CAMERA_STRIDE = 13;

/** Writes `pose` at `out[o .. o + CAMERA_STRIDE)`. */
export function packCamera(pose: CameraPose, out: Float64Array, o: number): void {
  out[o] = pose.posWorld[0];
  out[o + 1] = pose.posWorld[1];
  out[o + 2] = pose.posWorld[2];
  for (let k = 0; k < 9; k++) out[o + 3 + k] = pose.xmat[k];
  out[o + 12] = pose.fovyDeg;
}

/** Reads the camera at `cams[o .. o + CAMERA_STRIDE)` into `into` (reused: no allocation but the arrays). */
export function unpackCamera(cams: Float64Array, o: number, into: CameraPose): CameraPose {
  into.posWorld = [cams[o], cams[o + 1], cams[o + 2]];
  into.xmat = Array.from(cams.subarray(o + 3, o + 12));
  into.fovyDeg = cams[o + 12];
  return into;
}
