import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';

test('same seed, same stream; different seeds, different streams', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 20 }, () => a.nextUint32());
  const sb = Array.from({ length: 20 }, () => b.nextUint32());
  const sc = Array.from({ length: 20 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  // Negative and large safe seeds are accepted and distinct.
  assert.notEqual(new Rng(-1).nextUint32(), new Rng(2 ** 40).nextUint32());
});

test('reseeding restarts the stream', () => {
  const r = new Rng(5);
  const first = [r.random(), r.normal(), r.integer(0, 10)];
  r.seed(5);
  assert.deepEqual([r.random(), r.normal(), r.integer(0, 10)], first);
});

test('state save/restore resumes the exact stream, including the cached normal', () => {
  const r = new Rng(9);
  r.normal(); // leaves a spare normal cached
  const state = JSON.parse(JSON.stringify(r.getState()));
  const expected = [r.normal(), r.random(), r.integer(-5, 5), r.normal()];
  const restored = Rng.fromState(state);
  assert.deepEqual([restored.normal(), restored.random(), restored.integer(-5, 5), restored.normal()], expected);
  r.setState(state);
  assert.deepEqual([r.normal(), r.random(), r.integer(-5, 5), r.normal()], expected);
});

test('setState and seed reject bad input with exact messages', () => {
  assert.throws(
    () => new Rng(1.5),
    (e: unknown) => e instanceof InvalidArgument && e.message === 'Rng.seed: expected a safe integer, got 1.5. Pass an integer such as 0, 1, 42.',
  );
  assert.throws(() => new Rng(0).setState({ algorithm: 'pcg32' } as never), /Rng\.setState: expected \{ algorithm: 'xoshiro128\*\*'/);
  assert.throws(
    () => new Rng(0).integer(3, 3),
    (e: unknown) => e instanceof InvalidArgument && e.message === 'Rng.integer: expected integers low < high with high - low <= 2^32, got low=3, high=3. Pass integer bounds; high is exclusive.',
  );
});

test('distributions are roughly right (n = 20000)', () => {
  const r = new Rng(123);
  const n = 20000;
  let sum = 0;
  let sumSq = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const u = r.random();
    sum += u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `uniform mean ${sum / n}`);
  assert.ok(min >= 0 && max < 1);
  sum = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal(2, 3);
    sum += z;
    sumSq += z * z;
  }
  const mean = sum / n;
  const std = Math.sqrt(sumSq / n - mean * mean);
  assert.ok(Math.abs(mean - 2) < 0.1, `normal mean ${mean}`);
  assert.ok(Math.abs(std - 3) < 0.1, `normal std ${std}`);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < n; i++) counts[r.integer(-2, 4) + 2]++;
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.015, `integer frequencies ${counts}`);
  let heads = 0;
  for (let i = 0; i < n; i++) if (r.bernoulli(0.3)) heads++;
  assert.ok(Math.abs(heads / n - 0.3) < 0.015);
});

test('permutation is a permutation; spawn gives independent deterministic children', () => {
  const p = new Rng(1).permutation(50);
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  const c1 = new Rng(1).spawn();
  const c2 = new Rng(1).spawn();
  assert.equal(c1.nextUint32(), c2.nextUint32());
  assert.notEqual(new Rng(1).spawn().nextUint32(), new Rng(1).nextUint32());
});
