import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { onnxTypes } from '../../agents/export/onnx-schema.js';

const cartpole = fileURLToPath(new URL('../fixtures/imitation/cartpole-ppo', import.meta.url));
const transformer = fileURLToPath(new URL('../fixtures/export/cartpole-transformer', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-cli-export-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

test('lamkit export writes the ONNX files and export.json; an existing --out needs --force; bad flags and files exit 2 with one line', async () => {
  const out = join(root, 'cartpole');
  const first = await run(['export', '--checkpoint', cartpole, '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /mlp policy of CartPole-v1 -> .*policy\.onnx \(step/);
  const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
  assert.equal(manifest.task, 'CartPole-v1');
  assert.equal(manifest.kind, 'mlp');
  // The metadata travels in the ONNX file itself (ModelProto.metadata_props), decoded here with the same schema.
  const { ModelProto } = onnxTypes();
  const model = ModelProto.toObject(ModelProto.decode(readFileSync(join(out, 'policy.onnx'))), { longs: Number }) as { opset_import: Array<{ version: number }>; metadata_props: Array<{ key: string; value: string }> };
  const meta = Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
  assert.equal(model.opset_import[0].version, 17);
  assert.equal(meta['lamkit.task'], 'CartPole-v1');
  assert.equal(meta['lamkit.kind'], 'mlp');
  assert.equal(meta['lamkit.version'], JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')).version);
  assert.deepEqual(JSON.parse(meta['lamkit.action_space']), { type: 'Discrete', n: 2, start: 0 });
  assert.equal(JSON.parse(meta['lamkit.observation_space']).type, 'Box');
  assert.equal(meta['lamkit.normalization'], 'none', 'this fixture trained without observation normalization (the parity tests cover folded statistics)');
  const again = await run(['export', '--checkpoint', cartpole, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^lamkit: InvalidArgument: lamkit export --out: expected a path that does not exist yet, got ".*" \(it exists\)\. Replace it with --force, or pick another --out\.\n$/);
  assert.equal((await run(['export', '--checkpoint', cartpole, '--out', out, '--force', '--format', 'tfjs'])).code, 0);
  assert.ok(existsSync(join(out, 'model.json')) && !existsSync(join(out, 'policy.onnx')), '--force replaced the directory');
  const format = await run(['export', '--checkpoint', cartpole, '--out', join(root, 'x'), '--format', 'torch']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /lamkit export --format: expected onnx or tfjs, got "torch"/);
  const missing = await run(['export', '--checkpoint', join(root, 'nope'), '--out', join(root, 'y')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /FileFormatError: loadCheckpoint\.dir: .*no such directory/);
  const tfjsTransformer = await run(['export', '--checkpoint', transformer, '--out', join(root, 'z'), '--format', 'tfjs']);
  assert.equal(tfjsTransformer.code, 2);
  assert.match(tfjsTransformer.stderr, /checkpoint\.json policy\.kind: expected 'mlp'.*Export it with --format onnx/);
  const both = await run(['export', '--checkpoint', transformer, '--out', join(root, 't')]);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /policy\.onnx \(step, .*policy-window\.onnx \(window/);
});
