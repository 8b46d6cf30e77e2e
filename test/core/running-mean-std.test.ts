import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunningMeanStd } from '../../src/core/running-mean-std.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';

test('batched updates match the direct mean and variance of all samples', () => {
  const rng = new Rng(0);
  const rms = new RunningMeanStd([2], 1e-12);
  const all: number[][] = [[], []];
  for (const batchSize of [1, 7, 3, 50]) {
    const batch = new Float64Array(batchSize * 2);
    for (let b = 0; b < batchSize; b++) {
      batch[b * 2] = rng.normal(3, 2);
      batch[b * 2 + 1] = rng.uniform(-1, 1);
      all[0].push(batch[b * 2]);
      all[1].push(batch[b * 2 + 1]);
    }
    rms.update(batch, batchSize);
  }
  for (let i = 0; i < 2; i++) {
    const xs = all[i];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    assert.ok(Math.abs(rms.mean[i] - mean) < 1e-9, `mean ${rms.mean[i]} vs ${mean}`);
    assert.ok(Math.abs(rms.var[i] - variance) < 1e-9, `var ${rms.var[i]} vs ${variance}`);
  }
  assert.ok(Math.abs(rms.count - 61) < 1e-9);
});

test('starts like Gymnasium (mean 0, var 1, count 1e-4) and follows its update formula', () => {
  const rms = new RunningMeanStd([]);
  rms.update([2]);
  // Gymnasium: delta = 2, tot = 1.0001, mean = 2 / 1.0001, M2 = 1e-4 + 0 + 4 * 1e-4 / 1.0001.
  assert.equal(rms.mean[0], (2 * 1) / 1.0001);
  assert.equal(rms.var[0], (1 * 1e-4 + 0 + (2 * 2 * 1e-4 * 1) / 1.0001) / 1.0001);
  assert.deepEqual(Array.from(rms.normalize([rms.mean[0]])), [0]);
});

test('state round-trips through JSON and is validated', () => {
  const rms = new RunningMeanStd([3]);
  rms.update([1, 2, 3]);
  rms.update([4, 0, -3]);
  const copy = RunningMeanStd.fromState(JSON.parse(JSON.stringify(rms.getState())), [3]);
  assert.deepEqual(copy.getState(), rms.getState());
  assert.throws(() => copy.setState({ mean: [0], var: [1], count: 1 }), InvalidArgument);
  assert.throws(() => rms.update([1, 2]), /RunningMeanStd\.update: expected 1 sample\(s\) of 3 values = 3 numbers/);
});
