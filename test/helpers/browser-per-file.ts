import { before, after } from 'node:test';
import { acquireBrowser, releaseBrowser, findChromium } from '../../sim/render/shared-browser.js';

/**
 * Keeps the process's shared headless Chromium (sim/render/shared-browser.ts)
 * open from the file's first test to its end, so that every renderer, video
 * encoder and `probeVideo` of the file reuses one browser instead of
 * launching and closing its own in turn (each launch costs 0.5-4 s quiet and
 * 4-6 s at load 8: test-suite time, issue 9). Call it once at the top level
 * of a test file. Every user still pairs its own acquire and release; the
 * browser closes in `after`, passed or failed. Without Chromium it does
 * nothing: the tests skip, or under `CI=true` fail on their own acquire.
 */
export function browserPerFile(): void {
  if (!findChromium()) return;
  let held = false;
  before(async () => {
    await acquireBrowser();
    held = true;
  });
  after(async () => {
    if (held) await releaseBrowser();
    held = false;
  });
}
