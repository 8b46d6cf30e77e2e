import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { exportPolicy } from '../../agents/export/export-policy.js';
import { FileFormatError } from '../../src/core/errors.js';
import { writeRandomCheckpoint } from './random-checkpoint.js';
import { assertParity, recordSteps } from './parity-episodes.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { OnnxStepper } from '../../agents/export/onnx-stepper.js';
import { Rng } from '../../src/core/rng.js';
import { Box } from '../../src/core/spaces/box.js';
import { MultiDiscrete } from '../../src/core/spaces/multi-discrete.js';
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

for (const [envId, chunk] of [['Pendulum-v1', 3], ['CartPole-v1', 2]] as const) {
  test(`a transformer with action chunking (chunk ${chunk}, temporal ensembling m = 0.5) on ${envId}: both exported models give lamkit's ensembled actions on 400 recorded steps`, { timeout: 60000 }, async () => {
    const env = make(envId, { disableEnvChecker: true });
    const ckpt = join(root, `transformer-chunk-${envId}`);
    writeRandomCheckpoint(ckpt, { kind: 'transformer', envId, observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 4, chunk, ensembleCoef: 0.5 });
    const out = join(root, `transformer-chunk-${envId}-onnx`);
    exportPolicy(ckpt, out, { format: 'onnx', distribution: true, value: true });
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    assert.deepEqual(manifest.files[0].state.map((p: { input: string }) => p.input).filter((n: string) => n.includes('chunk')), ['past_chunks', 'past_chunk_mask']);
    const policy = await loadPolicy(ckpt);
    const step = await ort.InferenceSession.create(join(out, 'policy.onnx'));
    const win = await ort.InferenceSession.create(join(out, 'policy-window.onnx'));
    try {
      const rec = await recordSteps(env, policy, 400, 2);
      assert.ok(rec.episodeStart.reduce((a, b) => a + b, 0) >= 2, 'several episodes (the chunk state is reset between them)');
      const actDim = 1;
      const discrete = envId === 'CartPole-v1';
      const got = await replayStepModel(step, ort.Tensor, manifest.files[0].state, rec, actDim);
      assertParity(got, rec, discrete, `chunk ${chunk}, step model`);
      const encode = discrete ? (t: number, o: Float32Array, off: number) => void (o[off + rec.actions[t]] = 1) : (t: number, o: Float32Array, off: number) => o.set((got.means as Float64Array).subarray(t, t + 1), off);
      assertParity(await replayWindowModel(win, ort.Tensor, rec, actDim, discrete ? 2 : 1, encode), rec, discrete, `chunk ${chunk}, full-window model`);
    } finally {
      await step.release();
      await win.release();
      policy.dispose?.();
      env.close();
    }
  });
}

for (const kind of ['window-mlp', 'transformer'] as const) {
  test(`${kind} with window 1 (no history, no cache inputs) exports and matches lamkit on 300 recorded steps`, { timeout: 60000 }, async () => {
    const env = make('CartPole-v1', { disableEnvChecker: true });
    const ckpt = join(root, `${kind}-w1`);
    writeRandomCheckpoint(ckpt, { kind, envId: 'CartPole-v1', observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 2, window: 1 });
    const out = join(root, `${kind}-w1-onnx`);
    exportPolicy(ckpt, out, { format: 'onnx', value: true });
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    const policy = await loadPolicy(ckpt);
    const session = await ort.InferenceSession.create(join(out, 'policy.onnx'));
    try {
      assert.deepEqual(session.inputNames.filter((n) => n.startsWith('past_') || n === 'history'), []);
      const rec = await recordSteps(env, policy, 300, 1);
      assertParity(await replayStepModel(session, ort.Tensor, manifest.files[0].state, rec, 1), rec, true, `${kind}, window 1`);
    } finally {
      await session.release();
      policy.dispose?.();
      env.close();
    }
  });
}

