import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { AddImageObservation, imageSpace, type ImageBatch } from '../../src/vector/add-image-observation.js';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Text } from '../../src/core/spaces/text.js';
import { InvalidArgument, InvalidObservation } from '../../src/core/errors.js';
import { TestEnv } from '../helpers/test-env.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';

const N = 3;
const H = 4;
const W = 5;

/** A fake camera: sub-env i's image is filled with `10 * i + calls` (so each call and tile is recognisable). */
function fakeSource(shape: readonly [number, number, number, number] = [N, H, W, 3]) {
  let calls = 0;
  let closed = 0;
  const data = new Uint8Array(shape.reduce((a, b) => a * b, 1));
  return {
    get calls() {
      return calls;
    },
    get closed() {
      return closed;
    },
    async render(): Promise<ImageBatch> {
      calls++;
      const per = data.length / shape[0];
      for (let i = 0; i < shape[0]; i++) data.fill(10 * i + calls, i * per, (i + 1) * per);
      return { data, shape };
    },
    async close() {
      closed++;
    },
  };
}

/** Sub-envs observing { state: [t], instruction } (the counter env's step count). */
function dictVec() {
  const space = new Dict({ state: new Box(-100, 100, [1]), instruction: new Text(8, { charset: 'abc ' }) });
  return new SyncVectorEnv(
    Array.from({ length: N }, () => () =>
      new TestEnv({
        observationSpace: space,
        reset: () => ({ obs: { state: new Float32Array([0]), instruction: 'ab' }, info: {} }),
        step: (_a, ctx) => ({ obs: { state: new Float32Array([ctx.t + 1]), instruction: 'ab' }, reward: 1, terminated: false, truncated: false, info: {} }),
      }),
    ),
  );
}

test('AddImageObservation: Dict space gains image Box(0,255,[H,W,3],uint8); obs holds the pixels at its sorted offset; images and text pass through', async () => {
  const source = fakeSource();
  const vec = new AddImageObservation(dictVec(), source, { height: H, width: W });
  try {
    const space = vec.singleObservationSpace;
    assert.deepEqual(space.keys, ['image', 'instruction', 'state']);
    const img = space.spaces.image as Box;
    assert.equal(img.dtype, 'uint8');
    assert.deepEqual(img.shape, [H, W, 3]);
    assert.equal(vec.obsDim, H * W * 3 + 8 + 1);
    const r = await vec.reset({ seed: 0 });
    assert.equal(r.obs.length, N * vec.obsDim);
    assert.equal(r.images!.image.length, N * H * W * 3);
    assert.deepEqual(r.text!.instruction, ['ab', 'ab', 'ab']);
    const s = await vec.step(new Int32Array(N));
    for (let i = 0; i < N; i++) {
      const row = s.obs.subarray(i * vec.obsDim, (i + 1) * vec.obsDim);
      // image first (sorted keys), state last: the pixels of call 2, the step count 1.
      assert.ok(row.subarray(0, H * W * 3).every((v) => v === 10 * i + 2), `sub-env ${i} pixels`);
      assert.equal(row[vec.obsDim - 1], 1);
      assert.equal(s.images!.image[i * H * W * 3], 10 * i + 2);
      // The flat row unflattens into the Dict, with a uint8 image.
      const obs = space.unflatten(row) as { image: Uint8Array; state: Float32Array; instruction: string };
      assert.ok(obs.image instanceof Uint8Array && obs.image[0] === 10 * i + 2);
      assert.equal(obs.instruction, 'ab');
    }
    assert.deepEqual(Array.from(s.rewards), [1, 1, 1]);
    assert.equal(source.calls, 2);
    // The text-transformer finds the image where the wrapper put it (its image tokens read these columns).
    assert.deepEqual(textPolicyInputs(space, ['ab']).image, { offset: 0, height: H, width: W, channels: 3 });
    assert.equal(textPolicyInputs(space, ['ab']).text.offset, H * W * 3);
  } finally {
    await vec.close();
    await vec.close();
  }
  assert.equal(source.closed, 1);
});

test('AddImageObservation: a non-Dict observation becomes { image, state }', async () => {
  const vec = new AddImageObservation(new SyncVectorEnv(Array.from({ length: N }, () => () => new TestEnv())), fakeSource(), { height: H, width: W });
  try {
    assert.deepEqual(vec.singleObservationSpace.keys, ['image', 'state']);
    await vec.reset();
    const s = await vec.step(new Int32Array(N));
    assert.equal(s.obs[vec.obsDim - 1], 1);
    assert.ok(imageSpace(H, W).contains(new Uint8Array(H * W * 3)));
  } finally {
    await vec.close();
  }
});

test('AddImageObservation: an image batch of the wrong shape is an error naming both shapes; bad options are typed errors', async () => {
  const vec = new AddImageObservation(dictVec(), fakeSource([N, 8, 8, 3]), { height: H, width: W });
  try {
    await assert.rejects(vec.reset(), (e: unknown) =>
      e instanceof InvalidObservation &&
      e.message === `AddImageObservation.reset.image: expected Uint8Array [3 x 4 x 5 x 3] (numEnvs x height x width x 3), got Uint8Array [3 x 8 x 8 x 3] (576 bytes). Render at the size the wrapper was given (options.height, options.width), one image per sub-env.`);
  } finally {
    await vec.close();
  }
  const inner = dictVec();
  try {
    assert.throws(() => new AddImageObservation(inner, fakeSource(), { height: 0, width: W }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('AddImageObservation.options.height: expected a positive integer number of pixels, got 0.'));
    assert.throws(() => new AddImageObservation(inner, fakeSource(), { height: H, width: W, key: 'state' }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('AddImageObservation.options.key: expected a key not already in the observation (instruction, state), got "state".'));
    // A single image of the wrong shape against the space: Box names both shapes.
    const why = imageSpace(H, W).explain(new Uint8Array(8 * 8 * 3));
    assert.ok(why !== null && why.includes('60') && why.includes('192'), why ?? '');
  } finally {
    await inner.close();
  }
});
