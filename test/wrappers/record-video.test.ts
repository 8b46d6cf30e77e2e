import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordVideo, cappedCubicVideoSchedule, type VideoCapture, type VideoClip } from '../../src/wrappers/record-video.js';
import { ClosedError, InvalidArgument } from '../../src/core/errors.js';
import { toAsyncEnv } from '../../src/core/env.js';
import { TestEnv } from '../helpers/test-env.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-record-video-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = () => join(root, `v${folders++}`);

/**
 * A capture whose "video" is a text file listing each frame as
 * `<env step count>@<timestamp>+<duration>`: what was captured, and when.
 */
class FakeCapture implements VideoCapture {
  begun = 0;
  cancelled = 0;
  closeCount = 0;
  fpsSeen: number[] = [];
  constructor(private readonly env: TestEnv) {}
  async begin(fps: number): Promise<VideoClip> {
    this.begun++;
    this.fpsSeen.push(fps);
    const frames: string[] = [];
    return {
      addFrame: async (t, d) => void frames.push(`${this.env.stepCount}@${t.toFixed(4)}+${d.toFixed(4)}`),
      finish: async () => ({ bytes: new TextEncoder().encode(frames.join(' ')), fileExtension: 'txt' }),
      cancel: async () => void this.cancelled++,
    };
  }
  close(): void {
    this.closeCount++;
  }
}

/** Runs `episodes` episodes of the counter env (length `len`) through `rec`. */
async function run(rec: RecordVideo<Float32Array, number>, episodes: number): Promise<void> {
  for (let e = 0; e < episodes; e++) {
    await rec.reset();
    for (;;) {
      const r = await rec.step(0);
      if (r.terminated || r.truncated) break;
    }
  }
}
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8').split(' ');

test('cappedCubicVideoSchedule: cubes below 1000, then every 1000 (Gymnasium)', () => {
  const hits = Array.from({ length: 3001 }, (_, i) => i).filter(cappedCubicVideoSchedule);
  assert.deepEqual(hits, [0, 1, 8, 27, 64, 125, 216, 343, 512, 729, 1000, 2000, 3000]);
});

test('RecordVideo: default trigger records episodes 0, 1 and 8; a whole episode is N+1 frames stamped k/fps', async () => {
  const env = new TestEnv({ episodeLength: 3 });
  env.metadata.renderFps = 25;
  const capture = new FakeCapture(env);
  const dir = folder();
  const rec = new RecordVideo(env, { videoFolder: dir, capture });
  assert.equal(rec.fps, 25);
  await run(rec, 10);
  await rec.close();
  assert.deepEqual(readdirSync(dir).sort(), ['rl-video-episode-0.txt', 'rl-video-episode-1.txt', 'rl-video-episode-8.txt']);
  assert.deepEqual(rec.videos, ['rl-video-episode-0.txt', 'rl-video-episode-1.txt', 'rl-video-episode-8.txt'].map((f) => join(dir, f)));
  // Reset frame (3 steps taken before episode 1's reset), then one per step.
  assert.deepEqual(read(dir, 'rl-video-episode-1.txt'), ['3@0.0000+0.0400', '4@0.0400+0.0400', '5@0.0800+0.0400', '6@0.1200+0.0400']);
  assert.equal(capture.begun, 3);
  assert.deepEqual(capture.fpsSeen, [25, 25, 25]);
  assert.equal(capture.closeCount, 1);
  assert.equal(env.closeCount, 1);
});

