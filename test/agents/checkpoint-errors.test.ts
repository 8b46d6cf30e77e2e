import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, cpSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainVectorEnv } from './fixtures/chain-vector-env.js';
import { PPO } from '../../agents/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/ppo/task-defaults.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { FileFormatError } from '../../src/core/errors.js';

let root = '';
let good = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamkit-ckpt-'));
  good = join(root, 'good');
  const vec = new ChainVectorEnv([{ length: 3, end: 'terminated' }]);
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Chain-v0', true), seed: 1, totalSteps: 8, numEnvs: 1, numSteps: 8, numMinibatches: 1 });
  const ppo = await PPO.create(vec, config);
  saveCheckpoint(good, ppo.trainingState(0), { envId: 'Chain-v0', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' });
  ppo.dispose();
});
after(() => rmSync(root, { recursive: true, force: true }));

function copy(name: string): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

test('a saved checkpoint reads back, and loadPolicy acts with it', async () => {
  const ck = readCheckpoint(good);
  assert.equal(ck.meta.envId, 'Chain-v0');
  assert.equal(ck.state.theta.length, ck.state.adam.m.length);
  const policy = await loadPolicy(good);
  const a = policy.act(Float32Array.of(0.1, 0, 0.2, 0), { deterministic: true });
  assert.ok(a instanceof Int32Array && a.length === 2 && a.every((x) => x === 0 || x === 1));
});

test('a missing directory names the path and the files a checkpoint holds', () => {
  const missing = join(root, 'nope');
  assert.throws(() => readCheckpoint(missing), (err: Error) => {
    assert.ok(err instanceof FileFormatError);
    assert.equal(
      err.message,
      `loadCheckpoint.dir: expected a checkpoint directory holding model.json, weights.bin, optimizer.bin, state.json, got no such directory '${missing}'. Pass the --out directory of \`lamkit train\` or its checkpoint/ subdirectory.`,
    );
    return true;
  });
});

test('a missing file is named', () => {
  const dir = copy('no-weights');
  unlinkSync(join(dir, 'weights.bin'));
  assert.throws(() => readCheckpoint(dir), {
    name: 'FileFormatError',
    message: `loadCheckpoint(${dir}).weights.bin: expected the file to exist, got a missing file. A checkpoint holds model.json, weights.bin, optimizer.bin, state.json; re-save it or pick another checkpoint.`,
  });
});

test('weights of the wrong size name the file, the expected count and the architecture', () => {
  const dir = copy('short-weights');
  const bytes = readFileSync(join(dir, 'weights.bin'));
  writeFileSync(join(dir, 'weights.bin'), bytes.subarray(0, bytes.length - 8));
  const n = bytes.length / 4;
  assert.throws(() => readCheckpoint(dir), {
    name: 'FileFormatError',
    message: `loadCheckpoint(${dir}).weights.bin: expected ${n * 4} bytes (${n} float32 parameters for obs 2 -> [64,64] tanh -> categorical [2]), got ${n * 4 - 8} bytes. The weights do not match the architecture in model.json.`,
  });
});

test('a weight entry with the wrong shape is named with both shapes', () => {
  const dir = copy('bad-shape');
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  model.weights[0].shape = [3, 64];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  assert.throws(() => readCheckpoint(dir), {
    name: 'FileFormatError',
    message: `loadCheckpoint(${dir}).model.json.weights['actor.0.weight']: expected shape [2,64] at offset 0 (from the spec obs 2 -> [64,64] tanh -> categorical [2]), got "actor.0.weight" with shape [3,64] at offset 0. The weights do not match the architecture.`,
  });
});

test('loadPolicy reports the same errors (a truncated optimizer file too)', async () => {
  const dir = copy('bad-opt');
  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(12));
  await assert.rejects(loadPolicy(dir), (err: Error) => err instanceof FileFormatError && err.message.startsWith(`loadCheckpoint(${dir}).optimizer.bin: expected `));
});
