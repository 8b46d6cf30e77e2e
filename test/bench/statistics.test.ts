import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { trimMean, interquartileMean, percentileOfSorted } from '../../src/bench/interquartile-mean.js';
import { stratifiedBootstrap, flattenScores } from '../../src/bench/stratified-bootstrap.js';
import { iqmInterval, meanInterval } from '../../src/bench/aggregate-intervals.js';
import { probabilityOfImprovement, probabilityOfImprovementInterval } from '../../src/bench/probability-of-improvement.js';
import { runScoreDistribution, performanceProfile, linspace } from '../../src/bench/performance-profile.js';

/** rliable's tests/rliable/metrics_test.py matrices (runs x tasks), here task-major. */
const X = [[1, 2, 1, 2], [2, 2, 1, 1]];
const Y = [[1, 2, 3], [1, 2, 3]];

/** An rng that replays fixed indices (the bootstrap's draws, written out by hand). */
function scripted(indices: number[]): { integer(low: number, high: number): number } {
  let k = 0;
  return {
    integer(low: number, high: number): number {
      const v = indices[k++];
      assert.ok(v >= low && v < high, `scripted index ${v} outside [${low}, ${high})`);
      return v;
    },
  };
}

test('IQM: scipy trim_mean(0.25) cuts whole values: rliable metrics_test cases and hand-computed ones', () => {
  assert.equal(interquartileMean(flattenScores(X)), 1.5); // rliable: aggregate_iqm(x) == 1.5
  assert.equal(interquartileMean(flattenScores(Y)), 2); // rliable: aggregate_iqm(y) == 2
  assert.equal(interquartileMean([8, 1, 7, 2, 6, 3, 5, 4]), 4.5); // cut 2 each side: mean(3, 4, 5, 6)
  assert.equal(interquartileMean([100, 1, 2]), 103 / 3); // floor(0.75) = 0: nothing cut
  assert.equal(interquartileMean([100, 1, 2, 3]), 2.5); // cut 1 each side: mean(2, 3)
  assert.equal(interquartileMean([-5, 10, 0, 1, 2, 3, 4, 1000, -1000, 7]), 17 / 6); // n 10, cut 2: mean(0,1,2,3,4,7)
  assert.equal(trimMean(Array.from({ length: 20 }, (_, i) => i), 0.1), 9.5); // scipy docs example
  assert.throws(() => interquartileMean([]), (e: unknown) => e instanceof InvalidArgument && e.message === 'trimMean.values: expected at least one value, got none. Pass the scores of at least one run.');
  assert.throws(() => trimMean([1, 2], 0.5), InvalidArgument);
  assert.throws(() => interquartileMean([1, NaN]), /NaN at index 1/);
});

test('percentile: numpy linear interpolation', () => {
  const s = [1, 2, 3, 4];
  assert.equal(percentileOfSorted(s, 0), 1);
  assert.equal(percentileOfSorted(s, 100), 4);
  assert.equal(percentileOfSorted(s, 50), 2.5);
  assert.ok(Math.abs(percentileOfSorted(s, 2.5) - 1.075) < 1e-12); // h = 3 * 0.025 = 0.075
  assert.ok(Math.abs(percentileOfSorted(s, 97.5) - 3.925) < 1e-12);
  assert.equal(percentileOfSorted([7], 30), 7);
});

test('stratified bootstrap: hand-computed replicates and percentile interval', () => {
  // One task [1, 2, 3], 4 replications of the mean with scripted draws:
  // [0,0,0] -> 1, [0,1,2] -> 2, [2,2,1] -> 8/3, [2,2,2] -> 3. Sorted: 1, 2, 8/3, 3.
  // confidence 0.5: percentiles 25 and 75; h = 3 * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1) = 1.75;
  // h = 2.25 -> 8/3 + 0.25 * (3 - 8/3) = 2.75.
  const rng = scripted([0, 0, 0, 0, 1, 2, 2, 2, 1, 2, 2, 2]);
  const mean = (s: Float64Array[][]): number => s[0][0].reduce((a, b) => a + b, 0) / s[0][0].length;
  const r = stratifiedBootstrap([[[1, 2, 3]]], mean, { rng, reps: 4, confidence: 0.5 });
  assert.deepEqual(r.estimate, [2]);
  assert.ok(Math.abs(r.lower[0] - 1.75) < 1e-12, `lower ${r.lower[0]}`);
  assert.ok(Math.abs(r.upper[0] - 2.75) < 1e-12, `upper ${r.upper[0]}`);
});

