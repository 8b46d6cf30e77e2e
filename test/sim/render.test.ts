import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MujocoWorld } from '../../sim/mujoco-world.js';
import { SceneRenderer, LazySceneRenderer } from '../../sim/render/index.js';
import { findChromium } from '../../sim/render/shared-browser.js';
import type { RgbImage } from '../../sim/render/index.js';
import { ClosedError, InvalidArgument } from '../../src/core/errors.js';

const chromium = findChromium();
const skip = chromium ? false : 'Chromium not found (/usr/bin/chromium or $LAMKIT_CHROMIUM): install Debian `chromium` to run the rendering tests (CI does)';

/**
 * A red box at the origin, a green ball at +x, a blue ball at +y, on a grey
 * floor; the red box can slide along x. Camera `top` looks straight down with
 * image right = +x and image up = +y.
 */
const XML = `<mujoco model="colours">
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1"/>
    <geom name="floor" type="plane" size="1 1 0.1" rgba="0.5 0.5 0.5 1"/>
    <camera name="top" pos="0 0 2" xyaxes="1 0 0 0 1 0" fovy="60"/>
    <body name="red" pos="0 0 0.1"><joint name="slide" type="slide" axis="1 0 0"/><geom type="box" size="0.1 0.1 0.1" rgba="1 0 0 1"/></body>
    <geom name="green" type="sphere" pos="0.5 0 0.1" size="0.1" rgba="0 1 0 1"/>
    <geom name="blue" type="sphere" pos="0 0.5 0.1" size="0.1" rgba="0 0 1 1"/>
  </worldbody>
</mujoco>`;

/** Centroid (column, row) of pixels whose `channel` dominates the others by a margin, and their count. */
function blob(img: RgbImage, channel: 0 | 1 | 2): { x: number; y: number; count: number } {
  let sx = 0, sy = 0, count = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = 3 * (y * img.width + x);
      const v = img.data[i + channel];
      const others = [0, 1, 2].filter((c) => c !== channel).map((c) => img.data[i + c]);
      if (v > 100 && others.every((o) => v - o > 60)) {
        sx += x;
        sy += y;
        count++;
      }
    }
  }
  return { x: sx / count, y: sy / count, count };
}

let world: MujocoWorld;
let renderer: SceneRenderer;
before(async () => {
  if (skip) return;
  world = await MujocoWorld.create({ xml: XML });
  world.forward();
  renderer = await SceneRenderer.create({ width: 64, height: 48 });
});
after(async () => {
  await renderer?.close();
  world?.close();
});

test('render: RGB image [h x w x 3] from a named MJCF camera, Z-up and rows top to bottom', { skip }, async () => {
  const img = await renderer.render(world, { name: 'top' });
  assert.equal(img.width, 64);
  assert.equal(img.height, 48);
  assert.equal(img.data.length, 64 * 48 * 3);
  const red = blob(img, 0), green = blob(img, 1), blue = blob(img, 2);
  for (const [name, b] of [['red', red], ['green', green], ['blue', blue]] as const) assert.ok(b.count >= 6, `${name} visible: ${b.count} px`);
  // Box at the image centre; +x to the right; +y up in the image (smaller row).
  assert.ok(Math.abs(red.x - 31.5) < 3 && Math.abs(red.y - 23.5) < 3, `red at ${red.x},${red.y}`);
  assert.ok(green.x - red.x > 8 && Math.abs(green.y - red.y) < 3, `green at ${green.x},${green.y}`);
  assert.ok(red.y - blue.y > 8 && Math.abs(blue.x - red.x) < 3, `blue at ${blue.x},${blue.y}`);
  // Same state, same pixels.
  assert.deepEqual(await renderer.render(world, { name: 'top' }), img);
});

test('render: poses follow the simulation; position/lookAt cameras are in the MuJoCo frame', { skip }, async () => {
  const qpos = world.qpos().slice();
  qpos[0] = -0.4;
  world.setState(qpos, world.qvel().slice());
  world.forward();
  const moved = blob(await renderer.render(world, { name: 'top' }), 0);
  assert.ok(moved.x < 31.5 - 6, `red box slid to -x: column ${moved.x}`);
  // From the -y side at table height: +x is right, +z is up, the blue ball hides behind the box.
  const side = await renderer.render(world, { position: [0, -3, 0.1], lookAt: [0, 0, 0.1], fovyDeg: 40 });
  const red = blob(side, 0), green = blob(side, 1);
  assert.ok(green.x > red.x + 5, `green right of red: ${green.x} vs ${red.x}`);
  qpos[0] = 0;
  world.setState(qpos, world.qvel().slice());
  world.forward();
});

test('render: bad cameras and sizes throw typed errors; close is idempotent', { skip }, async () => {
  await assert.rejects(renderer.render(world, { name: 'front' }), (err: unknown) => err instanceof InvalidArgument && err.message === 'SceneRenderer.render.camera: expected the name of a camera in the model, got "front". Cameras: top.');
  await assert.rejects(renderer.render(world, { position: [0, 0], lookAt: [0, 0, 0] }), (err: unknown) => err instanceof InvalidArgument && err.message.startsWith('lookAtCamera.position: expected 3 finite numbers'));
  await assert.rejects(SceneRenderer.create({ width: 0 }), (err: unknown) => err instanceof InvalidArgument && err.message === 'SceneRenderer.width: expected an integer number of pixels in [1, 4096], got 0. Pass e.g. { width: 84, height: 84 }.');
  const lazy = new LazySceneRenderer({ width: 16, height: 16 });
  assert.equal(lazy.started, false);
  const img = await lazy.render(world);
  assert.equal(img.data.length, 16 * 16 * 3);
  await lazy.close();
  await lazy.close();
  await assert.rejects(lazy.render(world), ClosedError);
});
