/**
 * Browser side of the video encoder: draws the MuJoCo scene (the same
 * drawer as the rgb_array page) and encodes each drawn canvas with WebCodecs
 * through mediabunny's `CanvasSource`, muxed to MP4 (H.264) or WebM (VP8,
 * VP9, AV1) in memory. Frames never leave the page as pixels; only the
 * finished file does (base64). Every frame carries an explicit timestamp and
 * duration, so nothing depends on wall-clock time (unlike MediaRecorder,
 * which drops frames when the machine is busy). Needs a secure context
 * (WebCodecs): the page is served from an https origin. Driven by
 * `SceneVideoEncoder` through `page.evaluate`.
 */
import { BufferTarget, CanvasSource, Mp4OutputFormat, Output, QUALITY_HIGH, WebMOutputFormat, canEncodeVideo } from 'mediabunny';
import type { CameraPose } from '../../scene/camera-pose.js';
import type { SceneDescription } from '../../scene/scene-description.js';
import { createSceneDrawer } from './scene-drawer.js';

/** Codecs the page encodes: `avc` (H.264) goes into MP4, the others into WebM. */
export type VideoCodecName = 'avc' | 'vp9' | 'vp8' | 'av1';

/** What the page exposes as `window.lamkitVideo`. */
export interface VideoPageApi {
  setScene(description: SceneDescription, width: number, height: number, background: number): void;
  /** The codecs of `candidates` this browser can encode at `width x height`, in the same order. */
  encodableCodecs(candidates: VideoCodecName[], width: number, height: number): Promise<VideoCodecName[]>;
  /** Opens a new file; `bitrateBps` null means mediabunny's `QUALITY_HIGH` (scaled with the resolution). */
  begin(codec: VideoCodecName, fps: number, bitrateBps: number | null): Promise<void>;
  /** Draws `poses` (`[ngeom x 7]`) from `camera` and encodes the canvas as the frame at `timestampSeconds`. */
  frame(poses: number[], camera: CameraPose, timestampSeconds: number, durationSeconds: number): Promise<void>;
  /** Finalizes the file; returns it as base64. */
  finish(): Promise<string>;
  /** Drops the open file, if any. */
  cancel(): Promise<void>;
}

export function installVideoPage(): VideoPageApi {
  // The encoder reads the canvas after `draw` returns: keep the drawing buffer.
  const drawer = createSceneDrawer({ preserveDrawingBuffer: true });
  let output: Output | null = null;
  let source: CanvasSource | null = null;

  const api: VideoPageApi = {
    setScene(description, width, height, background) {
      drawer.setScene(description, width, height, background);
    },
    async encodableCodecs(candidates, width, height) {
      const ok: VideoCodecName[] = [];
      for (const codec of candidates) if (await canEncodeVideo(codec, { width, height })) ok.push(codec);
      return ok;
    },
    async begin(codec, fps, bitrateBps) {
      if (output) throw new Error('lamkitVideo.begin: expected no open video, got one. Call finish() or cancel() first.');
      const out = new Output({ format: codec === 'avc' ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat(), target: new BufferTarget() });
      const src = new CanvasSource(drawer.renderer.domElement, { codec, bitrate: bitrateBps ?? QUALITY_HIGH });
      out.addVideoTrack(src, { frameRate: fps });
      await out.start();
      output = out;
      source = src;
    },
    async frame(poses, camera, timestampSeconds, durationSeconds) {
      if (!source) throw new Error('lamkitVideo.frame: expected an open video, got none. Call begin() first.');
      drawer.draw(poses, camera);
      await source.add(timestampSeconds, durationSeconds);
    },
    async finish() {
      const out = output;
      if (!out) throw new Error('lamkitVideo.finish: expected an open video, got none. Call begin() first.');
      output = null;
      source = null;
      await out.finalize();
      const bytes = new Uint8Array((out.target as BufferTarget).buffer!);
      let binary = '';
      const chunk = 0x8000;
      for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
      return btoa(binary);
    },
    async cancel() {
      const out = output;
      output = null;
      source = null;
      await out?.cancel();
    },
  };
  (window as unknown as { lamkitVideo: VideoPageApi }).lamkitVideo = api;
  return api;
}
