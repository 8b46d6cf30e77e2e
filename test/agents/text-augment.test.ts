import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { Vocabulary, PAD_ID, UNK_ID } from '../../agents/text/vocabulary.js';
import { nearestNeighbours, vectorsFor, type WordVectors } from '../../agents/text/word-vectors.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import { unitRows, type TextTransformerSpec } from '../../agents/policies/text/text-transformer-spec.js';
import { resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';

const SPACE = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }) });

test('Vocabulary prefix fallback: an unknown word reads as its longest known prefix of 4+ letters; off by default; never a prefix under 4 letters', () => {
  const words = ['left', 'leftist', 'up', 'side', 'jump'];
  const v = new Vocabulary(words, { prefixFallback: true });
  assert.equal(v.id('leftward'), v.id('left'));
  assert.equal(v.id('leftists'), v.id('leftist'));
  assert.equal(v.id('sidestep'), v.id('side'));
  assert.equal(v.id('upward'), UNK_ID, "'up' is shorter than 4 letters");
  assert.equal(v.id('zebra'), UNK_ID);
  assert.deepEqual([...v.encode('Shift LEFTWARD!', 3)], [UNK_ID, v.id('left'), PAD_ID]);
  assert.equal(new Vocabulary(words).id('leftward'), UNK_ID);
});

test('nearestNeighbours: cosine-ranked candidates above the threshold, never the query itself nor a zero row, always rows of the table', () => {
  // Rows: 0 zero, 1 (1,0), 2 (0.9,0.1), 3 (0,1), 4 (1,0.05), 5 (-1,0).
  const table = Float32Array.of(0, 0, 1, 0, 0.9, 0.1, 0, 1, 1, 0.05, -1, 0);
  const [n1, n0, n3] = nearestNeighbours(table, 2, [1, 0, 3], [0, 1, 2, 3, 4, 5], 3, 0.5);
  assert.deepEqual([...n1], [4, 2]);
  assert.deepEqual([...n0], []);
  assert.deepEqual([...n3], []);
  assert.deepEqual([...nearestNeighbours(table, 2, [1], [0, 1, 2, 3, 4, 5], 1, -1)[0]], [4]);
  assert.deepEqual([...nearestNeighbours(table, 2, [1], [0, 1, 2, 3, 4, 5], 10, -1)[0]], [4, 2, 3, 5]);
});

/** A pretrained-vector net whose vocabulary is 3 training words then 6 other words, two of them near "left". */
function netWithNeighbours(swap: number): { net: TextTransformerActorCritic; spec: TextTransformerSpec } {
  const { text } = textPolicyInputs(SPACE, []);
  const vocab = ['<pad>', '<unk>', 'left', 'right', 'jump', 'leftward', 'westward', 'rightward', 'hop', 'banana', 'the'];
  const dir = (a: number): number[] => [Math.cos(a), Math.sin(a), 0, 0];
  const rows: Record<string, number[]> = { left: dir(0), right: dir(0.4), jump: [0, 0, 1, 0], leftward: dir(-0.1), westward: dir(-0.15), rightward: dir(0.5), hop: [0, 0, 0.95, 0.3], banana: [0, 0, 0, 1], the: [0, 0, -1, 0] };
  const source: WordVectors = { words: Object.keys(rows), dim: 4, vectors: Float32Array.from(Object.values(rows).flat()), unk: new Float32Array(4) };
  const spec: TextTransformerSpec = {
    obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] }, text, vocab, maxTokens: 4, embeddings: 'pretrained', embedDim: 4, dModel: 8, layers: 1, heads: 2, mlpRatio: 2,
    neighbourSwap: { swap, count: 2, minCosine: 0.9, trainingWords: 3 },
  };
  return { net: TextTransformerActorCritic.create(spec, new Rng(1), { logStdInit: 0, vectors: unitRows(vectorsFor(vocab, source), 4) }), spec };
}

test('neighbour substitution: training words become only their near non-training neighbours (never another training word, never outside the vocabulary); pad stays pad', async () => {
  await initBackend();
  const { net, spec } = netWithNeighbours(0.5);
  try {
    const id = (w: string): number => spec.vocab.indexOf(w);
    const seen = new Map<number, Set<number>>();
    for (let round = 0; round < 200; round++) {
      const original = Int32Array.of(id('left'), id('right'), id('jump'), PAD_ID, id('banana'), id('left'), UNK_ID, PAD_ID);
      const ids = original.slice();
      net.augment(ids);
      for (let i = 0; i < ids.length; i++) {
        assert.ok(ids[i] >= 0 && ids[i] < spec.vocab.length, `id ${ids[i]} outside the vocabulary`);
        if (!seen.has(original[i])) seen.set(original[i], new Set());
        seen.get(original[i])?.add(ids[i]);
      }
    }
    // left (angle 0): leftward (-0.1) and westward (-0.15) are within cosine 0.9; right (0.4) is a training word; rightward (0.5) is too far.
    assert.deepEqual([...(seen.get(id('left')) ?? [])].sort(), [id('left'), id('leftward'), id('westward')].sort());
    assert.deepEqual([...(seen.get(id('right')) ?? [])].sort(), [id('right'), id('rightward')].sort());
    assert.deepEqual([...(seen.get(id('jump')) ?? [])].sort(), [id('jump'), id('hop')].sort());
    assert.deepEqual([...(seen.get(id('banana')) ?? [])], [id('banana')], 'only training words are substituted');
    assert.deepEqual([...(seen.get(PAD_ID) ?? [])], [PAD_ID]);
    assert.deepEqual([...(seen.get(UNK_ID) ?? [])], [UNK_ID]);
  } finally {
    net.dispose();
  }
});

test('neighbour substitution acts only while a gradient is taken, and changes the training loss; no tensors leak', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const { net } = netWithNeighbours(0.9);
  try {
    const rows = 16;
    const flat = new Float32Array(rows * SPACE.flatDim);
    for (let r = 0; r < rows; r++) SPACE.flattenInto({ state: Float32Array.of(0, 0), instruction: ['left', 'right', 'jump'][r % 3] + ' left' }, flat, r * SPACE.flatDim);
    const batch = { obs: { rows, flat }, actions: Float32Array.from({ length: rows }, (_, r) => r % 3) };
    const score = (): number => tf.tidy(() => tf.sum(net.evaluate(batch).logProb).dataSync()[0]);
    const a = score();
    assert.equal(score(), a, 'no substitution outside a gradient');
    const { value, grads } = tf.variableGrads(() => tf.sum(net.evaluate(batch).logProb) as tf.Scalar, net.variables().map((v) => v.variable));
    const inTraining = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    assert.notEqual(inTraining, a);
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('text-transformer config: neighbour substitution, centred vectors and prefix fallback are on by default; neighbour substitution needs pretrained vectors', () => {
  const cfg = resolvePolicyConfig({ kind: 'text-transformer' });
  assert.equal(cfg.neighbourSwap, 0.5);
  assert.equal(cfg.centerVectors, true);
  assert.equal(cfg.prefixFallback, true);
  const { net, spec } = netWithNeighbours(0.5);
  net.dispose();
  assert.throws(
    () => TextTransformerActorCritic.create({ ...spec, embeddings: 'learned' }, new Rng(1), { logStdInit: 0 }),
    (e: unknown) => e instanceof InvalidArgument && /TextTransformerSpec\.neighbourSwap: expected .* with pretrained embeddings/.test((e as Error).message),
  );
});
