/**
 * Video cost (`node --import tsx bench/video-cost.ts`): what a video frame of
 * a MuJoCo task costs with `SceneVideoEncoder` (three.js draws, WebCodecs
 * encodes, both in the same headless Chromium page; WebGL2 on SwiftShader,
 * no GPU), per codec, at 480x480 (Gymnasium's MuJoCo default) and 240x240:
 * - encoder alone: a 2-D canvas re-filled and encoded in the page, no scene
 *   and no Node round trip (the codec's own cost here);
 * - video frame: `addFrame` of ArmReach-v0 (poses in, draw, encode), the env
 *   step between frames not counted; `finish` (flush + mux) and file size;
 * - reference: an `rgb_array` frame of the same size from `SceneRenderer`
 *   (draw, pixels back to Node), the path any outside encoder (ffmpeg)
 *   would need.
 *
 * Options: `--quick` (fewer frames). Writes bench/results/video-cost.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { Rng } from '../src/core/rng.js';
import { SceneRenderer, SceneVideoEncoder } from '../sim/render/index.js';
import type { RenderSource, VideoCodecName } from '../sim/render/index.js';
import { acquireBrowser, releaseBrowser } from '../sim/render/shared-browser.js';
import { openMediaPage } from '../sim/render/media-page.js';

const QUICK = process.argv.includes('--quick');
const FRAMES = QUICK ? 30 : 100;
const TASK = 'ArmReach-v0';
const FPS = 25;
const CODECS: VideoCodecName[] = ['avc', 'vp9', 'vp8'];
const SIZES = [480, 240];

interface Figure {
  name: string;
  value: number;
  unit: string;
  reference?: string;
}
const figures: Figure[] = [];
function report(f: Figure): void {
  figures.push(f);
  process.stdout.write(`${f.name}: ${f.value.toFixed(f.unit === 'ms' ? 1 : f.unit === 'x' ? 2 : 0)} ${f.unit}${f.reference ? `  (reference: ${f.reference})` : ''}\n`);
}

const env = await makeAsync(TASK);
const world = (env.unwrapped as unknown as { world: RenderSource }).world;
const rng = new Rng(0);
env.reset({ seed: 0 });
const step = () => {
  const r = env.step(env.actionSpace.sample(rng));
  if (r.terminated || r.truncated) env.reset();
};

const browser = await acquireBrowser();
// The encoder alone: a 2-D canvas re-filled each frame, encoded in the page.
const page = await openMediaPage(browser, "import * as mb from 'mediabunny'; window.mb = mb;", { width: 64, height: 64 });
await page.waitForFunction(() => 'mb' in window);
for (const size of SIZES) {
  for (const codec of CODECS) {
    const ms = await page.evaluate(async ([codec, size, frames, fps]) => {
      const mb = (window as any).mb;
      const canvas = new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d')!;
      const output = new mb.Output({ format: codec === 'avc' ? new mb.Mp4OutputFormat({ fastStart: 'in-memory' }) : new mb.WebMOutputFormat(), target: new mb.BufferTarget() });
      const source = new mb.CanvasSource(canvas, { codec, bitrate: mb.QUALITY_HIGH });
      output.addVideoTrack(source, { frameRate: fps });
      await output.start();
      const t0 = performance.now();
      for (let k = 0; k < frames; k++) {
        ctx.fillStyle = '#1d2330';
        ctx.fillRect(0, 0, size, size);
        ctx.fillStyle = '#c04040';
        ctx.fillRect((k * 7) % size, size / 3, size / 5, size / 5);
        await source.add(k / fps, 1 / fps);
      }
      await output.finalize();
      return (performance.now() - t0) / frames;
    }, [codec, size, FRAMES, FPS] as const);
    report({ name: `${size}x${size} ${codec} encoder alone (2-D canvas, in page)`, value: ms, unit: 'ms' });
  }
}
await page.close();

const videoFrameMs = new Map<string, number>();
for (const size of SIZES) {
  for (const codec of CODECS) {
    const encoder = await SceneVideoEncoder.create({ width: size, height: size, codec });
    await encoder.begin(FPS);
    await encoder.addFrame(world, undefined, 0, 1 / FPS); // scene upload, not counted
    let ms = 0;
    for (let k = 1; k <= FRAMES; k++) {
      step();
      const t = performance.now();
      await encoder.addFrame(world, undefined, k / FPS, 1 / FPS);
      ms += performance.now() - t;
    }
    const t = performance.now();
    const video = await encoder.finish();
    const finishMs = performance.now() - t;
    await encoder.close();
    const perFrame = ms / FRAMES;
    videoFrameMs.set(`${size} ${codec}`, perFrame);
    report({ name: `${size}x${size} ${codec} video frame (draw + encode in page)`, value: perFrame, unit: 'ms' });
    report({ name: `${size}x${size} ${codec} finish (flush + mux)`, value: finishMs, unit: 'ms' });
    report({ name: `${size}x${size} ${codec} file size per second of video`, value: video.bytes.byteLength / 1024 / video.durationSeconds, unit: 'KiB/s' });
  }
}
// Reference, measured after the video frames (a warm browser, as theirs).
for (const size of SIZES) {
  const renderer = await SceneRenderer.create({ width: size, height: size });
  await renderer.render(world);
  let ms = 0;
  for (let i = 0; i < FRAMES; i++) {
    step();
    const t = performance.now();
    await renderer.render(world);
    ms += performance.now() - t;
  }
  report({ name: `${size}x${size} rgb_array frame (SceneRenderer, pixels to Node)`, value: ms / FRAMES, unit: 'ms', reference: size === 480 ? '36.8 ms quiet, 79 ms loaded (docs/benchmarks.md, Rendering)' : undefined });
  for (const codec of CODECS) {
    report({ name: `${size}x${size} ${codec} video frame / rgb_array frame`, value: videoFrameMs.get(`${size} ${codec}`)! / (ms / FRAMES), unit: 'x' });
  }
  await renderer.close();
}

await releaseBrowser();
env.close();

const load = loadavg()[0];
process.stdout.write(`load average (1 min): ${load.toFixed(2)} on ${cpus().length} cores${load > 1 ? ' (machine busy: figures are noisy)' : ''}\n`);
mkdirSync('bench/results', { recursive: true });
const out = 'bench/results/video-cost.json';
writeFileSync(`${out}.tmp`, JSON.stringify({ task: TASK, frames: FRAMES, fps: FPS, loadAverage1m: load, cores: cpus().length, figures }, null, 2));
renameSync(`${out}.tmp`, out);
