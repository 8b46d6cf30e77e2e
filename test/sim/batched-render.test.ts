import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { BatchedSceneRenderer, SceneRenderer } from '../../sim/render/index.js';
import { ClosedError, InvalidArgument } from '../../src/core/errors.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import { SLIDER_XML } from '../fixtures/slider-xml.js';

const skip = chromiumSkip();

/** A red box that slides along x under a camera looking straight down (image right = +x). */
const XML = SLIDER_XML;

const N = 5; // 3 columns x 2 rows, one tile empty: tests the grid's edges
const W = 40;
const H = 32;
const worlds: MujocoWorld[] = [];
let batched: BatchedSceneRenderer;
let sharded: BatchedSceneRenderer;
let single: SceneRenderer;

before(async () => {
  if (skip) return;
  for (let i = 0; i < N; i++) {
    const world = await MujocoWorld.create({ xml: XML });
    const qpos = world.qpos().slice();
    qpos[0] = -0.5 + 0.25 * i;
    world.setState(qpos, world.qvel().slice());
    world.forward();
    worlds.push(world);
  }
  batched = await BatchedSceneRenderer.create({ numEnvs: N, width: W, height: H });
  sharded = await BatchedSceneRenderer.create({ numEnvs: N, width: W, height: H, shards: 2 });
  single = await SceneRenderer.create({ width: W, height: H });
});
after(async () => {
  await batched?.close();
  await sharded?.close();
  await single?.close();
  for (const w of worlds) w.close();
});

/** Mean column of the red pixels of image `i` in a batch. */
function redColumn(images: Uint8Array, i: number): number {
  let sum = 0, count = 0;
  for (let p = 0; p < W * H; p++) {
    const o = (i * W * H + p) * 3;
    if (images[o] > 100 && images[o] - images[o + 1] > 60) {
      sum += p % W;
      count++;
    }
  }
  assert.ok(count > 4, `image ${i}: red box visible (${count} px)`);
  return sum / count;
}

test('BatchedSceneRenderer: one call gives [n x H x W x 3], each image equal to a single render of that world', { skip }, async () => {
  const images = await batched.render(worlds, { name: 'top' });
  assert.equal(images.length, N * H * W * 3);
  for (let i = 0; i < N; i++) {
    const one = await single.render(worlds[i], { name: 'top' });
    assert.deepEqual(images.subarray(i * H * W * 3, (i + 1) * H * W * 3), one.data, `image ${i} equals the single-frame render`);
  }
  // Each tile shows its own world: the box moves right from sub-env to sub-env.
  for (let i = 1; i < N; i++) assert.ok(redColumn(images, i) > redColumn(images, i - 1) + 2, `box of sub-env ${i} right of ${i - 1}`);
  // Into a caller's buffer, with one camera per sub-env.
  const out = new Uint8Array(N * H * W * 3);
  const same = await batched.render(worlds, Array.from({ length: N }, () => ({ name: 'top' })), out);
  assert.equal(same, out);
  assert.deepEqual(out, images);
});

test('BatchedSceneRenderer: shards split the batch over separate Chromium instances; same images, tiles in order, per-sub-env cameras kept', { skip }, async () => {
  assert.equal(sharded.shards, 2);
  // Shard 1 runs on browser slot 1: a second Chromium, not a page of the shared one.
  const [shared, second] = await Promise.all([acquireBrowser(0), acquireBrowser(1)]);
  try {
    assert.notEqual(second, shared, 'slot 1 is a separate browser');
  } finally {
    await releaseBrowser(0);
    await releaseBrowser(1);
  }
  const whole = await batched.render(worlds, { name: 'top' });
  const stats = await batched.lastBatchStats();
  const split = await sharded.render(worlds, { name: 'top' });
  assert.deepEqual(split, whole, 'two shards give the one-shard batch bit for bit');
  const splitStats = await sharded.lastBatchStats();
  assert.equal(splitStats.drawCalls, stats.drawCalls, 'the same draws, summed over the shards');
  assert.equal(splitStats.triangles, stats.triangles);
  assert.ok(splitStats.bytesOut > 0 && splitStats.drawMs >= 0 && splitStats.readMs >= 0 && splitStats.packMs >= 0);
  // One camera per sub-env: shard 1's tiles get cameras 2..4, in order.
  const cameras = worlds.map((_, i) => (i % 2 === 0 ? { name: 'top' } : { position: [0.2 * i, -1.2, 1], lookAt: [0, 0, 0] }));
  const three = await BatchedSceneRenderer.create({ numEnvs: N, width: W, height: H, shards: 3 });
  try {
    const mixed = await three.render(worlds, cameras);
    assert.deepEqual(await sharded.render(worlds, cameras), mixed, 'two and three shards agree');
    for (let i = 0; i < N; i++) {
      const one = await single.render(worlds[i], cameras[i]);
      assert.deepEqual(mixed.subarray(i * H * W * 3, (i + 1) * H * W * 3), one.data, `image ${i} (camera ${JSON.stringify(cameras[i])}) equals the single-frame render`);
    }
  } finally {
    await three.close();
  }
});

