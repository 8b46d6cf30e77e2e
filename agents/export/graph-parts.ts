import type { Space } from '../../src/core/spaces/space.js';
import { Box } from '../../src/core/spaces/box.js';
import { allocateActions } from '../../src/core/vector-env.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';
import type { HeadSpec } from '../policies/param-layout.js';
import { ActionCodec } from '../policies/action-codec.js';
import type { OnnxGraph, Dim } from './onnx-graph.js';

/** Which optional outputs an export carries besides the deterministic action. */
export interface ExportOutputs {
  /** Distribution parameters: `logits` (categorical) or `mean` and `log_std` (Gaussian). */
  distribution: boolean;
  /** The critic's value `V(s)`. */
  value: boolean;
}

/**
 * Observation normalization folded into the graph, exactly as lamkit's
 * policies apply it (`normalizeRows`): `clip((x - mean) / sqrt(var + 1e-8), +-clipObs)`
 * on the last axis; `x` unchanged when the checkpoint has no statistics.
 */
export function normalizeObs(g: OnnxGraph, x: string, stats: RunningMeanStdState | null, clipObs: number): string {
  if (!stats) return x;
  const dim = stats.mean.length;
  const std = stats.var.map((v) => Math.sqrt(v + 1e-8));
  const centered = g.op('Sub', [x, g.constF('obs_norm.mean', stats.mean, [dim])]);
  const scaled = g.op('Div', [centered, g.constF('obs_norm.std', std, [dim])]);
  return g.op('Clip', [scaled, g.constF('obs_norm.clip_low', [-clipObs], []), g.constF('obs_norm.clip_high', [clipObs], [])]);
}

/** Numbers per encoded action as a sequence model feeds it back: one-hot over every categorical component, or the raw Gaussian action. */
export function encodedActionDim(head: HeadSpec): number {
  return head.kind === 'categorical' ? head.nvec.reduce((a, b) => a + b, 0) : head.dim;
}

/**
 * The action head on the actor's output `actorOut [...lead, outDim]`:
 * declares the graph output `action` (the env action of
 * `act(obs, { deterministic: true })`: per component argmax plus the
 * space's `start`, int64; or the Gaussian mean clipped to the Box bounds,
 * float32) and, when asked, `logits` / `mean` + `log_std` and `value`
 * (from `valueOut [...lead, 1]`). Returns the deterministic action in the
 * form a sequence model feeds back (see {@link encodedActionDim}).
 */
export function actionHead(g: OnnxGraph, args: { actorOut: string; valueOut: string | null; logStd: Float32Array | null; head: HeadSpec; actionSpace: Space<unknown>; lead: readonly Dim[]; outputs: ExportOutputs }): string {
  const { head, lead } = args;
  let encoded: string;
  if (head.kind === 'categorical') {
    const k = head.nvec.length;
    const parts = k === 1 ? [args.actorOut] : g.opN('Split', [args.actorOut, g.constI64('split', head.nvec)], k, { axis: -1 });
    const indices = parts.map((p) => g.op('ArgMax', [p], { axis: -1, keepdims: 1 }));
    const index = k === 1 ? indices[0] : g.op('Concat', indices, { axis: -1 });
    const codec = new ActionCodec(args.actionSpace);
    const starts = allocateActions(args.actionSpace, 1);
    codec.toEnvActions(new Float32Array(k), 1, starts);
    const action = starts.some((s) => s !== 0) ? g.op('Add', [index, g.constI64('action.start', Array.from(starts))]) : index;
    g.output(action, 'action', 'int64', [...lead, k], `argmax of each component plus the space's start (${args.actionSpace.toString()})`);
    const hot = indices.map((idx, j) => g.op('Squeeze', [g.op('OneHot', [idx, g.constI64('depth', [head.nvec[j]], []), g.constF('onehot.values', [0, 1], [2])], { axis: -1 }), g.constI64('axes', [-2])]));
    encoded = hot.length === 1 ? hot[0] : g.op('Concat', hot, { axis: -1 });
    if (args.outputs.distribution) g.output(args.actorOut, 'logits', 'float32', [...lead, encodedActionDim(head)], `unnormalized log-probabilities, components [${head.nvec.join(',')}] side by side`);
  } else {
    const box = args.actionSpace as Box;
    let action = args.actorOut;
    if (box instanceof Box && box.low.some(Number.isFinite)) action = g.op('Max', [action, g.constF('action.low', box.low.map((v) => (Number.isFinite(v) ? v : -3.4e38)), [head.dim])]);
    if (box instanceof Box && box.high.some(Number.isFinite)) action = g.op('Min', [action, g.constF('action.high', box.high.map((v) => (Number.isFinite(v) ? v : 3.4e38)), [head.dim])]);
    g.output(action, 'action', 'float32', [...lead, head.dim], `the Gaussian mean clipped to the Box bounds (${args.actionSpace.toString()})`);
    encoded = args.actorOut;
    if (args.outputs.distribution) {
      g.output(args.actorOut, 'mean', 'float32', [...lead, head.dim], 'mean of the diagonal Gaussian (unclipped)');
      g.output(g.constF('log_std', args.logStd ?? [], [head.dim]), 'log_std', 'float32', [head.dim], 'state-independent log standard deviation');
    }
  }
  if (args.outputs.value && args.valueOut) g.output(g.op('Squeeze', [args.valueOut, g.constI64('axes', [-1])]), 'value', 'float32', [...lead], 'critic value V(s) (of the normalized reward scale the policy trained on)');
  return encoded;
}

/** An MLP trunk `x -> [hidden...] -> out` from layer tensors named `<prefix>.<l>.weight/bias`, `[in x out]` weights. */
export function mlpTrunk(g: OnnxGraph, x: string, prefix: string, widths: readonly number[], activation: 'tanh' | 'relu', tensor: (name: string) => Float32Array): string {
  let h = x;
  for (let l = 0; l + 1 < widths.length; l++) {
    h = g.dense(h, `${prefix}.${l}`, tensor(`${prefix}.${l}.weight`), [widths[l], widths[l + 1]], tensor(`${prefix}.${l}.bias`));
    if (l + 2 < widths.length) h = g.op(activation === 'tanh' ? 'Tanh' : 'Relu', [h]);
  }
  return h;
}
