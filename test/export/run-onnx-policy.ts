/**
 * Runs an exported policy with onnxruntime-node on its task, in a process of
 * its own (no lamkit network, no tfjs): `node --import tsx
 * test/export/run-onnx-policy.ts <export dir> <episodes>` prints
 * `{ "returns": [...] }`. Used by test/export/onnx-cartpole.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { runEpisodes } from '../../src/core/run-episodes.js';
import { OnnxPolicy } from '../../agents/export/onnx-policy.js';

const [dir, episodes] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8'));
const session = await ort.InferenceSession.create(join(dir, 'policy.onnx'));
const policy = new OnnxPolicy(session, ort.Tensor, manifest);
const env = make(manifest.task);
const r = await runEpisodes(env, policy, { episodes: Number(episodes), seed: 100, deterministic: true });
env.close();
await session.release();
process.stdout.write(JSON.stringify({ returns: r.episodes.map((e) => e.return) }) + '\n');
