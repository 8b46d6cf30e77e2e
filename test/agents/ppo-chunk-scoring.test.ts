import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../envs/index.js';
import { initBackend } from '../../agents/backend.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { TransformerActorCritic } from '../../agents/policies/transformer/transformer-actor-critic.js';
import { ChunkAssembler, chunkLength } from '../../agents/algos/ppo/chunk-assembler.js';
import { ROW_ATTENTION_MAX_ROWS } from '../../agents/policies/transformer/row-attention.js';
import { PPO } from '../../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';

test('chunkLength: seqLen 0 gives the longest chunks that fill every minibatch (whole rollouts when sub-envs >= minibatches); a set seqLen is kept', () => {
  assert.equal(chunkLength({ seqLen: 0, numSteps: 64, numEnvs: 8, numMinibatches: 4 }), 64);
  assert.equal(chunkLength({ seqLen: 0, numSteps: 2048, numEnvs: 1, numMinibatches: 32 }), 64);
  assert.equal(chunkLength({ seqLen: 0, numSteps: 24, numEnvs: 3, numMinibatches: 4 }), 12);
  // 4 chunks of 10 steps do not fit: the next divisor (5 chunks of 2).
  assert.equal(chunkLength({ seqLen: 0, numSteps: 10, numEnvs: 1, numMinibatches: 4 }), 2);
  assert.equal(chunkLength({ seqLen: 0, numSteps: 7, numEnvs: 1, numMinibatches: 32 }), 1);
  assert.equal(chunkLength({ seqLen: 8, numSteps: 64, numEnvs: 8, numMinibatches: 4 }), 8);
});

/**
 * The rollout's own outputs (the cached plain-JS step, one window per step)
 * are the specification: scoring the rollout through `evaluate` on chunks of
 * any length, with the carried history, must give them back.
 */
for (const [envId, chunk, expectedCtx] of [['CartPole-v1', 1, 6], ['CartPole-v1', 3, 8], ['InvertedPendulum-v5', 4, 9]] as const) {
  const what = chunk === 1 ? `${envId}` : `${envId}, action chunks of ${chunk} acted on by temporal ensembling`;
  test(`chunked scoring equals per-window scoring on a rollout (${what}): whole-rollout chunks, short chunks and one-step chunks (per-row and batched attention) give the rollout's log-probs and values, across episode ends and a carried history`, async () => {
    await initBackend({ report: null });
    const N = 3;
    const T = 48;
    const policy = { kind: 'transformer', dModel: 16, layers: 2, heads: 2, mlpRatio: 2, window: 4, ...(chunk > 1 ? { chunk, ensembleCoef: 0.5 } : {}) };
    const config = resolvePpoConfig({ ...ppoDefaultsFor(envId, true), seed: 3, numEnvs: N, numSteps: T, numMinibatches: 1, totalSteps: N * T * 2 });
    const vec = await makeVec(envId, { numEnvs: N });
    const ppo = await PPO.create(vec, config, { policy });
    const before = tf.memory().numTensors;
    try {
      const net = ppo.net as TransformerActorCritic;
      const ctx = net.sequence.context;
      assert.equal(net.actionChunk, chunk);
      assert.equal(ctx, expectedCtx, 'two layers x (window - 1), plus chunk - 1 for the ensemble');
      const lengths = [T, 8, 1];
      // Both attention forms: whole-rollout and 8-step chunks fit the per-row form, one-step chunks (144 x 7 rows) take the batched one.
      assert.ok(N * (T + ctx) <= ROW_ATTENTION_MAX_ROWS && N * T * (1 + ctx) > ROW_ATTENTION_MAX_ROWS);
      const asms = lengths.map((L) => new ChunkAssembler(ppo.rollout, L, ctx));
      for (const a of asms) a.carryContext(true);
      await ppo.collect();
      // The second rollout starts with history from the first (no env reset in between).
      for (const a of asms) a.carryContext(false);
      await ppo.collect();
      const b = ppo.rollout;
      let starts = 0;
      for (let k = N; k < N * T; k++) starts += b.episodeStarts[k];
      assert.ok(starts >= 2, `episodes end inside the rollout (${starts} starts after row 0)`);
      for (const [a, L] of asms.map((x, j) => [x, lengths[j]] as const)) {
        const all = Int32Array.from({ length: a.numChunks }, (_, k) => k);
        const mb = a.tensors(all, 0, all.length, false);
        const { logProb, value } = tf.tidy(() => {
          const ev = net.evaluate(mb.batch);
          return { logProb: ev.logProb.dataSync().slice(), value: ev.value.dataSync().slice() };
        });
        tf.dispose([mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues, ...(mb.weights ? [mb.weights] : [])]);
        assert.equal(mb.batch.chunks!.count * (ctx + L), mb.batch.obs.rows, `rows of chunk length ${L}`);
        let worst = 0;
        let s = 0;
        for (let id = 0; id < a.numChunks; id++) {
          const i = Math.floor(id / a.chunksPerEnv);
          const t0 = (id % a.chunksPerEnv) * L;
          for (let q = 0; q < L; q++, s++) {
            const k = (t0 + q) * N + i;
            worst = Math.max(worst, Math.abs(logProb[s] - b.logProbs[k]), Math.abs(value[s] - b.values[k]));
          }
        }
        assert.equal(s, N * T, 'every step is scored exactly once');
        assert.ok(worst < 1e-4, `chunk length ${L}: max |chunked - rollout| = ${worst}`);
      }
      assert.equal(tf.memory().numTensors, before, 'scoring leaves no tensors behind');
    } finally {
      ppo.dispose();
      await vec.close();
    }
  });
}