test('stratified bootstrap: runs are resampled within their own task (and method), in a fixed draw order', () => {
  // Two tasks of 2 and 1 runs: per replication the draws are task 0 (n 2) twice, then task 1 (n 1) once.
  const seen: Array<[number, number]> = [];
  const rng = { integer: (low: number, high: number) => (seen.push([low, high]), high - 1) };
  const r = stratifiedBootstrap([[[10, 20], [500]]], (s) => s[0][0][0] + s[0][0][1] + s[0][1][0], { rng, reps: 2, confidence: 0.9 });
  assert.deepEqual(seen, [[0, 2], [0, 2], [0, 1], [0, 2], [0, 2], [0, 1]]);
  assert.deepEqual(r.estimate, [530]);
  assert.deepEqual([r.lower[0], r.upper[0]], [540, 540]); // every draw took the last run: 20 + 20 + 500
  // Real draws: task 0's resampled mean stays within task 0's range.
  const ci = stratifiedBootstrap([[[0, 1], [100, 101, 102]]], (s) => (s[0][0][0] + s[0][0][1]) / 2, { rng: new Rng(3), reps: 2000 });
  assert.ok(ci.lower[0] >= 0 && ci.upper[0] <= 1, JSON.stringify(ci));
});

test('stratified bootstrap: two values {0, 1} -> mean CI [0, 1]; one run -> a point; same seed, same interval', () => {
  // The bootstrap distribution of the mean of 2 draws from {0, 1} is 0 (1/4), 0.5 (1/2), 1 (1/4):
  // the 2.5th and 97.5th percentiles of many replicates are 0 and 1.
  const ci = meanInterval([[0, 1]], { rng: new Rng(0), reps: 4000 });
  assert.deepEqual([ci.estimate, ci.lower, ci.upper], [0.5, 0, 1]);
  assert.deepEqual(iqmInterval([[5], [7]], { rng: new Rng(1), reps: 100 }), { estimate: 6, lower: 6, upper: 6 });
  const a = iqmInterval([[1, 5, 2, 8, 3], [4, 4, 9]], { rng: new Rng(42), reps: 3000 });
  const b = iqmInterval([[1, 5, 2, 8, 3], [4, 4, 9]], { rng: new Rng(42), reps: 3000 });
  assert.deepEqual(a, b);
  assert.equal(a.estimate, interquartileMean([1, 5, 2, 8, 3, 4, 4, 9]));
  assert.ok(a.lower <= a.estimate && a.estimate <= a.upper);
  assert.throws(() => iqmInterval([[1], []], { rng: new Rng(0) }), /samples\[0\]\[1\]: expected at least one run per task/);
  assert.throws(() => meanInterval([[1]], { rng: new Rng(0), confidence: 1 }), /confidence: expected a number in \(0, 1\)/);
});

test('probability of improvement: rliable metrics_test value 1/3; identical runs 0.5; bootstrap interval', () => {
  assert.ok(Math.abs(probabilityOfImprovement(X, Y) - 1 / 3) < 1e-12);
  assert.ok(Math.abs(probabilityOfImprovement(Y, X) - 2 / 3) < 1e-12);
  assert.equal(probabilityOfImprovement([[1, 2, 3]], [[1, 2, 3]]), 0.5);
  assert.equal(probabilityOfImprovement([[5, 6]], [[1, 2]]), 1);
  const ci = probabilityOfImprovementInterval([[5, 6]], [[1, 2]], { rng: new Rng(0) });
  assert.deepEqual(ci, { estimate: 1, lower: 1, upper: 1 });
  const mixed = probabilityOfImprovementInterval(X, Y, { rng: new Rng(0), reps: 500 });
  assert.ok(mixed.lower < 1 / 3 && 1 / 3 < mixed.upper, JSON.stringify(mixed));
  assert.throws(() => probabilityOfImprovement([[1]], []), InvalidArgument);
});

test('performance profile: fraction of runs above each tau, hand-computed', () => {
  assert.deepEqual(runScoreDistribution([[1, 2], [3, 4]], [0, 1.5, 3, 5]), [1, 0.75, 0.25, 0]);
  assert.deepEqual(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  const p = performanceProfile([[1, 1], [1]], [0, 1], { rng: new Rng(0), reps: 50 });
  assert.deepEqual(p, { taus: [0, 1], fraction: [1, 0], lower: [1, 0], upper: [1, 0] });
});
