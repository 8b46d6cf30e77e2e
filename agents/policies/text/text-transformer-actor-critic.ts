import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../../src/core/errors.js';
import { matMul, embed, biasAdd } from '../../tf-ops.js';
import { multiHeadAttention } from '../../nn/attention.js';
import { layerNorm, gelu } from '../../nn/transformer-layers.js';
import type { ActionDistribution } from '../../distributions/action-distribution.js';
import { makeDistribution } from '../make-distribution.js';
import type { ActorCritic, ActorCriticEval, ActOutput, EvalBatch, GroupVariable, NamedTensor, ObsBatch, ParamGroupInfo } from '../actor-critic.js';
import { rowDeterministic, type Deterministic } from '../actor-critic.js';
import { Vocabulary, PAD_ID, UNK_ID } from '../../text/vocabulary.js';
import { nearestNeighbours } from '../../text/word-vectors.js';
import { type TextTransformerSpec, type TextTransformerParam, type KeypointSpec, textTransformerLayout, initTextTransformerParams, stateColumns, imageTokens } from './text-transformer-spec.js';
import { instructionKeypoints, type InstructionKeypoints } from './instruction-keypoints.js';
import { patchTokens, keypointGoalPrediction, keypointGoalPredictions, gatedGoal, stateTargets, unflipCoords, keypointLabelTargets, type KeypointLabels } from './image-heads.js';

const GROUPS = ['embeddings', 'tokenizers', 'trunk', 'heads'] as const;
type Group = (typeof GROUPS)[number];
/** Added to the scores of padding keys (softmax weight exp(-1e9) = 0 in float32). */
const MASKED = -1e9;
/** Instructions whose token ids are memoized (a task repeats its instructions). */
const TOKEN_CACHE_SIZE = 20000;
let nextId = 0;

/**
 * Kind `text-transformer`: an instruction-following policy. Each step's
 * observation becomes one token sequence, `[state, word_1, ..., word_L]`:
 * the numeric state through a linear tokenizer, each word of the
 * instruction (wink-tokenizer, lower-cased, punctuation dropped, see
 * agents/text) through an embedding (learned from scratch, or frozen
 * pretrained word vectors projected by a trained linear map), plus learned
 * position embeddings; pre-LN blocks with bidirectional attention (padding
 * masked); the heads read the state token's output.
 *
 * Fusion is by concatenation into one token sequence (early fusion), not
 * cross-attention: the state token attends to the words through the same
 * attention as word to word, so no second mechanism is needed, any number
 * of text (or later image) tokens joins the same sequence, and attention
 * picks the operative word wherever a template puts it ("hop", "please
 * hop now", "kindly hop at once"). A pooled sentence vector next to the
 * state would average "left" with "step to the" instead.
 *
 * Memoryless (`sequence: null`): an instruction says what to do now.
 * Embeddings use one-hot x matrix (wasm lacks gather's gradient,
 * FINDINGS.md); frozen vectors are looked up in plain JS.
 */
export class TextTransformerActorCritic implements ActorCritic {
  readonly kind = 'text-transformer';
  readonly spec: TextTransformerSpec;
  readonly dist: ActionDistribution;
  readonly sequence = null;
  readonly vocabulary: Vocabulary;
  private readonly layout: TextTransformerParam[];
  private readonly vars = new Map<string, tf.Variable>();
  private vectors: Float32Array | null;
  /** Frozen class prototypes `[classes x embedDim]` (spec.prototypes), or null. */
  private prototypes: Float32Array | null = null;
  private readonly trainable: Record<Group, boolean> = { embeddings: true, tokenizers: true, trunk: true, heads: true };
  private readonly stateCols: Int32Array;
  private readonly chars: string[];
  private readonly tokenCache = new Map<string, Int32Array>();
  /** Draws of word dropout (seeded from the spec's init, so training runs repeat exactly). */
  private readonly dropoutRng: Rng;
  private disposed = false;
  private neighbours: Map<number, Int32Array> | null = null;
  /**
   * Episode memory (spec.image.keypoints.memory): row -> the keypoint coordinates `[count x 2]` of its episode's first
   * frame (with {@link memoryRefresh}, of its best-scoring reading so far) and each keypoint's best score there.
   */
  private readonly memory = new Map<number, { coords: Float32Array; peaks: Float32Array }>();
  /**
   * Acting only, with episode memory: each remembered keypoint is replaced by the current frame's wherever the current
   * frame scores higher (its best position score against the query), so a named object the first frame could not
   * show (under the arm) is taken up once the arm has moved off it. Training reads the first frame either way.
   * Starts as `spec.image.keypoints.memoryRefresh`; may be switched on a trained network (`bench:lang-reach-keypoints
   * --memory-refresh`).
   */
  memoryRefresh: boolean;

