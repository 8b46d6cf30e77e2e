import type { Page } from 'playwright-core';
import { StaticAssets, IMPORT_MAP, LAMKIT_PREFIX } from '../viewer/static-assets.js';
import { acquireBrowser, releaseBrowser } from './shared-browser.js';

/** Origin the renderer pages are served from; requests never leave the browser (answered by `page.route`). */
const ORIGIN = 'http://lamkit-render.invalid';

/**
 * Opens a page of the process's browser of `slot` (default 0, the shared
 * one; acquired here: the caller must `closeRenderPage(page, slot)`) running
 * `sim/render/page/render-page` (`window.lamkitRender`), with a viewport of
 * `width x height`. Shared by {@link SceneRenderer} and
 * {@link BatchedSceneRenderer}; on failure the browser is released.
 */
export async function openRenderPage(width: number, height: number, slot = 0): Promise<Page> {
  const browser = await acquireBrowser(slot);
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    const assets = new StaticAssets();
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ status: 200, contentType: 'text/html', body: renderHtml() });
      const asset = await assets.get(path);
      return asset ? route.fulfill({ status: 200, contentType: asset.contentType, body: asset.body }) : route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'lamkitRender' in window, null, { timeout: 30_000 });
    return page;
  } catch (err) {
    await releaseBrowser(slot);
    throw err;
  }
}

/** Closes a page of {@link openRenderPage} and releases its browser slot (closing that browser with its last user). */
export async function closeRenderPage(page: Page | null, slot = 0): Promise<void> {
  try {
    await page?.close();
  } finally {
    await releaseBrowser(slot);
  }
}

function renderHtml(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#000}</style>
<script type="importmap">${IMPORT_MAP}</script></head><body>
<script type="module">import { installRenderPage } from '${LAMKIT_PREFIX}sim/render/page/render-page.js'; installRenderPage();</script>
</body></html>`;
}