test('RecordVideo: step trigger with videoLength gives fixed-length videos that span episodes', async () => {
  const env = new TestEnv({ episodeLength: 4 });
  const dir = folder();
  const rec = new RecordVideo(env, { videoFolder: dir, capture: new FakeCapture(env), stepTrigger: (s) => s % 10 === 0, videoLength: 6, namePrefix: 'snap', fps: 10 });
  assert.equal(rec.episodeTrigger, null);
  await run(rec, 5); // 20 steps: triggers at step ids 0 and 10
  await rec.close();
  assert.deepEqual(readdirSync(dir).sort(), ['snap-step-0.txt', 'snap-step-10.txt']);
  // Step id 0 is the first step (env.stepCount 1 after it); the reset of episode 1 (after step 4) is captured too.
  assert.deepEqual(read(dir, 'snap-step-0.txt').map((f) => f.split('@')[0]), ['1', '2', '3', '4', '4', '5']);
  assert.deepEqual(read(dir, 'snap-step-10.txt').map((f) => f.split('@')[0]), ['11', '12', '12', '13', '14', '15']);
  assert.equal(read(dir, 'snap-step-10.txt')[5], '15@0.5000+0.1000');
});

test('RecordVideo: both triggers, a new trigger finishes the running video; close() finishes the last one; fps defaults to 30', async () => {
  const env = new TestEnv({ episodeLength: 3 });
  const dir = folder();
  const rec = new RecordVideo(toAsyncEnv(env), { videoFolder: dir, capture: new FakeCapture(env), episodeTrigger: (e) => e === 1, stepTrigger: (s) => s === 4 });
  assert.equal(rec.fps, 30);
  await run(rec, 2);
  assert.equal(rec.recording, true);
  await rec.close();
  await rec.close();
  assert.equal(rec.recording, false);
  assert.deepEqual(readdirSync(dir).sort(), ['rl-video-episode-1.txt', 'rl-video-step-4.txt']);
  assert.equal(read(dir, 'rl-video-episode-1.txt').length, 2); // reset frame + step id 3
  assert.equal(read(dir, 'rl-video-step-4.txt').length, 2); // step ids 4 and 5, then close
  await assert.rejects(rec.step(0), (err: unknown) => err instanceof ClosedError && err.message === 'RecordVideo.step: expected an open env, got a closed one. Create a new RecordVideo.');
});

test('RecordVideo: a failing frame cancels the clip and propagates; nothing is written', async () => {
  const env = new TestEnv({ episodeLength: 3 });
  let cancelled = 0;
  const capture: VideoCapture = {
    begin: async () => ({
      addFrame: async () => {
        throw new Error('encoder crashed');
      },
      finish: async () => assert.fail('finish of a failed clip'),
      cancel: async () => void cancelled++,
    }),
    close: () => undefined,
  };
  const dir = folder();
  const rec = new RecordVideo(env, { videoFolder: dir, capture });
  await assert.rejects(rec.reset(), /encoder crashed/);
  assert.equal(rec.recording, false);
  assert.equal(cancelled, 1);
  await rec.close();
  assert.deepEqual(rec.videos, []);
});

test('RecordVideo: bad options throw typed errors naming the option', () => {
  const env = new TestEnv();
  const capture = new FakeCapture(env);
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ capture }, 'RecordVideo.videoFolder: expected a folder path, got undefined. Pass e.g. { videoFolder: \'videos\' }.'],
    [{ videoFolder: 'v' }, 'RecordVideo.capture: expected a VideoCapture ({ begin(fps), close() }), got undefined. Pass e.g. new SceneVideoCapture(world) for a MuJoCo task.'],
    [{ videoFolder: 'v', capture, videoLength: -1 }, 'RecordVideo.videoLength: expected an integer >= 0 (frames; 0 records whole episodes), got -1. Pass e.g. 100, or 0.'],
    [{ videoFolder: 'v', capture, episodeTrigger: 3 }, 'RecordVideo.episodeTrigger: expected a function of an index returning a boolean, got 3. Pass e.g. (id) => id % 10 === 0.'],
    [{ videoFolder: 'v', capture, namePrefix: 'a/b' }, 'RecordVideo.namePrefix: expected a non-empty file name prefix without / or \\, got "a/b". Pass e.g. \'rl-video\'.'],
    [{ videoFolder: 'v', capture, fps: 0 }, 'RecordVideo.fps: expected a positive number of frames per second, got 0. Pass e.g. { fps: 30 }, or set metadata.renderFps in the env.'],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => new RecordVideo(env, options as never), (err: unknown) => err instanceof InvalidArgument && err.message === message, message);
  }
});