  private constructor(spec: TextTransformerSpec, tensors: ReadonlyMap<string, Float32Array>, dropoutSeed = 0) {
    this.spec = spec;
    this.memoryRefresh = spec.image?.keypoints?.memoryRefresh === true;
    this.dropoutRng = new Rng(dropoutSeed);
    this.layout = textTransformerLayout(spec);
    this.dist = makeDistribution(spec.head);
    this.vocabulary = new Vocabulary(spec.vocab.slice(2), { prefixFallback: spec.prefixFallback === true, ...(spec.synonyms !== undefined ? { synonyms: spec.synonyms } : {}) });
    this.stateCols = Int32Array.from(stateColumns(spec));
    this.chars = [...spec.text.charset];
    this.vectors = null;
    const id = nextId++;
    for (const p of this.layout) {
      const t = tensors.get(p.name);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (!t || t.length !== size) {
        throw new FileFormatError(formatError(`TextTransformerActorCritic.tensors['${p.name}']`, `${size} values of shape [${p.shape.join(',')}]`, t ? `${t.length} values` : 'no such tensor', 'The weights do not match the architecture'));
      }
      if (p.group === 'vectors') this.setFrozen(p.name, t);
      else this.vars.set(p.name, tf.tidy(() => tf.variable(tf.tensor(t, p.shape), true, `text_transformer${id}/${p.name}`)));
    }
  }

  /** A freshly initialized network; `vectors` (`[vocab x embedDim]`) are required for pretrained embeddings. */
  static create(spec: TextTransformerSpec, rng: Rng, options: { logStdInit: number; vectors?: Float32Array; prototypes?: Float32Array }): TextTransformerActorCritic {
    return new TextTransformerActorCritic(spec, initTextTransformerParams(spec, rng, options), rng.integer(0, 2 ** 31));
  }

  /** Rebuilds a network from its spec and tensors (a checkpoint); extra tensors are an error. */
  static fromTensors(spec: TextTransformerSpec, tensors: readonly NamedTensor[]): TextTransformerActorCritic {
    const names = new Set(textTransformerLayout(spec).map((p) => p.name));
    const extra = tensors.filter((t) => !names.has(t.name)).map((t) => t.name);
    if (extra.length > 0) throw new FileFormatError(formatError('TextTransformerActorCritic.tensors', 'only the tensors of the spec', `extra tensor(s) ${extra.join(', ')}`, 'The weights do not match the architecture'));
    return new TextTransformerActorCritic(spec, new Map(tensors.map((t) => [t.name, t.data])));
  }

  get obsDim(): number {
    return this.spec.obsDim;
  }

  get goalHead(): boolean {
    return this.spec.goal === true;
  }

  /** True with episode memory (spec.image.keypoints.memory): `evaluate` needs `EvalBatch.firstObs`. */
  get firstObsInput(): boolean {
    return this.spec.image?.keypoints?.memory === true;
  }

  get keypointGoalHead(): boolean {
    return this.spec.image?.keypoints?.goal === true;
  }

  get head(): TextTransformerSpec['head'] {
    return this.spec.head;
  }

  /** Word dropout, neighbour swaps, keypoint jitter and noise, mirrorings: drawn on training rows only. */
  trainingRng(): Rng {
    return this.dropoutRng;
  }

  /** The instruction of row `r` of a flat observation batch (its `Text` part, charset indices). */
  instructionOf(flat: Float32Array, r: number): string {
    const { offset, maxLength } = this.spec.text;
    const base = r * this.spec.obsDim + offset;
    let out = '';
    for (let i = 0; i < maxLength; i++) {
      const k = Math.round(flat[base + i]);
      if (!(k >= 0 && k < this.chars.length)) break;
      out += this.chars[k];
    }
    return out;
  }

  /** Token ids `[rows x maxTokens]` of each row's instruction (`obs.extras` text when given, else decoded from `flat`). */
  tokenIds(obs: ObsBatch): Int32Array {
    const L = this.spec.maxTokens;
    const out = new Int32Array(obs.rows * L);
    const extra = Object.values(obs.extras ?? {}).find((f) => f.kind === 'text');
    for (let r = 0; r < obs.rows; r++) {
      const text = extra && extra.kind === 'text' ? extra.values[r] : this.instructionOf(obs.flat, r);
      let ids = this.tokenCache.get(text);
      if (!ids) {
        ids = this.vocabulary.encode(text, L);
        if (this.tokenCache.size >= TOKEN_CACHE_SIZE) this.tokenCache.clear();
        this.tokenCache.set(text, ids);
      }
      out.set(ids, r * L);
    }
    return out;
  }

