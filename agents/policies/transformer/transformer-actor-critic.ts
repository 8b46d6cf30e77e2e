import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, FileFormatError, formatError, describeValue } from '../../../src/core/errors.js';
import { matMul, biasAdd } from '../../tf-ops.js';
import { multiHeadAttention } from '../../nn/attention.js';
import { layerNorm, gelu } from '../../nn/transformer-layers.js';
import type { ActionDistribution } from '../../distributions/action-distribution.js';
import { makeDistribution } from '../make-distribution.js';
import type { ActorCritic, ActorCriticEval, ActOutput, ChunkLayout, EvalBatch, GroupVariable, NamedTensor, ObsBatch, ParamGroupInfo, SequenceSpec } from '../actor-critic.js';
import { rowDeterministic, type Deterministic } from '../actor-critic.js';
import { type TransformerSpec, type TransformerParam, type LoraSpec, type SpaceEntry, transformerLayout, carriedLayout, initTransformerParams, alibiSlopes, actionInputDim, receptiveContext, spaceEntries, spaceSignature, spaceParams, chunkOf, stepOutDim, checkTransformerSpec, loraTargetShape } from './transformer-spec.js';
import { addLora, mergeLora, veraBases, veraSlices } from './transformer-lora.js';
import { BinnedContinuous } from '../../distributions/binned-continuous.js';
import type { HeadSpec } from '../param-layout.js';
import { TransformerJs } from './transformer-js.js';
import { TemporalEnsemble } from './temporal-ensemble.js';
import { rowAttention, rowAttentionBias, firstVisible, MASKED, ROW_ATTENTION_MAX_ROWS } from './row-attention.js';

const GROUPS = ['tokenizers', 'trunk', 'heads', 'lora'] as const;
let nextId = 0;

/**
 * Kind `transformer`: a causal transformer over an episode's steps, one
 * token per step built from (observation, previous action) by per-space
 * linear tokenizers (`tok.obs`, `tok.act`; `tok.start` at an episode's first
 * step) plus a learned task embedding, into a trunk of pre-LayerNorm blocks
 * (multi-head attention, GELU MLP) and two heads on the last LayerNorm:
 * the action distribution (categorical or diagonal Gaussian) and the value.
 *
 * Attention is a band: each token sees itself and the `window - 1` tokens
 * before it in its episode, with ALiBi distance penalties instead of
 * positions. So the rollout path ({@link TransformerJs}: plain JS, keys and
 * values of the last `window - 1` tokens cached per sub-env) equals the
 * full forward of `evaluate`, also past step `window`; a step's output
 * depends on `layers x (window - 1)` earlier steps, which is the context PPO
 * gives each chunk of consecutive steps (`sequence.context`).
 *
 * Groups: `tokenizers`, `trunk`, `heads` (freeze the trunk to fine-tune
 * only tokenizers and heads). Training runs on tfjs autodiff with the
 * explicit-transpose matmul gradients (agents/tf-ops.ts, agents/nn).
 */
export class TransformerActorCritic implements ActorCritic {
  readonly kind = 'transformer';
  readonly spec: TransformerSpec;
  readonly dist: ActionDistribution;
  readonly sequence: SequenceSpec;
  private readonly layout: TransformerParam[];
  /** Tensors held but not acted with (other spaces, pretraining heads): group `bank`, never in {@link variables}. */
  private readonly carried: TransformerParam[];
  private readonly vars = new Map<string, tf.Variable>();
  private readonly trainable = { tokenizers: true, trunk: true, heads: true, lora: true };
  private readonly js: TransformerJs;
  private readonly slopes: Float64Array;
  private actorOut = new Float64Array(0);
  /** Temporal ensembling of the chunk predictions (action chunking), as the deployed {@link TransformerPolicy} acts; null without chunking. */
  private readonly ensemble: TemporalEnsemble | null;
  private readonly ensembled: Float64Array;
  /** VeRA's frozen random slices per projection shape (`"in x out"`: `a [in x rank]`, `b [rank x out]`), constants; empty otherwise. */
  private readonly vera = new Map<string, { a: tf.Tensor2D; b: tf.Tensor2D }>();
  private disposed = false;

  private constructor(spec: TransformerSpec, tensors: ReadonlyMap<string, Float32Array>) {
    this.spec = spec;
    this.layout = transformerLayout(spec);
    this.carried = carriedLayout(spec);
    this.dist = spec.binned ? new BinnedContinuous(spec.binned) : makeDistribution(spec.head);
    // An ensembling network's action at a step averages the predictions of the chunk - 1 tokens before it: scoring it needs their history too.
    const chunk = chunkOf(spec);
    this.sequence = chunk > 1 ? { context: receptiveContext(spec) + chunk - 1, labelContext: receptiveContext(spec) } : { context: receptiveContext(spec) };
    this.ensemble = chunk > 1 ? new TemporalEnsemble(chunk, stepOutDim(spec), spec.ensembleCoef ?? 0.01) : null;
    this.ensembled = new Float64Array(stepOutDim(spec));
    this.slopes = alibiSlopes(spec.heads);
    const id = nextId++;
    for (const p of [...this.layout, ...this.carried]) {
      const t = tensors.get(p.name);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (!t || t.length !== size) {
        throw new FileFormatError(formatError(`TransformerActorCritic.tensors['${p.name}']`, `${size} values of shape [${p.shape.join(',')}]`, t ? `${t.length} values` : 'no such tensor', 'The weights do not match the architecture'));
      }
      this.vars.set(p.name, tf.tidy(() => tf.variable(tf.tensor(t, p.shape), true, `transformer${id}/${p.name}`)));
    }
    this.js = new TransformerJs(spec, tensors);
    if (spec.lora?.kind === 'vera') {
      const bases = veraBases(spec);
      for (const w of spec.lora.targets) {
        const [inDim, outDim] = loraTargetShape(spec, w);
        const key = `${inDim}x${outDim}`;
        if (this.vera.has(key)) continue;
        const { a, b } = veraSlices(bases, spec.lora.rank, inDim, outDim);
        this.vera.set(key, { a: tf.tensor2d(a, [inDim, spec.lora.rank]), b: tf.tensor2d(b, [spec.lora.rank, outDim]) });
      }
    }
  }

