/**
 * Rendering cost (`npm run bench:render`): what an `rgb_array` image of a
 * MuJoCo task costs with `SceneRenderer` (three.js in headless Chromium,
 * WebGL2 on SwiftShader, no GPU): browser start-up, first frame (scene
 * upload) and ms per frame at 84x84 and 480x480, stepping ArmReach-v0 between
 * frames (the step is timed separately and excluded). Also the live viewer's
 * frame message size. Then frames/s at 64x64 single (one round trip per
 * frame) vs batched (`BatchedSceneRenderer`: 16 and 64 sub-envs' frames per
 * round trip; one Chromium, split over 2 and 3 Chromium instances
 * (`shards`), and with 8 radial segments; target >= 500 frames/s quiet,
 * issue 15), each with the CPU time per frame of the Chromium processes
 * and of Node (the machine is shared: CPU time varies less with load than
 * wall time), the parallel efficiency (Chromium CPU per frame / wall per
 * frame: ~1 when one core does the work, up to ~2 on 2 cores) and where
 * the page's time goes.
 * References: FINDINGS.md (84x84 ~100 frames/s per Node round trip,
 * start-up ~4 s).
 *
 * Options: `--quick` (fewer frames), `--batched` (only the 64x64 single
 * vs batched part). Writes bench/results/render-cost.json.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { Rng } from '../src/core/rng.js';
import { BatchedSceneRenderer, SceneRenderer } from '../sim/render/index.js';
import { acquireBrowser, releaseBrowser } from '../sim/render/shared-browser.js';
import type { RenderSource } from '../sim/render/index.js';
import { reference, referenceText } from './references.js';

const QUICK = process.argv.includes('--quick');
const BATCHED_ONLY = process.argv.includes('--batched');
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
  process.stdout.write(`${f.name}: ${f.value.toFixed(f.unit === 'ms CPU' || f.unit === 'cores' ? 2 : f.unit === 'ms' ? 1 : 0)} ${f.unit}${f.reference ? `  (reference: ${f.reference})` : ''}\n`);
}

const loadAtStart = loadavg()[0];
process.stdout.write(`load average (1 min) at start: ${loadAtStart.toFixed(2)} on ${cpus().length} cores\n`);
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

for (const size of BATCHED_ONLY ? [] : [84, 480]) {
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
const subEnvs = await Promise.all(Array.from({ length: QUICK ? 16 : 64 }, () => makeAsync(TASK)));
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
/** CPU time (ms) of this process's descendants (Chromium: browser, GPU and renderer processes), from /proc; NaN where there is none. */
function childrenCpuMs(): number {
  try {
    const parent = new Map<number, number>();
    const ticks = new Map<number, number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parent.set(Number(d), Number(f[1]));
        ticks.set(Number(d), Number(f[11]) + Number(f[12])); // utime + stime
      } catch {
        // exited meanwhile
      }
    }
    let sum = 0;
    for (const [pid, t] of ticks) {
      let p = parent.get(pid);
      while (p !== undefined && p > 1 && p !== process.pid) p = parent.get(p);
      if (p === process.pid) sum += t;
    }
    return sum * 10; // USER_HZ = 100 on Linux
  } catch {
    return Number.NaN;
  }
}

// Batched configurations: one Chromium (default), the batch split over 2 and 3 Chromium instances (same images), lighter tessellation (other images).
const CONFIGS: { n: number; label: string; options: { shards?: number; radialSegments?: number } }[] = QUICK
  ? [
      { n: 16, label: 'x16', options: {} },
      { n: 16, label: 'x16 shards 2', options: { shards: 2 } },
    ]
  : [
      { n: 16, label: 'x16', options: {} },
      { n: 64, label: 'x64', options: {} },
      { n: 64, label: 'x64 shards 2', options: { shards: 2 } },
      { n: 64, label: 'x64 shards 3', options: { shards: 3 } },
      { n: 64, label: 'x64 radialSegments 8', options: { radialSegments: 8 } },
      { n: 64, label: 'x64 radialSegments 8, shards 2', options: { radialSegments: 8, shards: 2 } },
    ];
for (const { n, label, options } of CONFIGS) {
  const renderer = await BatchedSceneRenderer.create({ numEnvs: n, width: 64, height: 64, ...options });
  const out = new Uint8Array(n * 64 * 64 * 3);
  const batchWorlds = worlds.slice(0, n);
  await renderer.render(batchWorlds, undefined, out);
  let renderMs = 0, chromiumMs = 0, nodeMs = 0;
  const page = { drawMs: 0, readMs: 0, packMs: 0, drawCalls: 0, triangles: 0 };
  const calls = QUICK ? 5 : 20;
  for (let i = 0; i < calls; i++) {
    stepAll();
    const c0 = childrenCpuMs();
    const u0 = process.cpuUsage();
    t = performance.now();
    await renderer.render(batchWorlds, undefined, out);
    renderMs += performance.now() - t;
    const u = process.cpuUsage(u0);
    nodeMs += (u.user + u.system) / 1000;
    chromiumMs += childrenCpuMs() - c0;
    const stats = await renderer.lastBatchStats();
    for (const k of Object.keys(page) as (keyof typeof page)[]) page[k] += stats[k];
  }
  const frames = n * calls;
  report({ name: `64x64 batched ${label}: ms per call`, value: renderMs / calls, unit: 'ms' });
  report({ name: `64x64 batched ${label} frames/s`, value: (1000 * frames) / renderMs, unit: 'frames/s', reference: '>= 500 frames/s quiet (issue 15 target)' });
  report({ name: `64x64 batched ${label}: Chromium CPU per frame`, value: chromiumMs / frames, unit: 'ms CPU' });
  report({ name: `64x64 batched ${label}: Node CPU per frame (render call only)`, value: nodeMs / frames, unit: 'ms CPU' });
  report({ name: `64x64 batched ${label}: parallel efficiency (Chromium CPU / wall)`, value: chromiumMs / renderMs, unit: 'cores', reference: '~1 = one core busy; 2 cores here' });
  process.stdout.write(`  in the page${options.shards ? 's (summed over shards)' : ''} per call: draw ${(page.drawMs / calls).toFixed(1)} ms (${page.drawCalls / calls} draw calls, ${page.triangles / calls} triangles), readPixels ${(page.readMs / calls).toFixed(1)} ms, copy + deflate + base64 ${(page.packMs / calls).toFixed(1)} ms\n`);
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
writeFileSync(`${out}.tmp`, JSON.stringify({ task: TASK, frames: FRAMES, loadAverage1mAtStart: loadAtStart, loadAverage1m: load, cores: cpus().length, figures }, null, 2));
renameSync(`${out}.tmp`, out);
