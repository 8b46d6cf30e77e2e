import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { SceneVideoEncoder, SceneVideoCapture } from '../../sim/render/index.js';
import { RecordVideo } from '../../src/wrappers/record-video.js';
import { evaluatePolicy } from '../../src/bench/evaluate-policy.js';
import { makeAsync } from '../../src/registry/registry.js';
import { ClosedError, InvalidArgument } from '../../src/core/errors.js';
import { ArmReachExpert } from '../../envs/mujoco/arm-reach-expert.js';
import type { MujocoEnv } from '../../envs/mujoco/mujoco-env.js';
import '../../envs/mujoco/register.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { browserPerFile } from '../helpers/browser-per-file.js';
import { SLIDER_XML } from '../fixtures/slider-xml.js';
import { probeVideo, ffprobeVideo, type VideoProbe } from '../helpers/video-probe.js';

const skip = chromiumSkip();
browserPerFile();
const root = mkdtempSync(join(tmpdir(), 'lamkit-video-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A red box that slides along x under a camera looking straight down (image right = +x). */
const XML = SLIDER_XML;

/** Mean column (0 = left, 1 = right) of the red pixels of thumbnail `k`, or NaN when none. */
function redColumn(p: VideoProbe, k: number): number {
  const px = p.thumbnails[k];
  let sum = 0, n = 0;
  for (let y = 0; y < p.thumbHeight; y++) {
    for (let x = 0; x < p.thumbWidth; x++) {
      const i = 3 * (y * p.thumbWidth + x);
      if (px[i] > 120 && px[i] - px[i + 1] > 60 && px[i] - px[i + 2] > 60) {
        sum += x / (p.thumbWidth - 1);
        n++;
      }
    }
  }
  return sum / n;
}

/** Largest per-channel difference between two thumbnails. */
const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('SceneVideoEncoder: one frame per call at its timestamp; the decoded frames show the box where it was', { skip }, async () => {
  const world = await MujocoWorld.create({ xml: XML });
  const encoder = await SceneVideoEncoder.create({ width: 96, height: 64 });
  try {
    assert.ok(['avc', 'vp9', 'vp8'].includes(encoder.codec), encoder.codec);
    await encoder.begin(10);
    const qvel = world.qvel().slice();
    for (let k = 0; k < 7; k++) {
      world.setState([-0.6 + 0.2 * k], qvel);
      world.forward();
      await encoder.addFrame(world, { name: 'top' }, k / 10, 1 / 10);
    }
    const video = await encoder.finish();
    assert.equal(video.frames, 7);
    assert.ok(Math.abs(video.durationSeconds - 0.7) < 1e-9);
    const probe = await probeVideo(video.bytes, video.mimeType);
    assert.equal(probe.frames, 7);
    assert.deepEqual(probe.timestamps.map((t) => Math.round(t * 1000)), [0, 100, 200, 300, 400, 500, 600]);
    assert.ok(Math.abs(probe.durationSeconds - 0.7) < 1e-6, `container duration ${probe.durationSeconds}`);
    assert.ok(Math.abs(probe.elementDurationSeconds - 0.7) < 1e-6, `<video> duration ${probe.elementDurationSeconds}`);
    assert.deepEqual([probe.width, probe.height], [96, 64]);
    assert.deepEqual(probe.elementSize, [96, 64]);
    // The box moves left to right: its column increases frame after frame.
    const columns = probe.thumbnails.map((_, k) => redColumn(probe, k));
    for (let k = 1; k < columns.length; k++) assert.ok(columns[k] > columns[k - 1], `columns ${columns.map((c) => c.toFixed(2)).join(' ')}`);
    // A second file from the same encoder, other codec settings unchanged.
    await encoder.begin(10);
    await encoder.addFrame(world, undefined, 0, 0.1);
    await encoder.cancel();
    assert.equal(encoder.recording, false);
  } finally {
    await encoder.close();
    await encoder.close();
    world.close();
  }
  await assert.rejects(encoder.begin(10), ClosedError);
});

test('SceneVideoEncoder: bad sizes, codecs, timestamps and call orders throw typed errors', { skip }, async () => {
  await assert.rejects(SceneVideoEncoder.create({ width: 481 }), (err: unknown) => err instanceof InvalidArgument && err.message === 'SceneVideoEncoder.width: expected an even integer number of pixels in [2, 4096], got 481. Pass e.g. { width: 480, height: 480 }.');
  await assert.rejects(SceneVideoEncoder.create({ codec: 'h265' as never }), { message: 'SceneVideoEncoder.codec: expected one of auto, avc, vp9, vp8, av1, got "h265". Pass e.g. { codec: \'vp9\' } or omit it.' });
  const world = await MujocoWorld.create({ xml: XML });
  const encoder = await SceneVideoEncoder.create({ width: 32, height: 32, codec: 'vp8' });
  try {
    assert.equal(encoder.fileExtension, 'webm');
    await assert.rejects(encoder.addFrame(world, undefined, 0, 0.1), { message: 'SceneVideoEncoder.addFrame: expected an open video, got none. Call begin(fps) first.' });
    await encoder.begin(10);
    await assert.rejects(encoder.begin(10), { message: 'SceneVideoEncoder.begin: expected no open video, got one being recorded. Call finish() or cancel() first.' });
    await encoder.addFrame(world, undefined, 0, 0.1);
    await assert.rejects(encoder.addFrame(world, undefined, 0.05, 0.1), { message: 'SceneVideoEncoder.addFrame.timestampSeconds: expected a time >= 0.1 s (after the previous frame), got 0.05. Pass k / fps for frame k.' });
    await assert.rejects(encoder.addFrame(world, { name: 'front' }, 0.1, 0.1), { message: 'SceneVideoEncoder.addFrame.camera: expected the name of a camera in the model, got "front". Cameras: top.' });
    const video = await encoder.finish();
    const probe = await probeVideo(video.bytes, video.mimeType);
    assert.equal(probe.frames, 1);
    assert.match(probe.codec ?? '', /^vp8/);
  } finally {
    await encoder.close();
    world.close();
  }
});

test('RecordVideo + SceneVideoCapture: a video of the ArmReach expert has N + 1 frames lasting (N + 1) / fps', { skip, timeout: 240_000 }, async () => {
  const env = await makeAsync('ArmReach-v0');
  const world = (env.unwrapped as MujocoEnv).world;
  const capture = new SceneVideoCapture(world, { width: 160, height: 160 });
  const dir = join(root, 'arm');
  const recorder = new RecordVideo(env, { videoFolder: dir, capture, namePrefix: 'expert' });
  assert.equal(recorder.fps, 25); // ArmReach: dt 0.04 s
  try {
    const ev = await evaluatePolicy(new ArmReachExpert(env), recorder, { episodes: 1, seed: 3 });
    assert.equal(ev.lengths[0], 50);
    assert.equal(ev.successRate, 1);
  } finally {
    await recorder.close();
  }
  assert.equal(recorder.videos.length, 1);
  const path = recorder.videos[0];
  assert.match(path, /expert-episode-0\.(mp4|webm)$/);
  const probe = await probeVideo(readFileSync(path), path.endsWith('.mp4') ? 'video/mp4' : 'video/webm', { width: 32, height: 32 });
  // The reset frame and one frame per step (Gymnasium's RecordVideo), 1/25 s each.
  assert.equal(probe.frames, 51);
  assert.ok(Math.abs(probe.durationSeconds - 51 / 25) < 1e-6, `duration ${probe.durationSeconds}`);
  assert.ok(Math.abs(probe.elementDurationSeconds - 51 / 25) < 1e-6, `<video> duration ${probe.elementDurationSeconds}`);
  assert.deepEqual(probe.elementSize, [160, 160]);
  // The arm moves towards the target, then holds still near it: frames change early, hardly at the end.
  const early = maxDiff(probe.thumbnails[0], probe.thumbnails[10]);
  const late = maxDiff(probe.thumbnails[40], probe.thumbnails[50]);
  assert.ok(early > 20 && late < early / 2, `largest pixel change over steps 0-10: ${early}, over steps 40-50: ${late}`);
  const ff = ffprobeVideo(path);
  if (ff) {
    assert.equal(ff.frames, 51);
    assert.ok(Math.abs(ff.durationSeconds - 51 / 25) < 1 / 25);
  }
});
