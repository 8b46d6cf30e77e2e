import { join } from 'node:path';
import { readCheckpoint } from '../checkpoint/read-checkpoint.js';
import { FileFormatError, InvalidArgument, LamkitError, formatError, describeValue } from '../../src/core/errors.js';
import { replaceDirAtomic, writeSynced } from '../../src/data/atomic-write.js';
import type { ExportOutputs } from './graph-parts.js';
import type { ExportSource, OnnxExporter } from './export-source.js';
import { mlpOnnx, windowMlpOnnx } from './mlp-onnx.js';
import { transformerOnnx } from './transformer-onnx.js';
import { lamkitVersion } from './lamkit-version.js';
import { mlpTfjs } from './mlp-tfjs.js';

/** Export formats of `lamkit export --format`. */
export const EXPORT_FORMATS = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The manifest written beside the models: kind, task, spaces, spec, and per file its role and recurrent state pairs (what an `OnnxStepper` needs). */
export const EXPORT_MANIFEST = 'export.json';

/** Options of {@link exportPolicy}. */
export interface ExportOptions extends Partial<ExportOutputs> {
  format: ExportFormat;
}

/** What {@link exportPolicy} wrote. */
export interface ExportResult {
  /** The export directory. */
  dir: string;
  /** The files written, with their role (`step`: one control step; `window`: a whole sequence). */
  files: Array<{ file: string; role: 'step' | 'window'; bytes: number }>;
  kind: string;
  envId: string;
}

const ONNX_EXPORTERS = new Map<string, OnnxExporter>([
  ['mlp', mlpOnnx],
  ['window-mlp', windowMlpOnnx],
  ['transformer', transformerOnnx],
]);

/** Adds the ONNX exporter of a policy kind registered with `registerPolicyKind` (an existing name is an error). */
export function registerOnnxExporter(kind: string, exporter: OnnxExporter): void {
  if (ONNX_EXPORTERS.has(kind)) throw new InvalidArgument(formatError('registerOnnxExporter.kind', 'a kind without an exporter', describeValue(kind), 'Pick the kind you registered'));
  ONNX_EXPORTERS.set(kind, exporter);
}

/**
 * Exports the policy of checkpoint `checkpointDir` (a run's `--out` or its
 * `checkpoint/`) to the directory `outDir`, replaced atomically: ONNX
 * (opset 17) graphs with the observation normalization folded in, the
 * deterministic action as output (optionally the distribution parameters
 * and the value), and metadata (`lamkit.*` metadata_props: version, kind,
 * task id, spaces as JSON, spec, recurrent state pairs). A checkpoint of a
 * kind without an exporter, or a corrupt one, is a `FileFormatError`
 * naming the file.
 */
export function exportPolicy(checkpointDir: string, outDir: string, options: ExportOptions): ExportResult {
  const outputs: ExportOutputs = { distribution: options.distribution ?? false, value: options.value ?? false };
  const { dir, data } = readCheckpoint(checkpointDir);
  const exporter = ONNX_EXPORTERS.get(data.policy.kind);
  if (!exporter && options.format === 'onnx') {
    throw new FileFormatError(formatError(`lamkit export: ${join(dir, 'checkpoint.json')} policy.kind`, `a kind with an ONNX exporter (${[...ONNX_EXPORTERS.keys()].join(', ')})`, describeValue(data.policy.kind), 'Register one with registerOnnxExporter, or export another checkpoint'));
  }
  const source: ExportSource = {
    dir,
    kind: data.policy.kind,
    spec: data.policy.spec,
    tensors: data.policy.tensors,
    envId: data.meta.envId,
    observationSpace: data.meta.observationSpace,
    actionSpace: data.meta.actionSpace,
    obsStats: data.normalization.obs,
    clipObs: data.normalization.clipObs,
  };
  if (options.format === 'tfjs') return exportTfjs(source, outDir, outputs);
  let graphs;
  try {
    graphs = (exporter as OnnxExporter)(source, outputs);
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    const fix = err instanceof LamkitError ? err.message : `exporter failed: ${(err as Error).message}`;
    throw new FileFormatError(formatError(`lamkit export: ${join(dir, 'policy.bin')}`, `tensors matching the '${data.policy.kind}' spec in checkpoint.json`, describeValue(data.policy.spec), fix), { cause: err });
  }
  const version = lamkitVersion();
  const encoded = graphs.map((e) => ({
    ...e,
    bytes: e.graph.encode({
      producerVersion: version,
      docString: e.doc,
      metadata: {
        'lamkit.version': version,
        'lamkit.kind': source.kind,
        'lamkit.task': source.envId,
        'lamkit.role': e.role,
        'lamkit.observation_space': JSON.stringify(source.observationSpace.toJSON()),
        'lamkit.action_space': JSON.stringify(source.actionSpace.toJSON()),
        'lamkit.spec': JSON.stringify(source.spec),
        'lamkit.normalization': source.obsStats ? `folded in (clip ${source.clipObs})` : 'none',
        'lamkit.state': JSON.stringify(e.state),
      },
    }),
  }));
  const manifest = {
    format: 'lamkit-export',
    version: 1,
    lamkitVersion: version,
    kind: source.kind,
    task: source.envId,
    observationSpace: source.observationSpace.toJSON(),
    actionSpace: source.actionSpace.toJSON(),
    spec: source.spec,
    normalization: source.obsStats ? 'folded' : 'none',
    files: encoded.map((e) => ({ file: e.file, role: e.role, doc: e.doc, state: e.state })),
  };
  replaceDirAtomic(outDir, (tmp) => {
    for (const e of encoded) writeSynced(join(tmp, e.file), e.bytes);
    writeSynced(join(tmp, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2));
  });
  return { dir: outDir, files: encoded.map((e) => ({ file: e.file, role: e.role, bytes: e.bytes.length })), kind: source.kind, envId: source.envId };
}

/** `--format tfjs`: `model.json` + `weights.bin` (a tfjs graph model) and `export.json`, replacing `outDir` atomically. */
function exportTfjs(source: ExportSource, outDir: string, outputs: ExportOutputs): ExportResult {
  const version = lamkitVersion();
  const metadata = { lamkitVersion: version, kind: source.kind, task: source.envId, observationSpace: source.observationSpace.toJSON(), actionSpace: source.actionSpace.toJSON(), spec: source.spec, normalization: source.obsStats ? 'folded' : 'none' };
  const { modelJson, weightsBin } = mlpTfjs(source, outputs, metadata);
  const json = JSON.stringify(modelJson);
  replaceDirAtomic(outDir, (tmp) => {
    writeSynced(join(tmp, 'model.json'), json);
    writeSynced(join(tmp, 'weights.bin'), weightsBin);
    writeSynced(join(tmp, EXPORT_MANIFEST), JSON.stringify({ format: 'lamkit-export', version: 1, ...metadata, files: [{ file: 'model.json', role: 'step', doc: 'tfjs graph model: tf.loadGraphModel; input obs [batch, obsDim] raw', state: [] }] }, null, 2));
  });
  return { dir: outDir, files: [{ file: 'model.json', role: 'step', bytes: json.length + weightsBin.length }], kind: source.kind, envId: source.envId };
}