  /** A freshly initialized network (see `initTransformerParams`). */
  static create(spec: TransformerSpec, rng: Rng, options: { logStdInit: number }): TransformerActorCritic {
    return new TransformerActorCritic(spec, initTransformerParams(spec, rng, options));
  }

  /** Rebuilds a network from its spec and tensors (a checkpoint); extra tensors are an error. */
  static fromTensors(spec: TransformerSpec, tensors: readonly NamedTensor[]): TransformerActorCritic {
    const names = new Set([...transformerLayout(spec), ...carriedLayout(spec)].map((p) => p.name));
    const extra = tensors.filter((t) => !names.has(t.name)).map((t) => t.name);
    if (extra.length > 0) throw new FileFormatError(formatError('TransformerActorCritic.tensors', 'only the tensors of the spec', `extra tensor(s) ${extra.join(', ')}`, 'The weights do not match the architecture'));
    return new TransformerActorCritic(spec, new Map(tensors.map((t) => [t.name, t.data])));
  }

  /** A new network: these weights plus fresh LoRA adapters (outputs unchanged until they train). This one is left as it is. */
  withLora(lora: LoraSpec, rng: Rng): TransformerActorCritic {
    const { spec, tensors } = addLora(this.spec, this.tensorMap(), lora, rng);
    return new TransformerActorCritic(spec, tensors);
  }

  /** Whether the network holds tokenizers and heads for `io`'s spaces (active or among `otherSpaces`). */
  hasSpace(io: { obsDim: number; head: HeadSpec }): boolean {
    const sig = spaceSignature(io);
    return spaceEntries(this.spec).some((e) => spaceSignature(e) === sig);
  }

