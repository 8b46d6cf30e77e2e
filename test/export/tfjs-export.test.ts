import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { exportPolicy } from '../../agents/export/export-policy.js';
import { FileFormatError } from '../../src/core/errors.js';
import { assertParity } from './parity-episodes.js';
import { prepareParityCase, PARITY_ENVS } from './parity-case.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-tfjs-export-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Loads an exported tfjs graph model from its directory (no file:// handler needed). */
async function loadExported(dir: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(join(dir, json.weightsManifest[0].paths[0]));
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), format: 'graph-model' }));
}

for (const envId of PARITY_ENVS) {
  test(`--format tfjs: tf.loadGraphModel gives lamkit's actions and values on 1000 recorded steps (mlp on ${envId})`, { timeout: 120000 }, async () => {
    await initBackend({ report: null });
    const c = await prepareParityCase(root, 'mlp', envId, 1000);
    const out = join(root, `tfjs-${envId}`);
    exportPolicy(c.checkpointDir, out, { format: 'tfjs', value: true });
    const model = await loadExported(out);
    try {
      const before = tf.memory().numTensors;
      const [a, v] = tf.tidy(() => model.execute({ obs: tf.tensor2d(c.rec.obs, [c.rec.episodeStart.length, c.rec.obsDim]) }, ['action', 'value']) as tf.Tensor[]);
      const actions = Float64Array.from(a.dataSync());
      const values = Float64Array.from(v.dataSync());
      tf.dispose([a, v]);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assertParity({ actions, values }, c.rec, c.discrete !== null, 'tfjs graph model');
    } finally {
      model.dispose();
    }
  });
}

test('--format tfjs of a kind without a tfjs exporter is an error naming the file and pointing at onnx', async () => {
  const c = await prepareParityCase(root, 'window-mlp', 'CartPole-v1', 10);
  assert.throws(() => exportPolicy(c.checkpointDir, join(root, 'never'), { format: 'tfjs' }), (err: Error) => err instanceof FileFormatError && err.message.includes('checkpoint.json') && err.message.includes('--format onnx'));
});
