/**
 * Deployment: `lamkit export` as a library. ONNX (every kind) or tfjs graph
 * (mlp) files with the observation normalization folded in, their
 * `export.json` manifest, and runtimes for them on ONNX Runtime (Node or
 * Web). (The in-browser control loop of `lamkit view --in-browser` is in
 * src/cli/in-browser/; src/index.ts re-exports it.)
 */
export { exportPolicy, registerOnnxExporter, EXPORT_FORMATS, EXPORT_MANIFEST, type ExportFormat, type ExportOptions, type ExportResult } from './export-policy.js';
export type { ExportOutputs } from './graph-parts.js';
export type { ExportSource, ExportedGraph, OnnxExporter, StatePair } from './export-source.js';
export { OnnxGraph, ONNX_OPSET, ONNX_IR_VERSION, type Dim, type AttrValue, type ElemType } from './onnx-graph.js';
export { OnnxStepper, type OrtSessionLike, type OrtTensorLike, type OrtTensorConstructor } from './onnx-stepper.js';
export { OnnxPolicy, type ExportManifest } from './onnx-policy.js';
export { createOrtNodeSyncSession, type OrtSyncSession, type OrtNodeSyncOptions } from './ort-node-sync.js';