  /**
   * A new network acting on `io`'s spaces, sharing this one's trunk: the
   * matching tokenizers and heads when the network holds them (a multi-task
   * model), else new ones with a new task-embedding row (the mean of the
   * learned rows): a fresh observation tokenizer, and the action-side
   * tensors (previous-action tokenizer, heads) copied from a held space with
   * the same action head when there is one, else fresh; the previously active space joins `otherSpaces`, so
   * nothing learned is dropped.
   *
   * Named observations (`io.obsNames`, e.g. `"qpos.0"` from the env's
   * `metadata.observationFields`): the held space sharing the most names
   * (at least one) is the source: each new observation dimension with a name
   * it holds starts as that name's column of its observation tokenizer (and
   * the bias as its bias), the other dimensions' columns start at zero (the
   * first tokens are the source's, with unknown fields contributing nothing;
   * they still get gradients), the new task-embedding row is the source's,
   * and the source lends the action side when its action head matches. With `allowNew: false` an unknown space is
   * an error naming the sizes the network has. This one is left as it is.
   */
  adaptedTo(io: { obsDim: number; head: HeadSpec; actionBounds?: { low: number[]; high: number[] }; obsNames?: readonly string[] | null }, rng: Rng, options: { logStdInit?: number; allowNew?: boolean } = {}): TransformerActorCritic {
    const sig = spaceSignature(io);
    const entries = spaceEntries(this.spec);
    let index = entries.findIndex((e) => spaceSignature(e) === sig);
    const mine = this.tensorMap();
    let tasks = this.spec.tasks;
    const names = io.obsNames && io.obsNames.length === io.obsDim ? [...io.obsNames] : undefined;
    const fresh: SpaceEntry & { prefix: string } = { obsDim: io.obsDim, head: io.head, taskIndex: tasks, ...(names ? { obsNames: names } : {}), prefix: 'new.' };
    // A network with a binned head bins a new Box action too, over its bounds.
    if (index < 0 && this.spec.binned && io.head.kind === 'gaussian') {
      if (!io.actionBounds) throw new InvalidArgument(formatError('TransformerActorCritic.adaptedTo.io.actionBounds', 'the Box bounds of the new action (the network has a binned head)', 'none', 'Pass the action space\'s low and high'));
      fresh.binned = { bins: this.spec.binned.bins, low: [...io.actionBounds.low], high: [...io.actionBounds.high] };
    }
    if (index < 0) {
      if (options.allowNew === false) {
        throw new InvalidArgument(formatError('TransformerActorCritic.adaptedTo', `observation and action sizes the network has tokenizers and heads for (${entries.map((e) => spaceSignature(e)).join(', ')})`, sig, 'Pick a dataset of one of those spaces, or allow new tokenizers and heads (fine-tuning does)'));
      }
      tasks += 1;
      const d = this.spec.dModel;
      // The held space whose observation names overlap the new ones most (none without names).
      const shared = (e: SpaceEntry): number => (names && e.obsNames ? names.filter((n) => e.obsNames!.includes(n)).length : 0);
      const source = entries.reduce<(typeof entries)[number] | null>((best, e) => (shared(e) > (best ? shared(best) : 0) ? e : best), null);
      const table = mine.get('task.embedding') as Float32Array;
      const grown = new Float32Array(tasks * d);
      grown.set(table);
      if (source) grown.set(table.subarray(source.taskIndex * d, (source.taskIndex + 1) * d), (tasks - 1) * d);
      else for (let r = 0; r < tasks - 1; r++) for (let j = 0; j < d; j++) grown[(tasks - 1) * d + j] += table[r * d + j] / (tasks - 1);
      mine.set('task.embedding', grown);
      const init = initTransformerParams({ ...this.spec, obsDim: io.obsDim, head: io.head, binned: fresh.binned, otherSpaces: undefined, obsNames: undefined, tasks, taskIndex: tasks - 1, lora: undefined }, rng, { logStdInit: options.logStdInit ?? 0 });
      // A held space with the same action head (and binning) lends its action-side tensors (previous-action tokenizer, heads) as the start, the name source first.
      const sameHead = (e: SpaceEntry): boolean => JSON.stringify(e.head) === JSON.stringify(io.head) && JSON.stringify(e.binned ?? null) === JSON.stringify(fresh.binned ?? null);
      const same = source && sameHead(source) ? source : entries.find(sameHead);
      for (const p of spaceParams(this.spec, fresh, '', 'bank', 'bank', this.spec.pretrainHeads === true)) {
        const lend = same && !p.name.startsWith('tok.obs.') && !p.name.startsWith('pred.obs.');
        mine.set(`new.${p.name}`, lend ? (mine.get(`${same.prefix}${p.name}`) as Float32Array).slice() : (init.get(p.name) as Float32Array));
      }
      // The observation tokenizer from named columns: known names copy the source's column, the rest start at zero.
      if (source && names && source.obsNames) {
        const w = new Float32Array(io.obsDim * d);
        const from = mine.get(`${source.prefix}tok.obs.weight`) as Float32Array;
        names.forEach((n, i) => {
          const j = source.obsNames!.indexOf(n);
          if (j >= 0) w.set(from.subarray(j * d, (j + 1) * d), i * d);
        });
        mine.set('new.tok.obs.weight', w);
        mine.set('new.tok.obs.bias', (mine.get(`${source.prefix}tok.obs.bias`) as Float32Array).slice());
      }
      entries.push(fresh);
      index = entries.length - 1;
    }
    const chosen = entries[index];
    const rest = entries.filter((_, i) => i !== index);
    const spec: TransformerSpec = { ...this.spec, obsDim: chosen.obsDim, head: chosen.head, taskIndex: chosen.taskIndex, binned: chosen.binned, tasks, otherSpaces: rest.length > 0 ? rest.map(({ obsDim, head, taskIndex, binned, obsNames }) => ({ obsDim, head, taskIndex, ...(binned ? { binned } : {}), ...(obsNames ? { obsNames } : {}) })) : undefined, obsNames: chosen.obsNames };
    if (!spec.otherSpaces) delete spec.otherSpaces;
    if (!spec.binned) delete spec.binned;
    if (!spec.obsNames) delete spec.obsNames;
    const out = new Map<string, Float32Array>();
    const perSpace = (e: SpaceEntry, prefix: string): string[] => spaceParams(this.spec, e, prefix, 'bank', 'bank', this.spec.pretrainHeads === true).map((p) => p.name);
    const moved = new Set(entries.flatMap((e) => perSpace(e, e.prefix)));
    for (const [name, t] of mine) if (!moved.has(name)) out.set(name, t);
    [chosen, ...rest].forEach((e, i) => {
      const from = perSpace(e, e.prefix);
      perSpace(e, i === 0 ? '' : `spaces.${i - 1}.`).forEach((name, k) => out.set(name, mine.get(from[k]) as Float32Array));
    });
    return new TransformerActorCritic(spec, out);
  }

  /**
   * A new network whose tokens predict `chunk` steps (action chunking,
   * {@link TransformerSpec.chunk}): every space's actor head gets `chunk`
   * positions; those it had keep their weights and each new one starts as a
   * copy of position 0 (the next steps' actions start as this step's). The
   * heads are in group `heads`, trainable in every fine-tuning mode. This one
   * is left as it is.
   */
  withChunk(chunk: number, ensembleCoef = this.spec.ensembleCoef ?? 0.01): TransformerActorCritic {
    const spec: TransformerSpec = { ...this.spec, chunk, ensembleCoef };
    if (chunk === 1) {
      delete spec.chunk;
      delete spec.ensembleCoef;
    }
    checkTransformerSpec(spec);
    const was = chunkOf(this.spec);
    const d = spec.dModel;
    const tensors = this.tensorMap();
    for (const e of spaceEntries(this.spec)) {
      const step = stepOutDim(e);
      const w = tensors.get(`${e.prefix}head.actor.weight`) as Float32Array;
      const b = tensors.get(`${e.prefix}head.actor.bias`) as Float32Array;
      const nw = new Float32Array(d * chunk * step);
      const nb = new Float32Array(chunk * step);
      for (let j = 0; j < chunk; j++) {
        const from = j < was ? j : 0;
        for (let o = 0; o < step; o++) {
          nb[j * step + o] = b[from * step + o];
          for (let i = 0; i < d; i++) nw[(i * chunk + j) * step + o] = w[(i * was + from) * step + o];
        }
      }
      tensors.set(`${e.prefix}head.actor.weight`, nw);
      tensors.set(`${e.prefix}head.actor.bias`, nb);
    }
    return new TransformerActorCritic(spec, tensors);
  }

