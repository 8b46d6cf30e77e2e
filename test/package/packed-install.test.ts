/**
 * Issue 8, deliverable 9: lamkit installed the way a user installs it.
 * `npm pack` the working tree (prepack compiles dist/), install the tarball
 * into an empty project without devDependencies, offline, from the npm cache
 * that `npm ci` filled; then use it with plain Node (no tsx, no typescript
 * installed), through a bundler, in Chromium, and run every `lamkit`
 * command. About 1 minute on 2 cores, most of it tsc and npm install.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import ts from 'typescript';
import type { Browser } from 'playwright-core';
import { walkImports } from '../helpers/import-graph.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { acquireBrowser, releaseBrowser, findChromium } from '../../sim/render/shared-browser.js';
import { packRepository, installTarball, runIn, start } from './packed-project.js';
import { bundleForBrowser, checkPageInChromium } from './page-checks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'lamkit-packed-'));
const project = join(work, 'project');
const installed = join(project, 'node_modules', 'lamkit');
const lamkitBin = join(project, 'node_modules', '.bin', 'lamkit');
const runDir = join(work, 'run-cartpole');
const timings: string[] = [];

/** Runs the installed `lamkit` command with plain Node. */
const lamkit = (args: string[], timeoutMs?: number): Promise<string> => runIn(project, process.execPath, [lamkitBin, ...args], timeoutMs);

before(async () => {
  let t = performance.now();
  const tarball = await packRepository(root, work);
  timings.push(`pack (tsc build) ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  await installTarball(root, tarball, project);
  timings.push(`npm install --offline ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // One Chromium for the file's browser checks (each acquires it again; the last release closes it).
  if (findChromium()) await acquireBrowser();
}, { timeout: 420_000 });

after(async () => {
  if (findChromium()) await releaseBrowser();
  rmSync(work, { recursive: true, force: true });
});

test('timings of the pack and the install', (t) => {
  t.diagnostic(timings.join(', '));
});

test('the tarball holds compiled JavaScript and declarations, no TypeScript sources; tsx and typescript are not installed', () => {
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  for (const target of [pkg.main, pkg.types, ...Object.values(pkg.exports as Record<string, { types?: string; default?: string } | string>).flatMap((e) => (typeof e === 'string' ? [e] : [e.types, e.default]))]) {
    assert.ok(existsSync(join(installed, target)), `package.json points at ${target}, which is in the tarball`);
  }
  assert.ok(existsSync(join(installed, 'dist/sim/viewer/page/viewer-page.js')), 'the viewer page module is compiled');
  assert.ok(existsSync(join(installed, 'dist/src/bridge/examples/rosbridge-joint-state.json')), 'the example rosbridge config ships');
  assert.ok(!existsSync(join(installed, 'src')) && !existsSync(join(installed, 'test')), 'no sources, no tests');
  assert.ok(!existsSync(join(project, 'node_modules', 'tsx')) && !existsSync(join(project, 'node_modules', 'typescript')), 'devDependencies stay out');
});

test("plain Node: import { make } from 'lamkit' makes CartPole-v1 and steps it; every subpath export loads", async () => {
  writeFileSync(
    join(project, 'use-lamkit.mjs'),
    `import { make } from 'lamkit';
const env = make('CartPole-v1');
let { obs } = env.reset({ seed: 42 });
let steps = 0, done = false;
while (!done) { const s = env.step(steps % 2); steps++; done = s.terminated || s.truncated; }
env.close();
const names = {};
for (const sub of ['lamkit', 'lamkit/core', 'lamkit/agents', 'lamkit/bridge', 'lamkit/browser']) names[sub] = Object.keys(await import(sub));
console.log(JSON.stringify({ obsLength: obs.length, steps, names }));
`,
  );
  const out = JSON.parse(await runIn(project, process.execPath, ['use-lamkit.mjs'])) as { obsLength: number; steps: number; names: Record<string, string[]> };
  assert.equal(out.obsLength, 4);
  assert.ok(out.steps > 5 && out.steps < 500, `an episode of alternating actions: ${out.steps} steps`);
  const has = (sub: string, ...names: string[]): void => {
    for (const n of names) assert.ok(out.names[sub].includes(n), `${sub} exports ${n}`);
  };
  has('lamkit', 'make', 'makeVec', 'Box', 'PPO', 'loadPolicy', 'BridgeServer', 'MujocoWorld');
  has('lamkit/core', 'Box', 'Discrete', 'Rng', 'BaseEnv', 'checkEnv', 'LamkitError');
  has('lamkit/agents', 'PPO', 'MlpPolicy', 'loadPolicy');
  has('lamkit/bridge', 'BridgeServer', 'RobotClient', 'RemoteEnv');
  has('lamkit/browser', 'Box', 'Rng', 'MlpPolicy', 'RobotClient', 'InvalidAction');
  assert.ok(!out.names['lamkit/core'].includes('make'), 'lamkit/core is only the core');
});

test("a bundler: import { make } from 'lamkit' bundled by esbuild for Node runs", async () => {
  const entry = join(project, 'bundle-entry.mjs');
  writeFileSync(entry, "import { make } from 'lamkit';\nconst env = make('CartPole-v1');\nconsole.log(env.reset({ seed: 1 }).obs.length, env.step(1).reward);\n");
  const outfile = join(project, 'bundled', 'app.mjs');
  // CommonJS dependencies (ws, commander) call require(): an ESM bundle for Node needs a real `require` (esbuild's documented banner).
  const banner = "import { createRequire as __lamkitRequire } from 'node:module'; const require = __lamkitRequire(import.meta.url);";
  const result = await esbuild.build({ entryPoints: [entry], absWorkingDir: project, bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, banner: { js: banner }, metafile: true, logLevel: 'silent' });
  assert.ok(Object.keys(result.metafile.inputs).some((p) => p.includes('node_modules/lamkit/dist/')), 'lamkit was bundled from dist/');
  assert.equal((await runIn(project, process.execPath, [outfile])).trim(), '4 1');
});

test('TypeScript: a consumer type-checks against the shipped declarations of every entry point', async () => {
  writeFileSync(
    join(project, 'consumer.ts'),
    `import { make, type MujocoScene } from 'lamkit';
import { Discrete } from 'lamkit/core';
import { PPO } from 'lamkit/agents';
import { BridgeServer } from 'lamkit/bridge';
import { Box, Rng, MlpPolicy, RobotClient } from 'lamkit/browser';
export const env = make('CartPole-v1');
export const space: Box = new Box(0, 1, [2]);
export const used = [Rng, MlpPolicy, RobotClient, PPO, BridgeServer];
// @ts-expect-error a number is not a Discrete: the declarations resolved (not any)
export const wrong: Discrete = 3;
// @ts-expect-error MujocoScene.root is a three.js Group (@types/three ships with lamkit), not a number
export const root: number = (null as unknown as MujocoScene).root;
`,
  );
  // skipLibCheck as FINDINGS.md prescribes (tfjs's own declarations need it); the checks above still see real types.
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, noEmit: true, types: [] }, files: ['consumer.ts'] }));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  await runIn(project, process.execPath, [tsc, '-p', 'tsconfig.json']);
});

