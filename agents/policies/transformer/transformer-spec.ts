import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { Rng } from '../../../src/core/rng.js';
import type { HeadSpec } from '../param-layout.js';
import { actorOutDim } from '../param-layout.js';
import { orthogonalInto } from '../orthogonal-init.js';
import type { ActionSampler } from '../../distributions/action-distribution.js';
import { BinnedContinuousSampler, type BinSpec } from '../../distributions/binned-continuous-sampler.js';
import { makeSampler } from '../make-sampler.js';

/** Architecture of a {@link TransformerActorCritic}: everything needed to rebuild it from its tensors. */
export interface TransformerSpec {
  obsDim: number;
  head: HeadSpec;
  /** Width of the token stream. */
  dModel: number;
  /** Transformer blocks. */
  layers: number;
  /** Attention heads (divide `dModel`). */
  heads: number;
  /** Hidden width of each block's MLP, as a multiple of `dModel`. */
  mlpRatio: number;
  /** Steps each token attends to: itself and the `window - 1` before it in its episode (T). */
  window: number;
  /** Rows of the learned task-embedding table (multi-task pretraining); this network uses row `taskIndex`. */
  tasks: number;
  taskIndex: number;
  /** LoRA adapters on attention projections (Hu et al. 2021, arXiv:2106.09685), or absent. */
  lora?: LoraSpec;
  /**
   * Multi-task: the other observation/action spaces this network holds
   * tokenizers and heads for (tensors `spaces.<i>.<name>`, group `bank`),
   * besides the active one (`obsDim`, `head`, `taskIndex`). They ride along
   * unused until {@link TransformerActorCritic.adaptedTo} selects one.
   */
  otherSpaces?: SpaceEntry[];
  /** Pretraining heads are held (`tok.mask`, and per space `pred.obs.*`, `pred.prev.*`; group `bank`). */
  pretrainHeads?: boolean;
  /**
   * Action chunking (ACT, Zhao et al. 2023, arXiv:2304.13705): each token
   * predicts the actions of its step and of the `chunk - 1` steps after it
   * (every space's actor head). Absent or 1: off.
   */
  chunk?: number;
  /**
   * Temporal ensembling at run time (with `chunk > 1`): the predictions made
   * for a step by the last `chunk` tokens are averaged with weights
   * `exp(-m i)`, i = 0 for the oldest (ACT's m = 0.01, the default).
   */
  ensembleCoef?: number;
  /** The active space's Box action as `bins` categorical bins per dimension over its bounds, instead of the Gaussian head. */
  binned?: BinSpec;
  /** Dropout rate on attention weights and on each residual branch, applied only while training (absent or 0: none). */
  dropout?: number;
  /**
   * Names of the active space's observation dimensions (`"qpos.0"`, ...; from
   * the env's `metadata.observationFields` through the dataset), or absent.
   * A new space's observation tokenizer starts with the columns of the names
   * a held space shares ({@link TransformerActorCritic.adaptedTo}).
   */
  obsNames?: string[];
}

/** One observation/action space of a multi-task network and the task-embedding row it uses. */
export interface SpaceEntry {
  obsDim: number;
  head: HeadSpec;
  taskIndex: number;
  /** A binned continuous head for this space (see {@link TransformerSpec.binned}). */
  binned?: BinSpec;
  /** Names of its observation dimensions (see {@link TransformerSpec.obsNames}). */
  obsNames?: string[];
}

/** The key of a space: `obs:Box[4]|act:Discrete(2)` (tokenizers and heads are keyed by it). */
export function spaceSignature(io: { obsDim: number; head: HeadSpec }): string {
  const h = io.head;
  const act = h.kind === 'gaussian' ? `Box[${h.dim}]` : h.kind === 'categorical' ? (h.nvec.length === 1 ? `Discrete(${h.nvec[0]})` : `MultiDiscrete(${h.nvec.join(',')})`) : JSON.stringify(h);
  return `obs:Box[${io.obsDim}]|act:${act}`;
}

/** The spaces of a network, the active one first (prefix `''`), then `otherSpaces` (prefix `spaces.<i>.`). */
export function spaceEntries(spec: TransformerSpec): Array<SpaceEntry & { prefix: string }> {
  return [{ obsDim: spec.obsDim, head: spec.head, taskIndex: spec.taskIndex, ...(spec.binned ? { binned: spec.binned } : {}), ...(spec.obsNames ? { obsNames: spec.obsNames } : {}), prefix: '' }, ...(spec.otherSpaces ?? []).map((e, i) => ({ ...e, prefix: `spaces.${i}.` }))];
}