  /** A new network with the adapters folded into their projections (`lamkit finetune --merge`). */
  merged(): TransformerActorCritic {
    const { spec, tensors } = mergeLora(this.spec, this.tensorMap());
    return new TransformerActorCritic(spec, tensors);
  }

  get obsDim(): number {
    return this.spec.obsDim;
  }

  get head(): TransformerSpec['head'] {
    return this.spec.head;
  }

  /** Steps each token predicts (action chunking; 1 = off). */
  get actionChunk(): number {
    return chunkOf(this.spec);
  }

  evaluate(batch: EvalBatch): ActorCriticEval {
    return this.evaluateWith(batch, spaceEntries(this.spec)[0], this.dist);
  }

  /**
   * {@link evaluate} through another space the network holds (one of
   * {@link spaceEntries}: its tokenizers and heads on the shared trunk), e.g.
   * continual learning's replay of an earlier task's demonstrations. The
   * batch is in that space's dimensions; chunk targets and the ensemble work
   * as for the active space.
   */
  evaluateSpace(batch: EvalBatch, space: SpaceEntry & { prefix: string }): ActorCriticEval {
    if (space.prefix === '') return this.evaluate(batch);
    return this.evaluateWith(batch, space, space.binned ? new BinnedContinuous(space.binned) : makeDistribution(space.head));
  }

  private evaluateWith(batch: EvalBatch, space: SpaceEntry & { prefix: string }, dist: ActionDistribution): ActorCriticEval {
    const c = batch.chunks;
    if (!c) throw new InvalidArgument(formatError('TransformerActorCritic.evaluate.chunks', 'a chunk layout (this is a sequence policy)', 'none', 'Pass chunks of consecutive steps (PPO does, see ChunkLayout)'));
    const { spec } = this;
    const p = space.prefix;
    const d = spec.dModel;
    const span = c.context + c.length;
    const rows = c.count * span;
    const ad = dist.actDim;
    const scored = c.count * c.length;
    const actions = new Float32Array(scored * ad);
    for (let k = 0; k < c.count; k++) actions.set(batch.actions.subarray((k * span + c.context) * ad, (k + 1) * span * ad), k * c.length * ad);
    const chunk = chunkOf(spec);
    const targets = chunk > 1 ? batch.chunkTargets : undefined;
    // Without chunk targets an ensembling network scores its ensembled action: the chunk - 1 rows before each scored one are read too.
    const ensembleRows = chunk > 1 && !targets ? chunk - 1 : 0;
    if (c.context < ensembleRows) {
      throw new InvalidArgument(formatError('TransformerActorCritic.evaluate.chunks.context', `at least ${ensembleRows} (the ensembled action averages the chunk predictions of the ${ensembleRows} steps before each scored one; the network's sequence.context is ${this.sequence.context})`, String(c.context), 'Give each chunk sequence.context rows of history'));
    }
    if (targets && (targets.chunk !== chunk || targets.actions.length !== scored * chunk * ad || targets.mask.length !== scored * chunk)) {
      throw new InvalidArgument(formatError('TransformerActorCritic.evaluate.chunkTargets', `chunk ${chunk}: actions [${scored} x ${chunk} x ${ad}] and mask [${scored} x ${chunk}]`, `chunk ${targets.chunk}, ${targets.actions.length} actions, ${targets.mask.length} mask entries`, 'Build them with labelledBatch(..., chunk)'));
    }
    // Chunk targets: every predicted step is scored (padding past an episode's end masked); else only the step's own action.
    const actionInput = new Float32Array((targets ? scored * chunk : scored) * dist.actInputDim);
    dist.encodeActions(targets ? targets.actions : actions, targets ? scored * chunk : scored, actionInput);
    const dropout = batch.dropoutRng && spec.dropout ? { rate: spec.dropout, rng: batch.dropoutRng } : null;
    return tf.tidy((): tf.TensorContainer => {
      const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
      const row = (name: string): tf.Tensor2D => tf.reshape(v(name), [1, -1]) as tf.Tensor2D;
      const x = this.tokens(p, space, batch.obs.flat.subarray(0, rows * space.obsDim), batch.prevActions ?? null, c.episodeStart, null);
      // Rows whose outputs are read: the scored ones and, for the ensemble, the chunk - 1 before each chunk's first.
      const keep = c.context - ensembleRows;
      const outRows = c.count * (c.length + ensembleRows);
      // Without dropout the trunk skips the earlier context rows after the last attention (their masks would shift the dropout draws).
      const from = dropout ? 0 : keep;
      const xf = this.trunk(x, c.count, span, c.episodeStart, dropout, from);
      const kept = from > 0 ? xf : (tf.reshape(tf.slice(tf.reshape(xf, [c.count, span, d]), [0, keep, 0], [c.count, span - keep, d]), [outRows, d]) as tf.Tensor2D);
      const allOut = biasAdd(matMul(kept, v(`${p}head.actor.weight`) as tf.Tensor2D), row(`${p}head.actor.bias`));
      const outStep = stepOutDim(space);
      const last = ensembleRows > 0 ? rowsFrom(kept, c.count, c.length + ensembleRows, ensembleRows) : kept;
      // The step's own prediction is the first of its chunk; without targets an ensembling network acts on the ensemble.
      const actorOut = ensembleRows > 0 ? this.ensembleOut(allOut, c, outStep) : chunk > 1 ? (tf.slice(allOut, [0, 0], [scored, outStep]) as tf.Tensor2D) : allOut;
      const value = tf.reshape(biasAdd(matMul(last, v(`${p}head.value.weight`) as tf.Tensor2D), row(`${p}head.value.bias`)), [-1]) as tf.Tensor1D;
      const logStd = (this.vars.get(`${p}head.actor.log_std`) as tf.Tensor1D | undefined) ?? null;
      let logProb: tf.Tensor1D;
      let entropy: tf.Tensor1D;
      if (targets) {
        // ACT's loss over the whole chunk: per row, the mean log-prob of the chunk's steps that lie inside the episode.
        const ev = dist.evaluate(tf.reshape(allOut, [scored * chunk, outStep]) as tf.Tensor2D, logStd, tf.tensor2d(actionInput, [scored * chunk, dist.actInputDim]));
        const mask = tf.tensor2d(targets.mask, [scored, chunk]);
        logProb = tf.div(tf.sum(tf.mul(tf.reshape(ev.logProb, [scored, chunk]), mask), 1), tf.maximum(tf.sum(mask, 1), 1)) as tf.Tensor1D;
        entropy = tf.reshape(tf.slice(tf.reshape(ev.entropy, [scored, chunk]), [0, 0], [scored, 1]), [-1]) as tf.Tensor1D;
      } else {
        ({ logProb, entropy } = dist.evaluate(actorOut, logStd, tf.tensor2d(actionInput, [scored, dist.actInputDim])));
      }
      if (!batch.withActorOut) return { logProb, entropy, value };
      return { logProb, entropy, value, actorOut: dist instanceof BinnedContinuous ? binnedMode(actorOut, dist) : actorOut };
    }) as unknown as ActorCriticEval;
  }

