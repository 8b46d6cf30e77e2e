import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { exportPolicy } from '../../src/export/export-policy.js';
import { FileFormatError } from '../../src/core/errors.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { ActionCodec } from '../../agents/policies/action-codec.js';
import { writeRandomCheckpoint } from './random-checkpoint.js';
import { recordSteps, maxScaledError } from './parity-episodes.js';
import { replayStepModel, replayWindowModel } from './onnx-replay.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-onnx-parity-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Stated tolerance of the parity claims: |onnx - lamkit| <= 1e-5 * max(1, |lamkit|). */
const TOL = 1e-5;
const STEPS = 1000;

for (const kind of ['mlp', 'window-mlp', 'transformer'] as const) {
  for (const envId of ['CartPole-v1', 'Pendulum-v1']) {
    test(`onnxruntime-node gives lamkit's actions and values on ${STEPS} recorded steps: ${kind} on ${envId}`, { timeout: 120000 }, async () => {
      const env = make(envId, { disableEnvChecker: true });
      const ckpt = join(root, `${kind}-${envId}`);
      writeRandomCheckpoint(ckpt, { kind, envId, observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 7 });
      const out = join(root, `${kind}-${envId}-onnx`);
      exportPolicy(ckpt, out, { format: 'onnx', distribution: true, value: true });
      const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
      const policy = await loadPolicy(ckpt);
      try {
        const rec = await recordSteps(env, policy, STEPS, 3);
        assert.ok(rec.episodeStart.reduce((a, b) => a + b, 0) >= 2, 'several episodes recorded (the state is reset between them)');
        const actDim = new ActionCodec(env.actionSpace).actDim;
        const step = await ort.InferenceSession.create(join(out, 'policy.onnx'));
        try {
          const got = await replayStepModel(step, ort.Tensor, manifest.files[0].state, rec, actDim);
          assertParity(got, rec, env.actionSpace instanceof Discrete, 'step model');
          if (kind === 'transformer') {
            const win = await ort.InferenceSession.create(join(out, 'policy-window.onnx'));
            try {
              const discrete = env.actionSpace as Discrete;
              const encode = env.actionSpace instanceof Discrete
                ? (t: number, o: Float32Array, off: number) => void (o[off + rec.actions[t] - discrete.start] = 1)
                : (t: number, o: Float32Array, off: number) => o.set((got.means as Float64Array).subarray(t * actDim, (t + 1) * actDim), off);
              const whole = await replayWindowModel(win, ort.Tensor, rec, actDim, manifest.spec.head.kind === 'categorical' ? discrete.n : actDim, encode);
              assertParity(whole, rec, env.actionSpace instanceof Discrete, 'full-window model');
            } finally {
              await win.release();
            }
          }
        } finally {
          await step.release();
        }
      } finally {
        policy.dispose?.();
        env.close();
      }
    });
  }
}

function assertParity(got: { actions: Float64Array; values: Float64Array }, rec: { actions: Float64Array; values: Float64Array }, discrete: boolean, what: string): void {
  if (discrete) {
    const differ = rec.actions.reduce((n, a, i) => n + (a === got.actions[i] ? 0 : 1), 0);
    assert.equal(differ, 0, `${what}: argmax differs on ${differ} of ${rec.actions.length} steps`);
  } else {
    const err = maxScaledError(got.actions, rec.actions);
    assert.ok(err <= TOL, `${what}: Gaussian action error ${err}`);
  }
  const err = maxScaledError(got.values, rec.values);
  assert.ok(err <= TOL, `${what}: value error ${err}`);
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
