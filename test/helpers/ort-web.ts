import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import type { OrtWebApi } from './ort-web-entry.js';

/** A headless Chromium page with onnxruntime-web (wasm) and the replay code loaded, served over loopback. */
export interface OrtWebPage {
  /** Serves `bytes` at `path` (e.g. `/model/policy.onnx`). */
  serve(path: string, bytes: Uint8Array): void;
  /** Calls `window.ortWeb[name](args)` in the page. */
  call<K extends keyof OrtWebApi>(name: K, args: Parameters<OrtWebApi[K]>[0]): Promise<Awaited<ReturnType<OrtWebApi[K]>>>;
  close(): Promise<void>;
}

/** Opens an {@link OrtWebPage} (shared Chromium; pairs acquireBrowser/releaseBrowser). */
export async function openOrtWebPage(): Promise<OrtWebPage> {
  const entry = fileURLToPath(new URL('./ort-web-entry.ts', import.meta.url));
  const bundle = (await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, logLevel: 'silent' })).outputFiles[0].text;
  const ortDist = dirname(fileURLToPath(import.meta.resolve('onnxruntime-web/wasm')));
  const files = new Map<string, { body: Uint8Array | string; type: string }>([
    ['/', { body: '<!doctype html><html><body><script type="module" src="/page.js"></script></body></html>', type: 'text/html' }],
    ['/page.js', { body: bundle, type: 'text/javascript' }],
  ]);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const f = files.get(path);
    if (f) return void res.writeHead(200, { 'content-type': f.type }).end(f.body);
    if (path.startsWith('/ort/') && /^[\w.-]+$/.test(path.slice(5))) {
      const name = path.slice(5);
      readFile(join(ortDist, name)).then(
        (body) => res.writeHead(200, { 'content-type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  let page: Page | null = null;
  try {
    const browser = await acquireBrowser();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { ortWebReady?: boolean }).ortWebReady === true, undefined, { timeout: 60000 });
    if (errors.length) throw new Error(`ort-web page: ${errors.join('; ')}`);
  } catch (err) {
    await page?.close().catch(() => undefined);
    await releaseBrowser();
    server.close();
    throw err;
  }
  const p = page;
  let closed = false;
  return {
    serve: (path, bytes) => void files.set(path, { body: bytes, type: 'application/octet-stream' }),
    call: (name, args) => p.evaluate(([n, a]) => (window as unknown as { ortWeb: Record<string, (x: unknown) => Promise<unknown>> }).ortWeb[n as string](a), [name, args] as const) as never,
    async close() {
      if (closed) return;
      closed = true;
      await p.close();
      await releaseBrowser();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