test('makeImageVec renderShards: LangReach-v0 images over 2 Chromium shards equal those of one, step after step', { skip }, async () => {
  await import('../../envs/index.js');
  const { makeImageVec } = await import('../../envs/make-image-vec.js');
  const n = 5;
  const one = await makeImageVec('LangReach-v0', n, { width: 48, height: 48 });
  const two = await makeImageVec('LangReach-v0', n, { width: 48, height: 48, renderShards: 2 });
  try {
    const a = await one.reset({ seed: 7 });
    const b = await two.reset({ seed: 7 });
    assert.deepEqual(b.images!.image, a.images!.image, 'reset: same pixels');
    const per = 48 * 48 * 3;
    for (let i = 1; i < n; i++) assert.notDeepEqual(a.images!.image.subarray(i * per, (i + 1) * per), a.images!.image.subarray(0, per), `sub-env ${i} shows its own scene`);
    const action = new Float32Array(n * 6).map((_, k) => ((k % 7) - 3) / 3);
    for (let t = 0; t < 3; t++) {
      const sa = await one.step(action);
      const sb = await two.step(action);
      assert.deepEqual(sb.images!.image, sa.images!.image, `step ${t}: same pixels`);
    }
  } finally {
    await one.close();
    await two.close();
  }
});

test('BatchedSceneRenderer: radialSegments tessellates curved geoms as SceneRenderer does (same images, fewer triangles)', { skip }, async () => {
  // A ball on the slider scene's floor.
  const xml = SLIDER_XML.replace('</worldbody>', '<geom name="ball" type="sphere" pos="0.4 0.3 0.15" size="0.15" rgba="0 0 1 1"/></worldbody>');
  const world = await MujocoWorld.create({ xml });
  const coarse = await BatchedSceneRenderer.create({ numEnvs: 2, width: W, height: H, radialSegments: 6 });
  const fine = await BatchedSceneRenderer.create({ numEnvs: 2, width: W, height: H });
  const one = await SceneRenderer.create({ width: W, height: H, radialSegments: 6 });
  try {
    const images = await coarse.render([world, world], { name: 'top' });
    const coarseTriangles = (await coarse.lastBatchStats()).triangles;
    await fine.render([world, world], { name: 'top' });
    assert.ok((await fine.lastBatchStats()).triangles > 4 * coarseTriangles, 'fewer triangles with 6 segments than 24');
    assert.deepEqual(images.subarray(0, W * H * 3), (await one.render(world, { name: 'top' })).data, 'batched equals single at the same tessellation');
  } finally {
    await coarse.close();
    await fine.close();
    await one.close();
    world.close();
  }
});

test('BatchedSceneRenderer: wrong counts and sizes name both; close is idempotent', { skip }, async () => {
  await assert.rejects(batched.render(worlds.slice(0, 2)), (e: unknown) => e instanceof InvalidArgument && e.message === 'BatchedSceneRenderer.render.sources: expected 5 worlds (numEnvs), got 2. Pass one MujocoWorld per sub-env.');
  await assert.rejects(batched.render(worlds, undefined, new Uint8Array(7)), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('BatchedSceneRenderer.render.out: expected Uint8Array [5 x 32 x 40 x 3] (19200 bytes), got'));
  await assert.rejects(BatchedSceneRenderer.create({ numEnvs: 1024, width: 512, height: 512 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'BatchedSceneRenderer.create: expected a tile grid within 4096 x 4096 pixels, got 16384 x 16384 (1024 images of 512 x 512). Render fewer or smaller images per call.');
  await assert.rejects(BatchedSceneRenderer.create({ numEnvs: 0 }), InvalidArgument);
  await assert.rejects(BatchedSceneRenderer.create({ numEnvs: 4, shards: 5 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'BatchedSceneRenderer.create.shards: expected an integer in [1, 4] (at most 8 and numEnvs), got 5. Pass 2 on a 2-core machine, or leave it out for 1.');
  await assert.rejects(BatchedSceneRenderer.create({ numEnvs: 64, shards: 1.5 }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('BatchedSceneRenderer.create.shards: expected an integer in [1, 8]'));
  await assert.rejects(BatchedSceneRenderer.create({ numEnvs: 4, radialSegments: 2 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'BatchedSceneRenderer.create.radialSegments: expected an integer number of segments in [3, 64], got 2. Pass e.g. 8 for small images, or leave it out for 24.');
  const r = await BatchedSceneRenderer.create({ numEnvs: 2, width: 8, height: 8, shards: 2 });
  await r.close();
  await r.close();
  await assert.rejects(r.render(worlds.slice(0, 2)), ClosedError);
  await assert.rejects(r.lastBatchStats(), ClosedError);
});