  /**
   * The temporal ensemble of each scored row's action ({@link TemporalEnsemble},
   * as the network acts): `allOut [count (chunk - 1 + length) x chunk stepOut]`
   * holds every token's chunk predictions, the `chunk - 1` rows before each
   * chunk's scored ones first. Scored row t averages the prediction for t of
   * token t - a (its chunk position a) over the a < L tokens of t's episode
   * (L = min(chunk, steps since the episode start + 1)) with weights
   * `exp(-m (L - 1 - a))`, normalized. Slices and weighted sums only, so
   * its gradient reaches every token that contributed. Call inside `tf.tidy`.
   */
  private ensembleOut(allOut: tf.Tensor2D, c: ChunkLayout, outStep: number): tf.Tensor2D {
    const ens = this.ensemble as TemporalEnsemble;
    const chunk = ens.chunk;
    const ext = chunk - 1;
    const span = c.context + c.length;
    const all4 = tf.reshape(allOut, [c.count, c.length + ext, chunk, outStep]);
    const byAvailable = Array.from({ length: chunk }, (_, n) => ens.ageWeights(n + 1));
    const weights = Array.from({ length: chunk }, () => new Float32Array(c.count * c.length));
    for (let k = 0; k < c.count; k++) {
      for (let i = 0; i < c.length; i++) {
        // Tokens of t's episode that cover it: back to its start, at most chunk.
        const g = k * span + c.context + i;
        let L = 1;
        while (L < chunk && !c.episodeStart[g - L + 1]) L += 1;
        byAvailable[L - 1].forEach((w, a) => (weights[a][k * c.length + i] = w));
      }
    }
    let sum: tf.Tensor | null = null;
    for (let a = 0; a < chunk; a++) {
      const part = tf.mul(tf.reshape(tf.slice(all4, [0, ext - a, a, 0], [c.count, c.length, 1, outStep]), [c.count * c.length, outStep]), tf.tensor2d(weights[a], [c.count * c.length, 1]));
      sum = sum ? tf.add(sum, part) : part;
    }
    return sum as tf.Tensor2D;
  }

