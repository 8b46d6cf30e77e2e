import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/commands/record.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { flatObservations, imageParts, splitObservationInto, stateDimWithoutImages } from '../../src/data/image-observations.js';
import { datasetDemonstrations } from '../../agents/algos/bc/dataset-demonstrations.js';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Text } from '../../src/core/spaces/text.js';
import { Rng } from '../../src/core/rng.js';
import { imageSpace } from '../../src/vector/add-image-observation.js';
import { InvalidArgument } from '../../src/core/errors.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { tempDir } from './helpers.js';

test('image parts of a Dict observation: split into state + image columns and put back into the flat observation exactly', () => {
  const space = new Dict({ state: new Box(-1, 1, [3]), image: imageSpace(4, 2), instruction: new Text(6), zcam: imageSpace(2, 2) });
  const parts = imageParts(space);
  assert.deepEqual(parts.map((p) => [p.key, p.column, p.offset, p.shape]), [['image', 'observation.image', 0, [4, 2, 3]], ['zcam', 'observation.zcam', 24 + 6 + 3, [2, 2, 3]]]);
  assert.equal(stateDimWithoutImages(space), 9);
  const rng = new Rng(0);
  const rows = 3;
  const obs = Array.from({ length: rows }, () => space.sample(rng));
  const state = new Float32Array(rows * 9);
  const images = { 'observation.image': new Uint8Array(rows * 24), 'observation.zcam': new Uint8Array(rows * 12) };
  obs.forEach((o, r) => splitObservationInto(space, parts, o, state, r * 9, images, r));
  const flat = flatObservations(space, state, images, rows, 'test');
  const want = new Float32Array(rows * space.flatDim);
  obs.forEach((o, r) => space.flattenInto(o, want, r * space.flatDim));
  assert.deepEqual(flat, want);
  assert.throws(() => flatObservations(space, state, { ...images, 'observation.zcam': new Uint8Array(5) }, rows, 'test'), (e: Error) => e instanceof InvalidArgument && /observation\.zcam: expected Uint8Array \[3 x 2 x 2 x 3\], got 5 values/.test(e.message));
});

test('lamkit record --env LangReach-v0 --policy expert writes state, image and instruction; the demonstrations read back as the env observed them', { skip: chromiumSkip() }, async () => {
  const { dir, cleanup } = tempDir('lamkit-lang-reach-');
  try {
    const out = join(dir, 'demos');
    const r = await runRecord({ env: 'LangReach-v0', policy: 'expert', episodes: '2', seed: '3', out, imageSize: '32', progress: false });
    assert.equal(r.episodes, 2);
    assert.equal(r.successRate, 1);
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    assert.deepEqual(info.features['observation.image'], { dtype: 'image', shape: [32, 32, 3], names: ['height', 'width', 'channels'], fps: 25 });
    assert.equal(info.features['observation.instruction'].dtype, 'string');
    const ds = await openDataset(out);
    const space = ds.spaces!.observation as Dict;
    assert.deepEqual(space.keys, ['image', 'instruction', 'state']);
    // observation.state: the instruction's charset indices and the 12 joint numbers, not the 3,072 pixels.
    assert.equal(info.features['observation.state'].shape[0], space.flatDim - 32 * 32 * 3);
    const ep = await ds.readEpisode(0);
    const px = ep['observation.image'] as Uint8Array;
    const n = ds.episodes[0].length;
    assert.equal(px.length, n * 32 * 32 * 3);
    // A camera frame: not blank, and the arm moves (first and last frames differ).
    const frame = (t: number) => px.subarray(t * 3072, (t + 1) * 3072);
    assert.ok(new Set(frame(0)).size > 20);
    assert.notDeepEqual(frame(0), frame(n - 1));
    const instructions = ep['observation.instruction'] as string[];
    assert.ok(instructions.every((s) => s === instructions[0]) && /red|green|blue|yellow|orange|purple|white|black|pink|cyan/.test(instructions[0]), instructions[0]);
    // LeRobot's image stats: per channel in [0, 1], [3, 1, 1].
    const stats = JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'))['observation.image'];
    assert.equal(stats.mean.length, 3);
    assert.ok(stats.mean.every((c: number[][]) => c[0][0] > 0 && c[0][0] < 1));
    // The demonstrations (what lamkit finetune trains on): the flat Dict observation, image pixels back at offset 0.
    const demos = await datasetDemonstrations(ds, [0], space, ds.spaces!.action, 'test');
    assert.equal(demos.obsDim, space.flatDim);
    assert.equal(demos.rows, n);
    for (const t of [0, n - 1]) {
      const o = space.unflatten(demos.obs, t * space.flatDim) as { image: Uint8Array; instruction: string; state: Float32Array };
      assert.deepEqual(o.image, frame(t));
      assert.equal(o.instruction, instructions[t]);
    }
  } finally {
    cleanup();
  }
});
