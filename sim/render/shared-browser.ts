import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { BackendError, formatError } from '../../src/core/errors.js';

/** Where Chromium is looked for, in order, after `$LAMKIT_CHROMIUM`. */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * Flags for WebGL2 without a GPU (SwiftShader through ANGLE), measured in
 * FINDINGS.md; no sandbox so it runs as root in containers and CI.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--disable-background-networking', '--disable-dev-shm-usage'];

/** Path of a Chromium executable (`$LAMKIT_CHROMIUM`, else the first of {@link CHROMIUM_PATHS}), or `null`. */
export function findChromium(): string | null {
  const fromEnv = process.env.LAMKIT_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

let browser: Promise<Browser> | null = null;
let users = 0;

/**
 * The process's one headless Chromium, launched on first use (~0.5-4 s) and
 * shared by every renderer and test. Each `acquireBrowser()` must be paired
 * with a `releaseBrowser()`; the browser closes when the last user releases it.
 * playwright-core is imported here, lazily, never at module load.
 */
export async function acquireBrowser(): Promise<Browser> {
  users++;
  if (!browser) {
    const executablePath = findChromium();
    if (!executablePath) {
      users--;
      throw new BackendError(formatError('acquireBrowser', `a Chromium executable ($LAMKIT_CHROMIUM or one of ${CHROMIUM_PATHS.join(', ')})`, 'none', 'Install it (Debian: apt-get install chromium) or set LAMKIT_CHROMIUM'));
    }
    browser = import('playwright-core').then(({ chromium }) => chromium.launch({ executablePath, args: CHROMIUM_ARGS }));
    browser.catch(() => {
      browser = null;
    });
  }
  try {
    return await browser;
  } catch (err) {
    users--;
    throw new BackendError(formatError('acquireBrowser', 'headless Chromium to start', String((err as Error)?.message ?? err).split('\n')[0], 'Check that Chromium runs on this machine (see FINDINGS.md for the flags)'), { cause: err });
  }
}

/** Releases one {@link acquireBrowser}; the last release closes Chromium. */
export async function releaseBrowser(): Promise<void> {
  if (users === 0) return;
  users--;
  if (users === 0 && browser) {
    const closing = browser;
    browser = null;
    await (await closing).close();
  }
}
