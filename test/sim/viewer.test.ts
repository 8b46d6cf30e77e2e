import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import '../../envs/mujoco/register.js';
import { makeAsync } from '../../src/registry/registry.js';
import { startView, expertFactory } from '../../src/cli/commands/view.js';
import { decodeViewerFrame as decode } from '../../sim/viewer/page/viewer-protocol.js';
import type { ViewSession } from '../../src/cli/commands/view.js';
import { describeModel } from '../../sim/scene/index.js';
import type { SceneDescription } from '../../sim/scene/index.js';
import { encodeViewerFrame, decodeViewerFrame, parseViewerCommand, ViewerProtocolError, ViewerServer } from '../../sim/viewer/index.js';
import { acquireBrowser, releaseBrowser, findChromium } from '../../sim/render/shared-browser.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

const skip = findChromium() ? false : 'Chromium not found (/usr/bin/chromium or $LAMKIT_CHROMIUM): install Debian `chromium` to run the viewer test (CI does)';
const ENV_ID = 'ArmReach-v0';

test('viewer protocol: frames round-trip; bad page messages throw ViewerProtocolError', () => {
  const poses = Float32Array.from({ length: 14 }, (_, i) => i / 7);
  const { header, poses: back } = decodeViewerFrame(encodeViewerFrame({ step: 12, reward: -0.5, episodeReturn: -3.25, episode: 2 }, poses));
  assert.deepEqual(header, { step: 12, reward: -0.5, episodeReturn: -3.25, episode: 2 });
  assert.deepEqual(back, poses);
  assert.throws(() => decodeViewerFrame(new ArrayBuffer(40)), InvalidArgument);
  assert.deepEqual(parseViewerCommand('{"type":"pause","paused":true}'), { type: 'pause', paused: true });
  assert.throws(() => parseViewerCommand('{"type":"pause"}'), (err: unknown) => err instanceof ViewerProtocolError && err.message === 'ViewerServer.message: expected JSON {"type":"reset"} or {"type":"pause","paused":boolean}, got {type}. Send one of the viewer commands (protocol version 1).');
  assert.throws(() => parseViewerCommand(null), /got a binary message/);
});

let session: ViewSession;
let browser: Browser;
let page: Page;
let scene: SceneDescription;
before(async () => {
  if (skip) return;
  const env = await makeAsync(ENV_ID);
  scene = describeModel((env.unwrapped as unknown as { world: { model: Parameters<typeof describeModel>[0] } }).world.model);
  env.close();
  session = await startView({ envId: ENV_ID, port: 0, seed: 3 });
  browser = await acquireBrowser();
  page = await browser.newPage({ viewport: { width: 640, height: 480 } });
});
after(async () => {
  await page?.close();
  if (browser) await releaseBrowser();
  await session?.close();
  await session?.close();
});

/** Screenshot pixels, decoded by Chromium itself: `Uint8Array [h x w x 4]`. */
async function screenshotPixels(): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const png = await page.screenshot({ type: 'png' });
  const { width, height, data } = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let binary = '';
    for (let i = 0; i < pixels.length; i += 0x8000) binary += String.fromCharCode.apply(null, pixels.subarray(i, i + 0x8000) as unknown as number[]);
    return { width: bitmap.width, height: bitmap.height, data: btoa(binary) };
  }, png.toString('base64'));
  return { width, height, rgba: new Uint8Array(Buffer.from(data, 'base64')) };
}

