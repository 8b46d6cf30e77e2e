import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { runFinetune } from '../../src/cli/commands/finetune.js';
import { runPredict } from '../../src/cli/commands/predict.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { browserPerFile } from '../helpers/browser-per-file.js';
import { tempDir } from '../data/helpers.js';

// One Chromium for the file: the recorder's camera and the image env of lamkit eval share it.
browserPerFile();

// The whole LangReach-v0 vision recipe on a tiny model (issue 15): record the expert with camera
// images, fine-tune the text-transformer (image tokens beside the words and the state), predict from
// JSON lines, evaluate in the image env. Learning itself is bench:language's job, not a test's.
test('LangReach-v0 with images: lamkit record -> finetune (text-transformer with image tokens) -> predict -> eval, end to end', { skip: chromiumSkip() }, async () => {
  const { dir, cleanup } = tempDir('lamkit-vision-');
  try {
    const data = join(dir, 'demos');
    const rec = await runRecord({ env: 'LangReach-v0', policy: 'expert', episodes: '5', seed: '0', out: data, imageSize: '16', progress: false });
    assert.equal(rec.totalEpisodes, 5);

    const tiny = { policy: { kind: 'text-transformer', embeddings: 'learned', embedDim: 8, dModel: 16, layers: 1, heads: 2, maxTokens: 8, imagePatch: 8, imageGrid: 2 }, maxSteps: 10, evalEvery: 5, batchSize: 8, seqLen: 4, warmupSteps: 2 };
    const ft = await runFinetune({ data, out: join(dir, 'run'), mode: 'full', seed: '1', config: JSON.stringify(tiny), progress: false });
    const ckpt = JSON.parse(readFileSync(join(ft.checkpointDir, 'checkpoint.json'), 'utf8'));
    assert.equal(ckpt.policy.kind, 'text-transformer');
    // The image is in the flat observation at offset 0 (Dict keys sorted: image, instruction, state): 2 x 2 image tokens.
    assert.deepEqual(ckpt.policy.spec.image, { offset: 0, height: 16, width: 16, channels: 3, patch: 8, grid: 2 });
    // Pixels are left as 0-255 (the tokenizer scales them); the joints are normalized.
    assert.equal(ckpt.normalization.obs.mean[0], 0);
    assert.equal(ckpt.normalization.obs.var[0], 1);

    // predict: a recorded frame, the same with another image, and the instruction alone.
    const ds = await openDataset(data);
    const ep = await ds.readEpisode(0);
    const state = ep['observation.state'] as Float32Array;
    const stateDim = state.length / ds.episodes[0].length;
    const image = Array.from((ep['observation.image'] as Uint8Array).subarray(0, 768));
    const joints = Array.from(state.subarray(stateDim - 12, stateDim));
    const instruction = (ep['observation.instruction'] as string[])[0];
    const input = join(dir, 'in.jsonl');
    const lines = [{ instruction, state: joints, image }, { instruction, state: joints, image: image.map((v) => 255 - v) }, { instruction }];
    writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out: string[] = [];
    assert.equal(await runPredict({ checkpoint: ft.checkpointDir, input }, (l) => out.push(l)), 3);
    const actions = out.map((l) => (JSON.parse(l) as { action: number[] }).action);
    assert.ok(actions.every((a) => a.length === 6 && a.every(Number.isFinite)), out.join('\n'));
    assert.notDeepEqual(actions[0], actions[1], 'the image changes the predicted action');
    const again: string[] = [];
    await runPredict({ checkpoint: ft.checkpointDir, input }, (l) => again.push(l));
    assert.deepEqual(again, out, 'deterministic');
    // An image of the wrong size names the part and the space.
    writeFileSync(input, JSON.stringify({ instruction, image: image.slice(0, 100) }) + '\n');
    await assert.rejects(runPredict({ checkpoint: ft.checkpointDir, input }, () => {}), (e: Error) => e instanceof InvalidArgument && /in\.jsonl:1\.image: expected image values in the checkpoint's space Box\(0\.0, 255\.0, \(16, 16, 3\), uint8\), got .*length 100 does not match shape \(16, 16, 3\)/.test(e.message));

    // eval: the checkpoint runs in the image env (camera at the recorded size).
    const ev = await runEval({ checkpoint: ft.outDir, episodes: '1', seed: '100' });
    assert.equal(ev.envId, 'LangReach-v0');
    assert.equal(ev.returns.length, 1);
    assert.ok(Number.isFinite(ev.returns[0]));
    assert.notEqual(ev.successRate, null);
  } finally {
    cleanup();
  }
});
