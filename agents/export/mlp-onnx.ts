import type { MlpSpec } from '../policies/param-layout.js';
import { actorOutDim, flatFromTensors, paramLayout } from '../policies/param-layout.js';
import type { WindowMlpSpec } from '../policies/window-mlp-actor-critic.js';
import { OnnxGraph } from './onnx-graph.js';
import { actionHead, mlpTrunk, normalizeObs, type ExportOutputs } from './graph-parts.js';
import type { ExportSource, ExportedGraph, StatePair } from './export-source.js';

/**
 * Kind `mlp` as one ONNX graph: `obs [batch x obsDim]` (raw) -> normalization
 * -> actor trunk -> `action` (+ `logits` / `mean`, `log_std`, `value`),
 * weights read through the kind's `paramLayout` (so a layout change is an
 * error here, not a silently wrong file).
 */
export function mlpOnnx(source: ExportSource, outputs: ExportOutputs): ExportedGraph[] {
  const spec = source.spec as unknown as MlpSpec;
  const tensor = byLayout(spec, source);
  const g = new OnnxGraph('lamkit_mlp_policy');
  const obs = g.input('obs', 'float32', ['batch', spec.obsDim], 'raw flattened observations (observationSpace.flatten)');
  const x = normalizeObs(g, obs, source.obsStats, source.clipObs);
  heads(g, x, spec, tensor, source, outputs, ['batch']);
  return [{ file: 'policy.onnx', graph: g, role: 'step', doc: 'inputs: obs [batch, obsDim] raw; outputs: action (deterministic), optional logits|mean,log_std and value', state: [] }];
}

/**
 * Kind `window-mlp` as one ONNX step graph: `obs [batch x obsDim]` (raw)
 * and `history [batch x (window-1) x obsDim]` (the previous normalized
 * observations of the episode, oldest first, zeros at its start) ->
 * `action` ..., and `history_out` to feed back at the next step.
 */
export function windowMlpOnnx(source: ExportSource, outputs: ExportOutputs): ExportedGraph[] {
  const spec = source.spec as unknown as WindowMlpSpec;
  const stacked: MlpSpec = { obsDim: spec.obsDim * spec.window, hidden: spec.hidden, activation: spec.activation, head: spec.head };
  const tensor = byLayout(stacked, source);
  const g = new OnnxGraph('lamkit_window_mlp_policy');
  const d = spec.obsDim;
  const obs = g.input('obs', 'float32', ['batch', d], 'raw flattened observations (observationSpace.flatten)');
  const x = normalizeObs(g, obs, source.obsStats, source.clipObs);
  const state: StatePair[] = [];
  let input = x;
  if (spec.window > 1) {
    const history = g.input('history', 'float32', ['batch', spec.window - 1, d], 'previous normalized observations of the episode, oldest first (zeros at the episode start): feed history_out back');
    const window = g.op('Concat', [history, g.op('Unsqueeze', [x, g.constI64('axes', [1])])], { axis: 1 });
    g.output(g.op('Slice', [window, g.constI64('starts', [1]), g.constI64('ends', [spec.window]), g.constI64('axes', [1])]), 'history_out', 'float32', ['batch', spec.window - 1, d], 'history for the next step');
    input = g.op('Reshape', [window, g.constI64('shape', [-1, spec.window * d])]);
    state.push({ input: 'history', output: 'history_out', shape: ['batch', spec.window - 1, d] as Array<number | 'batch'> });
  }
  heads(g, input, stacked, tensor, source, outputs, ['batch']);
  return [{ file: 'policy.onnx', graph: g, role: 'step', doc: 'inputs: obs [batch, obsDim] raw, history [batch, window-1, obsDim] (zeros at an episode start); outputs: action, history_out (feed back), optional logits|mean,log_std and value', state }];
}

function heads(g: OnnxGraph, x: string, spec: MlpSpec, tensor: (n: string) => Float32Array, source: ExportSource, outputs: ExportOutputs, lead: string[]): void {
  const actorOut = mlpTrunk(g, x, 'actor', [spec.obsDim, ...spec.hidden, actorOutDim(spec.head)], spec.activation, tensor);
  const valueOut = outputs.value ? mlpTrunk(g, x, 'critic', [spec.obsDim, ...spec.hidden, 1], spec.activation, tensor) : null;
  actionHead(g, { actorOut, valueOut, logStd: spec.head.kind === 'gaussian' ? tensor('actor.log_std') : null, head: spec.head, actionSpace: source.actionSpace, lead, outputs });
}

/** Tensor lookup checked against the MLP layout (shape errors name the checkpoint). */
function byLayout(spec: MlpSpec, source: ExportSource): (name: string) => Float32Array {
  const theta = flatFromTensors(spec, source.tensors, `${source.dir}/policy.bin`);
  const layout = new Map(paramLayout(spec).map((e) => [e.name, theta.subarray(e.offset, e.offset + e.size)]));
  return (name) => layout.get(name) as Float32Array;
}