test('viewer: page loads in headless Chromium, frames arrive, the screenshot shows the moving robot', { skip, timeout: 60_000 }, async () => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(session.url);
  await page.waitForFunction(() => {
    const v = (window as unknown as { lamkitViewer?: { framesReceived: number; framesDrawn: number } }).lamkitViewer;
    return v !== undefined && v.framesReceived >= 10 && v.framesDrawn >= 2;
  }, null, { timeout: 20_000 });
  assert.deepEqual(errors, []);
  assert.equal(await page.textContent('[data-k=title]'), ENV_ID);
  assert.equal(await page.textContent('[data-k=actor]'), 'random actions (no policy)');
  assert.ok(Number(await page.textContent('[data-k=step]')) > 0, 'HUD shows the step');
  assert.match((await page.textContent('[data-k=reward]')) ?? '', /^-?\d+\.\d{3}$/);

  // Pause so the screenshot and the projected geom positions show the same state.
  await page.click('[data-k=pause]');
  let shot: Awaited<ReturnType<typeof screenshotPixels>>;
  try {
    await page.waitForTimeout(200);
    assert.equal(await page.textContent('[data-k=status]'), 'paused');
    shot = await screenshotPixels();
    const hud = (await page.locator('#hud').boundingBox())!;
    const inHud = (x: number, y: number) => x >= hud.x - 2 && x <= hud.x + hud.width + 2 && y >= hud.y - 2 && y <= hud.y + hud.height + 2;
    const px = (x: number, y: number) => Array.from(shot.rgba.subarray(4 * (y * shot.width + x), 4 * (y * shot.width + x) + 3));
    // Not a blank canvas: many colours and mostly not the background (#1d2330).
    const colours = new Set<number>();
    let notBackground = 0, total = 0;
    for (let y = 0; y < shot.height; y += 2) {
      for (let x = 0; x < shot.width; x += 2) {
        if (inHud(x, y)) continue;
        const [r, g, b] = px(x, y);
        colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
        total++;
        if (Math.abs(r - 0x1d) + Math.abs(g - 0x23) + Math.abs(b - 0x30) > 24) notBackground++;
      }
    }
    assert.ok(colours.size >= 50, `distinct colours: ${colours.size}`);
    assert.ok(notBackground / total > 0.3, `non-background fraction ${(notBackground / total).toFixed(3)}`);
    // The robot: where each coloured moving geom is projected (and not hidden behind another), the screenshot shows its colour's dominant channel.
    let checked = 0, matched = 0;
    const mismatches: string[] = [];
    for (const geom of scene.geoms) {
      const [r, g, b, a] = geom.rgba;
      const chroma = Math.max(r, g, b) - Math.min(r, g, b);
      if (geom.bodyIndex === 0 || geom.group > 2 || a < 1 || chroma < 0.3 || Math.max(...geom.size) < 0.015) continue;
      const p = await page.evaluate((i) => (window as unknown as { lamkitViewer: { projectGeom(i: number): { x: number; y: number; visible: boolean } | null } }).lamkitViewer.projectGeom(i), geom.index);
      if (!p || !p.visible || p.x < 0 || p.y < 0 || p.x >= shot.width || p.y >= shot.height || inHud(p.x, p.y)) continue;
      const seen = px(Math.round(p.x), Math.round(p.y));
      const want = [r, g, b].indexOf(Math.max(r, g, b));
      checked++;
      if (seen.indexOf(Math.max(...seen)) === want && Math.max(...seen) - Math.min(...seen) > 30) matched++;
      else mismatches.push(`${geom.name || geom.index}: rgba ${geom.rgba.map((v) => v.toFixed(2))} drawn as ${seen}`);
    }
    assert.ok(checked >= 1, `coloured robot geoms in view: ${checked}`);
    assert.ok(matched === checked, `robot geoms showing their colour: ${matched}/${checked}; ${mismatches.join('; ')}`);
  } finally {
    // Resume even when a check failed, so later tests get frames.
    await page.click('[data-k=pause]');
  }
  // Animated: after resuming, frames keep arriving and pixels change.
  const before = await page.evaluate(() => (window as unknown as { lamkitViewer: { framesReceived: number } }).lamkitViewer.framesReceived);
  await page.waitForTimeout(400);
  const later = await screenshotPixels();
  let changed = 0;
  for (let i = 0; i < later.rgba.length; i += 4) if (Math.abs(later.rgba[i] - shot.rgba[i]) + Math.abs(later.rgba[i + 1] - shot.rgba[i + 1]) > 30) changed++;
  assert.ok(changed > 50, `pixels changed between screenshots: ${changed}`);
  const after = await page.evaluate(() => (window as unknown as { lamkitViewer: { framesReceived: number } }).lamkitViewer.framesReceived);
  assert.ok(after > before, `frames still arriving: ${before} -> ${after}`);
  // Reset button starts a new episode.
  await page.click('[data-k=reset]');
  await page.waitForFunction(() => ((window as unknown as { lamkitViewer: { last: { episode: number } | null } }).lamkitViewer.last?.episode ?? 0) >= 1, null, { timeout: 5_000 });
});

