import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../envs/index.js';
import { makeAsync } from '../../src/registry/index.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { evaluatePolicy } from '../../src/bench/evaluate-policy.js';
import { startInBrowserLoop } from '../../src/cli/in-browser/in-browser-server.js';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import type { LoopPageState } from '../../src/cli/in-browser/in-browser-loop.js';

const fixture = fileURLToPath(new URL('../fixtures/export/armreach-mlp', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-in-browser-'));
after(() => rmSync(root, { recursive: true, force: true }));
const EPISODES = 3;

test('the whole loop in a page (Chromium): MuJoCo WASM, three.js and the policy run in the page, the arm moves and reaches its targets as in Node', { skip: chromiumSkip(), timeout: 180000 }, async () => {
  const server = await startInBrowserLoop({ checkpoint: fixture, port: 0, seed: 100, episodes: EPISODES, stepsPerSecond: 0 });
  try {
    const browser = await acquireBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 480, height: 360 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => {
          const s = (window as unknown as { lamkitLoop?: LoopPageState }).lamkitLoop;
          return s !== undefined && (s.done || s.error !== null);
        }, undefined, { timeout: 150000, polling: 250 });
        const state = await page.evaluate(() => (window as unknown as { lamkitLoop: LoopPageState }).lamkitLoop);
        assert.equal(state.error, null);
        assert.deepEqual(pageErrors, []);
        assert.equal(state.policyKind, 'mlp');
        assert.equal(state.episodes.length, EPISODES);
        assert.ok(state.maxQposTravel > 0.3, `the arm moved: ${state.maxQposTravel.toFixed(3)} rad from its first posture`);
        assert.ok(state.framesDrawn > 1, `three.js drew ${state.framesDrawn} frames`);
        assert.deepEqual(state.episodes.map((e) => e.success), new Array(EPISODES).fill(true), 'every episode ends at the target (info.isSuccess)');
        // The page replays what Node computes: same physics (MuJoCo WASM), same policy, same seeds.
        const policy = await loadPolicy(fixture);
        const env = await makeAsync('ArmReach-v0');
        try {
          const node = await evaluatePolicy(policy, env, { episodes: EPISODES, seed: 100, deterministic: true });
          state.episodes.forEach((e, i) => assert.ok(Math.abs(e.return - node.returns[i]) < 1e-9, `episode ${i}: page ${e.return}, Node ${node.returns[i]}`));
        } finally {
          env.close();
          policy.dispose?.();
        }
        const files = ['GET /', 'GET /app.js', 'GET /mujoco.wasm', 'GET /policy/checkpoint.json', 'GET /policy/policy.bin', 'GET /favicon.ico'];
        assert.deepEqual(server.requests.filter((r) => !files.includes(r)), [], 'the page only fetched files (no stepping on the server)');
        assert.ok(server.requests.includes('GET /mujoco.wasm'), 'MuJoCo ran in the page');
      } finally {
        await page.close();
      }
    } finally {
      await releaseBrowser();
    }
  } finally {
    await server.close();
  }
});

test('lamkit view --in-browser refuses a checkpoint whose task cannot run in the page', async () => {
  await assert.rejects(startInBrowserLoop({ checkpoint: fileURLToPath(new URL('../fixtures/imitation/cartpole-ppo', import.meta.url)), port: 0 }), (err: Error) => err instanceof InvalidArgument && err.message.includes('CartPole-v1'));
});

test('lamkit view --in-browser: no checkpoint, or one of another task, exits 2 with one typed line', async () => {
  const { main } = await import('../../src/cli/main.js');
  const err: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['view', '--env', 'ArmReach-v0', '--in-browser', '--port', '0']), 2);
    assert.match(err.join(''), /lamkit view --in-browser --policy: expected a checkpoint directory/);
    err.length = 0;
    assert.equal(await main(['view', '--env', 'Reacher-v5', '--in-browser', '--policy', fixture, '--port', '0']), 2);
    assert.match(err.join(''), /view --policy: expected a checkpoint trained on Reacher-v5, got one trained on ArmReach-v0/);
  } finally {
    process.stderr.write = orig;
  }
});
