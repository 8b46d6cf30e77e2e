import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, take, toArray, map } from 'rxjs';
import { transitions } from '../../src/streams/transitions.js';
import { episodeReturns } from '../../src/streams/episode-returns.js';
import { rollingStats } from '../../src/streams/rolling-stats.js';
import { fromObservationSource } from '../../src/streams/from-observation-source.js';
import { toAsyncEnv } from '../../src/core/env.js';
import type { Policy } from '../../src/core/policy.js';
import { LineEnv } from '../bridge/fixtures.js';

/** Pushes the point back to 0: force = -x - v, clipped. */
const pd: Policy = {
  observationSpace: new LineEnv().observationSpace,
  actionSpace: new LineEnv().actionSpace,
  act: (obs) => Float32Array.of(Math.max(-1, Math.min(1, -obs[0] - 2 * obs[1]))),
};
const push: Policy = { ...pd, act: () => Float32Array.of(1) };

test('transitions: a policy acting in an env, episodes, returns; the same with an AsyncEnv', async () => {
  for (const env of [new LineEnv(), toAsyncEnv(new LineEnv())]) {
    const trs = await firstValueFrom(transitions(env, push, { seed: 0, episodes: 2 }).pipe(toArray()));
    const ends = trs.filter((t) => t.terminated);
    assert.equal(ends.length, 2);
    assert.equal(trs[0].t, 0);
    assert.equal(trs.at(-1)!.episode, 1);
    // obs -> nextObs chain is continuous within an episode
    for (let i = 1; i < trs.length; i++) if (trs[i].t > 0) assert.deepEqual(trs[i].obs, trs[i - 1].nextObs);
    const rets = await firstValueFrom(transitions(env, push, { seed: 0, episodes: 2 }).pipe(episodeReturns(), toArray()));
    const manual = [0, 1].map((e) => trs.filter((t) => t.episode === e).reduce((s, t) => s + t.reward, 0));
    assert.deepEqual(rets.map((r) => r.return), manual);
  }
});

test('transitions stops stepping when unsubscribed, and respects maxSteps', async () => {
  const env = new LineEnv();
  let steps = 0;
  const step = env.step.bind(env);
  env.step = (a) => (steps++, step(a));
  await firstValueFrom(transitions(env, pd, { seed: 1 }).pipe(take(10), toArray()));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(steps, 10);
  const all = await firstValueFrom(transitions(env, pd, { seed: 1, maxSteps: 25 }).pipe(toArray()));
  assert.equal(all.length, 25);
  const stats = await firstValueFrom(transitions(env, pd, { seed: 1, maxSteps: 25 }).pipe(map((t) => t.reward), rollingStats(5), toArray()));
  assert.equal(stats.at(-1)!.count, 5);
  assert.throws(() => transitions(env, pd, { episodes: 0 }), { message: 'transitions.episodes: expected a positive integer, got 0. Omit it for no limit.' });
});

test('fromObservationSource is hot: listeners attach on subscribe and detach on unsubscribe; it completes when the source ends', () => {
  const listeners = new Set<(v: number) => void>();
  const ends = new Set<() => void>();
  const src = { onObservation: (l: (v: number) => void) => (listeners.add(l), () => listeners.delete(l)), onEnd: (l: () => void) => (ends.add(l), () => ends.delete(l)) };
  const seen: number[] = [];
  const obs$ = fromObservationSource(src);
  for (const l of listeners) l(0);
  const sub = obs$.subscribe((v) => seen.push(v));
  for (const l of listeners) l(1);
  for (const l of listeners) l(2);
  sub.unsubscribe();
  assert.equal(listeners.size, 0);
  assert.deepEqual(seen, [1, 2]);
  let completed = false;
  obs$.subscribe({ complete: () => (completed = true) });
  for (const l of ends) l();
  assert.ok(completed);
  assert.equal(listeners.size, 0);
});