/** Low-rank adapters `W + (alpha / rank) A B` on the named attention projections of every block. */
export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Which projections get an adapter (LoRA's default: query and value): attention `wq`, `wk`, `wv`, `wo`, MLP `w1`, `w2`. */
  targets: Array<LoraTarget>;
  /**
   * Also trains the trunk's LayerNorm gains and offsets (`ln1`, `ln2`, `ln_f`): they move to group `lora`
   * ((4 layers + 2) d numbers: 1,280 at d=128, 2 layers). Merging puts them back in the trunk, as trained.
   */
  norms?: boolean;
  /** Also trains the MLP's biases `b1`, `b2` (group `lora`; BitFit's biases, PEFT's `bias: "all"`). */
  biases?: boolean;
  /**
   * How the adapters start. `gaussian` (default, LoRA's): A normal, B = 0, the base weights untouched.
   * `pissa` (Meng et al. 2024, arXiv:2404.02948, PEFT's `init_lora_weights="pissa"`): A B holds the
   * projection's top-`rank` singular triplets (`A = U_r sqrt(S_r / s)`, `B = sqrt(S_r / s) V_r^T`, `s =
   * alpha / rank`) and the frozen weight becomes the residual `W - U_r S_r V_r^T`, so the adapters train
   * the principal directions; outputs start equal to the base's up to float32 rounding. Weight decay pulls
   * A and B towards zero, here away from the base: set the `lora` group's `weightDecay` to 0 to avoid it.
   */
  init?: LoraInit;
  /**
   * The adapter's form. `lora` (default): `W + (alpha / rank) A B` with A and B trained. `vera` (VeRA, Kopiczko
   * et al. 2024, arXiv:2310.11454): A and B are frozen random matrices regenerated from {@link seed} (not
   * parameters: never stored, not counted), one pair shared by every adapted projection, each taking the first
   * rows of A and the first columns of B its shape needs (PEFT's slicing); each projection trains two vectors,
   * `vera_d [rank]` (start {@link VERA_D_INIT}) and `vera_b [out]` (start 0): `W + (alpha / rank) A diag(d) B
   * diag(b)`. So an adapter costs `rank + out` numbers instead of `rank (in + out)`, and the rank may exceed
   * dModel (up to {@link VERA_MAX_RANK}). `dora` (DoRA, Liu et al. 2024, arXiv:2402.09353, PEFT's
   * `use_dora`): LoRA's A and B plus a trained magnitude per output, `dora_m [out]` (start: the norms of W's
   * columns, the weights into each output): `(W + s A B) diag(m / ||W + s A B||)`, norms per column, in
   * the gradient too; it starts equal to the base up to float32 rounding (weight decay pulls `m` towards zero:
   * a `lora` group `weightDecay` of 0 avoids it).
   */
  kind?: LoraKind;
  /** VeRA's seed of its frozen random matrices (an integer in [0, 2^32)); `addLora` draws one from its rng when absent. */
  seed?: number;
}

/** The form of an adapter (see {@link LoraSpec.kind}). */
export type LoraKind = 'lora' | 'vera' | 'dora';
export const LORA_KINDS: readonly LoraKind[] = ['lora', 'vera', 'dora'];
/** VeRA's start of its scaling vector `d` (the paper's and PEFT's `d_initial`). */
export const VERA_D_INIT = 0.1;
/** The largest VeRA rank (its random matrices are `[max(d, hidden) x rank]`). */
export const VERA_MAX_RANK = 1024;

/** How LoRA adapters start (see {@link LoraSpec.init}). */
export type LoraInit = 'gaussian' | 'pissa';
export const LORA_INITS: readonly LoraInit[] = ['gaussian', 'pissa'];

/** A projection LoRA can adapt. */
export type LoraTarget = 'wq' | 'wk' | 'wv' | 'wo' | 'w1' | 'w2';
export const LORA_TARGETS: readonly LoraTarget[] = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2'];

/** Whether `w` is a projection of the MLP (`w1`, `w2`) rather than of attention. */
function isMlpTarget(w: LoraTarget): w is 'w1' | 'w2' {
  return w === 'w1' || w === 'w2';
}

/** The tensor name of block `l`'s projection `w` (`blocks.l.attn.wq`, `blocks.l.mlp.w1`). */
export function loraTargetName(l: number, w: LoraTarget): string {
  return `blocks.${l}.${isMlpTarget(w) ? 'mlp' : 'attn'}.${w}`;
}

