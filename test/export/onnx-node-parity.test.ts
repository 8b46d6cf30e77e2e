import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { exportPolicy } from '../../src/export/export-policy.js';
import { FileFormatError } from '../../src/core/errors.js';
import { writeRandomCheckpoint } from './random-checkpoint.js';
import { assertParity } from './parity-episodes.js';
import { prepareParityCase, PARITY_KINDS, PARITY_ENVS } from './parity-case.js';
import { replayStepModel, replayWindowModel } from './onnx-replay.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-onnx-parity-'));
after(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 1000;

for (const kind of PARITY_KINDS) {
  for (const envId of PARITY_ENVS) {
    test(`onnxruntime-node gives lamkit's actions and values on ${STEPS} recorded steps: ${kind} on ${envId}`, { timeout: 120000 }, async () => {
      const c = await prepareParityCase(root, kind, envId, STEPS);
      assert.ok(c.rec.episodeStart.reduce((a, b) => a + b, 0) >= 2, 'several episodes recorded (the state is reset between them)');
      const step = await ort.InferenceSession.create(join(c.exportDir, 'policy.onnx'));
      try {
        const got = await replayStepModel(step, ort.Tensor, c.state, c.rec, c.actDim);
        assertParity(got, c.rec, c.discrete !== null, 'step model');
        if (kind === 'transformer') {
          const win = await ort.InferenceSession.create(join(c.exportDir, 'policy-window.onnx'));
          try {
            const d = c.discrete;
            const encode = d
              ? (t: number, o: Float32Array, off: number) => void (o[off + c.rec.actions[t] - d.start] = 1)
              : (t: number, o: Float32Array, off: number) => o.set((got.means as Float64Array).subarray(t * c.actDim, (t + 1) * c.actDim), off);
            assertParity(await replayWindowModel(win, ort.Tensor, c.rec, c.actDim, c.actIn, encode), c.rec, d !== null, 'full-window model');
          } finally {
            await win.release();
          }
        }
      } finally {
        await step.release();
      }
    });
  }
}

test('lamkit export: a checkpoint of an unknown kind, or a corrupt one, is an error naming the file', () => {
  const env = make('CartPole-v1', { disableEnvChecker: true });
  const ckpt = join(root, 'bad-kind');
  writeRandomCheckpoint(ckpt, { kind: 'mlp', envId: 'CartPole-v1', observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 1 });
  env.close();
  const json = JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8'));
  json.policy.kind = 'lstm';
  writeFileSync(join(ckpt, 'checkpoint.json'), JSON.stringify(json));
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes(join(ckpt, 'checkpoint.json')) && err.message.includes('"lstm"'));
  json.policy.kind = 'mlp';
  writeFileSync(join(ckpt, 'checkpoint.json'), JSON.stringify(json));
  truncateSync(join(ckpt, 'policy.bin'), 100);
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes('policy.bin') && err.message.includes('100 bytes'));
  writeFileSync(join(ckpt, 'checkpoint.json'), '{ not json');
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes('checkpoint.json'));
});
