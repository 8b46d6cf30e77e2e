import { spawnSync } from 'node:child_process';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import { openMediaPage } from '../../sim/render/media-page.js';

/** What decoding a video file in Chromium found. */
export interface VideoProbe {
  /** Codec string of the video track (e.g. `avc1.42001f`, `vp09.00.31.08`). */
  codec: string | null;
  width: number;
  height: number;
  /** Frames decoded by WebCodecs' `VideoDecoder` (mediabunny's demuxer + `VideoSampleSink`). */
  frames: number;
  /** Presentation timestamp of each decoded frame, seconds. */
  timestamps: number[];
  /**
   * Each decoded frame scaled down to `thumbWidth x thumbHeight` RGB
   * (`[thumbHeight x thumbWidth x 3]`, rows top to bottom, 0-255): enough to
   * see what moves where.
   */
  thumbnails: number[][];
  thumbWidth: number;
  thumbHeight: number;
  /** End of the last frame according to the demuxer, seconds. */
  durationSeconds: number;
  /** `duration` of a `<video>` element playing the file (it opens in the browser's own player). */
  elementDurationSeconds: number;
  /** `videoWidth x videoHeight` of that element. */
  elementSize: [number, number];
}

/**
 * Decodes `bytes` (an MP4 or WebM file) in headless Chromium: every frame
 * through WebCodecs, and the file once more in a `<video>` element.
 */
export async function probeVideo(bytes: Uint8Array, mimeType: string, thumbSize: { width: number; height: number } = { width: 16, height: 16 }): Promise<VideoProbe> {
  const browser = await acquireBrowser();
  try {
    const page = await openMediaPage(browser, "import * as mb from 'mediabunny'; window.mb = mb;", { width: 64, height: 64 });
    try {
      await page.waitForFunction(() => 'mb' in window, null, { timeout: 30_000 });
      return await page.evaluate(async ([base64, mime, tw, th]) => {
        const mb = (window as any).mb;
        const bin = atob(base64);
        const data = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
        const input = new mb.Input({ source: new mb.BufferSource(data.buffer), formats: mb.ALL_FORMATS });
        const track = await input.getPrimaryVideoTrack();
        const durationSeconds = await input.computeDuration();
        const canvas = new OffscreenCanvas(tw, th);
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const timestamps: number[] = [];
        const thumbnails: number[][] = [];
        for await (const sample of new mb.VideoSampleSink(track).samples()) {
          timestamps.push(sample.timestamp);
          sample.draw(ctx, 0, 0, tw, th);
          sample.close();
          const px = ctx.getImageData(0, 0, tw, th).data;
          const rgb: number[] = [];
          for (let i = 0; i < px.length; i += 4) rgb.push(px[i], px[i + 1], px[i + 2]);
          thumbnails.push(rgb);
        }
        const video = document.createElement('video');
        video.muted = true;
        video.src = URL.createObjectURL(new Blob([data], { type: mime }));
        await new Promise<void>((resolve, reject) => {
          video.onloadedmetadata = () => resolve();
          video.onerror = () => reject(new Error(`<video> could not open the file: ${video.error?.message ?? 'unknown error'}`));
        });
        return {
          codec: (await track.getCodecParameterString()) as string | null,
          width: track.displayWidth as number,
          height: track.displayHeight as number,
          frames: timestamps.length,
          timestamps,
          thumbnails,
          thumbWidth: tw,
          thumbHeight: th,
          durationSeconds: durationSeconds as number,
          elementDurationSeconds: video.duration,
          elementSize: [video.videoWidth, video.videoHeight] as [number, number],
        };
      }, [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), mimeType, thumbSize.width, thumbSize.height] as const);
    } finally {
      await page.close();
    }
  } finally {
    await releaseBrowser();
  }
}

/**
 * Frame count and duration of the video file at `path` according to
 * ffprobe (decoding every frame: `-count_frames`), or null when ffprobe is
 * not installed (it is optional: Debian's `ffmpeg` package).
 */
export function ffprobeVideo(path: string): { frames: number; durationSeconds: number } | null {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { streams: Array<{ nb_read_frames: string }>; format: { duration: string } };
  return { frames: Number(json.streams[0].nb_read_frames), durationSeconds: Number(json.format.duration) };
}
