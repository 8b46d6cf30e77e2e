import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsyncEnv, Env, EnvMetadata, EnvSpec, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import type { Space } from '../core/spaces/space.js';
import { ClosedError, InvalidArgument, formatError, describeValue } from '../core/errors.js';

/**
 * One video being recorded: frames go in one by one, `finish` returns the
 * encoded file. Implemented next to a renderer (e.g. `SceneVideoCapture` in
 * sim/render, which draws and encodes inside headless Chromium).
 */
export interface VideoClip {
  /** Draws the env's current state as the frame shown from `timestampSeconds` for `durationSeconds`. */
  addFrame(timestampSeconds: number, durationSeconds: number): Promise<void>;
  /** Ends the clip; resolves with the encoded file and its extension (`'mp4'`, `'webm'`, without the dot). */
  finish(): Promise<{ bytes: Uint8Array; fileExtension: string }>;
  /** Drops the clip without producing a file. */
  cancel(): Promise<void>;
}

/** Where {@link RecordVideo} gets its clips: one `begin` per video file. */
export interface VideoCapture {
  /** Starts a clip at `fps` frames per second (at most one clip is open at a time). */
  begin(fps: number): Promise<VideoClip>;
  /** Releases the renderer and encoder. Safe to call twice. */
  close(): Promise<void> | void;
}

/** Options of {@link RecordVideo} (Gymnasium's `RecordVideo` arguments). */
export interface RecordVideoOptions {
  /** Folder the videos are written to (created when the first video is written). */
  videoFolder: string;
  /** Draws and encodes the frames (e.g. `new SceneVideoCapture(...)` for a MuJoCo task). Closed by the wrapper's `close()`. */
  capture: VideoCapture;
  /**
   * Starts a video when it returns true for the index of the episode just
   * reset (0 for the first). Default, when neither trigger is given:
   * {@link cappedCubicVideoSchedule} (episodes 0, 1, 8, 27, ..., 729, 1000, 2000, ...).
   */
  episodeTrigger?: (episodeId: number) => boolean;
  /** Starts a video when it returns true for the index of the step just taken, counted over all episodes from 0. */
  stepTrigger?: (stepId: number) => boolean;
  /**
   * Frames per video: a video stops after this many frames (it may span
   * episodes). 0, the default, records whole episodes: the video stops at
   * the next reset or at `close()`.
   */
  videoLength?: number;
  /** File names are `<namePrefix>-episode-<id>.<ext>` or `<namePrefix>-step-<id>.<ext>`. Default `'rl-video'`. */
  namePrefix?: string;
  /** Frames per second of the videos. Default: the env's `metadata.renderFps`, else 30 (Gymnasium's default). */
  fps?: number;
}

/**
 * Gymnasium's default episode trigger: true for the perfect cubes below 1000
 * (0, 1, 8, 27, ..., 729), then for every multiple of 1000.
 */
export function cappedCubicVideoSchedule(episodeId: number): boolean {
  if (episodeId < 1000) return Math.round(Math.cbrt(episodeId)) ** 3 === episodeId;
  return episodeId % 1000 === 0;
}

