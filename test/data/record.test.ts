import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { recordEpisodes } from '../../src/data/record-episodes.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import type { Policy } from '../../src/core/policy.js';
import { TestEnv } from '../helpers/test-env.js';
import { tempDir } from './helpers.js';

/** A 2-d point env: obs = position, action = velocity, terminated near the origin, success reported. */
function pointEnv(): TestEnv<Float32Array, Float32Array> {
  let pos = new Float32Array(2);
  return new TestEnv<Float32Array, Float32Array>({
    observationSpace: new Box(-10, 10, [2]),
    actionSpace: new Box(-1, 1, [2]),
    reset: ({ rng }) => {
      pos = Float32Array.of(rng.uniform(2, 3), rng.uniform(-3, -2));
      return { obs: pos.slice(), info: {} };
    },
    step: (a, { t }) => {
      pos[0] += a[0];
      pos[1] += a[1];
      const d = Math.hypot(pos[0], pos[1]);
      return { obs: pos.slice(), reward: -d, terminated: d < 0.5, truncated: t + 1 >= 8 && d >= 0.5, info: { isSuccess: d < 0.5 } };
    },
  });
}

/** Moves towards the origin at 0.5 per step per axis. */
const towardsOrigin = (env: TestEnv<Float32Array, Float32Array>): Policy => {
  const out = new Float32Array(2);
  return { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: (obs) => (out.set([-Math.sign(obs[0]) * Math.min(0.5, Math.abs(obs[0])), -Math.sign(obs[1]) * Math.min(0.5, Math.abs(obs[1]))]), out) };
};

test('recordEpisodes records what the loop saw: states, actions, rewards, flags, success, return and seed per episode', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = pointEnv();
    const result = await recordEpisodes(towardsOrigin(env), env, { out: dir, episodes: 3, seed: 7, envId: 'Point-v0', task: 'go home', fps: 10 });
    assert.equal(result.totalEpisodes, 3);
    assert.equal(result.firstIndex, 0);
    const ds = await openDataset(dir);
    assert.deepEqual(ds.tasks, ['go home']);
    assert.equal(ds.info.lamkit!.envId, 'Point-v0');
    assert.deepEqual(ds.spaces!.action.toJSON(), env.actionSpace.toJSON());
    assert.ok('next.success' in ds.features);
    assert.ok(!('action.executed' in ds.features), 'no perturbation, no executed column');
    for (let k = 0; k < 3; k++) {
      const rec = ds.episodes[k];
      const out = result.episodes[k];
      assert.equal(rec.length, out.length);
      assert.equal(rec.seed, 7 + k);
      assert.equal(rec.success, out.success);
      assert.ok(Math.abs(rec.return! - out.return) < 1e-9);
      const ep = await ds.readEpisode(k);
      const s = ep['observation.state'] as Float32Array;
      const a = ep.action as Float32Array;
      // Each next state is the state plus the recorded action (the env's dynamics), so state and action are aligned.
      for (let t = 0; t + 1 < rec.length; t++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(s[(t + 1) * 2 + j] - (s[t * 2 + j] + a[t * 2 + j])) < 1e-6);
      const term = ep['next.terminated'] as Uint8Array;
      assert.equal(term[rec.length - 1], out.terminated ? 1 : 0);
      assert.equal((ep['next.done'] as Uint8Array)[rec.length - 1], 1);
      assert.equal((ep['next.success'] as Uint8Array)[rec.length - 1], out.success ? 1 : 0);
      assert.ok(Math.abs(Array.from(ep['next.reward'] as Float32Array).reduce((x, y) => x + y, 0) - out.return) < 1e-4);
    }
  } finally {
    cleanup();
  }
});

