import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { Rng } from '../../src/core/rng.js';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import { layoutSize, paramLayout, type MlpSpec } from '../../agents/policies/param-layout.js';
import { runPolicyChecks, PageLineEnv, type LamkitPage, type PolicyChecksInput } from './fixtures/browser-page.js';

/** A bundle for a web page and what went into it. */
export interface BrowserBundle {
  /** An IIFE script (no imports left). */
  code: string;
  /** Paths of every module in it, relative to `absWorkingDir`. */
  inputs: string[];
}

/**
 * Bundles `entry` for the browser with esbuild (`platform: 'browser'`, so
 * packages' `browser` fields apply and any Node built-in is a build error).
 * From the repository, `lamkit/browser` resolves through tsconfig.json's
 * `paths` to the sources; from a project without that tsconfig, through the
 * installed package's `exports`.
 */
export async function bundleForBrowser(entry: string, absWorkingDir: string): Promise<BrowserBundle> {
  const out = await esbuild.build({ entryPoints: [entry], absWorkingDir, bundle: true, platform: 'browser', format: 'iife', target: 'es2022', write: false, metafile: true, logLevel: 'silent' });
  return { code: out.outputFiles[0].text, inputs: Object.keys(out.metafile.inputs) };
}

/** Policy inputs the page and Node both run: a categorical and a Gaussian head. */
function policyInputs(): PolicyChecksInput[] {
  const specs: MlpSpec[] = [
    { obsDim: 4, hidden: [16, 16], activation: 'tanh', head: { kind: 'categorical', nvec: [3] } },
    { obsDim: 3, hidden: [8], activation: 'relu', head: { kind: 'gaussian', dim: 2 } },
  ];
  const rng = new Rng(11);
  return specs.map((spec, i) => ({ spec, theta: Array.from({ length: layoutSize(paramLayout(spec)) }, () => rng.normal(0, 0.5)), rows: 5, seed: 3 + i }));
}

/**
 * Loads `bundle` (built from test/package/fixtures/browser-page.ts) in a
 * headless Chromium page and checks that lamkit/browser works there: spaces,
 * Rng, an MLP policy acting (deterministic and sampled) exactly as the same
 * code does in Node, a lamkit error with its class and message, and a
 * RobotClient on the page's WebSocket driven step for step by a
 * BridgeServer in Node.
 */
export async function checkPageInChromium(bundle: BrowserBundle): Promise<void> {
  const server = await BridgeServer.listen({ port: 0, token: 'page-token' });
  try {
    const browser = await acquireBrowser();
    try {
      const page = await browser.newPage();
      try {
        await runPageChecks(page, bundle, server);
      } finally {
        await page.close();
      }
    } finally {
      await releaseBrowser();
    }
  } finally {
    await server.close();
  }
}

async function runPageChecks(page: Page, bundle: BrowserBundle, server: BridgeServer): Promise<void> {
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.addScriptTag({ content: bundle.code });
  for (const input of policyInputs()) {
    const inPage = await page.evaluate((i) => (globalThis as unknown as { lamkitPage: LamkitPage }).lamkitPage.runPolicyChecks(i), input);
    const inNode = runPolicyChecks(input);
    assert.deepEqual(inPage, inNode, 'the page computes what Node computes, bit for bit');
    assert.equal(inPage.deterministic.length, input.rows * (input.spec.head.kind === 'categorical' ? 1 : input.spec.head.dim));
    assert.ok(inPage.errorClasses, 'the error is an InvalidSpace and a LamkitError');
    assert.equal(inPage.boxError, 'Box: expected low <= high in every dimension, got low[0]=1.0 > high[0]=0.0. Swap the bounds or fix the dimension.');
  }
  const connected = page.evaluate(async (url) => {
    const robot = await (globalThis as unknown as { lamkitPage: LamkitPage }).lamkitPage.connectRobot(url, 'page-token');
    (globalThis as unknown as { robot: typeof robot }).robot = robot;
  }, server.url);
  const [remote] = await server.waitForRobots(1, 20000);
  await connected;
  assert.equal(remote.robotId, 'page-robot');
  const local = new PageLineEnv();
  assert.deepEqual(Array.from((await remote.reset({ seed: 8 })).obs as Float32Array), Array.from(local.reset({ seed: 8 }).obs));
  for (let i = 0; i < 5; i++) {
    const action = Float32Array.of(0.25 - 0.1 * i);
    const s = await remote.step(action);
    const l = local.step(action);
    assert.deepEqual(Array.from(s.obs as Float32Array), Array.from(l.obs));
    assert.equal(s.reward, l.reward);
  }
  await page.evaluate(() => (globalThis as unknown as { robot: { close(): Promise<void> } }).robot.close());
  assert.deepEqual(pageErrors, []);
}
