import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTrain } from '../../src/cli/commands/train.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { browserPerFile } from '../helpers/browser-per-file.js';
import { probeVideo, ffprobeVideo } from '../helpers/video-probe.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-eval-video-'));
after(() => rmSync(root, { recursive: true, force: true }));
// One Chromium for the file: the video probes of both episodes (and the renderer) share it.
browserPerFile();

test('lamkit eval --checkpoint <trained ArmReach> --video writes one video per episode that decodes to 51 frames over 2.04 s', { skip: chromiumSkip(), timeout: 300_000 }, async () => {
  const run = join(root, 'arm');
  await runTrain({ env: 'ArmReach-v0', algo: 'ppo', seed: '0', totalSteps: '256', numEnvs: '2', out: run, config: JSON.stringify({ numSteps: 64, numMinibatches: 2, updateEpochs: 1 }), vectorization: 'sync', progress: false });
  const videos = join(root, 'videos');
  // The real command line, in its own process.
  const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN, 'eval', '--checkpoint', run, '--episodes', '2', '--video', videos], { encoding: 'utf8', timeout: 240_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.match(cli.stdout, /^lamkit eval: ArmReach-v0, 2 episodes: return -?\d/m);
  const files = readdirSync(videos).sort();
  assert.equal(files.length, 2);
  assert.match(files[0], /^ArmReach-v0-episode-0\.(mp4|webm)$/);
  assert.match(files[1], /^ArmReach-v0-episode-1\.(mp4|webm)$/);
  assert.match(cli.stdout, new RegExp(`lamkit eval: 2 videos in ${videos}: ${files[0].replace('.', '\\.')}, ${files[1].replace('.', '\\.')}`));
  for (const file of files) {
    const path = join(videos, file);
    const probe = await probeVideo(readFileSync(path), file.endsWith('.mp4') ? 'video/mp4' : 'video/webm');
    // 50 steps (TimeLimit) at dt 0.04 s = 25 fps: the reset frame + 50 step frames, 1/25 s each.
    assert.equal(probe.frames, 51, file);
    assert.ok(Math.abs(probe.durationSeconds - 51 / 25) < 1e-6, `${file}: duration ${probe.durationSeconds}`);
    assert.ok(Math.abs(probe.elementDurationSeconds - 51 / 25) < 1e-6, `${file}: <video> duration ${probe.elementDurationSeconds}`);
    assert.deepEqual(probe.elementSize, [480, 480]);
    const ff = ffprobeVideo(path);
    if (ff) {
      assert.equal(ff.frames, 51, `${file}: ffprobe frames`);
      assert.ok(Math.abs(ff.durationSeconds - 51 / 25) < 1 / 25, `${file}: ffprobe duration ${ff.durationSeconds}`);
    }
  }
});

test('lamkit eval --video: a task without a scene and a bad --video-size are typed errors', async () => {
  const cartpole = fileURLToPath(new URL('../fixtures/checkpoint-v1/cartpole', import.meta.url));
  await assert.rejects(runEval({ checkpoint: cartpole, episodes: '1', seed: '0', video: join(root, 'none') }), (err: unknown) => err instanceof InvalidArgument && err.message === 'lamkit eval --video: expected a task with a MuJoCo scene to film (e.g. ArmReach-v0, Reacher-v5), got CartPole-v1, which has none. Evaluate it without --video.');
  await assert.rejects(runEval({ checkpoint: cartpole, episodes: '1', seed: '0', video: join(root, 'none'), videoSize: '481x480' }), { message: 'lamkit eval --video-size: expected <width>x<height> in even pixels from 2 to 4096, got "481x480". Pass e.g. --video-size 480x480.' });
});