/** One named parameter tensor of the layout. */
export interface TransformerParam {
  name: string;
  group: 'tokenizers' | 'trunk' | 'heads' | 'lora' | 'bank';
  shape: number[];
}

/** Actor outputs per predicted step of a space: logits (categorical, binned) or the Gaussian mean. */
export function stepOutDim(io: { head: HeadSpec; binned?: BinSpec }): number {
  return io.binned && io.head.kind === 'gaussian' ? io.head.dim * io.binned.bins : actorOutDim(io.head);
}

/** Steps each token predicts (1 without action chunking). */
export function chunkOf(spec: Pick<TransformerSpec, 'chunk'>): number {
  return spec.chunk ?? 1;
}

/** The plain-JS sampler of the actor's per-step output (binned or the head's own; no tfjs). */
export function transformerSampler(io: { head: HeadSpec; binned?: BinSpec }): ActionSampler {
  return io.binned ? new BinnedContinuousSampler(io.binned) : makeSampler(io.head);
}

/** Numbers per step of the previous-action input: one-hot over every categorical component, or the raw Box action. */
export function actionInputDim(head: HeadSpec): number {
  return head.kind === 'categorical' ? head.nvec.reduce((a, b) => a + b, 0) : head.dim;
}

/**
 * The parameters in a fixed order, with their groups:
 * - `tokenizers`: `tok.obs.weight [obsDim x d]`, `tok.obs.bias [d]`,
 *   `tok.act.weight [actIn x d]` (the previous action), `tok.start [d]` (added
 *   instead at an episode's first step), `task.embedding [tasks x d]`;
 * - `trunk`, per block l: `blocks.l.ln1.gamma/beta`, `blocks.l.attn.wq/wk/wv/wo [d x d]`,
 *   `blocks.l.ln2.gamma/beta`, `blocks.l.mlp.w1 [d x r d]`, `b1`, `w2 [r d x d]`, `b2`;
 *   then `ln_f.gamma/beta`;
 * - `heads`: `head.actor.weight [d x chunk stepOut]` (`stepOutDim` per
 *   predicted step, the chunk's steps side by side), `head.actor.bias`,
 *   (Gaussian, not binned) `head.actor.log_std`, `head.value.weight [d x 1]`,
 *   `head.value.bias [1]`.
 */
export function transformerLayout(spec: TransformerSpec): TransformerParam[] {
  checkTransformerSpec(spec);
  const d = spec.dModel;
  const hidden = Math.round(spec.mlpRatio * d);
  const out: TransformerParam[] = [];
  const add = (name: string, group: TransformerParam['group'], shape: number[]): void => void out.push({ name, group, shape });
  const own = spaceParams(spec, spec, '', 'tokenizers', 'heads');
  out.push(...own.filter((p) => p.name.startsWith('tok.')));
  add('tok.start', 'tokenizers', [d]);
  add('task.embedding', 'tokenizers', [spec.tasks, d]);
  addTrunkParams(add, d, hidden, spec.layers, spec.lora);
  out.push(...own.filter((p) => p.name.startsWith('head.')));
  return out;
}

/**
 * The trunk's parameters in layout order, shared by the transformer kinds:
 * per block `ln1`, the attention projections `wq/wk/wv/wo [d x d]` (then
 * their LoRA adapters, group `lora`), `ln2`, the MLP `w1 [d x hidden]`,
 * `b1`, `w2 [hidden x d]`, `b2`; then the final `ln_f`.
 */
export function addTrunkParams(add: (name: string, group: 'trunk' | 'lora', shape: number[]) => void, d: number, hidden: number, layers: number, lora?: LoraSpec): void {
  const norm = lora?.norms === true ? 'lora' : 'trunk';
  const bias = lora?.biases === true ? 'lora' : 'trunk';
  for (let l = 0; l < layers; l++) {
    const p = `blocks.${l}`;
    add(`${p}.ln1.gamma`, norm, [d]);
    add(`${p}.ln1.beta`, norm, [d]);
    for (const w of ['wq', 'wk', 'wv', 'wo']) add(`${p}.attn.${w}`, 'trunk', [d, d]);
    for (const w of (lora?.targets ?? []).filter((t) => !isMlpTarget(t))) addAdapterParams(add, `${p}.attn.${w}`, ...targetShape(w, d, hidden), lora!);
    add(`${p}.ln2.gamma`, norm, [d]);
    add(`${p}.ln2.beta`, norm, [d]);
    add(`${p}.mlp.w1`, 'trunk', [d, hidden]);
    add(`${p}.mlp.b1`, bias, [hidden]);
    add(`${p}.mlp.w2`, 'trunk', [hidden, d]);
    add(`${p}.mlp.b2`, bias, [d]);
    for (const w of (lora?.targets ?? []).filter(isMlpTarget)) addAdapterParams(add, `${p}.mlp.${w}`, ...targetShape(w, d, hidden), lora!);
  }
  add('ln_f.gamma', norm, [d]);
  add('ln_f.beta', norm, [d]);
}

