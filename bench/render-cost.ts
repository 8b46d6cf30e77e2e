/**
 * Rendering cost (`npm run bench:render`): what an `rgb_array` image of a
 * MuJoCo task costs with `SceneRenderer` (three.js in headless Chromium,
 * WebGL2 on SwiftShader, no GPU): browser start-up, first frame (scene
 * upload) and ms per frame at 84x84 and 480x480, stepping ArmReach-v0 between
 * frames (the step is timed separately and excluded). Also the live viewer's
 * frame message size. Then frames/s at 64x64 single (one round trip per
 * frame) vs batched (`BatchedSceneRenderer`: 16 and 64 sub-envs' frames per
 * round trip; target >= 500 frames/s quiet, issue 15). References: FINDINGS.md (84x84 ~100 frames/s per Node
 * round trip, start-up ~4 s).
 *
 * Options: `--quick` (fewer frames). Writes bench/results/render-cost.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { Rng } from '../src/core/rng.js';
import { BatchedSceneRenderer, SceneRenderer } from '../sim/render/index.js';
import { acquireBrowser, releaseBrowser } from '../sim/render/shared-browser.js';
import type { RenderSource } from '../sim/render/index.js';
import { reference, referenceText } from './references.js';

const QUICK = process.argv.includes('--quick');
const FRAMES = QUICK ? 30 : 200;
const TASK = 'ArmReach-v0';

interface Figure {
  name: string;
  value: number;
  unit: string;
  reference?: string;
}
const figures: Figure[] = [];
function report(f: Figure): void {
  figures.push(f);
  process.stdout.write(`${f.name}: ${f.value.toFixed(f.unit === 'ms' ? 1 : 0)} ${f.unit}${f.reference ? `  (reference: ${f.reference})` : ''}\n`);
}

const env = await makeAsync(TASK);
const world = (env.unwrapped as unknown as { world: RenderSource }).world;
const rng = new Rng(0);
env.reset({ seed: 0 });
const step = () => {
  const r = env.step(env.actionSpace.sample(rng));
  if (r.terminated || r.truncated) env.reset();
};

let t = performance.now();
await acquireBrowser();
report({ name: 'chromium start-up', value: performance.now() - t, unit: 'ms', reference: `${referenceText(reference('chromium.startup.s'))} (docs/references.md)` });

for (const size of [84, 480]) {
  t = performance.now();
  const renderer = await SceneRenderer.create({ width: size, height: size });
  report({ name: `${size}x${size} renderer page start`, value: performance.now() - t, unit: 'ms' });
  t = performance.now();
  await renderer.render(world);
  report({ name: `${size}x${size} first frame (scene upload)`, value: performance.now() - t, unit: 'ms' });
  let renderMs = 0;
  for (let i = 0; i < FRAMES; i++) {
    step();
    t = performance.now();
    await renderer.render(world);
    renderMs += performance.now() - t;
  }
  const msPerFrame = renderMs / FRAMES;
  report({ name: `${size}x${size} render`, value: msPerFrame, unit: 'ms', reference: size === 84 ? `${referenceText(reference('chromium.render-84.ms'))} (docs/references.md)` : undefined });
  report({ name: `${size}x${size} frames/s`, value: 1000 / msPerFrame, unit: 'frames/s' });
  await renderer.close();
}
// Single vs batched at 64x64: sub-envs' worlds stepped apart, frames/s counts images delivered.
const BATCHES = QUICK ? [16] : [16, 64];
const subEnvs = await Promise.all(Array.from({ length: Math.max(...BATCHES) }, () => makeAsync(TASK)));
subEnvs.forEach((e, i) => e.reset({ seed: i }));
const worlds = subEnvs.map((e) => (e.unwrapped as unknown as { world: RenderSource }).world);
const stepAll = () => {
  for (const e of subEnvs) {
    const r = e.step(e.actionSpace.sample(rng));
    if (r.terminated || r.truncated) e.reset();
  }
};
{
  const renderer = await SceneRenderer.create({ width: 64, height: 64 });
  await renderer.render(worlds[0]);
  let renderMs = 0;
  const frames = QUICK ? 30 : 200;
  for (let i = 0; i < frames; i++) {
    step();
    t = performance.now();
    await renderer.render(world);
    renderMs += performance.now() - t;
  }
  report({ name: '64x64 single frames/s', value: (1000 * frames) / renderMs, unit: 'frames/s', reference: '64-182 frames/s (issue 15: 5.5-15.6 ms per 84x84 frame)' });
  await renderer.close();
}
for (const n of BATCHES) {
  const renderer = await BatchedSceneRenderer.create({ numEnvs: n, width: 64, height: 64 });
  const out = new Uint8Array(n * 64 * 64 * 3);
  const batchWorlds = worlds.slice(0, n);
  await renderer.render(batchWorlds, undefined, out);
  let renderMs = 0;
  const calls = QUICK ? 5 : 20;
  for (let i = 0; i < calls; i++) {
    stepAll();
    t = performance.now();
    await renderer.render(batchWorlds, undefined, out);
    renderMs += performance.now() - t;
  }
  report({ name: `64x64 batched x${n}: ms per call`, value: renderMs / calls, unit: 'ms' });
  report({ name: `64x64 batched x${n} frames/s`, value: (1000 * n * calls) / renderMs, unit: 'frames/s', reference: '>= 500 frames/s quiet (issue 15 target)' });
  await renderer.close();
}
for (const e of subEnvs) e.close();
await releaseBrowser();
const ngeom = (world.model as { ngeom: number }).ngeom;
report({ name: `viewer frame message (${TASK}, ${ngeom} geoms)`, value: 32 + 28 * ngeom, unit: 'bytes' });
env.close();

const load = loadavg()[0];
process.stdout.write(`load average (1 min): ${load.toFixed(2)} on ${cpus().length} cores${load > 1 ? ' (machine busy: figures are noisy)' : ''}\n`);
mkdirSync('bench/results', { recursive: true });
const out = 'bench/results/render-cost.json';
writeFileSync(`${out}.tmp`, JSON.stringify({ task: TASK, frames: FRAMES, loadAverage1m: load, cores: cpus().length, figures }, null, 2));
renameSync(`${out}.tmp`, out);
