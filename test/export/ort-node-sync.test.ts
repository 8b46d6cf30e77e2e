import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { runEpisodes } from '../../src/core/run-episodes.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { exportPolicy } from '../../agents/export/export-policy.js';
import { OnnxPolicy } from '../../agents/export/onnx-policy.js';
import { createOrtNodeSyncSession } from '../../agents/export/ort-node-sync.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-ort-sync-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const [kind, ckpt] of [['mlp', fixture('imitation/cartpole-ppo')], ['transformer', fixture('export/cartpole-transformer')]] as const) {
  test(`createOrtNodeSyncSession: OnnxPolicy acts synchronously with the same actions as ONNX Runtime's own async session (${kind}, history and reset included)`, async () => {
    const out = join(root, kind);
    exportPolicy(ckpt, out, { format: 'onnx' });
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    const syncSession = createOrtNodeSyncSession(join(out, 'policy.onnx'));
    const asyncSession = await ort.InferenceSession.create(join(out, 'policy.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    try {
      const fast = new OnnxPolicy(syncSession, ort.Tensor, manifest);
      const slow = new OnnxPolicy(asyncSession, ort.Tensor, manifest);
      const rng = new Rng(7);
      for (let t = 0; t < 60; t++) {
        if (t === 40) {
          fast.resetEpisode(0);
          slow.resetEpisode(0);
        }
        const obs = rng.fillNormal(new Float32Array(4)) as Float32Array;
        const a = fast.act(obs);
        assert.ok(!(a instanceof Promise), 'a sync session gives the actions directly');
        assert.deepEqual(Array.from(a as Int32Array), Array.from((await slow.act(obs)) as Int32Array), `step ${t}`);
      }
      // The whole control loop on the task, synchronously driven.
      const fresh = new OnnxPolicy(syncSession, ort.Tensor, manifest);
      const env = make('CartPole-v1');
      try {
        const r = await runEpisodes(env, fresh, { episodes: 1, seed: 100, deterministic: true });
        assert.equal(r.episodes[0].return, 500);
      } finally {
        env.close();
      }
    } finally {
      syncSession.release();
      syncSession.release(); // idempotent
      await asyncSession.release();
    }
    assert.throws(() => syncSession.runSync({}), (err: Error) => err instanceof InvalidArgument && err.message.includes('released'));
  });
}

test('createOrtNodeSyncSession: onnxruntime-node not resolvable from resolveFrom is a typed error saying how to fix it', () => {
  assert.throws(() => createOrtNodeSyncSession(new Uint8Array(0), { resolveFrom: root }), (err: Error) => err instanceof InvalidArgument && err.message.includes('onnxruntime-node') && err.message.includes('npm i onnxruntime-node'));
});
