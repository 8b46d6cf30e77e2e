import type { Page } from 'playwright-core';
import { BackendError, ClosedError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { describeModel } from '../scene/scene-description.js';
import type { ModelLike, SceneDescription } from '../scene/scene-description.js';
import { writeGeomPoses, POSE_STRIDE } from '../scene/geom-poses.js';
import { LAMKIT_PREFIX } from '../viewer/static-assets.js';
import { acquireBrowser, releaseBrowser } from './shared-browser.js';
import { openMediaPage } from './media-page.js';
import { resolveCameraPose } from './resolve-camera-pose.js';
import type { CameraSpec, RenderSource } from './scene-renderer.js';
import type { VideoCodecName, VideoPageApi } from './page/video-page.js';

export type { VideoCodecName };

/** Options of {@link SceneVideoEncoder.create}. */
export interface SceneVideoEncoderOptions {
  /** Frame width in pixels, an even integer in [2, 4096] (4:2:0 video halves the chroma planes). Default 480 (Gymnasium's MuJoCo default). */
  width?: number;
  /** Frame height in pixels, even, in [2, 4096]. Default 480. */
  height?: number;
  /** Background colour `0xRRGGBB`; default the viewer's dark blue-grey. */
  background?: number;
  /**
   * `'avc'` (H.264 in MP4), `'vp9'`, `'vp8'` or `'av1'` (in WebM), or
   * `'auto'` (the default): the first of avc, vp9, vp8 that this Chromium
   * encodes, so the file plays in most players.
   */
  codec?: VideoCodecName | 'auto';
  /** Target bitrate in bits per second. Default: mediabunny's `QUALITY_HIGH` (scaled with the resolution). */
  bitrateBps?: number;
}

/** A finished video file. */
export interface EncodedVideo {
  bytes: Uint8Array;
  codec: VideoCodecName;
  /** `'mp4'` or `'webm'` (no dot). */
  fileExtension: string;
  mimeType: string;
  frames: number;
  /** End of the last frame (its timestamp + duration), seconds. */
  durationSeconds: number;
}

const AUTO_ORDER: VideoCodecName[] = ['avc', 'vp9', 'vp8'];
const CODECS: readonly string[] = ['avc', 'vp9', 'vp8', 'av1'];

type PageWindow = { lamkitVideo: VideoPageApi };

/**
 * Draws MuJoCo scenes with three.js in headless Chromium and encodes them to
 * a video file inside the same page (WebCodecs `VideoEncoder` through
 * mediabunny's muxers): the frames never cross to Node as pixels, only the
 * finished file does. One file at a time: `begin`, `addFrame` for each
 * frame with its timestamp, then `finish` (or `cancel`).
 *
 * Frame k is shown from the timestamp passed with it for the duration passed
 * with it; nothing depends on wall-clock time, so a busy machine makes
 * encoding slower but never drops or repeats a frame (MediaRecorder would).
 * Cost: see docs/benchmarks.md, "Video"; `bench/video-cost.ts` measures it.
 *
 * ```ts
 * const encoder = await SceneVideoEncoder.create({ width: 480, height: 480 });
 * await encoder.begin(25);
 * for (let k = 0; k < 50; k++) { world.step(); await encoder.addFrame(world, undefined, k / 25, 1 / 25); }
 * const video = await encoder.finish(); // { bytes, fileExtension: 'mp4', frames: 50, durationSeconds: 2 }
 * await encoder.close();
 * ```
 */
export class SceneVideoEncoder {
  readonly width: number;
  readonly height: number;
  /** The codec in use (`'auto'` resolved). */
  readonly codec: VideoCodecName;
  readonly fileExtension: string;
  readonly mimeType: string;
  private readonly background: number;
  private readonly bitrateBps: number | null;
  private page: Page | null;
  private description: SceneDescription | null = null;
  private model: ModelLike | null = null;
  private poses = new Float32Array(0);
  private open = false;
  private frames = 0;
  private endSeconds = 0;
  private closing: Promise<void> | null = null;

  private constructor(page: Page, options: { width: number; height: number; background: number; codec: VideoCodecName; bitrateBps: number | null }) {
    this.page = page;
    this.width = options.width;
    this.height = options.height;
    this.background = options.background;
    this.codec = options.codec;
    this.bitrateBps = options.bitrateBps;
    this.fileExtension = options.codec === 'avc' ? 'mp4' : 'webm';
    this.mimeType = options.codec === 'avc' ? 'video/mp4' : 'video/webm';
  }

  /**
   * Opens an encoder page in the process's shared Chromium (launching it if
   * needed) and checks that the codec can be encoded at this size.
   *
   * @throws InvalidArgument for bad options; BackendError when Chromium is
   *   missing or cannot encode the codec.
   */
  static async create(options: SceneVideoEncoderOptions = {}): Promise<SceneVideoEncoder> {
    const width = options.width ?? 480;
    const height = options.height ?? 480;
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 2 || v > 4096 || v % 2 !== 0) {
        throw new InvalidArgument(formatError(`SceneVideoEncoder.${name}`, 'an even integer number of pixels in [2, 4096]', describeValue(v), 'Pass e.g. { width: 480, height: 480 }'));
      }
    }
    const codec = options.codec ?? 'auto';
    if (codec !== 'auto' && !CODECS.includes(codec)) {
      throw new InvalidArgument(formatError('SceneVideoEncoder.codec', `one of auto, ${CODECS.join(', ')}`, describeValue(codec), "Pass e.g. { codec: 'vp9' } or omit it"));
    }
    const bitrateBps = options.bitrateBps ?? null;
    if (bitrateBps !== null && !(Number.isFinite(bitrateBps) && bitrateBps > 0)) {
      throw new InvalidArgument(formatError('SceneVideoEncoder.bitrateBps', 'a positive number of bits per second', describeValue(bitrateBps), 'Pass e.g. { bitrateBps: 2e6 } or omit it'));
    }
    const browser = await acquireBrowser();
    let page: Page | null = null;
    try {
      page = await openMediaPage(browser, `import { installVideoPage } from '${LAMKIT_PREFIX}sim/render/page/video-page.js'; installVideoPage();`, { width, height });
      await page.waitForFunction(() => 'lamkitVideo' in window, null, { timeout: 30_000 });
      const candidates = codec === 'auto' ? AUTO_ORDER : [codec];
      const encodable = await page.evaluate(([c, w, h]) => (window as unknown as PageWindow).lamkitVideo.encodableCodecs(c, w, h), [candidates, width, height] as const);
      if (encodable.length === 0) {
        throw new BackendError(formatError('SceneVideoEncoder.codec', `a codec this Chromium encodes at ${width}x${height} (${candidates.join(', ')})`, 'none of them', codec === 'auto' ? 'Use a Chromium build with WebCodecs video encoders' : "Pass { codec: 'auto' } to take one that works"));
      }
      return new SceneVideoEncoder(page, { width, height, background: options.background ?? 0x1d2330, codec: encodable[0], bitrateBps });
    } catch (err) {
      await page?.close().catch(() => undefined);
      await releaseBrowser();
      throw err;
    }
  }

  /** Whether a file is open (between `begin` and `finish`/`cancel`). */
  get recording(): boolean {
    return this.open;
  }

  /** Opens a new file at `fps` frames per second (a hint for the container's time base; each frame's timing is explicit). */
  async begin(fps: number): Promise<void> {
    const page = this.livePage('begin');
    if (this.open) throw new InvalidArgument(formatError('SceneVideoEncoder.begin', 'no open video', 'one being recorded', 'Call finish() or cancel() first'));
    if (!(Number.isFinite(fps) && fps > 0)) throw new InvalidArgument(formatError('SceneVideoEncoder.begin.fps', 'a positive number of frames per second', describeValue(fps), 'Pass e.g. 30'));
    await this.call('begin', () => page.evaluate(([c, f, b]) => (window as unknown as PageWindow).lamkitVideo.begin(c, f, b), [this.codec, fps, this.bitrateBps] as const));
    this.open = true;
    this.frames = 0;
    this.endSeconds = 0;
  }

  /**
   * Draws the current state of `source` (a `MujocoWorld`) from `camera` and
   * encodes it as the frame shown from `timestampSeconds` for
   * `durationSeconds`. Timestamps must increase.
   */
  async addFrame(source: RenderSource, camera: CameraSpec, timestampSeconds: number, durationSeconds: number): Promise<void> {
    const page = this.livePage('addFrame');
    if (!this.open) throw new InvalidArgument(formatError('SceneVideoEncoder.addFrame', 'an open video', 'none', 'Call begin(fps) first'));
    if (!(Number.isFinite(timestampSeconds) && timestampSeconds >= 0 && (this.frames === 0 || timestampSeconds >= this.endSeconds - 1e-9))) {
      throw new InvalidArgument(formatError('SceneVideoEncoder.addFrame.timestampSeconds', `a time >= ${this.frames === 0 ? 0 : this.endSeconds} s (after the previous frame)`, describeValue(timestampSeconds), 'Pass k / fps for frame k'));
    }
    if (!(Number.isFinite(durationSeconds) && durationSeconds > 0)) {
      throw new InvalidArgument(formatError('SceneVideoEncoder.addFrame.durationSeconds', 'a positive number of seconds', describeValue(durationSeconds), 'Pass 1 / fps'));
    }
    if (source.model !== this.model) {
      const description = describeModel(source.model);
      await this.call('addFrame', () => page.evaluate(([d, w, h, bg]) => (window as unknown as PageWindow).lamkitVideo.setScene(d, w, h, bg), [description, this.width, this.height, this.background] as const));
      this.description = description;
      this.model = source.model;
      this.poses = new Float32Array(description.ngeom * POSE_STRIDE);
    }
    const description = this.description!;
    writeGeomPoses(source.data.geom_xpos, source.data.geom_xmat, description.ngeom, this.poses);
    const pose = resolveCameraPose('SceneVideoEncoder.addFrame.camera', description, source, camera);
    await this.call('addFrame', () => page.evaluate(([p, c, t, d]) => (window as unknown as PageWindow).lamkitVideo.frame(p, c, t, d), [Array.from(this.poses), pose, timestampSeconds, durationSeconds] as const));
    this.frames++;
    this.endSeconds = timestampSeconds + durationSeconds;
  }

  /** Finalizes the open file and returns it. */
  async finish(): Promise<EncodedVideo> {
    const page = this.livePage('finish');
    if (!this.open) throw new InvalidArgument(formatError('SceneVideoEncoder.finish', 'an open video', 'none', 'Call begin(fps) first'));
    this.open = false;
    const base64 = await this.call('finish', () => page.evaluate(() => (window as unknown as PageWindow).lamkitVideo.finish()));
    const bytes = Buffer.from(base64, 'base64');
    return {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      codec: this.codec,
      fileExtension: this.fileExtension,
      mimeType: this.mimeType,
      frames: this.frames,
      durationSeconds: this.endSeconds,
    };
  }

  /** Drops the open file, if any. */
  async cancel(): Promise<void> {
    const page = this.page;
    if (!page || !this.open) return;
    this.open = false;
    await this.call('cancel', () => page.evaluate(() => (window as unknown as PageWindow).lamkitVideo.cancel()));
  }

  /** Closes this encoder's page (an open file is dropped); the shared browser closes with its last user. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const page = this.page;
      this.page = null;
      this.open = false;
      try {
        await page?.close();
      } finally {
        await releaseBrowser();
      }
    })();
    return this.closing;
  }

  private livePage(method: string): Page {
    if (!this.page) throw new ClosedError(formatError(`SceneVideoEncoder.${method}`, 'an open encoder', 'a closed one', 'Create a new SceneVideoEncoder'));
    return this.page;
  }

  /** Runs a page call; a failure inside the browser becomes a BackendError naming the step. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof InvalidArgument) throw err;
      const message = String((err as Error)?.message ?? err).split('\n')[0];
      throw new BackendError(formatError(`SceneVideoEncoder.${method}`, `the browser to encode ${this.codec} video`, message, 'Check Chromium (WebCodecs) or try another codec'), { cause: err });
    }
  }
}
