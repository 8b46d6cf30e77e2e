import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, cpSync, unlinkSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainVectorEnv } from './fixtures/chain-vector-env.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { ppoCheckpoint, ppoStateFromCheckpoint } from '../../agents/algos/ppo/ppo-checkpoint.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { mlpPolicyFromCheckpoint } from '../../agents/checkpoint/mlp-policy-from-checkpoint.js';
import { FileFormatError } from '../../src/core/errors.js';

let root = '';
let good = '';
let goodWindow = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamkit-ckpt-'));
  good = join(root, 'good');
  goodWindow = join(root, 'good-window');
  const config = resolvePpoConfig({ ...ppoDefaultsFor('Chain-v0', true), seed: 1, totalSteps: 16, numEnvs: 1, numSteps: 16, numMinibatches: 1, seqLen: 8 });
  for (const [dir, policy] of [
    [good, { kind: 'mlp' }],
    [goodWindow, { kind: 'window-mlp', window: 2, hidden: [8] }],
  ] as const) {
    const vec = new ChainVectorEnv([{ length: 3, end: 'terminated' }]);
    const ppo = await PPO.create(vec, config, { policy });
    await ppo.learn();
    saveCheckpoint(dir, ppoCheckpoint(ppo.trainingState(), { envId: 'Chain-v0', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' }));
    ppo.dispose();
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

function copy(name: string): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

test('v2 round trip for two policy kinds: checkpoint data reads back equal, and loadPolicy acts with the same network', async () => {
  for (const dir of [good, goodWindow]) {
    const ck = readCheckpoint(dir);
    assert.equal(ck.version, 2);
    assert.equal(ck.data.meta.envId, 'Chain-v0');
    assert.deepEqual(Object.keys(ck.data.algo.optimizer?.groups ?? {}), ['actor', 'critic']);
    // Saving what was read gives the same bytes.
    const again = join(root, `again-${ck.data.policy.kind}`);
    saveCheckpoint(again, ck.data);
    for (const f of ['checkpoint.json', 'policy.bin', 'optimizer.bin']) assert.deepEqual(readFileSync(join(again, f)), readFileSync(join(dir, f)), f);
    const state = ppoStateFromCheckpoint(ck.data, 'test');
    const vec = new ChainVectorEnv([{ length: 3, end: 'terminated' }]);
    const ppo = await PPO.restore(vec, state);
    assert.equal(ppo.net.kind, ck.data.policy.kind);
    const tensors = ppo.trainingState().policy.tensors;
    assert.deepEqual(tensors.map((t) => [t.name, t.group, t.shape, Array.from(t.data)]), ck.data.policy.tensors.map((t) => [t.name, t.group, t.shape, Array.from(t.data)]));
    const policy = await loadPolicy(dir);
    assert.equal(policy.kind, ck.data.policy.kind);
    // The loaded policy and the restored network agree (both with empty histories).
    const fromPpo = ppo.policy() as typeof policy;
    assert.deepEqual(Array.from(policy.value(Float32Array.of(0.3, 0))), Array.from(fromPpo.value(Float32Array.of(0.3, 0))));
    const a = await policy.act(Float32Array.of(0.1, 0, 0.2, 0), { deterministic: true });
    assert.ok(a instanceof Int32Array && a.length === 2 && a.every((x) => x === 0 || x === 1));
    policy.dispose?.();
    fromPpo.dispose?.();
    ppo.dispose();
  }
});

test('mlpPolicyFromCheckpoint: the same policy from the two files\' contents (no file system, no tfjs); other kinds are refused', async () => {
  const json = JSON.parse(readFileSync(join(good, 'checkpoint.json'), 'utf8'));
  const fromBytes = mlpPolicyFromCheckpoint(json, readFileSync(join(good, 'policy.bin')), { seed: 3 });
  const fromDisk = await loadPolicy(good, { seed: 3 });
  assert.equal(fromBytes.envId, 'Chain-v0');
  const obs = Float32Array.of(0.1, 0, 0.5, 1, 0.9, 1);
  assert.deepEqual(Array.from(fromBytes.value(obs)), Array.from(fromDisk.value(obs)));
  assert.deepEqual(Array.from(fromBytes.act(obs)), Array.from(await fromDisk.act(obs)), 'same sampling stream for the same seed');
  const win = JSON.parse(readFileSync(join(goodWindow, 'checkpoint.json'), 'utf8'));
  assert.throws(() => mlpPolicyFromCheckpoint(win, readFileSync(join(goodWindow, 'policy.bin'))), {
    name: 'FileFormatError',
    message: 'mlpPolicyFromCheckpoint.checkpointJson.policy.kind: expected \'mlp\' (the kind with a plain-JS forward pass), got "window-mlp". Load other kinds with loadPolicy (Node, tfjs backend).',
  });
  assert.throws(() => mlpPolicyFromCheckpoint(json, new Uint8Array(8)), (err: Error) => err instanceof FileFormatError && err.message.startsWith('mlpPolicyFromCheckpoint.policyBin: expected '));
});

test('a missing directory names the path and the files a checkpoint holds', () => {
  const missing = join(root, 'nope');
  assert.throws(() => readCheckpoint(missing), (err: Error) => {
    assert.ok(err instanceof FileFormatError);
    assert.equal(
      err.message,
      `loadCheckpoint.dir: expected a checkpoint directory holding checkpoint.json, policy.bin, optimizer.bin, got no such directory '${missing}'. Pass the --out directory of \`lamkit train\` or its checkpoint/ subdirectory.`,
    );
    return true;
  });
});

test('a missing file is named', () => {
  const dir = copy('no-weights');
  unlinkSync(join(dir, 'policy.bin'));
  assert.throws(() => readCheckpoint(dir), {
    name: 'FileFormatError',
    message: `loadCheckpoint(${dir}).policy.bin: expected the file to exist, got a missing file. A checkpoint holds checkpoint.json, policy.bin, optimizer.bin; re-save it or pick another checkpoint.`,
  });
});

test('weights of the wrong size name the file, the expected count and the kind', () => {
  const dir = copy('short-weights');
  const bytes = readFileSync(join(dir, 'policy.bin'));
  writeFileSync(join(dir, 'policy.bin'), bytes.subarray(0, bytes.length - 8));
  const n = bytes.length / 4;
  assert.throws(() => readCheckpoint(dir), {
    name: 'FileFormatError',
    message: `loadCheckpoint(${dir}).policy.bin: expected ${n * 4} bytes (${n} float32 parameters of the 'mlp' policy), got ${n * 4 - 8} bytes. The file does not match the manifest in the checkpoint.`,
  });
});

test('a tensor with the wrong shape is named with both shapes when the network is built', async () => {
  const dir = copy('bad-shape');
  const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  // Same element count, wrong shape: the manifest is consistent, the architecture is not.
  ck.policy.tensors[0].shape = [64, 2];
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(ck));
  await assert.rejects(loadPolicy(dir), {
    name: 'FileFormatError',
    message: "checkpoint policy.tensors['actor.0.weight']: expected a tensor of shape [2,64] (from obs 2 -> [64,64] tanh -> categorical [2]), got shape [64,2] with 128 values. The weights do not match the architecture.",
  });
});

test('an unknown policy kind lists the registered ones', async () => {
  const dir = copy('bad-kind');
  const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  ck.policy.kind = 'lstm';
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(ck));
  await assert.rejects(loadPolicy(dir), (err: Error) => err instanceof FileFormatError && err.message.startsWith(`loadCheckpoint(${dir}).checkpoint.json.policy.kind: expected a registered policy kind (mlp, window-mlp`) && err.message.includes('got "lstm"'));
});

test('loadPolicy reports the same errors (a truncated optimizer file too)', async () => {
  const dir = copy('bad-opt');
  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(12));
  await assert.rejects(loadPolicy(dir), (err: Error) => err instanceof FileFormatError && err.message.startsWith(`loadCheckpoint(${dir}).optimizer.bin: expected `));
});

test('a crash between the two renames of a save leaves the previous checkpoint readable (dir.prev)', () => {
  const dir = copy('crash');
  const before = readFileSync(join(dir, 'policy.bin'));
  // What a crash after `dir -> dir.prev` and before `temp -> dir` leaves behind.
  cpSync(dir, `${dir}.prev`, { recursive: true });
  rmSync(dir, { recursive: true });
  const ck = readCheckpoint(dir);
  assert.equal(ck.dir, `${dir}.prev`);
  assert.deepEqual(readFileSync(join(ck.dir, 'policy.bin')), before);
  // The next save replaces it atomically and clears the leftover.
  saveCheckpoint(dir, ck.data);
  assert.ok(existsSync(join(dir, 'checkpoint.json')));
});
