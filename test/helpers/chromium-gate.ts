import { findChromium } from '../../sim/render/shared-browser.js';

/**
 * `skip` option for tests that drive Chromium: `false` (run) when Chromium is
 * found, and always under `CI=true`, where a missing browser must fail the
 * test (acquireBrowser then throws, naming what to install) rather than skip
 * it; on a developer machine without Chromium, the reason to skip.
 */
export function chromiumSkip(): string | false {
  if (findChromium() || process.env.CI === 'true') return false;
  return 'Chromium not found (/usr/bin/chromium or $LAMKIT_CHROMIUM): install Debian `chromium` to run this test (CI=true makes it fail instead)';
}