/**
 * Records videos of episodes (Gymnasium's `RecordVideo`), one file per
 * recording, at the asynchronous layer: frames are rendered after each
 * `reset` and `step` by an asynchronous {@link VideoCapture} (a browser),
 * so this wrapper is an {@link AsyncEnv}, whether it wraps an `Env` or an
 * `AsyncEnv`. `runEpisodes`, `evaluatePolicy` and `lamkit eval --video` take it
 * like any `AsyncEnv`.
 *
 * Semantics, as Gymnasium's:
 * - after every `reset`, `episodeTrigger(episodeId)` may start a video named
 *   `<namePrefix>-episode-<episodeId>`; after every `step`,
 *   `stepTrigger(stepId)` may start one named `<namePrefix>-step-<stepId>`
 *   (starting a video finishes the one being recorded);
 * - while recording, one frame is captured after the reset and after each
 *   step, so a whole episode of N steps gives N + 1 frames (its first
 *   frame is the initial state);
 * - frame k of a video is stamped `k / fps` seconds and lasts `1 / fps`, so
 *   a video of n frames lasts exactly `n / fps` seconds;
 * - with `videoLength` 0 a video covers whole episodes and stops at the
 *   next reset; otherwise it stops after exactly `videoLength` frames
 *   (Gymnasium's test `len(frames) > video_length` keeps one frame more);
 * - `close()` finishes the video in progress, then closes the capture and
 *   the env. Safe to call twice.
 *
 * ```ts
 * const env = await makeAsync('ArmReach-v0');
 * const recorder = new RecordVideo(env, {
 *   videoFolder: 'videos',
 *   capture: new SceneVideoCapture((env.unwrapped as MujocoEnv).world, { width: 480, height: 480 }),
 *   episodeTrigger: () => true,
 * });
 * await evaluatePolicy(policy, recorder, { episodes: 3 });
 * await recorder.close(); // videos/rl-video-episode-0.mp4, -1, -2
 * ```
 */
export class RecordVideo<Obs = unknown, Act = unknown> implements AsyncEnv<Obs, Act> {
  readonly env: Env<Obs, Act> | AsyncEnv<Obs, Act>;
  readonly videoFolder: string;
  readonly fps: number;
  readonly namePrefix: string;
  /** Frames per video; `Infinity` for whole episodes. */
  readonly videoLength: number;
  readonly episodeTrigger: ((episodeId: number) => boolean) | null;
  readonly stepTrigger: ((stepId: number) => boolean) | null;
  /** Index of the current episode (-1 before the first reset). */
  episodeId = -1;
  /** Index of the last step over all episodes (-1 before the first step). */
  stepId = -1;
  private readonly capture: VideoCapture;
  private clip: VideoClip | null = null;
  private clipName = '';
  private clipFrames = 0;
  private readonly written: string[] = [];
  private closing: Promise<void> | null = null;