  evaluate(batch: EvalBatch): ActorCriticEval {
    const rows = batch.obs.rows;
    const actionInput = new Float32Array(rows * this.dist.actInputDim);
    this.dist.encodeActions(batch.actions.subarray(0, rows * this.dist.actDim), rows, actionInput);
    const ids = this.tokenIds(batch.obs);
    // Word dropout only while a gradient is taken (training); validation, reports and rollouts see every word.
    if ((tf.engine().state as { gradientDepth: number }).gradientDepth > 0) this.augment(ids);
    if (this.firstObsInput && (!batch.firstObs || batch.firstObs.length !== rows * this.spec.obsDim)) {
      throw new InvalidArgument(formatError('TextTransformerActorCritic.evaluate.firstObs', `the first observation of each row's episode (${rows} rows x ${this.spec.obsDim} numbers): this network has episode memory`, describeValue(batch.firstObs), 'Pass EvalBatch.firstObs (behaviour cloning does: withFirstObs), or build the policy without keypointMemory'));
    }
    const firstCoords = this.firstObsInput ? this.keypointCoords({ rows, flat: batch.firstObs as Float32Array }) : null;
    return tf.tidy((): tf.TensorContainer => {
      const { actorOut, value, first } = this.forward(batch.obs, ids, false, firstCoords);
      const logStd = (this.vars.get('head.actor.log_std') as tf.Tensor1D | undefined) ?? null;
      const { logProb, entropy } = this.dist.evaluate(actorOut, logStd, tf.tensor2d(actionInput, [rows, this.dist.actInputDim]));
      const out: ActorCriticEval = batch.withActorOut ? { logProb, entropy, value, actorOut } : { logProb, entropy, value };
      if (batch.goalObs && this.spec.goal) out.goalError = this.goalError(first, batch.goalObs, rows);
      return out as unknown as tf.TensorContainer;
    }) as unknown as ActorCriticEval;
  }

  act(obs: ObsBatch, rng: Rng | null, deterministic: Deterministic, out: ActOutput): void {
    const { actor, values, outDim } = this.infer(obs, true);
    const logStd = this.vars.get('head.actor.log_std')?.dataSync() as Float32Array | undefined;
    const ad = this.dist.actDim;
    for (let i = 0; i < obs.rows; i++) {
      out.values[i] = values[i];
      out.logProbs[i] = this.dist.sampleRow(actor, i * outDim, logStd ?? null, rng, rowDeterministic(deterministic, i), out.actions, i * ad);
    }
  }

  value(obs: ObsBatch, out: Float64Array): void {
    out.set(this.infer(obs, false).values.subarray(0, obs.rows));
  }

  /**
   * Class probabilities (softmax of the actor's logits) per row, `Float64Array [rows x n]`; categorical heads only.
   * `maskImage`: without the image tokens. With episode memory each row is read as its episode's first step.
   */
  probabilities(obs: ObsBatch, options: { maskImage?: boolean } = {}): Float64Array {
    if (this.spec.head.kind !== 'categorical') throw new InvalidArgument(formatError('TextTransformerActorCritic.probabilities', 'a categorical head', this.spec.head.kind, 'Use act() for continuous actions'));
    const ids = this.tokenIds(obs);
    const firstCoords = this.firstObsInput ? this.keypointCoords(obs) : null;
    const probs = tf.tidy(() => tf.softmax(this.forward(obs, ids, options.maskImage === true, firstCoords).actorOut).dataSync());
    return Float64Array.from(probs);
  }

  /** Row `envIndex` starts a new episode: with episode memory, its next `act` reads a new first frame. */
  resetEpisode(envIndex: number): void {
    this.memory.delete(envIndex);
  }

