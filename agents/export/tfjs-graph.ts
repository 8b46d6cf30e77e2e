/** A node of a TensorFlow GraphDef in its JSON form (what tfjs's `loadGraphModel` reads). */
interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/**
 * A small builder of tfjs graph models (`model.json` of format
 * `graph-model`: a TensorFlow GraphDef as JSON plus a weights manifest),
 * the format `tf.loadGraphModel` runs without the Python converter. Ops are
 * TensorFlow's (`MatMul`, `AddV2`, `Tanh`, `ArgMax`, ...), constants live in
 * the weights file.
 */
export class TfGraph {
  private readonly nodes: TfNode[] = [];
  private readonly weights: Array<{ name: string; shape: number[]; dtype: 'float32' | 'int32'; data: Float32Array | Int32Array }> = [];
  private count = 0;

  /** A float32 input; `-1` for the batch dimension. */
  placeholder(name: string, dims: readonly number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  /** A constant whose values travel in the weights file. */
  constant(hint: string, data: ArrayLike<number>, shape: readonly number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const name = `${hint}_${this.count++}`;
    const values = dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
    const tfType = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: tfType }, value: { tensor: { dtype: tfType, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    this.weights.push({ name, shape: [...shape], dtype, data: values });
    return name;
  }

  /** A node; `attr` in GraphDef JSON form (the element type `T` of float ops is added). */
  op(op: string, inputs: readonly string[], attr: Record<string, unknown> = {}, name = `${op}_${this.count++}`): string {
    this.nodes.push({ name, op, input: [...inputs], attr: { T: { type: 'DT_FLOAT' }, ...attr } });
    return name;
  }

  /** `x @ W + b` with W `[in x out]`. */
  dense(x: string, hint: string, weight: ArrayLike<number>, shape: readonly [number, number], bias: ArrayLike<number>): string {
    const y = this.op('MatMul', [x, this.constant(`${hint}.weight`, weight, shape)], { transpose_a: { b: false }, transpose_b: { b: false } });
    return this.op('AddV2', [y, this.constant(`${hint}.bias`, bias, [shape[1]])]);
  }

  /** `model.json` (with `weights.bin` as its one weights file) and the weight bytes. */
  build(metadata: Record<string, unknown>, outputs: Record<string, { value: string; dtype: 'float32' | 'int32' }>, inputs: Record<string, number[]>): { modelJson: object; weightsBin: Uint8Array } {
    const total = this.weights.reduce((a, w) => a + w.data.length * 4, 0);
    const bin = new Uint8Array(total);
    const view = new DataView(bin.buffer);
    let offset = 0;
    for (const w of this.weights) {
      for (let i = 0; i < w.data.length; i++, offset += 4) {
        if (w.dtype === 'float32') view.setFloat32(offset, w.data[i], true);
        else view.setInt32(offset, w.data[i], true);
      }
    }
    const nodes = [...this.nodes, ...Object.entries(outputs).map(([name, o]) => ({ name, op: 'Identity', input: [o.value], attr: { T: { type: o.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } }))];
    return {
      modelJson: {
        format: 'graph-model',
        generatedBy: 'lamkit',
        convertedBy: 'lamkit export --format tfjs',
        modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
        weightsManifest: [{ paths: ['weights.bin'], weights: this.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })) }],
        signature: {
          inputs: Object.fromEntries(Object.entries(inputs).map(([n, dims]) => [n, { name: `${n}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } }])),
          outputs: Object.fromEntries(Object.keys(outputs).map((n) => [n, { name: `${n}:0` }])),
        },
        userDefinedMetadata: metadata,
      },
      weightsBin: bin,
    };
  }
}