  /**
   * Token embeddings `[rows x dModel]` of the space with tensor `prefix`
   * (`''` the active one, `spaces.<i>.` another): observation tokenizer, plus
   * the previous action's tokenizer (`tok.start` at episode starts; `tok.mask`
   * where `masked[r]` is 1, for masked-action pretraining), plus the space's
   * task-embedding row. `prevActions` are stored actions (category indices or
   * raw values), `[rows x actDim]`. Call inside `tf.tidy`.
   */
  tokens(prefix: string, space: SpaceEntry, obs: Float32Array, prevActions: Float32Array | null, episodeStart: Uint8Array, masked: Uint8Array | null): tf.Tensor2D {
    const rows = episodeStart.length;
    const d = this.spec.dModel;
    const actIn = actionInputDim(space.head);
    const prev = encodePrevActions(space.head, rows, prevActions, episodeStart, masked);
    const start = new Float32Array(rows);
    for (let r = 0; r < rows; r++) start[r] = episodeStart[r] ? 1 : 0;
    const v = (name: string): tf.Tensor2D => this.param(name) as tf.Tensor2D;
    let x = biasAdd(matMul(tf.tensor2d(obs, [rows, space.obsDim]), v(`${prefix}tok.obs.weight`)), tf.reshape(v(`${prefix}tok.obs.bias`), [1, d]) as tf.Tensor2D);
    x = tf.add(x, matMul(tf.tensor2d(prev, [rows, actIn]), v(`${prefix}tok.act.weight`))) as tf.Tensor2D;
    x = tf.add(x, matMul(tf.tensor2d(start, [rows, 1]), tf.reshape(v('tok.start'), [1, d]) as tf.Tensor2D)) as tf.Tensor2D;
    if (masked) {
      const m = Float32Array.from(masked, (b, r) => (b && !episodeStart[r] ? 1 : 0));
      x = tf.add(x, matMul(tf.tensor2d(m, [rows, 1]), tf.reshape(v('tok.mask'), [1, d]) as tf.Tensor2D)) as tf.Tensor2D;
    }
    return biasAdd(x, tf.slice(v('task.embedding'), [space.taskIndex, 0], [1, d]));
  }

  /**
   * The shared trunk over `count` chunks of `span` tokens (`x [count span x
   * dModel]`): the blocks with banded ALiBi attention cut at episode starts,
   * then the final LayerNorm. With `dropout` (training only), inverted
   * dropout on the attention weights and on each residual branch, masks
   * drawn from its seeded Rng. Minibatches of few long chunks (at most
   * `ROW_ATTENTION_MAX_ROWS` rows, no dropout: PPO's) attend per head over
   * all their rows in 2-D matmuls ({@link rowAttention}); others per chunk
   * ({@link multiHeadAttention}). With `from > 0`, only the rows from `from`
   * on of each chunk are returned (`[count (span - from) x dModel]`), and the
   * last block's output projection, MLP and the final LayerNorm run on those
   * rows only: rows before them are history that nothing reads after the
   * last attention (PPO's context rows). Call inside `tf.tidy`.
   */
  trunk(x: tf.Tensor2D, count: number, span: number, episodeStart: Uint8Array, dropout: { rate: number; rng: Rng } | null = null, from = 0): tf.Tensor2D {
    const { spec } = this;
    const d = spec.dModel;
    const H = spec.heads;
    const v = (name: string): tf.Tensor => this.vars.get(name) as tf.Tensor;
    const row = (name: string): tf.Tensor2D => tf.reshape(v(name), [1, -1]) as tf.Tensor2D;
    const byRows = !dropout && count * span <= ROW_ATTENTION_MAX_ROWS;
    const rowBias = byRows ? splitHeads(rowAttentionBias(count, span, episodeStart, this.slopes, spec.window), H, count * span) : null;
    const biasT = byRows ? null : tf.tensor3d(this.attentionBias(count, span, episodeStart), [count * H, span, span]);
    const drop = <T extends tf.Tensor>(t: T): T => (dropout && dropout.rate > 0 ? (tf.mul(t, tf.tensor(dropoutMask(t.size, dropout.rate, dropout.rng), t.shape)) as T) : t);
    for (let l = 0; l < spec.layers; l++) {
      const p = `blocks.${l}`;
      const h = this.layerNorm(x, `${p}.ln1`);
      let merged: tf.Tensor2D;
      if (rowBias) {
        merged = rowAttention(this.qkv(h, `${p}.attn`), rowBias);
      } else {
        const keep = dropout && dropout.rate > 0 ? tf.tensor3d(dropoutMask(count * H * span * span, dropout.rate, dropout.rng), [count * H, span, span]) : null;
        merged = multiHeadAttention(this.qkv(h, `${p}.attn`), biasT as tf.Tensor3D, keep, count, span, H);
      }
      if (from > 0 && l === spec.layers - 1) {
        x = rowsFrom(x, count, span, from);
        merged = rowsFrom(merged, count, span, from);
      }
      x = tf.add(x, drop(this.project(merged, `${p}.attn.wo`))) as tf.Tensor2D;
      const h2 = this.layerNorm(x, `${p}.ln2`);
      const hidden = gelu(biasAdd(this.project(h2, `${p}.mlp.w1`), row(`${p}.mlp.b1`)));
      x = tf.add(x, drop(biasAdd(this.project(hidden, `${p}.mlp.w2`), row(`${p}.mlp.b2`)))) as tf.Tensor2D;
    }
    return this.layerNorm(x, 'ln_f');
  }

