import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { walkImports } from '../helpers/import-graph.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { bundleForBrowser, checkPageInChromium } from './page-checks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('../../src/browser.ts', import.meta.url));
const pageFixture = fileURLToPath(new URL('./fixtures/browser-page.ts', import.meta.url));

/** Third-party packages lamkit/browser may reach; each must run in a browser (esbuild's browser build below checks them). */
const BROWSER_PACKAGES = ['zod'];

test('lamkit/browser imports nothing from node: (its import graph as compiled, walked statically)', () => {
  const graph = walkImports(entry, root);
  assert.ok(graph.files.length > 10, `walked ${graph.files.length} files`);
  assert.deepEqual(
    graph.nodeImports.map((n) => `${n.specifier} <- ${n.chain.join(' -> ')}`),
    [],
    'lamkit/browser must not reach a Node built-in',
  );
  const unexpected = [...graph.packages].filter(([name]) => !BROWSER_PACKAGES.includes(name)).map(([name, chain]) => `${name} <- ${chain.join(' -> ')}`);
  assert.deepEqual(unexpected, [], `lamkit/browser may reach only ${BROWSER_PACKAGES.join(', ')}`);
});

test("lamkit/browser's MlpPolicy forward pass reaches no tfjs (plain-JS samplers, not the tfjs distributions)", () => {
  const chain = walkImports(entry, root).packages.get('@tensorflow/tfjs');
  assert.equal(chain, undefined, `@tensorflow/tfjs <- ${chain?.join(' -> ')}`);
});

test('lamkit/browser exports what a page needs; its RobotClient is the core Node extends', async () => {
  const browser = await import('../../src/browser.js');
  for (const name of ['Box', 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Dict', 'Tuple', 'spaceFromJSON', 'Rng', 'LamkitError', 'InvalidAction', 'InvalidSpace', 'BaseEnv', 'checkEnv', 'MlpPolicy', 'RobotClient', 'envRobotHandler', 'BridgeProtocolError']) {
    assert.equal(typeof (browser as Record<string, unknown>)[name], 'function', `lamkit/browser exports ${name}`);
  }
  const node = await import('../../src/bridge/index.js');
  assert.notEqual(browser.RobotClient, node.RobotClient);
  assert.ok(node.RobotClient.prototype instanceof browser.RobotClient, "Node's RobotClient extends the browser's");
});

test('lamkit/browser bundles for the browser (esbuild, platform browser): no Node built-in, no ws, anywhere', async () => {
  const bundle = await bundleForBrowser(pageFixture, root);
  assert.ok(bundle.inputs.some((p) => p.endsWith('src/browser.ts')), 'lamkit/browser resolved to the sources');
  assert.deepEqual(bundle.inputs.filter((p) => /node_modules\/(ws|typescript|tsx)\//.test(p)), []);
});

test('lamkit/browser in Chromium: spaces, Rng, errors, an MLP policy acting as in Node, RobotClient on the page WebSocket', { skip: chromiumSkip(), timeout: 60000 }, async () => {
  await checkPageInChromium(await bundleForBrowser(pageFixture, root));
});
