import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExport } from '../../src/cli/commands/export.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'lamkit-onnx-cartpole-'));
after(() => rmSync(root, { recursive: true, force: true }));
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Exports `checkpoint` with `lamkit export` and runs it with onnxruntime-node in a fresh process (test/export/run-onnx-policy.ts). */
async function returnsInFreshProcess(checkpoint: string, name: string, episodes: number): Promise<number[]> {
  const out = join(root, name);
  await runExport({ checkpoint, out, format: 'onnx' });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', here('./run-onnx-policy.ts'), out, String(episodes)], { cwd: here('../../'), timeout: 120000 });
  return (JSON.parse(stdout.trim().split('\n').pop() as string) as { returns: number[] }).returns;
}

test('an exported CartPole MLP checkpoint reaches return 500 under onnxruntime-node in a fresh process', { timeout: 180000 }, async () => {
  const returns = await returnsInFreshProcess(here('../fixtures/imitation/cartpole-ppo'), 'mlp', 3);
  assert.deepEqual(returns, [500, 500, 500]);
});

const transformerFixture = here('../fixtures/export/cartpole-transformer');
test('an exported CartPole transformer checkpoint (step model, key/value cache fed back) reaches return 500 under onnxruntime-node in a fresh process', { timeout: 180000 }, async () => {
  const returns = await returnsInFreshProcess(transformerFixture, 'transformer', 3);
  assert.deepEqual(returns, [500, 500, 500]);
});