  /** `x @ <name>.weight + <name>.bias` (a head of any space, e.g. `spaces.0.pred.obs`). Call inside `tf.tidy`. */
  linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return biasAdd(matMul(x, this.param(`${name}.weight`) as tf.Tensor2D), tf.reshape(this.param(`${name}.bias`), [1, -1]) as tf.Tensor2D);
  }

  /** The variable `name` (any tensor of the layout or the carried ones). */
  param(name: string): tf.Variable {
    const t = this.vars.get(name);
    if (!t) throw new InvalidArgument(formatError('TransformerActorCritic.param', `a tensor of this network (${this.vars.size} held)`, describeValue(name), 'See transformerLayout and carriedLayout'));
    return t;
  }

  /** The carried tensors (other spaces, pretraining heads) as variables of group `bank`, for a trainer that uses them (pretraining). */
  carriedVariables(): GroupVariable[] {
    return this.carried.map((p) => ({ group: p.group, variable: this.vars.get(p.name) as tf.Variable }));
  }

  /** Acts as the deployed policy does: an action-chunking network samples around the temporal ensemble of its chunk predictions. */
  act(obs: ObsBatch, rng: Rng | null, deterministic: Deterministic, out: ActOutput): void {
    const outDim = this.js.outDim;
    const ad = this.dist.actDim;
    if (this.actorOut.length < outDim) this.actorOut = new Float64Array(outDim);
    for (let i = 0; i < obs.rows; i++) {
      out.values[i] = this.js.step(i, obs.flat, i * this.obsDim, this.actorOut, 0, true);
      this.ensemble?.step(i, this.actorOut, 0, this.ensembled, 0);
      out.logProbs[i] = this.dist.sampleRow(this.ensemble ? this.ensembled : this.actorOut, 0, this.js.logStd, rng, rowDeterministic(deterministic, i), out.actions, i * ad);
      this.js.recordAction(i, out.actions, i * ad);
    }
  }

  value(obs: ObsBatch, out: Float64Array): void {
    if (this.actorOut.length < this.js.outDim) this.actorOut = new Float64Array(this.js.outDim);
    for (let i = 0; i < obs.rows; i++) out[i] = this.js.step(i, obs.flat, i * this.obsDim, this.actorOut, 0, false);
  }

  resetEpisode(envIndex: number): void {
    this.js.resetEpisode(envIndex);
    this.ensemble?.reset(envIndex);
  }

  paramGroups(): ParamGroupInfo[] {
    return GROUPS.filter((g) => g !== 'lora' || this.spec.lora).map((name) => ({ name, trainable: this.trainable[name], size: this.layout.filter((p) => p.group === name).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0) }));
  }

  setTrainable(group: string, trainable: boolean): void {
    if (!(GROUPS as readonly string[]).includes(group) || (group === 'lora' && !this.spec.lora)) throw new InvalidArgument(formatError('TransformerActorCritic.setTrainable', `a parameter group (${GROUPS.join(', ')})`, describeValue(group), 'Fix the group name'));
    this.trainable[group as (typeof GROUPS)[number]] = trainable;
  }

  variables(): GroupVariable[] {
    return this.layout.map((p) => ({ group: p.group, variable: this.vars.get(p.name) as tf.Variable }));
  }

  paramsChanged(): void {
    this.js.setParams(this.tensorMap());
  }

  private tensorMap(): Map<string, Float32Array> {
    return new Map(this.readTensors().map((t) => [t.name, t.data]));
  }

  readTensors(): NamedTensor[] {
    return [...this.layout, ...this.carried].map((p) => ({ name: p.name, group: p.group, shape: [...p.shape], data: (this.vars.get(p.name) as tf.Variable).dataSync().slice() as Float32Array }));
  }

  writeTensors(tensors: readonly NamedTensor[]): void {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    tf.tidy(() => {
      for (const p of [...this.layout, ...this.carried]) {
        const t = byName.get(p.name);
        if (!t || JSON.stringify(t.shape) !== JSON.stringify(p.shape)) {
          throw new FileFormatError(formatError(`TransformerActorCritic.writeTensors['${p.name}']`, `shape [${p.shape.join(',')}]`, t ? `shape [${t.shape.join(',')}]` : 'no such tensor', 'The weights do not match the architecture'));
        }
        (this.vars.get(p.name) as tf.Variable).assign(tf.tensor(t.data, p.shape));
      }
    });
    this.paramsChanged();
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
    for (const { a, b } of this.vera.values()) (a.dispose(), b.dispose());
  }

  /**
   * `Float32Array [heads x count x span x span]` (head-major, as {@link multiHeadAttention} takes it): ALiBi penalty `-slope_h (i - j)`
   * where query i may see key j (j <= i, i - j < window, no episode start in
   * (j, i]), else {@link MASKED}.
   */
  private attentionBias(count: number, span: number, episodeStart: Uint8Array): Float32Array {
    const H = this.spec.heads;
    const lo = firstVisible(count, span, episodeStart, this.spec.window);
    const out = new Float32Array(count * H * span * span).fill(MASKED);
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < span; i++) {
        for (let h = 0; h < H; h++) {
          const base = ((h * count + k) * span + i) * span;
          for (let j = lo[k * span + i]; j <= i; j++) out[base + j] = -this.slopes[h] * (i - j);
        }
      }
    }
    return out;
  }

  /** `h @ W`, plus `(alpha / rank) (h @ A) @ B` where W has a LoRA adapter (VeRA: `((h @ A) d) @ B) b`, A and B frozen; DoRA: the sum's columns rescaled to magnitudes `m`). */
  private project(h: tf.Tensor2D, name: string): tf.Tensor2D {
    const W = this.vars.get(name) as tf.Tensor2D;
    const base = matMul(h, W);
    const lora = this.spec.lora;
    if (!lora || !this.hasAdapter(name)) return base;
    let low: tf.Tensor2D;
    if (lora.kind === 'vera') {
      const { a, b } = this.vera.get(`${W.shape[0]}x${W.shape[1]}`) as { a: tf.Tensor2D; b: tf.Tensor2D };
      const row = (t: string): tf.Tensor2D => tf.reshape(this.vars.get(`${name}.${t}`) as tf.Tensor, [1, -1]) as tf.Tensor2D;
      low = tf.mul(matMul(tf.mul(matMul(h, a), row('vera_d')) as tf.Tensor2D, b), row('vera_b')) as tf.Tensor2D;
    } else {
      const A = this.vars.get(`${name}.lora_a`) as tf.Tensor2D;
      const B = this.vars.get(`${name}.lora_b`) as tf.Tensor2D;
      low = matMul(matMul(h, A), B);
      if (lora.kind === 'dora') {
        // h (W + s A B) diag(m / ||W + s A B||): the column norms of the adapted weight, in the gradient too.
        const s = lora.alpha / lora.rank;
        const norms = tf.sqrt(tf.sum(tf.square(tf.add(W, tf.mul(matMul(A, B), s))), 0));
        const gain = tf.reshape(tf.div(this.vars.get(`${name}.dora_m`) as tf.Tensor, norms), [1, -1]);
        return tf.mul(tf.add(base, tf.mul(low, s)), gain) as tf.Tensor2D;
      }
    }
    return tf.add(base, tf.mul(low, lora.alpha / lora.rank)) as tf.Tensor2D;
  }

  /** Whether projection `name` carries an adapter (LoRA's `lora_a` or VeRA's `vera_d`). */
  private hasAdapter(name: string): boolean {
    return this.vars.has(`${name}.lora_a`) || this.vars.has(`${name}.vera_d`);
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return layerNorm(x, this.vars.get(`${name}.gamma`) as tf.Tensor, this.vars.get(`${name}.beta`) as tf.Tensor);
  }

  /**
   * The fused query/key/value projection `h @ [wq | wk | wv]` of `<prefix>.wq|wk|wv`
   * ({@link multiHeadAttention}'s input): one matmul, one transpose of `h` in
   * its gradient; with LoRA adapters the three projections (each with its adapter) side by side.
   */
  private qkv(h: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const names = ['wq', 'wk', 'wv'].map((n) => `${prefix}.${n}`);
    if (this.spec.lora && names.some((n) => this.hasAdapter(n))) return tf.concat(names.map((n) => this.project(h, n)), 1);
    return matMul(h, tf.concat(names.map((n) => this.vars.get(n) as tf.Tensor2D), 1));
  }
}