/**
 * One projection's adapter tensors (group `lora`): LoRA's `<name>.lora_a [in x rank]`, `<name>.lora_b [rank x out]`
 * (DoRA: then `<name>.dora_m [out]`), or VeRA's `<name>.vera_d [rank]`, `<name>.vera_b [out]`.
 */
function addAdapterParams(add: (name: string, group: 'lora', shape: number[]) => void, name: string, inDim: number, outDim: number, lora: LoraSpec): void {
  if (lora.kind === 'vera') {
    add(`${name}.vera_d`, 'lora', [lora.rank]);
    add(`${name}.vera_b`, 'lora', [outDim]);
  } else {
    add(`${name}.lora_a`, 'lora', [inDim, lora.rank]);
    add(`${name}.lora_b`, 'lora', [lora.rank, outDim]);
    if (lora.kind === 'dora') add(`${name}.dora_m`, 'lora', [outDim]);
  }
}

/** The norm of each column of `W [rows x cols]` (row-major; float64 sums): DoRA's magnitudes of a projection. */
export function columnNorms(W: Float32Array, rows: number, cols: number): Float32Array {
  const sq = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sq[j] += W[i * cols + j] ** 2;
  return Float32Array.from(sq, Math.sqrt);
}

/** The input and output sizes of projection `w` (`wq` ... `w2`) of a spec's blocks. */
export function loraTargetShape(spec: Pick<TransformerSpec, 'dModel' | 'mlpRatio'>, w: LoraTarget): [number, number] {
  return targetShape(w, spec.dModel, Math.round(spec.mlpRatio * spec.dModel));
}

/** `[in, out]` of projection `w` in blocks of width `d` and MLP width `hidden`. */
function targetShape(w: LoraTarget, d: number, hidden: number): [number, number] {
  return w === 'w1' ? [d, hidden] : w === 'w2' ? [hidden, d] : [d, d];
}

/**
 * The tensors of one space with `prefix`: `tok.obs.weight [obsDim x d]`,
 * `tok.obs.bias [d]`, `tok.act.weight [actIn x d]` (group `tok`), then
 * `head.actor.weight [d x outDim]`, `head.actor.bias`, (Gaussian)
 * `head.actor.log_std`, `head.value.weight [d x 1]`, `head.value.bias [1]`
 * and, with `pretrainHeads`, `pred.obs.weight [d x obsDim]`, `pred.obs.bias`,
 * `pred.prev.weight [d x outDim]`, `pred.prev.bias` (group `heads`).
 */
export function spaceParams(spec: TransformerSpec, io: { obsDim: number; head: HeadSpec; binned?: BinSpec }, prefix: string, tok: TransformerParam['group'], heads: TransformerParam['group'], withPred = false): TransformerParam[] {
  const d = spec.dModel;
  const outDim = chunkOf(spec) * stepOutDim(io);
  const prevDim = actorOutDim(io.head);
  const out: TransformerParam[] = [
    { name: `${prefix}tok.obs.weight`, group: tok, shape: [io.obsDim, d] },
    { name: `${prefix}tok.obs.bias`, group: tok, shape: [d] },
    { name: `${prefix}tok.act.weight`, group: tok, shape: [actionInputDim(io.head), d] },
    { name: `${prefix}head.actor.weight`, group: heads, shape: [d, outDim] },
    { name: `${prefix}head.actor.bias`, group: heads, shape: [outDim] },
  ];
  if (io.head.kind === 'gaussian' && !io.binned) out.push({ name: `${prefix}head.actor.log_std`, group: heads, shape: [io.head.dim] });
  out.push({ name: `${prefix}head.value.weight`, group: heads, shape: [d, 1] }, { name: `${prefix}head.value.bias`, group: heads, shape: [1] });
  if (withPred) {
    out.push(
      { name: `${prefix}pred.obs.weight`, group: heads, shape: [d, io.obsDim] },
      { name: `${prefix}pred.obs.bias`, group: heads, shape: [io.obsDim] },
      { name: `${prefix}pred.prev.weight`, group: heads, shape: [d, prevDim] },
      { name: `${prefix}pred.prev.bias`, group: heads, shape: [prevDim] },
    );
  }
  return out;
}

