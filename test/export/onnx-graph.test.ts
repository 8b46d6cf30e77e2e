import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../agents/export/onnx-graph.js';
import { onnxTypes } from '../../agents/export/onnx-schema.js';

interface DecodedNode { op_type: string; input: string[]; output: string[] }
const decode = (bytes: Uint8Array): { node: DecodedNode[]; initializer: Array<{ name: string }> } =>
  (onnxTypes().ModelProto.toObject(onnxTypes().ModelProto.decode(bytes), { arrays: true }) as { graph: { node: DecodedNode[]; initializer: Array<{ name: string }> } }).graph;

test('OnnxGraph.encode folds output renames into their producers and drops nodes no output needs; ONNX Runtime gives the same outputs', async () => {
  const g = new OnnxGraph('prune');
  const x = g.input('x', 'float32', ['batch', 2]);
  const y = g.op('Mul', [x, g.constF('two', [2, 2], [2])]);
  g.op('Neg', [g.op('Abs', [y])]); // dead: feeds no output
  const z = g.op('Add', [y, g.constF('one', [1, 1], [2])]);
  g.output(z, 'z', 'float32', ['batch', 2]);
  g.output(z, 'z_again', 'float32', ['batch', 2]); // a second output of the same value keeps its Identity
  g.output(y, 'y', 'float32', ['batch', 2]);
  g.output(x, 'x_echo', 'float32', ['batch', 2]); // a graph input as output keeps its Identity
  const bytes = g.encode({ producerVersion: 'test', docString: '', metadata: {} });
  const graph = decode(bytes);
  assert.deepEqual(graph.node.map((n) => n.op_type), ['Mul', 'Add', 'Identity', 'Identity']);
  assert.deepEqual(graph.node[0].output, ['y']);
  assert.deepEqual(graph.node[1].input[0], 'y');
  assert.deepEqual(graph.node[1].output, ['z']);
  assert.equal(graph.initializer.length, 2);
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, -3]), [1, 2]) });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [2, -6]);
    assert.deepEqual(Array.from(out.z.data as Float32Array), [3, -5]);
    assert.deepEqual(Array.from(out.z_again.data as Float32Array), [3, -5]);
    assert.deepEqual(Array.from(out.x_echo.data as Float32Array), [1, -3]);
  } finally {
    await session.release();
  }
});
