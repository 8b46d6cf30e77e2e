import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { StaticAssets, IMPORT_MAP } from '../viewer/static-assets.js';

/**
 * Origin of the pages that use WebCodecs. WebCodecs exists only in secure
 * contexts, so the origin is https; requests never leave the browser (all
 * are answered by `page.route`), so no certificate or port is involved.
 */
export const MEDIA_ORIGIN = 'https://lamkit-media.invalid';

/** URL path of mediabunny's browser bundle, mapped to the bare specifier `mediabunny`. */
const MEDIABUNNY_PATH = '/vendor/mediabunny/mediabunny.min.mjs';

let bundle: Promise<string> | null = null;

/** mediabunny's self-contained ES module build, read once from the installed package. */
function mediabunnyBundle(): Promise<string> {
  // The package exports only its entry, dist/modules/src/index.js; the bundle is dist/bundles/mediabunny.min.mjs.
  bundle ??= readFile(join(dirname(fileURLToPath(import.meta.resolve('mediabunny'))), '..', '..', 'bundles', 'mediabunny.min.mjs'), 'utf8');
  bundle.catch(() => {
    bundle = null;
  });
  return bundle;
}

/**
 * Opens a page of `browser` at {@link MEDIA_ORIGIN} whose body runs the ES
 * module `script` (an inline module that imports lamkit's page modules).
 * The page's import map resolves `three` and `mediabunny`; lamkit's modules
 * come from {@link StaticAssets}. Internal to sim/render (the video encoder,
 * and tests that decode what it wrote).
 */
export async function openMediaPage(browser: Browser, script: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  try {
    const assets = new StaticAssets();
    const importMap = JSON.parse(IMPORT_MAP) as { imports: Record<string, string> };
    importMap.imports.mediabunny = MEDIABUNNY_PATH;
    const html = `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#000}</style>
<script type="importmap">${JSON.stringify(importMap)}</script></head><body>
<script type="module">${script}</script>
</body></html>`;
    await page.route(`${MEDIA_ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
      if (path === MEDIABUNNY_PATH) return route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: await mediabunnyBundle() });
      const asset = await assets.get(path);
      return asset ? route.fulfill({ status: 200, contentType: asset.contentType, body: asset.body }) : route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${MEDIA_ORIGIN}/`);
    return page;
  } catch (err) {
    await page.close().catch(() => undefined);
    throw err;
  }
}
