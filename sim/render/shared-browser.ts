import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { BackendError, InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

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

/** Launched browsers by slot, each with its count of users. */
const slots = new Map<number, { browser: Promise<Browser>; users: number }>();

/**
 * The process's headless Chromium of `slot` (default 0: the one shared by
 * every renderer and test), launched on first use (~0.5-4 s). Each
 * `acquireBrowser(slot)` must be paired with a `releaseBrowser(slot)`; a
 * browser closes when its last user releases it. Other slots are separate
 * Chromium instances, each with its own GPU process (SwiftShader): a
 * sharded `BatchedSceneRenderer` draws its shards in parallel on them.
 * playwright-core is imported here, lazily, never at module load.
 */
export async function acquireBrowser(slot = 0): Promise<Browser> {
  if (!Number.isInteger(slot) || slot < 0) throw new InvalidArgument(formatError('acquireBrowser.slot', 'an integer >= 0', describeValue(slot), 'Pass 0 for the shared browser'));
  let entry = slots.get(slot);
  if (!entry) {
    const executablePath = findChromium();
    if (!executablePath) {
      throw new BackendError(formatError('acquireBrowser', `a Chromium executable ($LAMKIT_CHROMIUM or one of ${CHROMIUM_PATHS.join(', ')})`, 'none', 'Install it (Debian: apt-get install chromium) or set LAMKIT_CHROMIUM'));
    }
    const launched = import('playwright-core').then(({ chromium }) => chromium.launch({ executablePath, args: CHROMIUM_ARGS }));
    entry = { browser: launched, users: 0 };
    const created = entry;
    slots.set(slot, created);
    launched.catch(() => {
      if (slots.get(slot) === created) slots.delete(slot);
    });
  }
  entry.users++;
  try {
    return await entry.browser;
  } catch (err) {
    entry.users--;
    throw new BackendError(formatError('acquireBrowser', 'headless Chromium to start', String((err as Error)?.message ?? err).split('\n')[0], 'Check that Chromium runs on this machine (see FINDINGS.md for the flags)'), { cause: err });
  }
}

/** Releases one {@link acquireBrowser} of `slot`; its last release closes that Chromium. */
export async function releaseBrowser(slot = 0): Promise<void> {
  const entry = slots.get(slot);
  if (!entry || entry.users === 0) return;
  entry.users--;
  if (entry.users === 0) {
    slots.delete(slot);
    await (await entry.browser).close();
  }
}