  constructor(env: Env<Obs, Act> | AsyncEnv<Obs, Act>, options: RecordVideoOptions) {
    const o = options as Partial<RecordVideoOptions> | undefined;
    if (typeof o?.videoFolder !== 'string' || o.videoFolder === '') {
      throw new InvalidArgument(formatError('RecordVideo.videoFolder', 'a folder path', describeValue(o?.videoFolder), "Pass e.g. { videoFolder: 'videos' }"));
    }
    if (typeof o.capture?.begin !== 'function') {
      throw new InvalidArgument(formatError('RecordVideo.capture', 'a VideoCapture ({ begin(fps), close() })', describeValue(o.capture), 'Pass e.g. new SceneVideoCapture(world) for a MuJoCo task'));
    }
    for (const name of ['episodeTrigger', 'stepTrigger'] as const) {
      if (o[name] !== undefined && typeof o[name] !== 'function') {
        throw new InvalidArgument(formatError(`RecordVideo.${name}`, 'a function of an index returning a boolean', describeValue(o[name]), 'Pass e.g. (id) => id % 10 === 0'));
      }
    }
    const videoLength = o.videoLength ?? 0;
    if (!Number.isInteger(videoLength) || videoLength < 0) {
      throw new InvalidArgument(formatError('RecordVideo.videoLength', 'an integer >= 0 (frames; 0 records whole episodes)', describeValue(videoLength), 'Pass e.g. 100, or 0'));
    }
    const namePrefix = o.namePrefix ?? 'rl-video';
    if (typeof namePrefix !== 'string' || namePrefix === '' || /[/\\]/.test(namePrefix)) {
      throw new InvalidArgument(formatError('RecordVideo.namePrefix', 'a non-empty file name prefix without / or \\', describeValue(namePrefix), "Pass e.g. 'rl-video'"));
    }
    const fps = o.fps ?? env.metadata.renderFps ?? 30;
    if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0) {
      throw new InvalidArgument(formatError('RecordVideo.fps', 'a positive number of frames per second', describeValue(fps), 'Pass e.g. { fps: 30 }, or set metadata.renderFps in the env'));
    }
    this.env = env;
    this.capture = o.capture;
    this.videoFolder = o.videoFolder;
    this.fps = fps;
    this.namePrefix = namePrefix;
    this.videoLength = videoLength === 0 ? Infinity : videoLength;
    this.episodeTrigger = o.episodeTrigger ?? (o.stepTrigger ? null : cappedCubicVideoSchedule);
    this.stepTrigger = o.stepTrigger ?? null;
  }

  get observationSpace(): Space<Obs> {
    return this.env.observationSpace;
  }
  get actionSpace(): Space<Act> {
    return this.env.actionSpace;
  }
  get metadata(): EnvMetadata {
    return this.env.metadata;
  }
  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }
  set spec(spec: EnvSpec | undefined) {
    this.env.spec = spec;
  }

  /** Whether a video is being recorded. */
  get recording(): boolean {
    return this.clip !== null;
  }

  /** Paths of the videos written so far, in order. */
  get videos(): readonly string[] {
    return this.written;
  }

  async reset(args?: ResetArgs): Promise<ResetResult<Obs>> {
    this.assertOpen('reset');
    const result = await this.env.reset(args);
    this.episodeId++;
    if (this.clip && this.videoLength === Infinity) await this.stopRecording();
    if (this.episodeTrigger?.(this.episodeId)) await this.startRecording(`${this.namePrefix}-episode-${this.episodeId}`);
    if (this.clip) await this.captureFrame();
    return result;
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    this.assertOpen('step');
    const result = await this.env.step(action);
    this.stepId++;
    if (this.stepTrigger?.(this.stepId)) await this.startRecording(`${this.namePrefix}-step-${this.stepId}`);
    if (this.clip) await this.captureFrame();
    return result;
  }

  async render(): Promise<unknown> {
    return this.env.render?.();
  }

  /** Starts a video named `name` (finishing the one in progress first). Triggers call it; call it yourself to record on demand. */
  async startRecording(name: string): Promise<void> {
    if (this.clip) await this.stopRecording();
    this.clip = await this.capture.begin(this.fps);
    this.clipName = name;
    this.clipFrames = 0;
  }

  /**
   * Finishes the video in progress and writes `<videoFolder>/<name>.<ext>`
   * (through a temporary file, so a reader never sees half a video); a
   * video without frames is dropped. Resolves with the path, or null.
   */
  async stopRecording(): Promise<string | null> {
    const clip = this.clip;
    if (!clip) return null;
    this.clip = null;
    if (this.clipFrames === 0) {
      await clip.cancel();
      return null;
    }
    const { bytes, fileExtension } = await clip.finish();
    await mkdir(this.videoFolder, { recursive: true });
    const path = join(this.videoFolder, `${this.clipName}.${fileExtension}`);
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
    this.written.push(path);
    return path;
  }

  /** Finishes the video in progress, then closes the capture and the env. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.stopRecording();
      } finally {
        try {
          await this.capture.close();
        } finally {
          await this.env.close();
        }
      }
    })();
    return this.closing;
  }

  toString(): string {
    return `<RecordVideo${String(this.env)}>`;
  }

  private async captureFrame(): Promise<void> {
    const clip = this.clip!;
    try {
      await clip.addFrame(this.clipFrames / this.fps, 1 / this.fps);
    } catch (err) {
      this.clip = null;
      await clip.cancel().catch(() => undefined);
      throw err;
    }
    this.clipFrames++;
    if (this.clipFrames >= this.videoLength) await this.stopRecording();
  }

  private assertOpen(method: string): void {
    if (this.closing) throw new ClosedError(formatError(`RecordVideo.${method}`, 'an open env', 'a closed one', 'Create a new RecordVideo'));
  }
}
