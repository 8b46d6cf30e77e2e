import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Box, Discrete, MultiDiscrete, MultiBinary, Dict, Tuple, Space, spaceFromJSON } from '../../src/core/spaces/index.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidSpace } from '../../src/core/errors.js';

const ALL: Array<[string, Space<unknown>]> = [
  ['Box', new Box([-1, -Infinity, 0], [1, Infinity, 5], [3])],
  ['Box 2-D int32', new Box(0, 9, [2, 2], 'int32')],
  ['Discrete', new Discrete(3, 1)],
  ['MultiDiscrete', new MultiDiscrete([2, 4], [0, -1])],
  ['MultiBinary', new MultiBinary([2, 3])],
  ['Dict', new Dict({ pos: new Box(-1, 1, [2]), grip: new Discrete(2) })],
  ['Tuple', new Tuple([new Discrete(4), new Box(0, 1, [1], 'float64'), new MultiBinary(2)])],
];

for (const [name, space] of ALL) {
  test(`${name}: samples are contained, flatten/unflatten round-trips, JSON round-trips`, () => {
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) {
      const x = space.sample(rng);
      assert.equal(space.explain(x), null, `${space} should contain ${String(x)}`);
      assert.ok(space.contains(x));
      const flat = space.flatten(x);
      assert.ok(flat instanceof Float32Array);
      assert.equal(flat.length, space.flatDim);
      const back = space.unflatten(flat);
      assert.deepEqual(space.flatten(back), flat);
      assert.ok(space.contains(back));
    }
    const json = JSON.parse(JSON.stringify(space.toJSON()));
    const rebuilt = spaceFromJSON(json);
    assert.ok(rebuilt.equals(space));
    assert.equal(rebuilt.toString(), space.toString());
    assert.equal(rebuilt.flatDim, space.flatDim);
  });
}

test('samples are a deterministic function of the seed', () => {
  for (const [, space] of ALL) {
    const a = space.sample(new Rng(3));
    const b = space.sample(new Rng(3));
    assert.deepEqual(a, b);
  }
});

test('contains rejects values outside the space and explain says why', () => {
  const box = new Box(-1, 1, [2]);
  assert.equal(box.contains(Float32Array.of(0, 2)), false);
  assert.equal(box.explain(Float32Array.of(0, 2)), 'element 1 = 2 is outside [-1.0, 1.0]');
  assert.equal(box.contains([0]), false);
  assert.equal(box.contains([0, NaN]), false);
  assert.equal(box.contains([0.5, -0.5]), true);
  assert.equal(new Discrete(2).explain(2), '2 is outside {0, ..., 1}');
  assert.equal(new Discrete(2).contains(0.5), false);
  assert.equal(new MultiDiscrete([2, 2]).contains(Int32Array.of(1, 2)), false);
  assert.equal(new MultiBinary(2).contains(Int8Array.of(1, 2)), false);
  const dict = new Dict({ a: new Discrete(2) });
  assert.equal(dict.explain({ a: 0, b: 1 }), 'unexpected key(s) b');
  assert.equal(dict.explain({}), 'missing key a');
  assert.equal(new Tuple([new Discrete(2)]).explain([5]), 'entry 0: 5 is outside {0, ..., 1}');
});

test('Discrete flattens one-hot; Dict flattens in sorted key order', () => {
  assert.deepEqual(Array.from(new Discrete(3, 1).flatten(2)), [0, 1, 0]);
  const dict = new Dict({ b: new Discrete(2), a: new Box(5, 6, [1]) });
  assert.deepEqual(dict.keys, ['a', 'b']);
  assert.deepEqual(Array.from(dict.flatten({ a: Float32Array.of(5.5), b: 1 })), [5.5, 0, 1]);
});

test('Box casts bounds to its dtype and samples inside half-bounded and unbounded dimensions', () => {
  const box = new Box([0, -Infinity, -Infinity], [Infinity, 0, Infinity], [3]);
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) assert.ok(box.contains(box.sample(rng)));
  assert.equal(new Box(0, 0.1, [1]).high[0], Math.fround(0.1));
  const intBox = new Box(-0.5, 3.5, [1], 'int32');
  assert.ok(intBox.low[0] === 0 && intBox.high[0] === 3, `int32 bounds ${intBox}`);
  assert.equal(box.isBounded(), false);
  assert.equal(new Box(0, 1, [2]).isBounded(), true);
});

test('constructors validate their arguments with exact messages', () => {
  const cases: Array<[() => unknown, string]> = [
    [
      () => new Box([0, 0], [1, 1, 1]),
      'Box: expected low and high of the same shape, got low shape (2,) and high shape (3,). Pass arrays of equal length, or scalars with `shape`.',
    ],
    [() => new Box(0, [1, 1], [3]), 'Box.high: expected shape (3,) to match `shape`, got shape (2,). Pass a scalar or an array of 3 values.'],
    [() => new Box(1, 0, [2]), 'Box: expected low <= high in every dimension, got low[0]=1.0 > high[0]=0.0. Swap the bounds or fix the dimension.'],
    [() => new Box(0, 1), 'Box.shape: expected a shape when low and high are both scalars, got undefined. Pass shape, e.g. new Box(-1, 1, [3]).'],
    [() => new Discrete(0), 'Discrete.n: expected a positive integer, got 0. Pass the number of actions, e.g. new Discrete(2).'],
    [() => new MultiDiscrete([]), 'MultiDiscrete.nvec: expected a non-empty array of positive integers, got []. Pass the number of choices per entry, e.g. [3, 2].'],
    [() => new MultiBinary(-1), 'MultiBinary.n: expected a positive integer or a shape, got -1. Pass e.g. new MultiBinary(4).'],
    [() => new Dict({ a: 3 as unknown as Space<unknown> }), 'Dict.spaces.a: expected a Space, got 3. Every value must be a Space instance.'],
    [
      () => spaceFromJSON({ type: 'Foo' }),
      "spaceFromJSON.type: expected one of 'Box', 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Dict', 'Tuple', 'Text', got \"Foo\". Pass the value of space.toJSON().",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, (err: unknown) => err instanceof InvalidSpace && err.message === message);
});

test('spaceFromJSON rejects malformed descriptions naming the field', () => {
  assert.throws(() => spaceFromJSON({ type: 'Box', low: [0], high: 'x', shape: [1], dtype: 'float32' }), /spaceFromJSON\.high: expected an array/);
  assert.throws(() => spaceFromJSON({ type: 'Dict', spaces: { a: { type: 'Discrete', n: -1 } } }), InvalidSpace);
  assert.throws(() => spaceFromJSON(null), /spaceFromJSON: expected a space object/);
  assert.equal(spaceFromJSON({ type: 'Box', low: ['-inf'], high: ['inf'], shape: [1], dtype: 'float32' }).toString(), 'Box(-inf, inf, (1,), float32)');
});

test('toString matches Gymnasium', () => {
  assert.equal(new Box(-1, 1, [2]).toString(), 'Box(-1.0, 1.0, (2,), float32)');
  assert.equal(new Discrete(2).toString(), 'Discrete(2)');
  assert.equal(new Discrete(3, 1).toString(), 'Discrete(3, start=1)');
  assert.equal(new MultiDiscrete([2, 3]).toString(), 'MultiDiscrete([2 3])');
  assert.equal(new MultiBinary(4).toString(), 'MultiBinary(4)');
});
