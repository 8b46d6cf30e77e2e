import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NormalizeReward } from '../../src/wrappers/normalize-reward.js';
import { TransformReward } from '../../src/wrappers/transform-reward.js';
import { RecordEpisodeStatistics } from '../../src/wrappers/record-episode-statistics.js';
import { RunningMeanStd } from '../../src/core/running-mean-std.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { make } from '../../src/registry/registry.js';
import '../../envs/classic/register.js';
import { TestEnv } from '../helpers/test-env.js';

test('TransformReward applies the function', () => {
  const env = new TransformReward(new TestEnv(), (r) => 10 * r);
  env.reset();
  assert.equal(env.step(0).reward, 10);
  assert.equal(env.step(0).reward, 20);
  assert.throws(() => new TransformReward(new TestEnv(), 3 as never), InvalidArgument);
});

test("NormalizeReward follows Gymnasium's discounted-return scaling step by step", () => {
  const gamma = 0.9;
  const env = new NormalizeReward(new TestEnv({ episodeLength: 3 }), { gamma });
  const reference = new RunningMeanStd([]);
  let g = 0;
  env.reset();
  for (let t = 0; t < 10; t++) {
    const r = env.step(0);
    // TestEnv: rewards 1, 2, 3 then terminated; keep stepping past the end (counter continues) after a reset.
    const raw = r.info.t as number;
    g = g * gamma * (r.terminated ? 0 : 1) + raw;
    reference.update([g]);
    assert.equal(r.reward, raw / Math.sqrt(reference.var[0] + 1e-8), `step ${t}`);
    assert.equal(env.discountedReward, g);
    if (r.terminated) env.reset();
  }
});

test('NormalizeReward state saves, restores and freezes', () => {
  const env = new NormalizeReward(make('CartPole-v1'));
  env.reset({ seed: 0 });
  for (let t = 0; t < 50; t++) if (env.step(t % 2).terminated) env.reset();
  const saved = JSON.parse(JSON.stringify(env.getState()));
  const twin = new NormalizeReward(make('CartPole-v1'));
  twin.setState(saved);
  assert.deepEqual(twin.getState(), env.getState());
  twin.updateRunningMean = false;
  twin.reset({ seed: 1 });
  const scaled = twin.step(0).reward;
  assert.equal(scaled, 1 / Math.sqrt(saved.returnRms.var[0] + 1e-8));
  assert.deepEqual(twin.getState().returnRms, saved.returnRms);
  assert.throws(() => twin.setState({ returnRms: saved.returnRms, discountedReward: NaN }), /NormalizeReward\.setState/);
  assert.throws(() => new NormalizeReward(make('CartPole-v1'), { gamma: 2 }), /NormalizeReward\.gamma: expected a number in \[0, 1\], got 2/);
});

test('RecordEpisodeStatistics reports return, length and time on the last step only', () => {
  const env = new RecordEpisodeStatistics(new TestEnv({ episodeLength: 4 }), { bufferLength: 2 });
  for (let ep = 0; ep < 3; ep++) {
    env.reset();
    for (let t = 1; t <= 4; t++) {
      const r = env.step(0);
      if (t < 4) assert.equal(r.info.episode, undefined);
      else {
        const stats = r.info.episode as { r: number; l: number; t: number };
        assert.equal(stats.r, 1 + 2 + 3 + 4);
        assert.equal(stats.l, 4);
        assert.ok(stats.t >= 0 && stats.t < 5);
        assert.equal(r.info.t, 4, 'the env info is kept');
      }
    }
  }
  assert.equal(env.episodeCount, 3);
  assert.deepEqual(env.returnQueue, [10, 10]);
  assert.deepEqual(env.lengthQueue, [4, 4]);
});

test('RecordEpisodeStatistics counts TimeLimit truncation as an episode end', () => {
  const env = new RecordEpisodeStatistics(make('Pendulum-v1', { maxEpisodeSteps: 5 }));
  env.reset({ seed: 0 });
  let last;
  for (let t = 0; t < 5; t++) last = env.step(Float32Array.of(0));
  assert.equal(last?.truncated, true);
  assert.equal((last?.info.episode as { l: number }).l, 5);
  const twice = new RecordEpisodeStatistics(env);
  twice.reset();
  for (let t = 0; t < 4; t++) twice.step(Float32Array.of(0));
  assert.throws(() => twice.step(Float32Array.of(0)), /RecordEpisodeStatistics\.step\.info: expected no 'episode' key/);
});