for (const kind of ['mlp', 'transformer'] as const) {
  test(`${kind} with a MultiDiscrete action space (two components, non-zero starts): onnxruntime-node gives lamkit's actions on 300 sequential observations`, { timeout: 60000 }, async () => {
    const actionSpace = new MultiDiscrete([3, 4], [1, -2]);
    const ckpt = join(root, `${kind}-multidiscrete`);
    writeRandomCheckpoint(ckpt, { kind, envId: 'Synthetic-v0', observationSpace: new Box(-3, 3, [5]), actionSpace, seed: 5 });
    const out = join(root, `${kind}-multidiscrete-onnx`);
    exportPolicy(ckpt, out, { format: 'onnx', value: true });
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    const policy = await loadPolicy(ckpt);
    const session = await ort.InferenceSession.create(join(out, 'policy.onnx'));
    try {
      const stepper = new OnnxStepper(session, ort.Tensor, manifest.files[0].state, 5, 1);
      const rng = new Rng(9);
      let differ = 0;
      const starts = new Set<number>();
      for (let t = 0; t < 300; t++) {
        if (t % 50 === 0) {
          policy.resetEpisode?.(0);
          stepper.resetEpisode(0);
        }
        const obs = rng.fillNormal(new Float32Array(5)) as Float32Array;
        const want = Array.from(policy.act(obs, { deterministic: true }) as Int32Array);
        const got = Array.from((await stepper.step(obs)).action.data as BigInt64Array, Number);
        if (JSON.stringify(want) !== JSON.stringify(got)) differ++;
        starts.add(want[1]);
      }
      assert.equal(differ, 0, `actions differ on ${differ} of 300 steps`);
      assert.ok(starts.has(-2) || starts.has(-1), 'the second component uses its start of -2');
    } finally {
      await session.release();
      policy.dispose?.();
    }
  });
}

/** A random checkpoint (seed 1) of `kind` for `envId` under `name`, its checkpoint.json changed by `edit` (and returned, for later edits). */
function editedCheckpoint(name: string, kind: 'mlp' | 'transformer', envId: string, edit: (json: Record<string, any>) => void): { ckpt: string; json: Record<string, any> } {
  const env = make(envId, { disableEnvChecker: true });
  const ckpt = join(root, name);
  writeRandomCheckpoint(ckpt, { kind, envId, observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 1 });
  env.close();
  const json = JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8'));
  edit(json);
  writeFileSync(join(ckpt, 'checkpoint.json'), JSON.stringify(json));
  return { ckpt, json };
}

test('lamkit export: a transformer with a binned action head is a typed error naming the checkpoint and the bins', () => {
  const { ckpt } = editedCheckpoint('binned', 'transformer', 'Pendulum-v1', (json) => void (json.policy.spec.binned = { bins: 11, low: [-2], high: [2] }));
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.startsWith(`${ckpt}: the transformer spec's binned: expected a Gaussian or categorical action head (ONNX export has no binned head), got 11 bins per action dimension.`));
});

test('lamkit export: a checkpoint of an unknown kind, or a corrupt one, is an error naming the file', () => {
  const { ckpt, json } = editedCheckpoint('bad-kind', 'mlp', 'CartPole-v1', (j) => void (j.policy.kind = 'lstm'));
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes(join(ckpt, 'checkpoint.json')) && err.message.includes('"lstm"'));
  json.policy.kind = 'mlp';
  writeFileSync(join(ckpt, 'checkpoint.json'), JSON.stringify(json));
  truncateSync(join(ckpt, 'policy.bin'), 100);
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes('policy.bin') && err.message.includes('100 bytes'));
  writeFileSync(join(ckpt, 'checkpoint.json'), '{ not json');
  assert.throws(() => exportPolicy(ckpt, join(root, 'never'), { format: 'onnx' }), (err: Error) => err instanceof FileFormatError && err.message.includes('checkpoint.json'));
});
