import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEpisodes, type EpisodeStep } from '../../src/core/run-episodes.js';
import { toAsyncEnv, type StepResult } from '../../src/core/env.js';
import type { ActOptions, Policy } from '../../src/core/policy.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { InvalidAction, InvalidArgument } from '../../src/core/errors.js';
import { TestEnv } from '../helpers/test-env.js';

/** A scripted policy for TestEnv (obs Box [1], action Discrete(2)): action = obs[0] mod 2. Records what it saw. */
function scripted(env: TestEnv): Policy & { seen: number[]; options: Array<ActOptions | undefined>; resets: number[] } {
  const seen: number[] = [];
  const options: Array<ActOptions | undefined> = [];
  const resets: number[] = [];
  return {
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    seen,
    options,
    resets,
    act(obs, opts) {
      seen.push(obs[0]);
      options.push(opts);
      return Int32Array.of(obs[0] % 2);
    },
    resetEpisode(i) {
      resets.push(i);
    },
  };
}

test('runEpisodes: returns, lengths and steps by hand; episode k resets with seed + k; resetEpisode(0) at each start', async () => {
  const env = new TestEnv({ episodeLength: 3 });
  const policy = scripted(env);
  const r = await runEpisodes(env, policy, { episodes: 2, seed: 10, deterministic: true });
  // Counter env: rewards 1, 2, 3 per episode.
  assert.deepEqual(r.episodes, [
    { episode: 0, seed: 10, return: 6, length: 3, success: null, terminated: true, truncated: false },
    { episode: 1, seed: 11, return: 6, length: 3, success: null, terminated: true, truncated: false },
  ]);
  assert.equal(r.episodeCount, 2);
  assert.equal(r.steps, 6);
  assert.equal(r.aborted, false);
  assert.deepEqual(env.resetArgs, [{ seed: 10 }, { seed: 11 }]);
  assert.deepEqual(policy.seen, [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(env.actions, [0, 1, 0, 0, 1, 0]);
  assert.deepEqual(policy.resets, [0, 0]);
  assert.ok(policy.options.every((o) => o?.deterministic === true));
  assert.equal(env.closeCount, 0, 'the env belongs to the caller');
});

test('runEpisodes: an explicit seed list, then unseeded resets; no seed at all; seed and seeds together is an error', async () => {
  const env = new TestEnv({ episodeLength: 2 });
  await runEpisodes(env, scripted(env), { episodes: 3, seeds: [7, 3] });
  assert.deepEqual(env.resetArgs, [{ seed: 7 }, { seed: 3 }, {}]);
  const env2 = new TestEnv({ episodeLength: 2 });
  const r = await runEpisodes(env2, scripted(env2), { episodes: 2 });
  assert.deepEqual(env2.resetArgs, [{}, {}]);
  assert.deepEqual(r.episodes.map((e) => e.seed), [null, null]);
  await assert.rejects(runEpisodes(env, scripted(env), { seed: 1, seeds: [1] }), {
    name: 'InvalidArgument',
    message: 'runEpisodes.seeds: expected either seed or seeds, got both (seed 1, seeds [1]). Pass seed for seed + k, or the explicit list.',
  });
});

test('runEpisodes: success comes from info.isSuccess of the last step (boolean or number), null when never reported', async () => {
  // Episode e (1-based resetCount) ends after 2 steps; its last step reports: true, 0, nothing, 1.
  const report = [undefined, true, 0, undefined, 1];
  const env = new TestEnv<Float32Array, number>({
    step: (_a, ctx): StepResult<Float32Array> => {
      const last = ctx.t === 1;
      const info = last && report[ctx.resetCount] !== undefined ? { isSuccess: report[ctx.resetCount] } : {};
      // An earlier step reporting success does not count: only the last one does.
      return { obs: Float32Array.of(ctx.t + 1), reward: 1, terminated: last, truncated: false, info: last ? info : { isSuccess: true } };
    },
  });
  const r = await runEpisodes(env, scripted(env), { episodes: 4, seed: 0 });
  assert.deepEqual(r.episodes.map((e) => e.success), [true, false, null, true]);
});

test('runEpisodes: maxSteps cuts the run (the cut episode is not recorded, no reset past the budget)', async () => {
  const env = new TestEnv({ episodeLength: 5 });
  const r = await runEpisodes(env, scripted(env), { maxSteps: 7, seed: 0 });
  assert.equal(r.steps, 7);
  assert.equal(r.episodeCount, 1);
  assert.equal(env.resetCount, 2);
  const env2 = new TestEnv({ episodeLength: 5 });
  const r2 = await runEpisodes(env2, scripted(env2), { maxSteps: 5, episodes: 3 });
  assert.equal(r2.episodeCount, 1);
  assert.equal(env2.resetCount, 1, 'no reset once the step budget is spent');
});

test('runEpisodes: the step hook sees every step in one reused object; end-episode ends the episode as truncated', async () => {
  const env = new TestEnv({ episodeLength: 4 });
  const objects = new Set<object>();
  const log: string[] = [];
  const starts: number[] = [];
  const r = await runEpisodes(env, scripted(env), {
    episodes: 2,
    seed: 0,
    onEpisodeStart: (s) => void starts.push(s.episode),
    onStep: (s: EpisodeStep<Float32Array, number>) => {
      objects.add(s);
      log.push(`${s.episode}:${s.t}:${s.totalSteps} ${s.obs[0]}->${s.nextObs[0]} a${s.action} r${s.reward} R${s.episodeReturn}`);
      // End the first episode after its second step (like the viewer's reset button).
      return s.episode === 0 && s.t === 1 ? 'end-episode' : undefined;
    },
  });
  assert.equal(objects.size, 1);
  assert.deepEqual(starts, [0, 1]);
  assert.deepEqual(log, ['0:0:0 0->1 a0 r1 R1', '0:1:1 1->2 a1 r2 R3', '1:0:2 0->1 a0 r1 R1', '1:1:3 1->2 a1 r2 R3', '1:2:4 2->3 a0 r3 R6', '1:3:5 3->4 a1 r4 R10']);
  assert.deepEqual(
    r.episodes.map((e) => [e.return, e.length, e.terminated, e.truncated]),
    [
      [3, 2, false, true],
      [10, 4, true, false],
    ],
  );
});

test('runEpisodes: a Box action is the policy batch itself (no copy per step)', async () => {
  const env = new TestEnv<Float32Array, Float32Array>({ actionSpace: new Box(-1, 1, [2], 'float32'), episodeLength: 3 });
  const batch = new Float32Array(2);
  const policy: Policy = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: () => batch };
  await runEpisodes(env, policy, { episodes: 1 });
  assert.equal(env.actions.length, 3);
  assert.ok(env.actions.every((a) => a === batch));
});

test('runEpisodes: an AbortSignal stops before the next step or reset, and the run resolves with aborted: true', async () => {
  const env = new TestEnv({ episodeLength: 5 });
  const ctl = new AbortController();
  const r = await runEpisodes(env, scripted(env), { episodes: 3, signal: ctl.signal, onStep: (s) => void (s.totalSteps === 3 && ctl.abort()) });
  assert.equal(r.aborted, true);
  assert.equal(r.steps, 4);
  assert.equal(env.stepCount, 4);
  assert.equal(r.episodeCount, 0);
  // Already aborted: not even a reset.
  const env2 = new TestEnv();
  const r2 = await runEpisodes(env2, scripted(env2), { signal: AbortSignal.abort() });
  assert.deepEqual([r2.aborted, r2.steps, env2.resetCount], [true, 0, 0]);
  // Aborted from a timer while an endless synchronous loop runs: yieldEvery lets the timer fire.
  const endless = new TestEnv({ step: (_a, ctx) => ({ obs: Float32Array.of(ctx.t + 1), reward: 0, terminated: false, truncated: false, info: {} }) });
  const ctl3 = new AbortController();
  setTimeout(() => ctl3.abort(), 20);
  const r3 = await runEpisodes(endless, scripted(endless), { signal: ctl3.signal, yieldEvery: 32 });
  assert.equal(r3.aborted, true);
  assert.ok(r3.steps > 0 && r3.steps % 32 === 0, `steps ${r3.steps}`);
});

test('runEpisodes: an AsyncEnv and an async policy give the same episodes as the synchronous pair', async () => {
  const sync = new TestEnv({ episodeLength: 3 });
  const a = await runEpisodes(sync, scripted(sync), { episodes: 2, seed: 4 });
  const inner = new TestEnv({ episodeLength: 3 });
  const policy = scripted(inner);
  const asyncPolicy: Policy = { ...policy, act: async (obs, o) => policy.act(obs, o) };
  const b = await runEpisodes(toAsyncEnv(inner), asyncPolicy, { episodes: 2, seed: 4 });
  assert.deepEqual(b, a);
  assert.deepEqual(inner.resetArgs, sync.resetArgs);
});

test('runEpisodes: bad options, a policy for other spaces and a malformed action batch give typed errors', async () => {
  const env = new TestEnv();
  const policy = scripted(env);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ episodes: 0 }, 'runEpisodes.episodes: expected a positive integer, got 0. Omit it for no limit.'],
    [{ maxSteps: 2.5 }, 'runEpisodes.maxSteps: expected a positive integer, got 2.5. Omit it for no limit.'],
    [{ yieldEvery: -1 }, 'runEpisodes.yieldEvery: expected a positive integer, got -1. Omit it for no limit.'],
    [{ seed: 0.5 }, 'runEpisodes.seed: expected a safe integer, got 0.5. Pass e.g. { seed: 0 }.'],
    [{ seeds: [1, NaN] }, 'runEpisodes.seeds: expected an array of safe integers, got [1, NaN]. Pass e.g. { seeds: [0, 1, 2] }.'],
  ];
  for (const [opts, message] of cases) {
    await assert.rejects(runEpisodes(env, policy, opts), (err: unknown) => err instanceof InvalidArgument && err.message === message);
  }
  await assert.rejects(runEpisodes(env, { ...policy, actionSpace: new Discrete(3) }, { episodes: 1 }), {
    name: 'InvalidArgument',
    message: 'runEpisodes.policy: expected a policy for Box(-inf, inf, (1,), float32) -> Discrete(2), got Box(-inf, inf, (1,), float32) -> Discrete(3). Load the policy trained on this task.',
  });
  await assert.rejects(runEpisodes(env, { ...policy, act: () => Float32Array.of(1) }, { episodes: 1 }), (err: unknown) => err instanceof InvalidAction && err.message.startsWith('runEpisodes.policy.act: expected Int32Array [numEnvs x actDim] = [1 x 1] for Discrete(2), got Float32Array(1) [1].'));
  assert.equal(env.stepCount, 0, 'nothing stepped');
});
