import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgument, BackendError, formatError, describeValue } from '../../core/errors.js';
import { readCheckpoint } from '../../../agents/checkpoint/read-checkpoint.js';
import { listenError } from '../flags.js';
import { IN_BROWSER_TASK_IDS } from './in-browser-task-ids.js';
import type { LoopPageConfig } from './in-browser-loop.js';

/** Options of {@link startInBrowserLoop}. */
export interface InBrowserLoopOptions {
  /** Checkpoint directory (kind `mlp` or `transformer`) whose task runs in the page. */
  checkpoint: string;
  port?: number;
  host?: string;
  seed?: number;
  /** Episodes the page runs (0: until closed). Default 0. */
  episodes?: number;
  /** Control steps per second in the page (0: as fast as it can). Default 25. */
  stepsPerSecond?: number;
}

/** A running server of the in-browser loop. */
export interface InBrowserLoopServer {
  url: string;
  task: string;
  /** URL paths requested so far (the page only fetches files: there is no stepping endpoint). */
  readonly requests: readonly string[];
  /** Closes the server. Idempotent. */
  close(): Promise<void>;
}

/** Where `npm run build` leaves the prebuilt page bundle (dist/), beside this module. */
const PREBUILT = new URL('./in-browser-loop.bundle.js', import.meta.url);
/** The page's entry: the TypeScript source, or its compiled form under dist/. */
const PAGE_ENTRY = [new URL('./in-browser-loop.ts', import.meta.url), new URL('./in-browser-loop.js', import.meta.url)];

/**
 * Bundles the in-browser loop page with esbuild (ESM, platform browser):
 * MuJoCo's JS glue (which fetches `mujoco.wasm` beside the bundle), three.js,
 * the tasks and the plain-JS policies. The headless renderer that MuJoCo
 * tasks import lazily for image observations stays out (never used here).
 */
export async function bundleInBrowserLoop(): Promise<string> {
  if (existsSync(fileURLToPath(PREBUILT))) return readFile(fileURLToPath(PREBUILT), 'utf8');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new BackendError(formatError('lamkit view --in-browser', 'the prebuilt page bundle (npm run build) or esbuild installed', 'neither', 'Run `npm run build`, or install esbuild'), { cause: err });
  }
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(PAGE_ENTRY.find((u) => existsSync(fileURLToPath(u))) ?? PAGE_ENTRY[0])],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // Emscripten's Node-only branches name these; they never run in a page.
    external: ['module', 'worker_threads', 'crypto', 'path', 'url', 'fs'],
    plugins: [{ name: 'no-headless-renderer', setup: (b) => void b.onResolve({ filter: /lazy-scene-renderer\.js$/ }, (a) => ({ path: a.path, external: true })) }],
  });
  return out.outputFiles[0].text;
}

/**
 * Serves the whole control loop as a web page: the bundle, `mujoco.wasm`
 * and the checkpoint's two files. The page builds the task, steps MuJoCo,
 * draws it with three.js and acts with the policy, all in the browser.
 */
export async function startInBrowserLoop(options: InBrowserLoopOptions): Promise<InBrowserLoopServer> {
  const { dir, data } = readCheckpoint(options.checkpoint);
  const task = data.meta.envId;
  if (!IN_BROWSER_TASK_IDS.includes(task)) {
    throw new InvalidArgument(formatError('lamkit view --in-browser --policy', `a checkpoint of a MuJoCo task the page can run (${IN_BROWSER_TASK_IDS.join(', ')})`, `one of ${describeValue(task)} (${dir})`, 'Train on one of those tasks, or view without --in-browser'));
  }
  if (data.policy.kind !== 'mlp' && data.policy.kind !== 'transformer') {
    throw new InvalidArgument(formatError('lamkit view --in-browser --policy', "a checkpoint of kind 'mlp' or 'transformer' (plain-JS forward passes)", `kind ${describeValue(data.policy.kind)} (${dir})`, 'Export it with `lamkit export` and run it with onnxruntime-web'));
  }
  const bundle = await bundleInBrowserLoop();
  const wasmPath = fileURLToPath(new URL('mujoco.wasm', import.meta.resolve('mujoco')));
  const config: LoopPageConfig = { task, seed: options.seed ?? 0, episodes: options.episodes ?? 0, stepsPerSecond: options.stepsPerSecond ?? 25, checkpointJson: '/policy/checkpoint.json', policyBin: '/policy/policy.bin' };
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>lamkit: ${task} in the browser</title>
<style>html,body{margin:0;height:100%;background:#1d2330;color:#dde;font:14px system-ui}#view{position:absolute;inset:0}#hud{position:absolute;left:8px;top:8px;background:#0008;padding:4px 8px;border-radius:4px}</style></head>
<body><div id="view"></div><div id="hud">loading MuJoCo and the policy...</div>
<script>window.lamkitLoopConfig = ${JSON.stringify(config)};</script><script type="module" src="/app.js"></script></body></html>`;
  const files: Record<string, () => Promise<{ body: string | Buffer; type: string }>> = {
    '/': async () => ({ body: html, type: 'text/html; charset=utf-8' }),
    '/app.js': async () => ({ body: bundle, type: 'text/javascript; charset=utf-8' }),
    '/mujoco.wasm': async () => ({ body: await readFile(wasmPath), type: 'application/wasm' }),
    '/policy/checkpoint.json': async () => ({ body: await readFile(join(dir, 'checkpoint.json')), type: 'application/json' }),
    '/policy/policy.bin': async () => ({ body: await readFile(join(dir, 'policy.bin')), type: 'application/octet-stream' }),
  };
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push(`${req.method} ${path}`);
    const file = req.method === 'GET' ? files[path] : undefined;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    file().then(
      ({ body, type }) => res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, 'lamkit view --port', options.port ?? 8080, host)));
    server.listen(options.port ?? 8080, host, resolve);
  });
  const address = server.address() as { port: number };
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}/`,
    task,
    requests,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
