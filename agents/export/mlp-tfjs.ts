import { Box } from '../../src/core/spaces/box.js';
import { allocateActions } from '../../src/core/vector-env.js';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { ActionCodec } from '../policies/action-codec.js';
import { actorOutDim, flatFromTensors, paramLayout, type MlpSpec } from '../policies/param-layout.js';
import { TfGraph } from './tfjs-graph.js';
import type { ExportOutputs } from './graph-parts.js';
import type { ExportSource } from './export-source.js';

/**
 * Kind `mlp` as a tfjs graph model: the same forward pass as the ONNX
 * export (normalization folded in, `action` = argmax + start as int32 or the
 * clipped Gaussian mean; `logits` / `mean`, `log_std`, `value` when asked),
 * loadable with `tf.loadGraphModel`. Other kinds export to ONNX only.
 */
export function mlpTfjs(source: ExportSource, outputs: ExportOutputs, metadata: Record<string, unknown>): { modelJson: object; weightsBin: Uint8Array } {
  if (source.kind !== 'mlp') {
    throw new FileFormatError(formatError(`lamkit export --format tfjs: ${source.dir}/checkpoint.json policy.kind`, "'mlp' (the kind with a tfjs graph export)", describeValue(source.kind), 'Export it with --format onnx'));
  }
  const spec = source.spec as unknown as MlpSpec;
  const theta = flatFromTensors(spec, source.tensors, `${source.dir}/policy.bin`);
  const t = new Map(paramLayout(spec).map((e) => [e.name, theta.subarray(e.offset, e.offset + e.size)]));
  const g = new TfGraph();
  let x = g.placeholder('obs', [-1, spec.obsDim]);
  if (source.obsStats) {
    const d = spec.obsDim;
    const std = source.obsStats.var.map((v) => Math.sqrt(v + 1e-8));
    x = g.op('Sub', [x, g.constant('obs_norm.mean', source.obsStats.mean, [d])]);
    x = g.op('RealDiv', [x, g.constant('obs_norm.std', std, [d])]);
    x = g.op('ClipByValue', [x, g.constant('obs_norm.clip_low', [-source.clipObs], []), g.constant('obs_norm.clip_high', [source.clipObs], [])]);
  }
  const trunk = (prefix: string, out: number): string => {
    const widths = [spec.obsDim, ...spec.hidden, out];
    let h = x;
    for (let l = 0; l + 1 < widths.length; l++) {
      h = g.dense(h, `${prefix}.${l}`, t.get(`${prefix}.${l}.weight`) as Float32Array, [widths[l], widths[l + 1]], t.get(`${prefix}.${l}.bias`) as Float32Array);
      if (l + 2 < widths.length) h = g.op(spec.activation === 'tanh' ? 'Tanh' : 'Relu', [h]);
    }
    return h;
  };
  const actorOut = trunk('actor', actorOutDim(spec.head));
  const outs: Record<string, { value: string; dtype: 'float32' | 'int32' }> = {};
  if (spec.head.kind === 'categorical') {
    if (spec.head.nvec.length !== 1) {
      throw new FileFormatError(formatError(`lamkit export --format tfjs: ${source.dir}/checkpoint.json policy.spec.head`, 'one categorical component (Discrete)', `nvec [${spec.head.nvec.join(',')}]`, 'Export it with --format onnx'));
    }
    const index = g.op('ArgMax', [actorOut, g.constant('axis', [1], [], 'int32')], { Tidx: { type: 'DT_INT32' }, output_type: { type: 'DT_INT32' } });
    const start = allocateActions(source.actionSpace, 1);
    new ActionCodec(source.actionSpace).toEnvActions(new Float32Array(1), 1, start);
    outs.action = { value: start[0] !== 0 ? g.op('AddV2', [index, g.constant('action.start', [start[0]], [], 'int32')], { T: { type: 'DT_INT32' } }) : index, dtype: 'int32' };
    if (outputs.distribution) outs.logits = { value: actorOut, dtype: 'float32' };
  } else {
    const box = source.actionSpace as Box;
    let a = actorOut;
    if (box instanceof Box) {
      a = g.op('Maximum', [a, g.constant('action.low', box.low.map((v) => (Number.isFinite(v) ? v : -3.4e38)), [spec.head.dim])]);
      a = g.op('Minimum', [a, g.constant('action.high', box.high.map((v) => (Number.isFinite(v) ? v : 3.4e38)), [spec.head.dim])]);
    }
    outs.action = { value: a, dtype: 'float32' };
    if (outputs.distribution) {
      outs.mean = { value: actorOut, dtype: 'float32' };
      outs.log_std = { value: g.constant('log_std', t.get('actor.log_std') as Float32Array, [spec.head.dim]), dtype: 'float32' };
    }
  }
  if (outputs.value) outs.value = { value: g.op('Squeeze', [trunk('critic', 1)], { squeeze_dims: { list: { i: ['1'] } } }), dtype: 'float32' };
  return g.build(metadata, outs, { obs: [-1, spec.obsDim] });
}