test('installed lamkit/browser: no node: import in its graph; it bundles for the browser', async () => {
  const graph = walkImports(join(installed, 'dist/src/browser.js'), installed);
  assert.deepEqual(graph.nodeImports.map((n) => `${n.specifier} <- ${n.chain.join(' -> ')}`), []);
  copyFileSync(fileURLToPath(new URL('./fixtures/browser-page.ts', import.meta.url)), join(project, 'browser-page.ts'));
  const bundle = await bundleForBrowser(join(project, 'browser-page.ts'), project);
  assert.ok(bundle.inputs.includes('node_modules/lamkit/dist/src/browser.js'), 'resolved through the installed exports');
});

test('installed lamkit/browser in Chromium: a policy acts, RobotClient connects', { skip: chromiumSkip(), timeout: 60_000 }, async () => {
  await checkPageInChromium(await bundleForBrowser(join(project, 'browser-page.ts'), project));
});

test('lamkit envs, then lamkit train --env CartPole-v1 and lamkit eval --checkpoint on its output', { timeout: 120_000 }, async () => {
  const help = await lamkit(['--help']);
  for (const command of ['envs', 'train', 'eval', 'view', 'serve', 'sim-robot']) assert.match(help, new RegExp(`^  ${command} `, 'm'), `lamkit --help lists ${command}`);
  const envs = await lamkit(['envs']);
  for (const id of ['CartPole-v1', 'Pendulum-v1', 'Reacher-v5', 'InvertedPendulum-v5', 'ArmReach-v0', 'ArmPush-v0']) assert.match(envs, new RegExp(`^${id}$`, 'm'));
  const trained = await lamkit(['train', '--env', 'CartPole-v1', '--total-steps', '2048', '--seed', '1', '--no-progress', '--out', runDir]);
  assert.match(trained, /lamkit train: 2048 steps in [\d.]+ s; mean return/);
  for (const f of ['summary.json', 'metrics.jsonl', 'learning-curve.svg']) assert.ok(existsSync(join(runDir, f)), `train wrote ${f}`);
  const evaluated = await lamkit(['eval', '--checkpoint', runDir, '--episodes', '3']);
  assert.match(evaluated, /CartPole-v1, 3 episodes: return [\d.]+ ± [\d.]+/);
  const asyncRun = await lamkit(['train', '--env', 'CartPole-v1', '--total-steps', '512', '--num-envs', '2', '--vectorization', 'async', '--no-progress', '--out', join(work, 'run-async')]);
  assert.match(asyncRun, /lamkit train: 512 steps/, 'AsyncVectorEnv workers start from dist/');
});

