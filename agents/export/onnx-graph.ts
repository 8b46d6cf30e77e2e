import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import { onnxTypes, ONNX_FLOAT, ONNX_INT64 } from './onnx-schema.js';

/** A tensor dimension: a size, or a symbolic name (`batch`) for a size fixed at run time. */
export type Dim = number | string;

/** An attribute value: integers and integer lists, strings, or `{ f }` for a float. */
export type AttrValue = number | number[] | string | { f: number };

/** Element types of graph inputs and outputs. */
export type ElemType = 'float32' | 'int64';

interface NodeInit {
  op_type: string;
  input: string[];
  output: string[];
  name: string;
  attribute?: object[];
}

interface TensorInit {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** Opset of the default ONNX domain the exports target (LayerNormalization needs 17). */
export const ONNX_OPSET = 17;
/** ONNX IR version matching opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

/**
 * A small builder of ONNX graphs: graph inputs and outputs, constant
 * initializers and nodes named in order (`MatMul_12`), encoded as a
 * `ModelProto` with protobufjs ({@link onnxTypes}). Each exporter writes its
 * network's forward pass with it, op by op, from the kind's parameter layout.
 */
export class OnnxGraph {
  private readonly nodes: NodeInit[] = [];
  private readonly inits: TensorInit[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly names = new Set<string>();
  private count = 0;

  constructor(readonly name: string) {}

  /** Declares a graph input. */
  input(name: string, type: ElemType, dims: readonly Dim[], doc = ''): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims, doc));
    return name;
  }

  /** Declares `value` (a node's output) as the graph output `name` (an Identity node renames it). */
  output(value: string, name: string, type: ElemType, dims: readonly Dim[], doc = ''): void {
    this.claim(name);
    this.nodes.push({ op_type: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, type, dims, doc));
  }

  /** A float32 constant (initializer). */
  constF(hint: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const f = Float32Array.from(data);
    checkSize(hint, f.length, dims);
    const bytes = new Uint8Array(f.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < f.length; i++) view.setFloat32(i * 4, f[i], true);
    return this.init(hint, dims, ONNX_FLOAT, bytes);
  }

  /** An int64 constant (initializer): shapes, axes, indices. */
  constI64(hint: string, data: ArrayLike<number>, dims: readonly number[] = [data.length]): string {
    checkSize(hint, data.length, dims);
    const bytes = new Uint8Array(data.length * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]), true);
    return this.init(hint, dims, ONNX_INT64, bytes);
  }

  /** A node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0];
  }

  /** A node with `outputs` outputs; returns their names. */
  opN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, AttrValue> = {}): string[] {
    const id = `${opType}_${this.count++}`;
    const outs = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? id : `${id}:${i}`));
    this.nodes.push({ op_type: opType, input: [...inputs], output: outs, name: id, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  /** `x @ W + b` with W `[in x out]` and b `[out]` as initializers (b omitted when null). */
  dense(x: string, hint: string, weight: ArrayLike<number>, shape: readonly [number, number], bias: ArrayLike<number> | null): string {
    const y = this.op('MatMul', [x, this.constF(`${hint}.weight`, weight, shape)]);
    return bias ? this.op('Add', [y, this.constF(`${hint}.bias`, bias, [shape[1]])]) : y;
  }

  /** The encoded `ModelProto` (opset {@link ONNX_OPSET}) with `metadata` as `metadata_props`. */
  encode(options: { producerVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array {
    const { ModelProto } = onnxTypes();
    const model = {
      ir_version: ONNX_IR_VERSION,
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      producer_name: 'lamkit',
      producer_version: options.producerVersion,
      doc_string: options.docString,
      graph: { name: this.name, ...this.finalGraph(), input: this.inputs, output: this.outputs },
      metadata_props: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    };
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }

  /**
   * The nodes and initializers to encode: each output's renaming Identity
   * folded into the node that produces the value (when that node is the
   * only producer and the value feeds no other output), then every node and
   * initializer no output depends on dropped (e.g. the encoded action a
   * stateless MLP never feeds back). ONNX Runtime runs each node as a
   * kernel call, so this is per-call time saved, not just file size.
   */
  private finalGraph(): { node: NodeInit[]; initializer: TensorInit[] } {
    const nodes = this.nodes.map((n) => ({ ...n, input: [...n.input], output: [...n.output] }));
    const producer = new Map<string, NodeInit>();
    for (const n of nodes) for (const o of n.output) producer.set(o, n);
    const renamed = new Set<string>();
    for (const idn of nodes.filter((n) => n.name.startsWith('out_') && n.op_type === 'Identity')) {
      const value = idn.input[0];
      const prod = producer.get(value);
      if (!prod || prod.name.startsWith('out_') || renamed.has(value)) continue;
      const name = idn.output[0];
      renamed.add(value);
      prod.output = prod.output.map((o) => (o === value ? name : o));
      for (const n of nodes) n.input = n.input.map((i) => (i === value ? name : i));
      // Other outputs renaming the same value now read it under its new name.
      idn.op_type = '';
    }
    const live = nodes.filter((n) => n.op_type !== '');
    const needed = new Set<string>(this.outputs.map((o) => (o as { name: string }).name));
    const kept: NodeInit[] = [];
    for (let i = live.length - 1; i >= 0; i--) {
      const n = live[i];
      if (!n.output.some((o) => needed.has(o))) continue;
      kept.push(n);
      for (const inp of n.input) if (inp) needed.add(inp);
    }
    kept.reverse();
    return { node: kept, initializer: this.inits.filter((t) => needed.has(t.name)) };
  }

  private init(hint: string, dims: readonly number[], dataType: number, bytes: Uint8Array): string {
    const name = `${hint}#${this.count++}`;
    this.inits.push({ name, dims: [...dims], data_type: dataType, raw_data: bytes });
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new InvalidArgument(formatError('OnnxGraph.input/output', 'a name not used yet', describeValue(name), 'Give each graph input and output its own name'));
    this.names.add(name);
  }
}

function checkSize(hint: string, length: number, dims: readonly number[]): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length) throw new InvalidArgument(formatError(`OnnxGraph.const(${hint})`, `${size} values (shape [${dims.join(',')}])`, `${length}`, 'Pass data of the declared shape'));
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[], doc: string): object {
  return {
    name,
    doc_string: doc,
    type: { tensor_type: { elem_type: type === 'float32' ? ONNX_FLOAT : ONNX_INT64, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

function attribute(name: string, v: AttrValue): object {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'object') return { name, type: 1, f: v.f };
  if (Number.isInteger(v)) return { name, type: 2, i: v };
  return { name, type: 1, f: v };
}