test('with action noise the recorded action is the clean one and action.executed what the env got (DART); appending continues', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = pointEnv();
    await recordEpisodes(towardsOrigin(env), env, { out: dir, episodes: 2, seed: 1, actionNoiseStd: 0.3, epsilon: 0.2 });
    const ds = await openDataset(dir);
    assert.ok('action.executed' in ds.features);
    let differ = 0;
    for (let k = 0; k < 2; k++) {
      const ep = await ds.readEpisode(k);
      const s = ep['observation.state'] as Float32Array;
      const a = ep.action as Float32Array;
      const x = ep['action.executed'] as Float32Array;
      for (let t = 0; t < ds.episodes[k].length; t++) {
        for (let j = 0; j < 2; j++) {
          // The clean action is the expert's for the visited state; the executed one moved the env.
          assert.ok(Math.abs(a[t * 2 + j] - -Math.sign(s[t * 2 + j]) * Math.min(0.5, Math.abs(s[t * 2 + j]))) < 1e-6);
          if (t + 1 < ds.episodes[k].length) assert.ok(Math.abs(s[(t + 1) * 2 + j] - (s[t * 2 + j] + x[t * 2 + j])) < 1e-5);
          assert.ok(x[t * 2 + j] >= -1 && x[t * 2 + j] <= 1, 'clipped to the action space');
          if (Math.abs(a[t * 2 + j] - x[t * 2 + j]) > 1e-6) differ++;
        }
      }
    }
    assert.ok(differ > 0, 'noise changed executed actions');
    const again = await recordEpisodes(towardsOrigin(env), env, { out: dir, episodes: 2, seed: 100, actionNoiseStd: 0.3 });
    assert.equal(again.firstIndex, 2);
    assert.equal((await openDataset(dir)).episodes.length, 4);
    // Clean episodes appended to it: executed = recorded.
    await recordEpisodes(towardsOrigin(env), env, { out: dir, episodes: 1, seed: 200 });
    const clean = await (await openDataset(dir)).readEpisode(4);
    assert.deepEqual(clean['action.executed'], clean.action);
    // Other spaces: refused before recording.
    const other = new TestEnv({ observationSpace: new Box(-1, 1, [3]), actionSpace: new Discrete(2) });
    const policy: Policy = { observationSpace: other.observationSpace, actionSpace: other.actionSpace, act: () => Int32Array.of(0) };
    await assert.rejects(recordEpisodes(policy, other, { out: dir, episodes: 1 }), /lamkit\.spaces: expected this env's spaces \(Box\(-1\.0, 1\.0, \(3,\), float32\) -> Discrete\(2\)\), got .*Append only data of the same spaces/);
    assert.equal(other.stepCount, 0);
  } finally {
    cleanup();
  }
});

test('discrete actions are int64 with class names; epsilon-random actions; an aborted recording keeps finished episodes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = new TestEnv({ episodeLength: 4 });
    const policy: Policy = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: () => Int32Array.of(1) };
    await recordEpisodes(policy, env, { out: dir, episodes: 3, epsilon: 0.5, actionNames: ['left', 'right'] });
    const ds = await openDataset(dir);
    assert.deepEqual(ds.features.action, { dtype: 'int64', shape: [1], names: null, class_names: ['left', 'right'], fps: 30 });
    const ep = await ds.readEpisode(0);
    assert.ok(Array.from(ep.action as Float64Array).every((a) => a === 1), 'recorded actions are the policy\'s');
    assert.deepEqual(Array.from(ep['action.executed'] as Float64Array), env.actions.slice(0, 4), 'executed ones are what the env got');
    await assert.rejects(recordEpisodes(policy, env, { out: dir + '-b', episodes: 1, actionNoiseStd: 0.1 }), /PerturbedPolicy\.actionNoiseStd: expected a continuous \(Box\) action space for Gaussian noise, got Discrete\(2\)\. Use epsilon for discrete actions\./);

    const { dir: dir2, cleanup: c2 } = tempDir();
    try {
      const ac = new AbortController();
      const r = await recordEpisodes(policy, new TestEnv({ episodeLength: 4 }), { out: dir2, episodes: 100, signal: ac.signal, onEpisode: (_o, i) => i === 4 && ac.abort() });
      assert.equal(r.aborted, true);
      assert.equal(r.episodes.length, 5);
      assert.equal((await openDataset(dir2)).episodes.length, 5);
    } finally {
      c2();
    }
  } finally {
    cleanup();
  }
});

test('perturbed episodes are refused by a dataset without action.executed; merging clean data into perturbed data fills it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = pointEnv();
    const { join } = await import('node:path');
    const { mergeDatasets } = await import('../../src/data/dataset-tools.js');
    await recordEpisodes(towardsOrigin(env), env, { out: join(dir, 'clean'), episodes: 2, seed: 0 });
    await assert.rejects(recordEpisodes(towardsOrigin(env), env, { out: join(dir, 'clean'), episodes: 1, actionNoiseStd: 0.1 }), /Dataset\(.*clean\)\.features: expected an action\.executed column for perturbed actions .*, got a dataset recorded without perturbation\. Record play data into its own dataset first/);
    await recordEpisodes(towardsOrigin(env), env, { out: join(dir, 'play'), episodes: 2, seed: 5, actionNoiseStd: 0.2 });
    assert.equal(await mergeDatasets([join(dir, 'play'), join(dir, 'clean')], join(dir, 'all')), 4);
    const all = await openDataset(join(dir, 'all'));
    const ep = await all.readEpisode(3);
    assert.deepEqual(ep['action.executed'], ep.action);
    await assert.rejects(mergeDatasets([join(dir, 'clean'), join(dir, 'play')], join(dir, 'other')), /mergeDatasets\(.*play\)\.features: expected the features and fps of .*clean/);
  } finally {
    cleanup();
  }
});