/** Every module a page imports (import map, static and dynamic imports), fetched recursively: URL -> HTTP status. */
async function crawlPageModules(pageUrl: string): Promise<Map<string, number>> {
  const html = await (await fetch(pageUrl)).text();
  const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '{"imports":{}}') as { imports: Record<string, string> };
  const resolveSpecifier = (spec: string, base: string): string => {
    if (spec.startsWith('.') || spec.startsWith('/')) return new URL(spec, base).href;
    const exact = importMap.imports[spec];
    if (exact) return new URL(exact, pageUrl).href;
    const prefix = Object.keys(importMap.imports).find((p) => p.endsWith('/') && spec.startsWith(p));
    if (prefix) return new URL(importMap.imports[prefix] + spec.slice(prefix.length), pageUrl).href;
    throw new Error(`crawlPageModules: expected ${spec} (in ${base}) to be relative or in the import map, got neither`);
  };
  const status = new Map<string, number>();
  const queue: Array<[string, string]> = [];
  const enqueue = (code: string, base: string): void => {
    for (const { fileName } of ts.preProcessFile(code, true, true).importedFiles) {
      const url = resolveSpecifier(fileName, base);
      if (!status.has(url)) {
        status.set(url, 0);
        queue.push([url, url]);
      }
    }
  };
  for (const [, code] of html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)) enqueue(code, pageUrl);
  while (queue.length > 0) {
    const [url] = queue.shift()!;
    const res = await fetch(url);
    status.set(url, res.status);
    const body = await res.text();
    if (res.ok) {
      assert.match(res.headers.get('content-type') ?? '', /javascript/, `${url} is served as JavaScript`);
      enqueue(body, url);
    }
  }
  return status;
}

test('lamkit view serves its page and every module the page imports (200)', { timeout: 60_000 }, async () => {
  const view = start(project, process.execPath, [lamkitBin, 'view', '--env', 'ArmReach-v0', '--port', '0', '--policy', 'expert']);
  try {
    const [, url] = await view.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/)/);
    const modules = await crawlPageModules(url);
    const failed = [...modules].filter(([, s]) => s !== 200).map(([u, s]) => `${s} ${u}`);
    assert.deepEqual(failed, [], 'every page module answers 200');
    const paths = [...modules.keys()].map((u) => new URL(u).pathname);
    for (const p of ['/lamkit/sim/viewer/page/viewer-page.js', '/vendor/three/build/three.module.js']) assert.ok(paths.includes(p), `the page imports ${p}`);
    assert.ok(paths.length >= 8, `modules: ${paths.join(', ')}`);
    if (chromiumSkip() === false) await drawsInChromium(url);
  } finally {
    await view.stop();
  }
});

/** Opens the viewer page in Chromium and waits until frames arrive and are drawn. */
async function drawsInChromium(url: string): Promise<void> {
  const browser: Browser = await acquireBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 480, height: 360 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url);
      await page.waitForFunction(() => {
        const v = (window as unknown as { lamkitViewer?: { framesReceived: number; framesDrawn: number } }).lamkitViewer;
        return v !== undefined && v.framesReceived >= 5 && v.framesDrawn >= 2;
      }, null, { timeout: 20_000 });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  } finally {
    await releaseBrowser();
  }
}

test("rgb_array rendering from the installed package: makeAsync('Reacher-v5', { renderMode: 'rgb_array' })", { skip: chromiumSkip(), timeout: 60_000 }, async () => {
  writeFileSync(
    join(project, 'render.mjs'),
    `import { makeAsync } from 'lamkit';
const env = await makeAsync('Reacher-v5', { renderMode: 'rgb_array' });
env.reset({ seed: 0 });
const img = await env.unwrapped.renderAsync();
const colours = new Set();
for (let i = 0; i < img.data.length; i += 3) colours.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
env.close();
console.log(JSON.stringify({ width: img.width, height: img.height, bytes: img.data.length, colours: colours.size }));
`,
  );
  const out = JSON.parse(await runIn(project, process.execPath, ['render.mjs'])) as { width: number; height: number; bytes: number; colours: number };
  assert.deepEqual([out.width, out.height, out.bytes], [84, 84, 84 * 84 * 3]);
  assert.ok(out.colours >= 20, `a drawn scene, not a blank image: ${out.colours} colours`);
});

test('lamkit serve drives a lamkit sim-robot with the trained checkpoint', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(runDir), 'the train test wrote a run');
  const serve = start(project, process.execPath, [lamkitBin, 'serve', '--checkpoint', runDir, '--port', '0', '--token', 'packed']);
  const robot = { stop: async () => {} };
  try {
    const [, wsUrl] = await serve.waitFor(/policy on (ws:\/\/127\.0\.0\.1:\d+\/)/);
    Object.assign(robot, start(project, process.execPath, [lamkitBin, 'sim-robot', '--env', 'CartPole-v1', '--connect', wsUrl, '--token', 'packed']));
    await serve.waitFor(/robot connected: CartPole-v1-sim/);
    await serve.waitFor(/episode robot=CartPole-v1-sim return=\d+\.\d+ length=\d+/);
  } finally {
    await robot.stop();
    await serve.stop();
  }
});
