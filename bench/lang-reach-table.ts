/**
 * Shared by the LangReach keypoint benches (bench:lang-reach-keypoints,
 * bench:lang-reach-probe): where an image keypoint lands on the table, and
 * which object lies nearest a point of it.
 */
import { LANG_REACH_CAMERA, type LangReach } from '../src/index.js';
import { keypointGrid, type TextTransformerSpec } from '../agents/policies/text/text-transformer-spec.js';

type Objects = ReturnType<LangReach['objects']>;
/** What lies nearest a point of the table: the target, its colour twin (same colour, other shape) or another object. */
export type Outcome = 'target' | 'twin' | 'other';

/**
 * Keypoint `k` of `coords` (a network's keypoint coordinates, x right and y down in [-1, 1] over its keypoint map)
 * projected through the `overview` camera onto the plane of the objects' tops (the target's height): (x, y) in
 * metres.
 */
export function keypointOnTable(coords: ArrayLike<number>, k: number, image: NonNullable<TextTransformerSpec['image']>, target: Objects[number]): [number, number] {
  const kp = image.keypoints as NonNullable<NonNullable<TextTransformerSpec['image']>['keypoints']>;
  // The keypoint map's size (a position every stride pixels, the last one partial where the stride does not divide the image).
  const [gh, gw] = keypointGrid(image);
  const tanHalf = Math.tan((LANG_REACH_CAMERA.fovyDeg * Math.PI) / 360);
  // The objects' tops lie this far below the camera.
  const depth = LANG_REACH_CAMERA.pos[2] - 2 * target.position[2];
  // Keypoint grid coordinates -> pixel centre -> normalized image coordinates -> the top plane (image up = +y).
  const px = ((coords[2 * k] + 1) / 2) * (gw - 1) * kp.stride + Math.floor(kp.stride / 2);
  const py = ((coords[2 * k + 1] + 1) / 2) * (gh - 1) * kp.stride + Math.floor(kp.stride / 2);
  return [LANG_REACH_CAMERA.pos[0] + (((px + 0.5) / image.width) * 2 - 1) * depth * tanHalf, LANG_REACH_CAMERA.pos[1] - (((py + 0.5) / image.height) * 2 - 1) * depth * tanHalf];
}

/** What lies nearest (x, y) on the table (horizontal distance to the objects' centres). */
export function nearestOutcome(objects: Objects, target: Objects[number], x: number, y: number): Outcome {
  const dist = (o: Objects[number]): number => Math.hypot(o.position[0] - x, o.position[1] - y);
  const nearest = objects.reduce((a, b) => (dist(b) < dist(a) ? b : a));
  return nearest.target ? 'target' : nearest.colour === target.colour ? 'twin' : 'other';
}

/** The keypoint that tracks the target: the index of the per-keypoint outcome list most often `'target'`. */
export function trackingKeypoint(outcomes: ReadonlyArray<ReadonlyArray<Outcome>>): number {
  return outcomes.map((h, k) => [h.filter((x) => x === 'target').length, k]).reduce((a, b) => (b[0] > a[0] ? b : a))[1];
}