/**
 * The previous-action inputs `Float32Array [rows x actionInputDim]`: one-hot
 * per categorical component, or the raw Box action; zero at episode starts
 * and at masked rows.
 */
function encodePrevActions(head: HeadSpec, rows: number, prevActions: Float32Array | null, episodeStart: Uint8Array, masked: Uint8Array | null): Float32Array {
  const actIn = actionInputDim(head);
  const ad = head.kind === 'categorical' ? head.nvec.length : head.dim;
  const prev = new Float32Array(rows * actIn);
  if (!prevActions) return prev;
  for (let r = 0; r < rows; r++) {
    if (episodeStart[r] || masked?.[r]) continue;
    if (head.kind === 'categorical') {
      let base = 0;
      for (let j = 0; j < ad; j++) {
        prev[r * actIn + base + prevActions[r * ad + j]] = 1;
        base += head.nvec[j];
      }
    } else {
      prev.set(prevActions.subarray(r * ad, (r + 1) * ad), r * actIn);
    }
  }
  return prev;
}

/** `[heads x rows x rows]` biases as one `[rows x rows]` tensor per head. */
function splitHeads(bias: Float32Array, heads: number, rows: number): tf.Tensor2D[] {
  return Array.from({ length: heads }, (_, h) => tf.tensor2d(bias.subarray(h * rows * rows, (h + 1) * rows * rows), [rows, rows]));
}

/** Rows `from ... span - 1` of each of `count` chunks of `t [count span x d]`: `[count (span - from) x d]`. */
function rowsFrom(t: tf.Tensor2D, count: number, span: number, from: number): tf.Tensor2D {
  const d = t.shape[1];
  return tf.reshape(tf.slice(tf.reshape(t, [count, span, d]), [0, from, 0], [count, span - from, d]), [count * (span - from), d]) as tf.Tensor2D;
}

/**
 * Inverted dropout's mask (`Float32Array [size]`): 0 with probability `rate`,
 * else `1 / (1 - rate)`, drawn from the caller's seeded `rng` (deterministic).
 */
export function dropoutMask(size: number, rate: number, rng: Rng): Float32Array {
  const keep = 1 / (1 - rate);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.random() < rate ? 0 : keep;
  return out;
}

/** The binned head's mode as actions `[rows x dim]`: the centre of each dimension's most likely bin (not differentiable; for reports). */
function binnedMode(logits: tf.Tensor2D, dist: BinnedContinuous): tf.Tensor2D {
  const { actDim: dim, bins } = dist;
  const k = tf.cast(tf.argMax(tf.reshape(logits, [-1, dim, bins]), 2), 'float32');
  const width = Float32Array.from(dist.low, (lo, j) => (dist.high[j] - lo) / bins);
  return tf.add(tf.tensor2d(Float32Array.from(dist.low), [1, dim]), tf.mul(tf.add(k, 0.5), tf.tensor2d(width, [1, dim]))) as tf.Tensor2D;
}