test('viewer: raw socket gets the scene, binary frames, and an error for a bad message', { skip, timeout: 20_000 }, async () => {
  const ws = new WebSocket(session.url.replace('http', 'ws') + 'ws');
  const messages: Array<{ text?: string; bytes?: number }> = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data, isBinary) => {
    messages.push(isBinary ? { bytes: (data as Buffer).length } : { text: data.toString() });
    if (messages.length === 3) ws.send('hello');
  });
  const code = await closed;
  const first = JSON.parse(messages[0].text!);
  assert.equal(first.type, 'scene');
  assert.equal(first.version, 1);
  assert.equal(first.scene.ngeom, scene.ngeom);
  assert.equal(messages[1].bytes, 32 + 28 * scene.ngeom);
  const error = messages.map((m) => m.text && JSON.parse(m.text)).find((m) => m?.type === 'error');
  assert.equal(error.message, 'ViewerServer.message: expected JSON {"type":"reset"} or {"type":"pause","paused":boolean}, got "hello". Send one of the viewer commands (protocol version 1).');
  assert.equal(code, 1008);
});

test('viewer: a taken port and a non-MuJoCo task fail with typed errors', { skip }, async () => {
  const port = Number(new URL(session.url).port);
  await assert.rejects(ViewerServer.start({ scene, port }), (err: unknown) => err instanceof InvalidArgument && err.message === `ViewerServer.port: expected a free port, got ${port} (already in use). Pass another --port, or 0 for any free port.`);
  await assert.rejects(startView({ envId: 'CartPole-v1', port: 0 }), (err: unknown) => err instanceof InvalidArgument && err.message.startsWith('view --env: expected a MuJoCo task'));
});

test('view --policy expert: the scripted expert drives the streamed episode to the target', { timeout: 30_000 }, async () => {
  const view = closeAtEnd(await startView({ envId: ENV_ID, port: 0, seed: 5, stepsPerSecond: 400, policy: await expertFactory(ENV_ID), policyLabel: 'expert' }));
  try {
    const ws = new WebSocket(view.url.replace('http', 'ws') + 'ws');
    const rewards: number[] = [];
    let label = '';
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          label = JSON.parse(data.toString()).actorLabel;
          return;
        }
        const buf = data as Buffer;
        const { header } = decode(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
        if (header.episode === 0) rewards.push(header.reward);
        if (rewards.length >= 30) resolve();
      });
    });
    ws.close();
    assert.equal(label, 'policy: expert');
    // Dense reward = minus the distance to the target: the expert closes most of it within 30 steps.
    assert.ok(rewards[29] > 0.2 * rewards[0], `reward ${rewards[0].toFixed(3)} -> ${rewards[29].toFixed(3)}`);
  } finally {
    await view.close();
  }
  await assert.rejects(expertFactory('Reacher-v5'), /view --policy expert: expected a task with a scripted expert/);
});

test('view: a policy that throws stops the viewer and rejects session.ended (no log-and-continue)', { timeout: 30_000 }, async () => {
  const { Box } = await import('../../src/core/spaces/box.js');
  const { InvalidAction } = await import('../../src/core/errors.js');
  const view = await startView({
    envId: ENV_ID,
    port: 0,
    stepsPerSecond: 200,
    policy: (env) => ({
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace as InstanceType<typeof Box>,
      act: () => {
        throw new InvalidAction('broken.act: expected nothing, got a call. Test.');
      },
    }),
  });
  const ws = new WebSocket(view.url.replace('http', 'ws') + 'ws');
  await assert.rejects(view.ended, (err: unknown) => err instanceof InvalidAction && err.message.startsWith('broken.act'));
  await new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.on('close', () => resolve())));
  await view.close();
});