/**
 * Tensors a network holds besides those it acts with (group `bank`): with
 * `pretrainHeads`, `tok.mask [d]` (replaces a masked previous action) and the
 * active space's `pred.*`; then every other space's tokenizers and heads
 * (and `pred.*`), prefixed `spaces.<i>.`.
 */
export function carriedLayout(spec: TransformerSpec): TransformerParam[] {
  const out: TransformerParam[] = [];
  const pred = spec.pretrainHeads === true;
  if (pred) {
    out.push({ name: 'tok.mask', group: 'bank', shape: [spec.dModel] });
    out.push(...spaceParams(spec, spec, '', 'bank', 'bank', true).filter((p) => p.name.startsWith('pred.')));
  }
  for (const e of spaceEntries(spec).slice(1)) out.push(...spaceParams(spec, e, e.prefix, 'bank', 'bank', pred));
  return out;
}

/**
 * Fresh parameters by name: GPT-2's init (normal, std 0.02; residual
 * output projections scaled by 1/sqrt(2 layers)), LayerNorm gains 1, biases
 * 0, and CleanRL's orthogonal heads (gain 0.01 for the actor, 1 for the value).
 */
export function initTransformerParams(spec: TransformerSpec, rng: Rng, options: { logStdInit: number }): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const residualStd = 0.02 / Math.sqrt(2 * spec.layers);
  for (const p of [...transformerLayout(spec), ...carriedLayout(spec)]) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const t = new Float32Array(size);
    const leaf = p.name.split('.').pop() as string;
    const name = p.name.replace(/^spaces\.\d+\./, '');
    if (leaf === 'lora_b' || leaf === 'vera_b') t.fill(0); // B = 0 (VeRA: b = 0): the adapted network starts equal to the base
    else if (leaf === 'vera_d') t.fill(VERA_D_INIT);
    else if (leaf === 'dora_m') {
      const W = out.get(p.name.slice(0, -'.dora_m'.length)) as Float32Array; // laid out before it
      t.set(columnNorms(W, W.length / size, size)); // m = ||W||: the adapted network starts as the base
    }
    else if (leaf === 'lora_a') for (let i = 0; i < size; i++) t[i] = rng.normal() / Math.sqrt(p.shape[0]); // 1/sqrt(fan-in)
    else if (name === 'head.actor.weight' || name === 'head.value.weight') orthogonalInto(t, 0, p.shape[0], p.shape[1], name === 'head.actor.weight' ? 0.01 : 1, rng);
    else if (name === 'head.actor.log_std') t.fill(options.logStdInit);
    else if (leaf === 'gamma') t.fill(1);
    else if (leaf === 'beta' || leaf === 'bias' || leaf === 'b1' || leaf === 'b2') t.fill(0);
    else {
      const std = leaf === 'wo' || leaf === 'w2' ? residualStd : 0.02;
      for (let i = 0; i < size; i++) t[i] = std * rng.normal();
    }
    out.set(p.name, t);
  }
  return out;
}

/** ALiBi slopes (Press et al. 2022, arXiv:2108.12409): head h penalizes distance by `2^(-8 (h + 1) / heads)`. */
export function alibiSlopes(heads: number): Float64Array {
  return Float64Array.from({ length: heads }, (_, h) => 2 ** ((-8 * (h + 1)) / heads));
}

/** Steps of history a step's output depends on through the stacked windows: `layers x (window - 1)`. */
export function receptiveContext(spec: TransformerSpec): number {
  return spec.layers * (spec.window - 1);
}

