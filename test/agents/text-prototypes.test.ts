import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { Vocabulary } from '../../agents/text/vocabulary.js';
import { vectorsFor, type WordVectors } from '../../agents/text/word-vectors.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { textPolicyInputs, classPrototypeWords, prototypeVectors } from '../../agents/policies/text/text-policy-kind.js';
import { unitRows, type TextTransformerSpec } from '../../agents/policies/text/text-transformer-spec.js';
import { resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';

const SPACE = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }) });
const CLASSES = ['left', 'right', 'jump'];

test('classPrototypeWords: each class gets its name, then the training words used under that class only', () => {
  const labelled: Array<[string, number]> = [['go left', 0], ['go right', 1], ['Leap up!', 2], ['jump now', 2], ['now left', 0]];
  assert.deepEqual(classPrototypeWords(CLASSES, labelled), [['left'], ['right'], ['jump', 'leap', 'up']]);
});

test('prototypeVectors: the unit-length mean of the known words of each class; unknown words are skipped', () => {
  const vocabulary = new Vocabulary(['a', 'b']);
  const table = Float32Array.of(0, 0, /* unk */ 0, 0, /* a */ 1, 0, /* b */ 0, 1);
  const p = prototypeVectors([['a', 'b'], ['b', 'zzz'], ['zzz']], vocabulary, table, 2);
  assert.deepEqual([...p].map((x) => Math.round(x * 1e4) / 1e4), [0.7071, 0.7071, 0, 1, 0, 0]);
});

function netWithPrototypes(): { net: TextTransformerActorCritic; spec: TextTransformerSpec } {
  const { text } = textPolicyInputs(SPACE, []);
  const vocab = ['<pad>', '<unk>', 'left', 'right', 'jump', 'hop', 'please'];
  const rows: Record<string, number[]> = { left: [1, 0, 0, 0], right: [0, 1, 0, 0], jump: [0, 0, 1, 0], hop: [0, 0.2, 0.95, 0], please: [0, 0, 0, 1] };
  const source: WordVectors = { words: Object.keys(rows), dim: 4, vectors: Float32Array.from(Object.values(rows).flat()), unk: new Float32Array(4) };
  const vectors = unitRows(vectorsFor(vocab, source), 4);
  const classWords = CLASSES.map((c) => [c]);
  const spec: TextTransformerSpec = {
    obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] }, text, vocab, maxTokens: 4, embeddings: 'pretrained', embedDim: 4, dModel: 8, layers: 1, heads: 2, mlpRatio: 2,
    prototypes: { classWords },
  };
  const prototypes = prototypeVectors(classWords, new Vocabulary(vocab.slice(2)), vectors, 4);
  return { net: TextTransformerActorCritic.create(spec, new Rng(1), { logStdInit: 0, vectors, prototypes }), spec };
}

function batch(texts: string[]): { rows: number; flat: Float32Array } {
  const flat = new Float32Array(texts.length * SPACE.flatDim);
  texts.forEach((t, r) => SPACE.flattenInto({ state: Float32Array.of(0, 0), instruction: t }, flat, r * SPACE.flatDim));
  return { rows: texts.length, flat };
}

const argmax = (p: Float64Array, r: number, n: number): number => {
  let b = 0;
  for (let c = 1; c < n; c++) if (p[r * n + c] > p[r * n + b]) b = c;
  return b;
};

test('prototypes add to the logits: an untrained net votes for the class whose prototype is nearest the words ("hop" -> jump); with the gain at 0 the vote is gone; no tensors leak', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const { net } = netWithPrototypes();
  try {
    const obs = batch(['please hop', 'left', 'right']);
    const p = net.probabilities(obs);
    assert.deepEqual([0, 1, 2].map((r) => argmax(p, r, 3)), [2, 0, 1]);
    const tensors = net.readTensors();
    net.writeTensors(tensors.map((t) => (t.name === 'head.proto.gain' ? { ...t, data: Float32Array.of(0) } : t)));
    const q = net.probabilities(obs);
    // Without the vote the untrained head is near uniform (orthogonal init at 0.01).
    for (let i = 0; i < q.length; i++) assert.ok(Math.abs(q[i] - 1 / 3) < 0.02, `probability ${q[i]} without the prototype vote`);
    assert.ok(p[2] > q[2] + 0.05, 'the prototype vote raised jump for "please hop"');
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('prototypes: frozen data in no trainable group; a checkpoint round trip (readTensors -> fromTensors) keeps them and the outputs', async () => {
  await initBackend();
  const { net, spec } = netWithPrototypes();
  const copy = TextTransformerActorCritic.fromTensors(JSON.parse(JSON.stringify(spec)) as TextTransformerSpec, net.readTensors());
  try {
    const protos = net.readTensors().find((t) => t.name === 'text.prototypes');
    assert.ok(protos);
    assert.deepEqual(protos.shape, [3, 4]);
    assert.ok(!net.variables().some((v) => v.variable.name.endsWith('text.prototypes')), 'prototypes are not a variable');
    assert.deepEqual(copy.readTensors().find((t) => t.name === 'text.prototypes')?.data, protos.data);
    const obs = batch(['please hop', 'left now', 'jump']);
    assert.deepEqual(copy.probabilities(obs), net.probabilities(obs));
  } finally {
    net.dispose();
    copy.dispose();
  }
});

test('prototypes: a class-word list per class, pretrained embeddings only (typed errors); on by default in the policy config', () => {
  const { net, spec } = netWithPrototypes();
  net.dispose();
  assert.throws(
    () => TextTransformerActorCritic.create({ ...spec, prototypes: { classWords: [['left'], ['right']] } }, new Rng(1), { logStdInit: 0, vectors: new Float32Array(spec.vocab.length * 4), prototypes: new Float32Array(8) }),
    (e: unknown) => e instanceof InvalidArgument && /TextTransformerSpec\.prototypes: expected \{ classWords: one non-empty word list per class \(3\) \}/.test((e as Error).message),
  );
  assert.throws(
    () => TextTransformerActorCritic.create({ ...spec, embeddings: 'learned' }, new Rng(1), { logStdInit: 0 }),
    (e: unknown) => e instanceof InvalidArgument && /TextTransformerSpec\.prototypes: expected .* with pretrained embeddings/.test((e as Error).message),
  );
  assert.equal(resolvePolicyConfig({ kind: 'text-transformer' }).prototypes, true);
});
