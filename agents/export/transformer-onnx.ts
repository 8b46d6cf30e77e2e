import { FileFormatError, formatError } from '../../src/core/errors.js';
import { actorOutDim } from '../policies/param-layout.js';
import { type TransformerSpec, actionInputDim, alibiSlopes, checkTransformerSpec, chunkOf } from '../policies/transformer/transformer-spec.js';
import { mergeLora } from '../policies/transformer/transformer-lora.js';
import { LN_EPS } from '../policies/transformer/transformer-js.js';
import { TemporalEnsemble } from '../policies/transformer/temporal-ensemble.js';
import { OnnxGraph } from './onnx-graph.js';
import { actionHead, normalizeObs, type ExportOutputs } from './graph-parts.js';
import type { ExportSource, ExportedGraph, StatePair } from './export-source.js';

/** Added to the scores of masked positions (exp underflows to exactly 0 in float32). */
const MASKED = -1e9;

/**
 * Kind `transformer` as two ONNX graphs, both the forward pass of
 * `TransformerJs` (the plain-JS decoder lamkit acts with), op by op from the
 * tensors of `transformerLayout` (LoRA adapters merged). With action chunking
 * (`chunk` k > 1) both act as lamkit's policy does, on the temporal ensemble of
 * the last k tokens' chunk predictions (`TemporalEnsemble`, weights `exp(-m i)`):
 * the step model carries those predictions as state (`past_chunks [batch x
 * (k-1) x k x stepOut]`, oldest first, and `past_chunk_mask [batch x (k-1)]`).
 *
 * - `policy.onnx`, one control step with the key/value cache as input and
 *   output: `obs [batch x obsDim]` (raw), `past_keys`, `past_values`
 *   `[layers x batch x (window-1) x dModel]`, `past_mask [batch x (window-1)]`
 *   (1 where a slot holds a token; slots are oldest first, new tokens
 *   enter on the right), `prev_action [batch x actIn]` (the previous action,
 *   encoded: one-hot or the raw Gaussian action) and `has_prev [batch x 1]`;
 *   all zeros at an episode start. Outputs `action` ... and `present_*`,
 *   `prev_action_out`, `has_prev_out` to feed back.
 * - `policy-window.onnx`, a whole episode (or its first T steps) at once:
 *   `obs [batch x time x obsDim]`, `actions [batch x time x actIn]` (the
 *   encoded action taken at each step; the last is unused) -> `action
 *   [batch x time x ...]` with the same banded ALiBi attention.
 */
export function transformerOnnx(source: ExportSource, outputs: ExportOutputs): ExportedGraph[] {
  const spec = source.spec as unknown as TransformerSpec;
  checkTransformerSpec(spec);
  if (spec.binned) throw new FileFormatError(formatError(`${source.dir}: the transformer spec's binned`, 'a Gaussian or categorical action head (ONNX export has no binned head)', `${spec.binned.bins} bins per action dimension`, 'Serve it with lamkit serve, or fine-tune a Gaussian head for export'));
  const tensors = mergeLora(spec, new Map(source.tensors.map((t) => [t.name, t.data]))).tensors;
  const d = spec.dModel;
  const hidden = Math.round(spec.mlpRatio * d);
  const actIn = actionInputDim(spec.head);
  const outDim = chunkOf(spec) * actorOutDim(spec.head);
  const expect: Array<[string, number]> = [
    ['tok.obs.weight', spec.obsDim * d],
    ['tok.obs.bias', d],
    ['tok.act.weight', actIn * d],
    ['tok.start', d],
    ['task.embedding', spec.tasks * d],
    ['ln_f.gamma', d],
    ['ln_f.beta', d],
    ['head.actor.weight', d * outDim],
    ['head.actor.bias', outDim],
    ['head.value.weight', d],
    ['head.value.bias', 1],
  ];
  for (let l = 0; l < spec.layers; l++) {
    for (const n of ['ln1.gamma', 'ln1.beta', 'ln2.gamma', 'ln2.beta', 'mlp.b2']) expect.push([`blocks.${l}.${n}`, d]);
    for (const n of ['wq', 'wk', 'wv', 'wo']) expect.push([`blocks.${l}.attn.${n}`, d * d]);
    expect.push([`blocks.${l}.mlp.w1`, d * hidden], [`blocks.${l}.mlp.b1`, hidden], [`blocks.${l}.mlp.w2`, hidden * d]);
  }
  if (spec.head.kind === 'gaussian') expect.push(['head.actor.log_std', spec.head.dim]);
  for (const [name, size] of expect) {
    const t = tensors.get(name);
    if (!t || t.length !== size) {
      throw new FileFormatError(formatError(`${source.dir}/policy.bin['${name}']`, `${size} values (from the transformer spec)`, t ? `${t.length}` : 'no such tensor', 'The weights do not match the architecture; re-save the checkpoint'));
    }
  }
  const net = new TransformerGraphs(spec, (n) => tensors.get(n) as Float32Array, source, outputs);
  return [net.stepGraph(), net.windowGraph()];
}

