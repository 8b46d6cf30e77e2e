import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import type { TextTransformerSpec } from '../../agents/policies/text/text-transformer-spec.js';
import type { NamedTensor } from '../../agents/policies/actor-critic.js';
import { BehaviorCloning, resolveBcConfig, type BcState } from '../../agents/algos/bc/behavior-cloning.js';
import type { Demonstrations } from '../../agents/algos/bc/demonstrations.js';

const SPACE = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }) });
const WORDS = ['left', 'right', 'jump'];

/** Episodes of one instruction each ("go left", ...), labelled with its word's index; the state is noise. */
function demos(seed: number, episodes: number, length: number): Demonstrations {
  const rng = new Rng(seed);
  const rows = episodes * length;
  const obs = new Float32Array(rows * SPACE.flatDim);
  const actions = new Float32Array(rows);
  const episodeStart = new Uint8Array(rows);
  for (let e = 0; e < episodes; e++) {
    const a = rng.integer(0, 3);
    for (let t = 0; t < length; t++) {
      const r = e * length + t;
      episodeStart[r] = t === 0 ? 1 : 0;
      SPACE.flattenInto({ state: Float32Array.of(rng.normal(), rng.normal()), instruction: `go ${WORDS[a]} now` }, obs, r * SPACE.flatDim);
      actions[r] = a;
    }
  }
  return { obsDim: SPACE.flatDim, actDim: 1, rows, obs, actions, episodeStart };
}

// Word dropout draws from the network's own training Rng, so a resume that forgot it would differ.
const SPEC: TextTransformerSpec = {
  obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] }, text: textPolicyInputs(SPACE, []).text, vocab: ['<pad>', '<unk>', 'go', 'left', 'right', 'jump', 'now'],
  maxTokens: 4, embeddings: 'learned', embedDim: 8, dModel: 8, layers: 1, heads: 2, mlpRatio: 2, wordDropout: 0.3,
};
const DATA = { train: demos(1, 12, 6), val: demos(2, 4, 6) };
// The moving average, and a validation (every 10 steps) that keeps weights and counts patience.
const CONFIG = resolveBcConfig({ seed: 3, maxSteps: 30, batchSize: 8, learningRate: 3e-3, warmupSteps: 4, evalEvery: 10, patience: 10, emaDecay: 0.9 });
const bits = (tensors: readonly NamedTensor[]): Buffer[] => tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));

test('BehaviorCloning.fit: stopped at a step (snapshot) and resumed in a fresh network, it ends bit for bit where an uninterrupted run ends; the network\'s own Rng, the average and the kept weights travel; no tensors leak', async () => {
  await initBackend({ report: null });
  const before = tf.memory().numTensors;
  const whole = TextTransformerActorCritic.create(SPEC, new Rng(7), { logStdInit: 0 });
  const a = await new BehaviorCloning(whole, DATA, CONFIG).fit();
  const wanted = whole.readTensors();
  whole.dispose();

  for (const stopAt of [10, 17]) {
    const first = TextTransformerActorCritic.create(SPEC, new Rng(7), { logStdInit: 0 });
    const snapshots: Array<{ state: BcState; weights: NamedTensor[] }> = [];
    let steps = 0;
    const part = await new BehaviorCloning(first, DATA, CONFIG).fit({
      stop: () => ++steps >= stopAt,
      snapshot: (state) => void snapshots.push({ state, weights: first.readTensors() }),
    });
    first.dispose();
    assert.equal(part.steps, stopAt);
    const last = snapshots[snapshots.length - 1];
    assert.equal(last.state.step, stopAt, 'the last snapshot is where stop() ended the run');
    assert.deepEqual(snapshots.map((s) => s.state.step), stopAt === 10 ? [10] : [10, 17], 'a snapshot after each validation that does not end the run, and at the stop');
    assert.ok(last.state.netRng && last.state.average?.length, 'the network\'s Rng and the moving average are in the state');
    // From each snapshot (the step-10 one of the second run: as after a crash at step 17), in a fresh network (its own
    // Rng at another seed) holding the snapshot's weights, as a reader of a saved run builds it.
    for (const snap of snapshots) {
      const resumed = TextTransformerActorCritic.fromTensors(SPEC, snap.weights);
      const b = await new BehaviorCloning(resumed, DATA, CONFIG).fit({ resume: snap.state });
      assert.deepEqual({ steps: b.steps, bestStep: b.bestStep, bestValLoss: b.bestValLoss, initialValLoss: b.initialValLoss }, { steps: a.steps, bestStep: a.bestStep, bestValLoss: a.bestValLoss, initialValLoss: a.initialValLoss });
      assert.deepEqual(bits(resumed.readTensors()), bits(wanted), `resumed from step ${snap.state.step}: the kept weights are bit-identical`);
      resumed.dispose();
    }
  }
  assert.equal(tf.memory().numTensors, before, 'numTensors back to where it was');
});

test('BehaviorCloning.fit: a resume state past maxSteps, or an average of other sizes, is a typed error (nothing leaks)', async () => {
  await initBackend({ report: null });
  const net = TextTransformerActorCritic.create(SPEC, new Rng(7), { logStdInit: 0 });
  try {
    let state: BcState | null = null;
    await new BehaviorCloning(net, DATA, CONFIG).fit({ stop: () => true, snapshot: (s) => void (state = s) });
    const s = state as unknown as BcState;
    const before = tf.memory().numTensors;
    await assert.rejects(new BehaviorCloning(net, DATA, CONFIG).fit({ resume: { ...s, step: 30 } }), { name: 'InvalidArgument', message: /^BehaviorCloning\.fit\.resume\.step: expected an integer in \[0, maxSteps = 30\), got 30/ });
    await assert.rejects(new BehaviorCloning(net, DATA, CONFIG).fit({ resume: { ...s, average: [new Float32Array(3)] } }), { name: 'FileFormatError', message: /^BehaviorCloning\.fit\.resume\.average: expected \d+ Float32Arrays of sizes/ });
    assert.equal(tf.memory().numTensors, before);
  } finally {
    net.dispose();
  }
});