/** Validates a spec (house-format errors naming the field). */
export function checkTransformerSpec(spec: TransformerSpec): void {
  const bad = (what: string, expected: string, got: unknown): never => {
    throw new InvalidArgument(formatError(`TransformerSpec.${what}`, expected, describeValue(got), 'Check the policy config'));
  };
  for (const k of ['obsDim', 'dModel', 'layers', 'heads', 'window', 'tasks'] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] <= 0) bad(k, 'a positive integer', spec[k]);
  }
  if (spec.dModel % spec.heads !== 0) bad('heads', `a divisor of dModel (${spec.dModel})`, spec.heads);
  if (!(spec.mlpRatio > 0)) bad('mlpRatio', 'a positive number', spec.mlpRatio);
  if (!Number.isInteger(spec.taskIndex) || spec.taskIndex < 0 || spec.taskIndex >= spec.tasks) bad('taskIndex', `an integer in [0, ${spec.tasks})`, spec.taskIndex);
  const sigs = new Set<string>();
  for (const [i, e] of spaceEntries(spec).entries()) {
    if (i > 0 && (!Number.isInteger(e.obsDim) || e.obsDim <= 0 || !e.head || !Number.isInteger(e.taskIndex) || e.taskIndex < 0 || e.taskIndex >= spec.tasks)) bad(`otherSpaces[${i - 1}]`, `{ obsDim, head, taskIndex in [0, ${spec.tasks}) }`, e);
    const sig = spaceSignature(e);
    if (sigs.has(sig)) bad(`otherSpaces[${i - 1}]`, 'a space the network does not hold yet', sig);
    sigs.add(sig);
    if (e.obsNames !== undefined && !(Array.isArray(e.obsNames) && e.obsNames.length === e.obsDim && e.obsNames.every((n) => typeof n === 'string'))) bad(i === 0 ? 'obsNames' : `otherSpaces[${i - 1}].obsNames`, `${e.obsDim} names (one per observation dimension) or absent`, e.obsNames);
  }
  if (spec.chunk !== undefined && !(Number.isInteger(spec.chunk) && spec.chunk >= 1)) bad('chunk', 'a positive integer (1: no action chunking)', spec.chunk);
  if (spec.ensembleCoef !== undefined && !(Number.isFinite(spec.ensembleCoef) && spec.ensembleCoef >= 0)) bad('ensembleCoef', 'a finite number >= 0', spec.ensembleCoef);
  if (spec.dropout !== undefined && !(spec.dropout >= 0 && spec.dropout < 1)) bad('dropout', 'a rate in [0, 1)', spec.dropout);
  for (const [i, e] of spaceEntries(spec).entries()) {
    if (!e.binned) continue;
    const where = i === 0 ? 'binned' : `otherSpaces[${i - 1}].binned`;
    if (e.head.kind !== 'gaussian') bad(where, 'absent for a discrete action head (bins are for Box actions)', e.binned);
    else if (e.binned.low?.length !== e.head.dim) bad(`${where}.low`, `${e.head.dim} bounds (one per action dimension)`, e.binned.low);
    new BinnedContinuousSampler(e.binned); // validates bins and bounds
  }
  if (spec.lora) {
    if (spec.lora.kind !== undefined && !LORA_KINDS.includes(spec.lora.kind)) bad('lora.kind', `one of ${LORA_KINDS.join(', ')}`, spec.lora.kind);
    const vera = spec.lora.kind === 'vera';
    const maxRank = vera ? VERA_MAX_RANK : spec.dModel;
    if (!Number.isInteger(spec.lora.rank) || spec.lora.rank <= 0 || spec.lora.rank > maxRank) bad('lora.rank', `an integer in [1, ${maxRank}]${vera ? ' (VeRA)' : ''}`, spec.lora.rank);
    if (vera && !(Number.isInteger(spec.lora.seed) && (spec.lora.seed as number) >= 0 && (spec.lora.seed as number) < 2 ** 32)) bad('lora.seed', "an integer in [0, 2^32) with kind 'vera' (its random matrices' seed)", spec.lora.seed);
    if (spec.lora.kind !== undefined && spec.lora.kind !== 'lora' && spec.lora.init === 'pissa') bad('lora.init', `'gaussian' or absent with kind '${spec.lora.kind}' (PiSSA is for plain LoRA)`, spec.lora.init);
    if (!(spec.lora.alpha > 0)) bad('lora.alpha', 'a positive number', spec.lora.alpha);
    if (!Array.isArray(spec.lora.targets) || spec.lora.targets.length === 0 || !spec.lora.targets.every((t) => LORA_TARGETS.includes(t))) bad('lora.targets', `a non-empty list of ${LORA_TARGETS.join(', ')}`, spec.lora.targets);
    for (const k of ['norms', 'biases'] as const) if (spec.lora[k] !== undefined && typeof spec.lora[k] !== 'boolean') bad(`lora.${k}`, 'true or false', spec.lora[k]);
    if (spec.lora.init !== undefined && !LORA_INITS.includes(spec.lora.init)) bad('lora.init', `one of ${LORA_INITS.join(', ')}`, spec.lora.init);
  }
}