class TransformerGraphs {
  private readonly d: number;
  private readonly heads: number;
  private readonly dh: number;
  private readonly W: number;
  private readonly hidden: number;
  private readonly actIn: number;

  constructor(
    private readonly spec: TransformerSpec,
    private readonly t: (name: string) => Float32Array,
    private readonly source: ExportSource,
    private readonly outputs: ExportOutputs,
  ) {
    this.d = spec.dModel;
    this.heads = spec.heads;
    this.dh = spec.dModel / spec.heads;
    this.W = spec.window - 1;
    this.hidden = Math.round(spec.mlpRatio * spec.dModel);
    this.actIn = actionInputDim(spec.head);
  }

  stepGraph(): ExportedGraph {
    const { spec, d, W, heads, dh, actIn } = this;
    const g = new OnnxGraph('lamkit_transformer_step');
    const obs = g.input('obs', 'float32', ['batch', spec.obsDim], 'raw flattened observations');
    const pastKeys = W > 0 ? g.input('past_keys', 'float32', [spec.layers, 'batch', W, d], 'keys of the last window-1 tokens per layer, oldest first (zeros at an episode start)') : null;
    const pastValues = W > 0 ? g.input('past_values', 'float32', [spec.layers, 'batch', W, d], 'values, as past_keys') : null;
    const pastMask = W > 0 ? g.input('past_mask', 'float32', ['batch', W], '1 where a cache slot holds a token of this episode') : null;
    const prev = g.input('prev_action', 'float32', ['batch', actIn], 'the previous action, encoded (one-hot per component, or the raw Gaussian action)');
    const hasPrev = g.input('has_prev', 'float32', ['batch', 1], '1 after the first step of an episode, else 0');
    const x0 = this.obsToken(g, obs);
    const withAct = g.op('Add', [x0, g.op('Mul', [hasPrev, g.op('MatMul', [prev, g.constF('tok.act.weight', this.t('tok.act.weight'), [actIn, d])])])]);
    const startPart = g.op('Mul', [g.op('Sub', [g.constF('one', [1], []), hasPrev]), g.constF('tok.start', this.t('tok.start'), [d])]);
    let x = g.op('Add', [g.op('Add', [withAct, startPart]), this.taskRow(g)]);
    // Mask of the W cached slots plus this token, as additive score bias [batch x 1 x 1 x (W+1)].
    const maskBias = pastMask ? g.op('Unsqueeze', [g.op('Pad', [g.op('Mul', [g.op('Sub', [pastMask, g.constF('one', [1], [])]), g.constF('masked', [-MASKED], [])]), g.constI64('pads', [0, 0, 0, 1])]), g.constI64('axes', [1, 2])]) : null;
    const alibi = g.constF('alibi', this.alibiStep(), [heads, 1, W + 1]);
    const presentK: string[] = [];
    const presentV: string[] = [];
    for (let l = 0; l < spec.layers; l++) {
      const h = this.layerNorm(g, x, `blocks.${l}.ln1`);
      const q = g.op('Reshape', [this.proj(g, h, l, 'wq'), g.constI64('shape', [-1, heads, 1, dh])]);
      const kNew = g.op('Unsqueeze', [this.proj(g, h, l, 'wk'), g.constI64('axes', [1])]);
      const vNew = g.op('Unsqueeze', [this.proj(g, h, l, 'wv'), g.constI64('axes', [1])]);
      const past = (cache: string | null, now: string): string => (cache ? g.op('Concat', [g.op('Gather', [cache, g.constI64('layer', [l], [])], { axis: 0 }), now], { axis: 1 }) : now);
      const keys = past(pastKeys, kNew);
      const values = past(pastValues, vNew);
      const K = g.op('Transpose', [g.op('Reshape', [keys, g.constI64('shape', [-1, W + 1, heads, dh])])], { perm: [0, 2, 3, 1] });
      const V = g.op('Transpose', [g.op('Reshape', [values, g.constI64('shape', [-1, W + 1, heads, dh])])], { perm: [0, 2, 1, 3] });
      let s = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, K]), g.constF('scale', [1 / Math.sqrt(dh)], [])]), alibi]);
      if (maskBias) s = g.op('Add', [s, maskBias]);
      const o = g.op('Reshape', [g.op('MatMul', [g.op('Softmax', [s], { axis: -1 }), V]), g.constI64('shape', [-1, d])]);
      x = this.afterAttention(g, x, o, l);
      if (W > 0) {
        const slice = (t: string): string => g.op('Unsqueeze', [g.op('Slice', [t, g.constI64('starts', [1]), g.constI64('ends', [W + 1]), g.constI64('axes', [1])]), g.constI64('axes', [0])]);
        presentK.push(slice(keys));
        presentV.push(slice(values));
      }
    }
    const state: StatePair[] = [];
    // Ones [batch x 1]: has_prev for the next step, and this token's slot of the chunk ensemble.
    const ones = g.op('Add', [g.op('Mul', [hasPrev, g.constF('zero', [0], [])]), g.constF('one', [1], [])]);
    const encoded = this.heads_(g, x, ['batch'], (actorOut) => this.ensembleStep(g, actorOut, ones, state));
    if (pastMask) {
      g.output(presentK.length === 1 ? presentK[0] : g.op('Concat', presentK, { axis: 0 }), 'present_keys', 'float32', [spec.layers, 'batch', W, d], 'past_keys for the next step');
      g.output(presentV.length === 1 ? presentV[0] : g.op('Concat', presentV, { axis: 0 }), 'present_values', 'float32', [spec.layers, 'batch', W, d], 'past_values for the next step');
      const shifted = g.op('Slice', [pastMask, g.constI64('starts', [1]), g.constI64('ends', [W]), g.constI64('axes', [1])]);
      g.output(g.op('Pad', [shifted, g.constI64('pads', [0, 0, 0, 1]), g.constF('one', [1], [])]), 'present_mask', 'float32', ['batch', W], 'past_mask for the next step');
      const cache: Array<number | 'batch'> = [spec.layers, 'batch', W, d];
      state.push({ input: 'past_keys', output: 'present_keys', shape: cache }, { input: 'past_values', output: 'present_values', shape: cache }, { input: 'past_mask', output: 'present_mask', shape: ['batch', W] });
    }
    g.output(encoded, 'prev_action_out', 'float32', ['batch', actIn], 'this step\'s action, encoded: prev_action for the next step');
    g.output(ones, 'has_prev_out', 'float32', ['batch', 1], 'has_prev for the next step (ones)');
    state.push({ input: 'prev_action', output: 'prev_action_out', shape: ['batch', actIn] }, { input: 'has_prev', output: 'has_prev_out', shape: ['batch', 1] });
    return { file: 'policy.onnx', graph: g, role: 'step', doc: 'one control step of the transformer with its key/value cache as input and output; every state input is zeros at an episode start (see lamkit.state)', state };
  }

  windowGraph(): ExportedGraph {
    const { spec, d, W, heads, dh, actIn } = this;
    const g = new OnnxGraph('lamkit_transformer_window');
    const obs = g.input('obs', 'float32', ['batch', 'time', spec.obsDim], 'raw flattened observations of one episode from its first step');
    const actions = g.input('actions', 'float32', ['batch', 'time', actIn], 'the encoded action taken at each step (the last is unused)');
    const time = g.op('Gather', [g.op('Shape', [obs]), g.constI64('time_axis', [1], [])], { axis: 0 });
    const steps = g.op('Range', [g.constI64('zero', [0], []), time, g.constI64('one', [1], [])]);
    const stepsF = g.op('Cast', [steps], { to: 1 });
    const isFirst = g.op('Unsqueeze', [g.op('Cast', [g.op('Equal', [steps, g.constI64('zero', [0], [])])], { to: 1 }), g.constI64('axes', [0, 2])]);
    const prevActions = g.op('Pad', [g.op('Slice', [actions, g.constI64('starts', [0]), g.constI64('ends', [-1]), g.constI64('axes', [1])]), g.constI64('pads', [0, 1, 0, 0, 0, 0])]);
    const x0 = this.obsToken(g, obs);
    const actTok = g.op('MatMul', [prevActions, g.constF('tok.act.weight', this.t('tok.act.weight'), [actIn, d])]);
    const start = g.op('Mul', [isFirst, g.constF('tok.start', this.t('tok.start'), [d])]);
    let x = g.op('Add', [g.op('Add', [g.op('Add', [x0, actTok]), start]), this.taskRow(g)]);
    // Banded ALiBi bias [heads x time x time]: -slope * (i - j) where 0 <= i - j <= window - 1, else masked.
    const dist = g.op('Sub', [g.op('Unsqueeze', [stepsF, g.constI64('axes', [1])]), g.op('Unsqueeze', [stepsF, g.constI64('axes', [0])])]);
    const outside = g.op('Or', [g.op('Less', [dist, g.constF('zero', [0], [])]), g.op('Greater', [dist, g.constF('band', [W], [])])]);
    const band = g.op('Where', [outside, g.constF('masked', [MASKED], []), g.constF('zero', [0], [])]);
    const negSlopes = Array.from(alibiSlopes(heads), (s) => -s);
    const bias = g.op('Add', [g.op('Mul', [g.constF('neg_slopes', negSlopes, [heads, 1, 1]), g.op('Unsqueeze', [dist, g.constI64('axes', [0])])]), band]);
    for (let l = 0; l < spec.layers; l++) {
      const h = this.layerNorm(g, x, `blocks.${l}.ln1`);
      const split = (w: string, perm: number[]): string => g.op('Transpose', [g.op('Reshape', [this.proj(g, h, l, w), g.constI64('shape', [0, 0, heads, dh])])], { perm });
      const q = split('wq', [0, 2, 1, 3]);
      const K = split('wk', [0, 2, 3, 1]);
      const V = split('wv', [0, 2, 1, 3]);
      const s = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, K]), g.constF('scale', [1 / Math.sqrt(dh)], [])]), bias]);
      const o = g.op('MatMul', [g.op('Softmax', [s], { axis: -1 }), V]);
      x = this.afterAttention(g, x, g.op('Reshape', [g.op('Transpose', [o], { perm: [0, 2, 1, 3] }), g.constI64('shape', [0, 0, d])]), l);
    }
    this.heads_(g, x, ['batch', 'time'], (actorOut) => this.ensembleWindow(g, actorOut, steps));
    return { file: 'policy-window.onnx', graph: g, role: 'window', doc: 'the transformer over whole sequences: obs [batch, time, obsDim] from an episode start and the actions taken; outputs per step', state: [] };
  }

  /** Normalized observation through the observation tokenizer. */
  private obsToken(g: OnnxGraph, obs: string): string {
    const x = normalizeObs(g, obs, this.source.obsStats, this.source.clipObs);
    return g.dense(x, 'tok.obs', this.t('tok.obs.weight'), [this.spec.obsDim, this.d], this.t('tok.obs.bias'));
  }

  private taskRow(g: OnnxGraph): string {
    const i = this.spec.taskIndex * this.d;
    return g.constF('task.embedding.row', this.t('task.embedding').subarray(i, i + this.d), [this.d]);
  }

  private proj(g: OnnxGraph, h: string, l: number, w: string): string {
    return g.dense(h, `blocks.${l}.attn.${w}`, this.t(`blocks.${l}.attn.${w}`), [this.d, this.d], null);
  }

  /** Residual attention output, then the block's MLP (pre-LN, GELU tanh approximation). */
  private afterAttention(g: OnnxGraph, x: string, o: string, l: number): string {
    const { d, hidden } = this;
    const x1 = g.op('Add', [x, g.dense(o, `blocks.${l}.attn.wo`, this.t(`blocks.${l}.attn.wo`), [d, d], null)]);
    const h = this.layerNorm(g, x1, `blocks.${l}.ln2`);
    const a = g.dense(h, `blocks.${l}.mlp.w1`, this.t(`blocks.${l}.mlp.w1`), [d, hidden], this.t(`blocks.${l}.mlp.b1`));
    return g.op('Add', [x1, g.dense(this.gelu(g, a), `blocks.${l}.mlp.w2`, this.t(`blocks.${l}.mlp.w2`), [hidden, d], this.t(`blocks.${l}.mlp.b2`))]);
  }

  /** The heads on the trunk's output; with chunking, `ensemble` turns the actor's chunk predictions into this step's output. */
  private heads_(g: OnnxGraph, x: string, lead: string[], ensemble: (actorOut: string) => string): string {
    const d = this.d;
    const chunk = chunkOf(this.spec);
    const outDim = chunk * actorOutDim(this.spec.head);
    const h = this.layerNorm(g, x, 'ln_f');
    const chunked = g.dense(h, 'head.actor', this.t('head.actor.weight'), [d, outDim], this.t('head.actor.bias'));
    const actorOut = chunk > 1 ? ensemble(chunked) : chunked;
    const valueOut = this.outputs.value ? g.dense(h, 'head.value', this.t('head.value.weight'), [d, 1], this.t('head.value.bias')) : null;
    return actionHead(g, { actorOut, valueOut, logStd: this.spec.head.kind === 'gaussian' ? this.t('head.actor.log_std') : null, head: this.spec.head, actionSpace: this.source.actionSpace, lead, outputs: this.outputs });
  }

  /** `exp(-m i)` for i = 0 .. k - 1 (oldest first), the ensemble's weights as lamkit's policy applies them. */
  private ensembleWeights(): number[] {
    return Array.from(new TemporalEnsemble(chunkOf(this.spec), 1, this.spec.ensembleCoef ?? 0.01).weights);
  }

  /**
   * Step model: this token's chunk `[batch x k stepOut]` joins the k - 1 before it (state);
   * slot n (oldest first) predicted this step at its chunk position k - 1 - n; the output is
   * their average weighted `exp(-m n)` over the slots of this episode (the same ratios as
   * `TemporalEnsemble.step`, which weights the oldest available first).
   */
  private ensembleStep(g: OnnxGraph, actorOut: string, ones: string, state: StatePair[]): string {
    const k = chunkOf(this.spec);
    const s = actorOutDim(this.spec.head);
    const past = g.input('past_chunks', 'float32', ['batch', k - 1, k, s], "the chunk predictions of the last k-1 steps, oldest first (zeros at an episode start)");
    const pastMask = g.input('past_chunk_mask', 'float32', ['batch', k - 1], '1 where past_chunks holds a prediction of this episode');
    const all = g.op('Concat', [past, g.op('Reshape', [actorOut, g.constI64('shape', [-1, 1, k, s])])], { axis: 1 });
    const select = new Float32Array(k * k);
    for (let n = 0; n < k; n++) select[n * k + (k - 1 - n)] = 1;
    const picked = g.op('ReduceSum', [g.op('Mul', [all, g.constF('ensemble.select', select, [1, k, k, 1])]), g.constI64('axes', [2])], { keepdims: 0 });
    const mask = g.op('Concat', [pastMask, ones], { axis: 1 });
    const w = g.op('Mul', [mask, g.constF('ensemble.weights', this.ensembleWeights(), [k])]);
    const num = g.op('ReduceSum', [g.op('Mul', [picked, g.op('Unsqueeze', [w, g.constI64('axes', [2])])]), g.constI64('axes', [1])], { keepdims: 0 });
    const out = g.op('Div', [num, g.op('ReduceSum', [w, g.constI64('axes', [1])], { keepdims: 1 })]);
    const later = (t: string): string => g.op('Slice', [t, g.constI64('starts', [1]), g.constI64('ends', [k]), g.constI64('axes', [1])]);
    g.output(later(all), 'present_chunks', 'float32', ['batch', k - 1, k, s], 'past_chunks for the next step');
    g.output(later(mask), 'present_chunk_mask', 'float32', ['batch', k - 1], 'past_chunk_mask for the next step');
    state.push({ input: 'past_chunks', output: 'present_chunks', shape: ['batch', k - 1, k, s] }, { input: 'past_chunk_mask', output: 'present_chunk_mask', shape: ['batch', k - 1] });
    return out;
  }

  /**
   * Window model: step t averages the predictions of tokens t - i at chunk position i
   * (i = 0 .. min(k - 1, t)) with weights `exp(-m (k - 1 - i))`, the step model's ratios.
   */
  private ensembleWindow(g: OnnxGraph, actorOut: string, steps: string): string {
    const k = chunkOf(this.spec);
    const s = actorOutDim(this.spec.head);
    const weights = this.ensembleWeights();
    const byPosition = g.op('Reshape', [actorOut, g.constI64('shape', [0, 0, k, s])]);
    let num: string | null = null;
    let den: string | null = null;
    for (let i = 0; i < k; i++) {
      const at = g.op('Squeeze', [g.op('Slice', [byPosition, g.constI64('starts', [i]), g.constI64('ends', [i + 1]), g.constI64('axes', [2])]), g.constI64('axes', [2])]);
      // Token t - i's prediction lands on step t: shifted i steps later, zeros before.
      const shifted = i === 0 ? at : g.op('Slice', [g.op('Pad', [at, g.constI64('pads', [0, i, 0, 0, 0, 0])]), g.constI64('starts', [0]), g.constI64('ends', [-i]), g.constI64('axes', [1])]);
      const wi = g.constF(`ensemble.w${i}`, [weights[k - 1 - i]], []);
      const covered = g.op('Mul', [g.op('Cast', [g.op('GreaterOrEqual', [steps, g.constI64(`ensemble.i${i}`, [i], [])])], { to: 1 }), wi]);
      const term = g.op('Mul', [shifted, wi]);
      num = num ? g.op('Add', [num, term]) : term;
      den = den ? g.op('Add', [den, covered]) : covered;
    }
    return g.op('Div', [num as string, g.op('Unsqueeze', [den as string, g.constI64('axes', [0, 2])])]);
  }

  /** Two-pass LayerNorm on the last axis, as `TransformerJs.layerNorm` (epsilon {@link LN_EPS}). */
  private layerNorm(g: OnnxGraph, x: string, name: string): string {
    const centered = g.op('Sub', [x, g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 })]);
    const variance = g.op('ReduceMean', [g.op('Mul', [centered, centered])], { axes: [-1], keepdims: 1 });
    const normed = g.op('Div', [centered, g.op('Sqrt', [g.op('Add', [variance, g.constF('ln_eps', [LN_EPS], [])])])]);
    return g.op('Add', [g.op('Mul', [normed, g.constF(`${name}.gamma`, this.t(`${name}.gamma`), [this.d])]), g.constF(`${name}.beta`, this.t(`${name}.beta`), [this.d])]);
  }

  /** GELU, tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`. */
  private gelu(g: OnnxGraph, x: string): string {
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.constF('gelu_c', [0.044715], [])])]), g.constF('sqrt_2_over_pi', [Math.sqrt(2 / Math.PI)], [])]);
    return g.op('Mul', [g.op('Mul', [x, g.constF('half', [0.5], [])]), g.op('Add', [g.op('Tanh', [inner]), g.constF('one', [1], [])])]);
  }

  /** ALiBi bias of the step model `[heads x 1 x (W+1)]`: slot j of the cache is W - j steps back, this token 0. */
  private alibiStep(): Float32Array {
    const { heads, W } = this;
    const slopes = alibiSlopes(heads);
    const out = new Float32Array(heads * (W + 1));
    for (let h = 0; h < heads; h++) for (let j = 0; j <= W; j++) out[h * (W + 1) + j] = -slopes[h] * (W - j);
    return out;
  }
}
