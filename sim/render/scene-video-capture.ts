import { ClosedError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { CameraSpec, RenderSource } from './scene-renderer.js';
import { SceneVideoEncoder } from './scene-video-encoder.js';
import type { EncodedVideo, SceneVideoEncoderOptions } from './scene-video-encoder.js';

/** Options of {@link SceneVideoCapture}: the encoder's, plus the camera. */
export interface SceneVideoCaptureOptions extends SceneVideoEncoderOptions {
  /** Camera of every frame (see `CameraSpec`); default MuJoCo's free camera for the model. */
  camera?: CameraSpec;
}

/** One clip of a {@link SceneVideoCapture} (the `VideoClip` contract of `RecordVideo`). */
export interface SceneVideoClip {
  addFrame(timestampSeconds: number, durationSeconds: number): Promise<void>;
  finish(): Promise<EncodedVideo>;
  cancel(): Promise<void>;
}

/**
 * Video frames of a MuJoCo world for the `RecordVideo` wrapper (it fits its
 * `VideoCapture` contract): each frame draws the world's current state and
 * is encoded in the browser by a {@link SceneVideoEncoder}, created on the
 * first `begin` (so constructing one costs nothing and imports no browser
 * code until a video is recorded).
 *
 * ```ts
 * const env = await makeAsync('ArmReach-v0');
 * const capture = new SceneVideoCapture((env.unwrapped as MujocoEnv).world, { width: 480, height: 480 });
 * const recorder = new RecordVideo(env, { videoFolder: 'videos', capture });
 * ```
 */
export class SceneVideoCapture {
  private readonly source: RenderSource;
  private readonly options: SceneVideoCaptureOptions;
  private encoder: Promise<SceneVideoEncoder> | null = null;
  private closing: Promise<void> | null = null;

  /** @param source what each frame draws: a `MujocoWorld` (read at every frame). */
  constructor(source: RenderSource, options: SceneVideoCaptureOptions = {}) {
    if (typeof source !== 'object' || source === null || !('model' in source) || !('data' in source)) {
      throw new InvalidArgument(formatError('SceneVideoCapture.source', 'a MujocoWorld (or { model, data })', describeValue(source), 'Pass e.g. (env.unwrapped as MujocoEnv).world'));
    }
    this.source = source;
    this.options = options;
  }

  /** Starts a clip at `fps` frames per second; the first call starts the encoder (seconds). */
  async begin(fps: number): Promise<SceneVideoClip> {
    if (this.closing) throw new ClosedError(formatError('SceneVideoCapture.begin', 'an open capture', 'a closed one', 'Create a new SceneVideoCapture'));
    this.encoder ??= SceneVideoEncoder.create(this.options);
    this.encoder.catch(() => {
      this.encoder = null;
    });
    const encoder = await this.encoder;
    await encoder.begin(fps);
    const { source } = this;
    const camera = this.options.camera;
    return {
      addFrame: (timestampSeconds, durationSeconds) => encoder.addFrame(source, camera, timestampSeconds, durationSeconds),
      finish: () => encoder.finish(),
      cancel: () => encoder.cancel(),
    };
  }

  /** Closes the encoder if one was started. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.encoder ? this.encoder.then((e) => e.close(), () => undefined) : Promise.resolve();
    return this.closing;
  }
}