  paramGroups(): ParamGroupInfo[] {
    return GROUPS.filter((g) => g !== 'embeddings' || this.spec.embeddings === 'learned').map((name) => ({ name, trainable: this.trainable[name], size: this.layout.filter((p) => p.group === name).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0) }));
  }

  setTrainable(group: string, trainable: boolean): void {
    if (!this.paramGroups().some((g) => g.name === group)) {
      throw new InvalidArgument(formatError('TextTransformerActorCritic.setTrainable', `a parameter group (${this.paramGroups().map((g) => g.name).join(', ')}; pretrained vectors are frozen data)`, describeValue(group), 'Fix the group name'));
    }
    this.trainable[group as Group] = trainable;
  }

  variables(): GroupVariable[] {
    return this.layout.filter((p) => p.group !== 'vectors').map((p) => ({ group: p.group, variable: this.vars.get(p.name) as tf.Variable }));
  }

  paramsChanged(): void {}

  readTensors(): NamedTensor[] {
    return this.layout.map((p) => ({ name: p.name, group: p.group, shape: [...p.shape], data: p.group === 'vectors' ? this.frozen(p.name).slice() : ((this.vars.get(p.name) as tf.Variable).dataSync().slice() as Float32Array) }));
  }

  writeTensors(tensors: readonly NamedTensor[]): void {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    tf.tidy(() => {
      for (const p of this.layout) {
        const t = byName.get(p.name);
        if (!t || JSON.stringify(t.shape) !== JSON.stringify(p.shape)) {
          throw new FileFormatError(formatError(`TextTransformerActorCritic.writeTensors['${p.name}']`, `shape [${p.shape.join(',')}]`, t ? `shape [${t.shape.join(',')}]` : 'no such tensor', 'The weights do not match the architecture'));
        }
        if (p.group === 'vectors') this.setFrozen(p.name, t.data);
        else (this.vars.get(p.name) as tf.Variable).assign(tf.tensor(t.data, p.shape));
      }
    });
  }

  toSpec(): Record<string, unknown> {
    return { ...this.spec };
  }

  fastGradient(): null {
    return null;
  }

  /** Frees the variables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.memory.clear();
  }

  private setFrozen(name: string, data: Float32Array): void {
    if (name === 'text.prototypes') this.prototypes = data.slice();
    else this.vectors = data.slice();
  }

  private frozen(name: string): Float32Array {
    return (name === 'text.prototypes' ? this.prototypes : this.vectors) as Float32Array;
  }

  /**
   * Prototype scores `[rows x classes]` added to the logits (spec.prototypes):
   * the query `first . head.proto.weight + head.proto.gain x mean word
   * vector` (the frozen vectors of the row's non-padding words, after any
   * training-time substitution in `ids`) against each frozen prototype.
   */
  private prototypeScores(first: tf.Tensor2D, ids: Int32Array, rows: number): tf.Tensor2D {
    const E = this.spec.embedDim;
    const L = this.spec.maxTokens;
    const table = this.vectors as Float32Array;
    const pooled = new Float32Array(rows * E);
    for (let r = 0; r < rows; r++) {
      let n = 0;
      for (let i = 0; i < L; i++) {
        const id = ids[r * L + i];
        if (id === PAD_ID) continue;
        n++;
        for (let k = 0; k < E; k++) pooled[r * E + k] += table[id * E + k];
      }
      if (n > 0) for (let k = 0; k < E; k++) pooled[r * E + k] /= n;
    }
    const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
    const query = tf.add(matMul(first, v('head.proto.weight') as tf.Tensor2D), tf.mul(tf.tensor2d(pooled, [rows, E]), v('head.proto.gain')));
    const protos = this.prototypes as Float32Array;
    return matMul(query as tf.Tensor2D, tf.transpose(tf.tensor2d(protos, [protos.length / E, E])) as tf.Tensor2D);
  }

  /** Per row, the mean squared error of `head.goal` (on the state token `first`) against the state columns of `goalObs [rows x obsDim]`. */
  private goalError(first: tf.Tensor2D, goalObs: Float32Array, rows: number): tf.Tensor1D {
    const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
    const pred = tf.add(matMul(first, v('head.goal.weight') as tf.Tensor2D), tf.reshape(v('head.goal.bias'), [1, -1]));
    return tf.mean(tf.square(tf.sub(pred, stateTargets(this.spec, this.stateCols, goalObs, rows))), 1) as tf.Tensor1D;
  }

  /**
   * `[rows x (grid^2 + keypoints) x d]` image tokens: the grid's
   * ({@link patchTokens}), then the keypoint tokens (spec.image.keypoints),
   * each its coordinates through a linear map plus a learned per-keypoint
   * embedding.
   */
  private imageTokenTensor(obs: ObsBatch, words: tf.Tensor2D, ids: Int32Array, firstCoords: Float32Array | null): { tokens: tf.Tensor3D; coords: tf.Tensor2D | null; goalCoords: tf.Tensor2D | null } {
    const im = this.spec.image as NonNullable<TextTransformerSpec['image']>;
    const d = this.spec.dModel;
    const tokens = patchTokens(this.spec, this.vars, obs);
    const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
    if (!im.keypoints) return { tokens, coords: null, goalCoords: null };
    const found = this.keypoints(obs, words, ids).coords;
    // With their own goal head the keypoints learn from it alone: the trunk reads them detached.
    const coords = im.keypoints.goal ? tf.tensor2d(found.dataSync(), found.shape) : found; // a copy: no gradient flows back
    const K = im.keypoints.count;
    const kpTokens = (c: tf.Tensor2D, pos: string): tf.Tensor3D => tf.add(tf.reshape(matMul(c, v('tok.kp.wout') as tf.Tensor2D), [obs.rows, K, d]), tf.reshape(v(pos), [1, K, d])) as tf.Tensor3D;
    const parts = [tokens, kpTokens(coords, 'tok.kp.pos')];
    // The coordinates as the trunk reads them, [rows x 2K] (then the first frame's with memory): the MLP actor head's skip input.
    const flatCoords = [tf.reshape(coords, [obs.rows, 2 * K])];
    // Episode memory: the first frame's keypoints (computed detached), through the same coordinate map.
    if (im.keypoints.memory) {
      const mem = tf.tensor2d(firstCoords as Float32Array, [obs.rows * K, 2]);
      parts.push(kpTokens(mem, 'tok.kp.mem_pos'));
      flatCoords.push(tf.reshape(mem, [obs.rows, 2 * K]));
    }
    // What the goal input predicts from (detached): the first frame's keypoints with memory, else the current ones.
    const goalCoords = flatCoords[flatCoords.length - 1] as tf.Tensor2D;
    return { tokens: tf.concat(parts, 1) as tf.Tensor3D, coords: (flatCoords.length > 1 ? tf.concat(flatCoords, 1) : flatCoords[0]) as tf.Tensor2D, goalCoords };
  }

  /**
   * Keypoint coordinates `[rows x count x 2]` (flat; x right, y down the image, in [-1, 1]) of `obs` (network
   * input: normalized rows), as plain numbers (no gradient reaches them): what episode memory keeps of a first
   * frame, and what `bench:lang-reach-keypoints` projects onto the table.
   */
  keypointCoords(obs: ObsBatch): Float32Array {
    return this.keypointReadings(obs, 'keypointCoords').coords;
  }

  /**
   * The keypoint goal head's predicted last state of `obs`'s episodes, `[rows x S]` (the state columns in network
   * units, as `obs` is normalized), from the keypoints of `obs` itself: what the goal input reads on a first frame
   * (`bench:lang-reach-keypoints --goal` puts it through the arm's kinematics).
   */
  keypointGoalState(obs: ObsBatch): Float32Array {
    if (!this.spec.image?.keypoints?.goal) throw new InvalidArgument(formatError('TextTransformerActorCritic.keypointGoalState', 'a network with image keypoints and their goal head (policy.keypointGoal)', 'none', 'Build the policy with imageKeypoints > 0 and keypointGoal true'));
    const K = this.spec.image.keypoints.count;
    const coords = this.keypointCoords(obs);
    return tf.tidy(() => keypointGoalPrediction(this.spec, this.vars, tf.tensor2d(coords, [obs.rows, 2 * K])).dataSync().slice() as Float32Array);
  }

  /**
   * Keypoint coordinates `[rows x count x 2]` of `obs` (as {@link keypointCoords}) and each keypoint's best score over
   * the image positions `[rows x count]`.
   */
  keypointReadings(obs: ObsBatch, caller = 'keypointReadings'): { coords: Float32Array; peaks: Float32Array } {
    if (!this.spec.image?.keypoints) throw new InvalidArgument(formatError(`TextTransformerActorCritic.${caller}`, 'a network with image keypoints (policy.imageKeypoints > 0)', 'none', 'Build the policy with imageKeypoints > 0'));
    const ids = this.tokenIds(obs);
    return tf.tidy(() => {
      const found = this.keypoints(obs, this.wordInputs(ids), ids);
      return { coords: found.coords.dataSync().slice() as Float32Array, peaks: found.peaks() };
    });
  }

  /**
   * Episode memory at run time: the remembered keypoints of every row, `[rows x count x 2]`. A row with none (its
   * first step since construction or `resetEpisode`) reads the current observation; with {@link memoryRefresh} every
   * row reads it and keeps, per keypoint, the higher-scoring of the two. Kept when `record`.
   */
  private memoryCoords(obs: ObsBatch, record: boolean): Float32Array {
    const K = ((this.spec.image as NonNullable<TextTransformerSpec['image']>).keypoints as { count: number }).count;
    const out = new Float32Array(obs.rows * 2 * K);
    const read = this.memoryRefresh ? Array.from({ length: obs.rows }, (_, r) => r) : [];
    for (let r = 0; r < obs.rows; r++) {
      const m = this.memory.get(r);
      if (m) out.set(m.coords, r * 2 * K);
      else if (!this.memoryRefresh) read.push(r);
    }
    if (read.length === 0) return out;
    const od = this.spec.obsDim;
    const flat = new Float32Array(read.length * od);
    read.forEach((r, i) => flat.set(obs.flat.subarray(r * od, (r + 1) * od), i * od));
    const texts = Object.values(obs.extras ?? {}).find((f) => f.kind === 'text');
    const sub: ObsBatch = { rows: read.length, flat, ...(texts && texts.kind === 'text' ? { extras: { text: { kind: 'text' as const, values: read.map((r) => texts.values[r]) } } } : {}) };
    const found = this.keypointReadings(sub);
    read.forEach((r, i) => {
      const old = this.memory.get(r);
      const coords = found.coords.slice(i * 2 * K, (i + 1) * 2 * K);
      const peaks = found.peaks.slice(i * K, (i + 1) * K);
      // Refreshing: a keypoint the current frame does not outscore keeps its remembered reading.
      for (let k = 0; old && k < K; k++) {
        if (peaks[k] > old.peaks[k]) continue;
        peaks[k] = old.peaks[k];
        coords.set(old.coords.subarray(2 * k, 2 * k + 2), 2 * k);
      }
      out.set(coords, r * 2 * K);
      if (record) this.memory.set(r, { coords, peaks });
    });
    return out;
  }

  /** The image keypoints of `obs` (spec.image.keypoints; see {@link instructionKeypoints}); call inside `tf.tidy`. */
  keypoints(obs: ObsBatch, words: tf.Tensor2D, ids: Int32Array, flips: Uint8Array | null = null): InstructionKeypoints {
    // Inside a gradient (training) the image gets the spec's photometric augmentation, drawn from the dropout stream.
    const training = (tf.engine().state as { gradientDepth: number }).gradientDepth > 0;
    return instructionKeypoints(this.spec, this.vars, obs, words, ids, training ? this.dropoutRng : null, flips);
  }


  /**
   * Training-time input noise on token ids, in place: neighbour
   * substitution (`spec.neighbourSwap`: a training word becomes one of its
   * nearest non-training words in the frozen vectors), then word dropout
   * (`spec.wordDropout`: any word becomes `<unk>`). Seeded, so runs repeat.
   */
  augment(ids: Int32Array): void {
    const ns = this.spec.neighbourSwap;
    if (ns && ns.swap > 0 && ns.count > 0) {
      const table = this.neighbourTable(ns);
      for (let i = 0; i < ids.length; i++) {
        const options = table.get(ids[i]);
        if (options && options.length > 0 && this.dropoutRng.uniform(0, 1) < ns.swap) ids[i] = options[this.dropoutRng.integer(0, options.length)];
      }
    }
    const p = this.spec.wordDropout ?? 0;
    if (p > 0) for (let i = 0; i < ids.length; i++) if (ids[i] !== PAD_ID && this.dropoutRng.uniform(0, 1) < p) ids[i] = UNK_ID;
  }

  /** Training word id -> its neighbour ids (computed once from the frozen vectors). */
  private neighbourTable(ns: NonNullable<TextTransformerSpec['neighbourSwap']>): Map<number, Int32Array> {
    if (this.neighbours) return this.neighbours;
    const V = this.spec.vocab.length;
    const first = 2 + ns.trainingWords;
    const queries = Array.from({ length: ns.trainingWords }, (_, i) => 2 + i);
    const candidates = Array.from({ length: Math.max(0, V - first) }, (_, i) => first + i);
    const found = nearestNeighbours(this.vectors as Float32Array, this.spec.embedDim, queries, candidates, ns.count, ns.minCosine);
    this.neighbours = new Map(queries.map((q, i) => [q, found[i]]));
    return this.neighbours;
  }

  /** Actor outputs `[rows x outDim]` and values `[rows]` as plain arrays (rollouts, prediction). */
  private infer(obs: ObsBatch, record: boolean): { actor: Float64Array; values: Float64Array; outDim: number } {
    const ids = this.tokenIds(obs);
    const firstCoords = this.firstObsInput ? this.memoryCoords(obs, record) : null;
    const [actor, values] = tf.tidy(() => {
      const { actorOut, value } = this.forward(obs, ids, false, firstCoords);
      return [actorOut.dataSync(), value.dataSync()];
    }) as unknown as [Float32Array, Float32Array];
    return { actor: Float64Array.from(actor), values: Float64Array.from(values), outDim: actor.length / Math.max(1, obs.rows) };
  }

  /** Word inputs `[ids x E]` (call inside `tf.tidy`): learned one-hot x table, or the frozen vectors copied in JS. */
  private wordInputs(ids: Int32Array): tf.Tensor2D {
    if (this.spec.embeddings === 'learned') return embed(ids, this.vars.get('text.embedding') as tf.Tensor2D);
    const E = this.spec.embedDim;
    const table = this.vectors as Float32Array;
    const buf = new Float32Array(ids.length * E);
    for (let i = 0; i < ids.length; i++) buf.set(table.subarray(ids[i] * E, (ids[i] + 1) * E), i * E);
    return tf.tensor2d(buf, [ids.length, E]);
  }

  /**
   * Per row, the mean squared error of the keypoint goal head (spec.image.keypoints.goal: an MLP on the keypoints'
   * coordinates alone) against the state columns of `goalObs [rows x obsDim]` (call inside a gradient; differentiable).
   * Behaviour cloning's `startGoalLoss` scores it on episodes' first steps, where the image and the words are the only
   * clue to the goal: this is what trains the keypoints (the trunk sees them detached). With local soft-argmax
   * keypoints (KeypointSpec.local) it is the mean of that error on the local and on the whole-map coordinates.
   * With `labels` (behaviour cloning's `keypointLabelLoss`), each labelled row also adds `labels.weight` times the
   * squared distance of the first keypoint to its label, in keypoint-map coordinates (see {@link KeypointLabels}).
   */
  keypointGoalError(obs: ObsBatch, goalObs: Float32Array, labels: KeypointLabels | null = null): tf.Tensor1D {
    if (!this.spec.image?.keypoints?.goal) throw new InvalidArgument(formatError('TextTransformerActorCritic.keypointGoalError', 'a network with image keypoints and their goal head (policy.keypointGoal)', 'none', 'Build the policy with imageKeypoints > 0 and keypointGoal true'));
    const ids = this.tokenIds(obs);
    const training = (tf.engine().state as { gradientDepth: number }).gradientDepth > 0;
    if (training) this.augment(ids);
    const K = this.spec.image.keypoints.count;
    // Mirrored images (KeypointSpec.flips, training only): each row's image read mirrored at random, its keypoints
    // mirrored back into the real image's frame, where the goal head reads them.
    const flips = this.spec.image.keypoints.flips && training ? Uint8Array.from({ length: obs.rows }, () => this.dropoutRng.integer(0, 4)) : null;
    const found = this.keypoints(obs, this.wordInputs(ids), ids, flips);
    const unflip = (c: tf.Tensor2D): tf.Tensor2D => (flips ? unflipCoords(c, flips, K) : c);
    const coords = unflip(found.coords);
    const global = found.global ? () => unflip((found.global as () => tf.Tensor2D)()) : null;
    const target = stateTargets(this.spec, this.stateCols, goalObs, obs.rows);
    const mse = (pred: tf.Tensor, axis: number): tf.Tensor => tf.mean(tf.square(tf.sub(pred, target)), axis);
    const label = labels ? keypointLabelTargets(this.spec, labels, obs.rows) : null;
    const error = (c: tf.Tensor2D): tf.Tensor1D => {
      const flat = tf.reshape(c, [obs.rows, 2 * K]) as tf.Tensor2D;
      let goal: tf.Tensor1D;
      if (!(this.spec.image?.keypoints as KeypointSpec).goalEach) goal = mse(keypointGoalPrediction(this.spec, this.vars, flat), 1) as tf.Tensor1D;
      else {
        // One head per keypoint: each keypoint's own prediction is scored, and so is the gated mix the goal input reads.
        const each = keypointGoalPredictions(this.spec, this.vars, flat);
        goal = tf.div(tf.add(tf.mean(mse(each, 2), 0), mse(gatedGoal(this.vars, each), 1)), 2) as tf.Tensor1D;
      }
      if (!label) return goal;
      // The first keypoint's weighted squared distance to its label (rows without one: 0), in keypoint-map coordinates.
      const first = tf.slice(flat, [0, 0], [obs.rows, 2]);
      return tf.add(goal, tf.mul(tf.sum(tf.square(tf.sub(first, label.points)), 1), label.mask)) as tf.Tensor1D;
    };
    // Local soft-argmax: the whole-map coordinates are scored too (the only gradient on which object the scores pick).
    return global ? (tf.div(tf.add(error(coords), error(global())), 2) as tf.Tensor1D) : error(coords);
  }

  /**
   * The token sequence `[state, words, image]` through the trunk; call
   * inside `tf.tidy`. `maskImage` hides the image tokens (the remembered
   * keypoints too) from every query (what the output is without sight).
   * `firstCoords`: the first-frame keypoints of each row (episode memory;
   * null without it).
   */
  private forward(obs: ObsBatch, ids: Int32Array, maskImage: boolean, firstCoords: Float32Array | null): { actorOut: tf.Tensor2D; value: tf.Tensor1D; first: tf.Tensor2D } {
    const { spec } = this;
    const rows = obs.rows;
    const L = spec.maxTokens;
    const K = imageTokens(spec);
    const T = 1 + L + K;
    const d = spec.dModel;
    const H = spec.heads;
    const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
    const row = (name: string): tf.Tensor2D => tf.reshape(v(name), [1, -1]) as tf.Tensor2D;
    // Word inputs [rows*L x E]: learned one-hot x table, or the frozen vectors copied in JS.
    const words = this.wordInputs(ids);
    const S = this.stateCols.length;
    const state = new Float32Array(rows * Math.max(1, S));
    for (let r = 0; r < rows; r++) for (let j = 0; j < S; j++) state[r * S + j] = obs.flat[r * spec.obsDim + this.stateCols[j]];
    const wordTok = tf.reshape(tf.add(matMul(words, v('tok.word.weight') as tf.Tensor2D), row('tok.word.bias')), [rows, L, d]);
    const stateIn = tf.tensor2d(state, [rows, Math.max(1, S)]);
    const stateTok = tf.reshape(tf.add(matMul(stateIn, v('tok.state.weight') as tf.Tensor2D), row('tok.state.bias')), [rows, 1, d]);
    const parts: tf.Tensor[] = [tf.add(tf.concat([stateTok, wordTok], 1), tf.reshape(v('tok.pos'), [1, 1 + L, d]))];
    let coords: tf.Tensor2D | null = null;
    let goalCoords: tf.Tensor2D | null = null;
    if (K > 0) {
      const image = this.imageTokenTensor(obs, words, ids, firstCoords);
      parts.push(image.tokens);
      coords = image.coords;
      goalCoords = image.goalCoords;
    }
    let x = tf.reshape(parts.length > 1 ? tf.concat(parts, 1) : parts[0], [rows * T, d]) as tf.Tensor2D;
    // Keys that are padding words (or hidden image tokens) are masked for every query.
    const bias = new Float32Array(rows * H * T * T);
    for (let r = 0; r < rows; r++) {
      for (let j = 1; j < T; j++) {
        const hidden = j <= L ? ids[r * L + j - 1] === PAD_ID : maskImage;
        if (!hidden) continue;
        for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) bias[((h * rows + r) * T + i) * T + j] = MASKED;
      }
    }
    // Head-major [H * rows, T, T], as multiHeadAttention takes it.
    const biasT = tf.tensor3d(bias, [rows * H, T, T]);
    for (let l = 0; l < spec.layers; l++) {
      const p = `blocks.${l}`;
      const h = layerNorm(x, v(`${p}.ln1.gamma`), v(`${p}.ln1.beta`));
      const qkv = matMul(h, tf.concat(['wq', 'wk', 'wv'].map((n) => v(`${p}.attn.${n}`) as tf.Tensor2D), 1));
      const merged = multiHeadAttention(qkv, biasT, null, rows, T, H);
      x = tf.add(x, matMul(merged, v(`${p}.attn.wo`) as tf.Tensor2D)) as tf.Tensor2D;
      const h2 = layerNorm(x, v(`${p}.ln2.gamma`), v(`${p}.ln2.beta`));
      const hidden = gelu(biasAdd(matMul(h2, v(`${p}.mlp.w1`) as tf.Tensor2D), row(`${p}.mlp.b1`)));
      x = tf.add(x, biasAdd(matMul(hidden, v(`${p}.mlp.w2`) as tf.Tensor2D), row(`${p}.mlp.b2`))) as tf.Tensor2D;
    }
    const xf = layerNorm(x, v('ln_f.gamma'), v('ln_f.beta'));
    const first = tf.reshape(tf.slice(tf.reshape(xf, [rows, T, d]), [0, 0, 0], [rows, 1, d]), [rows, d]) as tf.Tensor2D;
    let actorIn = first;
    if (spec.actorHidden) {
      // MLP actor head on [state token, raw numeric state, keypoint coordinates] (spec.actorHidden).
      const skip: tf.Tensor2D[] = [first, stateIn];
      // Hidden image tokens hide the keypoints from this path too: their coordinates read as zeros.
      if (coords) skip.push(maskImage ? (tf.zerosLike(coords) as tf.Tensor2D) : coords);
      if (spec.image?.keypoints?.goalInput) {
        // The keypoint goal head's prediction, detached (a copy: the actor's loss never trains that head), and the
        // way left to it; without sight the goal is unknown and both read as zeros.
        const found = keypointGoalPrediction(this.spec, this.vars, goalCoords as tf.Tensor2D);
        const goal = maskImage ? (tf.zerosLike(found) as tf.Tensor2D) : tf.tensor2d(found.dataSync(), found.shape);
        skip.push(goal, maskImage ? (tf.zerosLike(found) as tf.Tensor2D) : (tf.sub(goal, stateIn) as tf.Tensor2D));
      }
      const h1 = gelu(biasAdd(matMul(tf.concat(skip, 1) as tf.Tensor2D, v('head.actor_mlp.w1') as tf.Tensor2D), row('head.actor_mlp.b1')));
      actorIn = gelu(biasAdd(matMul(h1, v('head.actor_mlp.w2') as tf.Tensor2D), row('head.actor_mlp.b2')));
    }
    let actorOut = tf.add(matMul(actorIn, v('head.actor.weight') as tf.Tensor2D), row('head.actor.bias')) as tf.Tensor2D;
    if (spec.prototypes) actorOut = tf.add(actorOut, this.prototypeScores(first, ids, rows)) as tf.Tensor2D;
    const value = tf.reshape(tf.add(matMul(first, v('head.value.weight') as tf.Tensor2D), row('head.value.bias')), [-1]) as tf.Tensor1D;
    return { actorOut, value, first };
  }
}
