import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';

test('backend selection: a bad LAMKIT_BACKEND is a typed error; auto picks the best that starts and reports it once', async () => {
  await assert.rejects(initBackend({ backend: 'gpu', report: null }), {
    name: 'InvalidArgument',
    message: 'initBackend.backend (LAMKIT_BACKEND): expected one of tensorflow, wasm, cpu, got "gpu". Unset LAMKIT_BACKEND for automatic selection.',
  });
  const lines: string[] = [];
  const saved = process.env.LAMKIT_BACKEND;
  delete process.env.LAMKIT_BACKEND;
  try {
    const info = await initBackend({ report: (l) => lines.push(l) });
    await initBackend({ report: (l) => lines.push(l) });
    assert.equal(tf.getBackend(), info.name);
    assert.equal(info.source, 'auto');
    // Without the optional native package, tensorflow is skipped with its reason and wasm (SIMD) is used.
    let native = true;
    try {
      await import('@tensorflow/tfjs-node-gpu' as string);
    } catch {
      native = false;
    }
    if (!native) {
      assert.equal(info.name, 'wasm');
      assert.equal(info.skipped[0].name, 'tensorflow');
      // A note, not an error: the package is optional (it downloads libtensorflow at install time).
      assert.equal(lines[0], 'lamkit: tfjs backend wasm [auto]; the optional native backend (@tensorflow/tfjs-node-gpu) is not installed');
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^lamkit: tfjs backend ${info.name} \\[auto\\]`));
    const other = info.name === 'cpu' ? 'wasm' : 'cpu';
    await assert.rejects(initBackend({ backend: other, report: null }), { name: 'InvalidArgument', message: new RegExp(`expected the backend already started \\(${info.name}\\), got "${other}"`) });
  } finally {
    if (saved !== undefined) process.env.LAMKIT_BACKEND = saved;
  }
});

test('after the wasm backend starts, an uncaught error prints its own stack, not the wasm module source', async () => {
  const { spawnSync } = await import('node:child_process');
  const backendUrl = new URL('../../agents/backend.ts', import.meta.url).href;
  const script = `const { initBackend } = await import(${JSON.stringify(backendUrl)});
await initBackend({ backend: 'wasm', report: null });
throw new Error('boom from user code');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /boom from user code/);
  // Emscripten's rethrowing handler made Node print its megabyte-long minified line.
  assert.ok(r.stderr.length < 20_000, `stderr is ${r.stderr.length} characters`);
});
