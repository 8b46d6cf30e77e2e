/**
 * The viewer's WebSocket protocol (version 1). Browser-safe: imports only types.
 *
 * Server -> page:
 * 1. one text message, JSON {@link SceneMessage}: what to draw (geoms with
 *    shape/size/colour, meshes) and labels;
 * 2. then one binary message per simulation frame ({@link encodeViewerFrame}):
 *    a header `Float64 [4] = (step, reward, episodeReturn, episode)` (32 bytes)
 *    followed by the poses `Float32 [ngeom x 7] = (x, y, z, qw, qx, qy, qz)`
 *    in MuJoCo's world frame, little-endian (the platform order of every
 *    browser and Node target we run on).
 *
 * Page -> server: JSON text `{ "type": "reset" }` or
 * `{ "type": "pause", "paused": true|false }`. Anything else is answered with
 * `{ "type": "error", "message": ... }` and the socket is closed (code 1008).
 */
import type { SceneDescription } from '../../scene/scene-description.js';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';

export const VIEWER_PROTOCOL_VERSION = 1;
/** Bytes before the poses in a frame message. */
export const VIEWER_FRAME_HEADER_BYTES = 32;

/** First message on every connection. */
export interface SceneMessage {
  type: 'scene';
  version: typeof VIEWER_PROTOCOL_VERSION;
  /** Task id or model name shown as the title. */
  title: string;
  /** Who acts, e.g. `random actions (no policy)` or `policy: runs/ppo/model.json`. */
  actorLabel: string;
  scene: SceneDescription;
}

/** Server's answer to a bad page message, sent before closing. */
export interface ViewerErrorMessage {
  type: 'error';
  message: string;
}

/** Messages the page may send. */
export type ViewerCommand = { type: 'reset' } | { type: 'pause'; paused: boolean };

/** Per-frame numbers shown by the page. */
export interface ViewerFrameHeader {
  step: number;
  reward: number;
  episodeReturn: number;
  episode: number;
}

/** Encodes one frame (header + `Float32Array [ngeom x 7]` poses) into a new `ArrayBuffer`. */
export function encodeViewerFrame(header: ViewerFrameHeader, poses: Float32Array): ArrayBuffer {
  const buffer = new ArrayBuffer(VIEWER_FRAME_HEADER_BYTES + poses.byteLength);
  const head = new Float64Array(buffer, 0, 4);
  head[0] = header.step;
  head[1] = header.reward;
  head[2] = header.episodeReturn;
  head[3] = header.episode;
  new Float32Array(buffer, VIEWER_FRAME_HEADER_BYTES, poses.length).set(poses);
  return buffer;
}

/** Decodes a frame message; `poses` is a view into `buffer` (`Float32Array [ngeom x 7]`). */
export function decodeViewerFrame(buffer: ArrayBuffer): { header: ViewerFrameHeader; poses: Float32Array } {
  if (buffer.byteLength < VIEWER_FRAME_HEADER_BYTES || (buffer.byteLength - VIEWER_FRAME_HEADER_BYTES) % 28 !== 0) {
    throw new InvalidArgument(formatError('decodeViewerFrame.buffer', '32 + 28 x ngeom bytes', `${buffer.byteLength} bytes`, `Check the server speaks viewer protocol ${VIEWER_PROTOCOL_VERSION}`));
  }
  const head = new Float64Array(buffer, 0, 4);
  return {
    header: { step: head[0], reward: head[1], episodeReturn: head[2], episode: head[3] },
    poses: new Float32Array(buffer, VIEWER_FRAME_HEADER_BYTES, (buffer.byteLength - VIEWER_FRAME_HEADER_BYTES) / 4),
  };
}
