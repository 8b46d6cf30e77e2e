/**
 * Rendering cost (`npm run bench:render`): what an `rgb_array` image of a
 * MuJoCo task costs with `SceneRenderer` (three.js in headless Chromium,
 * WebGL2 on SwiftShader, no GPU): browser start-up, first frame (scene
 * upload) and ms per frame at 84x84 and 480x480, stepping ArmReach-v0 between
 * frames (the step is timed separately and excluded). Also the live viewer's
 * frame message size. References: FINDINGS.md (84x84 ~100 frames/s per Node
 * round trip, start-up ~4 s).
 *
 * Options: `--quick` (fewer frames). Writes bench/results/render-cost.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { Rng } from '../src/core/rng.js';
import { SceneRenderer } from '../sim/render/index.js';
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
