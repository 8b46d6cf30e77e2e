import type { Space } from '../../src/core/spaces/space.js';
import type { RunningMeanStdState } from '../../src/core/running-mean-std.js';
import type { NamedTensor } from '../policies/actor-critic.js';
import type { OnnxGraph } from './onnx-graph.js';
import type { ExportOutputs } from './graph-parts.js';

/** What an exporter reads from a checkpoint: the network by name, the task and the frozen normalization. */
export interface ExportSource {
  /** The checkpoint directory (named in errors). */
  dir: string;
  kind: string;
  spec: Record<string, unknown>;
  tensors: readonly NamedTensor[];
  envId: string;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  obsStats: RunningMeanStdState | null;
  clipObs: number;
}

/** A pair of recurrent tensors: feed `output` of one call as `input` of the next; zeros at an episode start. */
export interface StatePair {
  input: string;
  output: string;
  /** The tensor's shape, `'batch'` where the batch size goes (float32, zeros at an episode start). */
  shape: Array<number | 'batch'>;
}

/** One exported model of a policy (a transformer exports two: the cached step model and the full-window model). */
export interface ExportedGraph {
  /** File name inside the export directory, e.g. `policy.onnx`. */
  file: string;
  graph: OnnxGraph;
  /** `step` (one control step, with state pairs) or `window` (a whole sequence at once). */
  role: 'step' | 'window';
  /** One paragraph on the inputs and outputs, stored as the model's doc string. */
  doc: string;
  state: StatePair[];
}

/** Builds a kind's ONNX graphs from its spec and tensors; registered per kind in export-policy.ts. */
export type OnnxExporter = (source: ExportSource, outputs: ExportOutputs) => ExportedGraph[];
