import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { SceneDescription } from '../scene/scene-description.js';
import { defaultFreeCamera, lookAtCamera } from '../scene/camera-pose.js';
import type { CameraPose } from '../scene/camera-pose.js';
import type { CameraSpec, RenderSource } from './scene-renderer.js';

/**
 * The {@link CameraPose} a {@link CameraSpec} names for the current state of
 * `source` (a named MJCF camera follows its body, so it is read from
 * `cam_xpos`/`cam_xmat` at every frame). Shared by the image renderer and
 * the video encoder; `where` starts the error messages.
 *
 * @throws InvalidArgument for an unknown camera name or a malformed spec.
 */
export function resolveCameraPose(where: string, description: SceneDescription, source: RenderSource, camera: CameraSpec): CameraPose {
  if (camera === undefined) return defaultFreeCamera(description);
  if (typeof camera !== 'object' || camera === null) throw badCamera(where, camera);
  if ('posWorld' in camera) return camera;
  if ('position' in camera) return lookAtCamera(camera.position, camera.lookAt, camera.fovyDeg ?? description.fovyDeg);
  if ('name' in camera) {
    const cam = description.cameras.find((c) => c.name === camera.name);
    if (!cam) {
      const names = description.cameras.map((c) => c.name).filter(Boolean);
      throw new InvalidArgument(formatError(where, 'the name of a camera in the model', describeValue(camera.name), `Cameras: ${names.join(', ') || '(none; pass { position, lookAt } instead)'}`));
    }
    const p = 3 * cam.index;
    const m = 9 * cam.index;
    return {
      posWorld: [source.data.cam_xpos[p], source.data.cam_xpos[p + 1], source.data.cam_xpos[p + 2]],
      xmat: Array.from({ length: 9 }, (_, i) => source.data.cam_xmat[m + i]),
      fovyDeg: cam.fovyDeg,
    };
  }
  throw badCamera(where, camera);
}

function badCamera(where: string, camera: unknown): InvalidArgument {
  return new InvalidArgument(formatError(where, '{ name }, { position, lookAt, fovyDeg? } or undefined', describeValue(camera), 'Pass e.g. { position: [0, -1, 1], lookAt: [0, 0, 0] }'));
}
