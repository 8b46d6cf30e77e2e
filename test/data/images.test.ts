import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { decode as decodePng } from 'fast-png';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { mergeDatasets } from '../../src/data/dataset-tools.js';
import { iterateBatches } from '../../src/data/dataset-batches.js';
import { computeImageStats, imageFeature, sampleIndices, estimateNumSamples, decodeImagePng, encodeImagePng } from '../../src/data/image-feature.js';
import { Rng } from '../../src/core/rng.js';
import { FileFormatError, InvalidArgument } from '../../src/core/errors.js';
import { syntheticEpisode, syntheticSpec, tempDir } from './helpers.js';

const H = 6;
const W = 5;

function imageSpec() {
  return syntheticSpec(3, 2, { 'observation.image': imageFeature(H, W), 'observation.instruction': { dtype: 'string', shape: [1], names: null } });
}

/** A synthetic episode with random RGB frames and one instruction per frame. */
function episodeWithImages(rng: Rng, length: number, k: number) {
  const ep = syntheticEpisode(rng, length, 3, 2, k % 2 ? 'push' : 'reach');
  const pixels = new Uint8Array(length * H * W * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.integer(0, 256);
  ep.frames['observation.image'] = pixels;
  ep.frames['observation.instruction'] = Array.from({ length }, (_, t) => `touch the ${['red', 'green', 'blue'][(k + t) % 3]} ball, é ${t}!`);
  return ep;
}

test('a dataset with images (LeRobot image dtype, PNG in Parquet) and text round-trips exactly, with LeRobot image stats', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(7);
    const eps = [4, 7, 3].map((n, k) => episodeWithImages(rng, n, k));
    const w = await DatasetWriter.open(dir, imageSpec(), { dataFileSizeMb: 100 });
    w.addEpisode(eps[0]);
    w.addEpisode(eps[1]);
    w.flush(); // two data files: episode 2 goes to file-001
    w.addEpisode(eps[2]);
    w.close();

    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    assert.deepEqual(info.features['observation.image'], { dtype: 'image', shape: [H, W, 3], names: ['height', 'width', 'channels'], fps: 25 });

    const ds = await openDataset(dir);
    assert.deepEqual(ds.skippedFeatures, []);
    assert.equal(ds.columns['observation.image'].kind, 'image');
    for (let e = 0; e < eps.length; e++) {
      const got = await ds.readEpisode(e);
      const image = got['observation.image'];
      assert.ok(image instanceof Uint8Array);
      assert.equal(image.length, eps[e].length * H * W * 3);
      assert.deepEqual(image, eps[e].frames['observation.image']);
      assert.deepEqual(got['observation.instruction'], eps[e].frames['observation.instruction']);
      assert.deepEqual(got['observation.state'], eps[e].frames['observation.state']);
    }

    // stats.json: per channel, / 255, [3, 1, 1] as LeRobot stores them; count = sampled frames (all, below 100).
    const stats = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'));
    const all = new Uint8Array(eps.reduce((s, e) => s + (e.frames['observation.image'] as Uint8Array).length, 0));
    let at = 0;
    for (const e of eps) (all.set(e.frames['observation.image'] as Uint8Array, at), (at += (e.frames['observation.image'] as Uint8Array).length));
    const frames = all.length / (H * W * 3);
    for (let c = 0; c < 3; c++) {
      const v: number[] = [];
      for (let i = c; i < all.length; i += 3) v.push(all[i] / 255);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      assert.deepEqual(stats['observation.image'].min[c], [[Math.min(...v)]]);
      assert.deepEqual(stats['observation.image'].max[c], [[Math.max(...v)]]);
      assert.ok(Math.abs(stats['observation.image'].mean[c][0][0] - mean) < 1e-12);
      assert.ok(Math.abs(stats['observation.image'].std[c][0][0] - std) < 1e-12);
    }
    assert.deepEqual(stats['observation.image'].count, [frames]);
    assert.equal(stats['observation.state'].count[0], frames);
    // The reader flattens them and sees the file as consistent (no recompute, no rewrite).
    assert.equal(ds.stats['observation.image'].mean.length, 3);

    // Appending reopens the dataset (stats.json read back) and keeps the images of both sessions.
    const w2 = await DatasetWriter.open(dir, imageSpec());
    const extra = episodeWithImages(rng, 2, 3);
    w2.addEpisode(extra);
    w2.close();
    const ds2 = await openDataset(dir);
    assert.deepEqual((await ds2.readEpisode(3))['observation.image'], extra.frames['observation.image']);
    assert.deepEqual((await ds2.readEpisode(0))['observation.image'], eps[0].frames['observation.image']);
    assert.equal(JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'))['observation.image'].count[0], frames + 2);
  } finally {
    cleanup();
  }
});

test('DuckDB reads the image column lamkit wrote: struct { bytes, path }, the bytes are the PNG of each frame', async () => {
  const { dir, cleanup } = tempDir();
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const rng = new Rng(3);
    const ep = episodeWithImages(rng, 3, 0);
    const w = await DatasetWriter.open(dir, imageSpec());
    w.addEpisode(ep);
    w.close();
    const file = join(dir, 'data/chunk-000/file-000.parquet').replace(/'/g, "''");
    const types = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson() as Array<Record<string, string>>;
    assert.equal(types.find((t) => t.column_name === 'observation.image')?.column_type, 'STRUCT(bytes BLOB, path VARCHAR)');
    const reader = await db.runAndReadAll(`SELECT "observation.image".bytes AS png, "observation.image".path AS path, "observation.instruction" AS text FROM read_parquet('${file}') ORDER BY "index"`);
    const rows = reader.getRows();
    assert.equal(rows.length, 3);
    const pixels = ep.frames['observation.image'] as Uint8Array;
    rows.forEach((r, t) => {
      const bytes = (r[0] as { bytes: Uint8Array }).bytes;
      const png = decodePng(bytes);
      assert.deepEqual([png.height, png.width, png.channels, png.depth], [H, W, 3, 8]);
      assert.deepEqual(Uint8Array.from(png.data), pixels.subarray(t * H * W * 3, (t + 1) * H * W * 3));
      assert.equal(r[1], null);
      assert.equal(r[2], (ep.frames['observation.instruction'] as string[])[t]);
    });
  } finally {
    db.closeSync();
    instance.closeSync();
    cleanup();
  }
});

test('an image of the wrong shape is refused with an error naming both shapes (writer and reader)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(1);
    const w = await DatasetWriter.open(dir, imageSpec());
    const bad = episodeWithImages(rng, 2, 0);
    bad.frames['observation.image'] = new Uint8Array(2 * 4 * 4 * 3);
    assert.throws(() => w.addEpisode(bad), (err: Error) => err instanceof InvalidArgument && /observation\.image: expected Uint8Array \[2 x 6 x 5 x 3\].*got Uint8Array of 96 values \(\[2 x 48\] per frame/.test(err.message));
    w.addEpisode(episodeWithImages(rng, 2, 0));
    w.close();
    // info.json edited to another shape: the PNGs in the file are [6, 5, 3].
    const infoPath = join(dir, 'meta/info.json');
    const info = JSON.parse(readFileSync(infoPath, 'utf8'));
    info.features['observation.image'].shape = [8, 5, 3];
    writeFileSync(infoPath, JSON.stringify(info));
    const ds = await openDataset(dir, { readOnly: true });
    await assert.rejects(ds.readEpisode(0, ['observation.image']), (err: Error) => err instanceof FileFormatError && /expected an 8-bit RGB PNG of shape \[8, 5, 3\].*got a PNG of shape \[6, 5, 3\]/.test(err.message));
    info.features['observation.image'].shape = [8, 5, 4];
    writeFileSync(infoPath, JSON.stringify(info));
    await assert.rejects(openDataset(dir, { readOnly: true }).then((d) => d.readEpisode(0, ['observation.image'])), /expected a loadable feature|shape \[height, width, 3\]/);
    assert.throws(() => decodeImagePng(encodeImagePng(new Uint8Array(2 * 2 * 3), [2, 2, 3]), [2, 3, 3], 'x'), /shape \[2, 3, 3\].*got a PNG of shape \[2, 2, 3\]/);
  } finally {
    cleanup();
  }
});

test("image stats follow LeRobot's sampling (estimate_num_samples, sample_indices with numpy's rounding, stride from 300 px)", () => {
  assert.equal(estimateNumSamples(5), 5);
  assert.equal(estimateNumSamples(500), 105); // int(500 ** 0.75) = 105
  assert.equal(estimateNumSamples(1000), 177);
  assert.equal(estimateNumSamples(20_000), 1681);
  // np.round(np.linspace(0, 4, 3)) = [0, 2, 4]; np.linspace(0, 9, 4) = [0, 3, 6, 9]; 0.5 and 2.5 round to even.
  assert.deepEqual(sampleIndices(5), [0, 1, 2, 3, 4]);
  const idx = sampleIndices(150);
  assert.equal(idx.length, 100);
  assert.equal(idx[1], 2); // 1.5050... -> 2
  assert.equal(idx[99], 149);
  // Only sampled frames count: 150 frames, frame 1 (never sampled) is white, the rest black.
  const shape = [2, 2, 3] as const;
  const px = new Uint8Array(150 * 12);
  px.fill(255, 12, 24);
  const s = computeImageStats(px, 150, shape);
  assert.deepEqual(s.max, [0, 0, 0]);
  assert.deepEqual(s.count, [100]);
});

test('datasets with images merge: the images of every source come through exactly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(11);
    const eps = [3, 2, 4].map((n, k) => episodeWithImages(rng, n, k));
    for (const [name, list] of [['a', eps.slice(0, 2)], ['b', eps.slice(2)]] as const) {
      const w = await DatasetWriter.open(join(dir, name), imageSpec());
      for (const e of list) w.addEpisode(e);
      w.close();
    }
    assert.equal(await mergeDatasets([join(dir, 'a'), join(dir, 'b')], join(dir, 'all')), 3);
    const ds = await openDataset(join(dir, 'all'));
    for (let e = 0; e < 3; e++) assert.deepEqual((await ds.readEpisode(e))['observation.image'], eps[e].frames['observation.image']);
  } finally {
    cleanup();
  }
});

test('minibatches of an image column: Uint8Array [batch x H x W x 3], each row the frame it names', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(5);
    const eps = [4, 5].map((n, k) => episodeWithImages(rng, n, k));
    const w = await DatasetWriter.open(dir, imageSpec());
    for (const e of eps) w.addEpisode(e);
    w.close();
    const ds = await openDataset(dir);
    const size = H * W * 3;
    let rows = 0;
    for await (const b of iterateBatches(ds, { batchSize: 4, features: ['observation.image', 'observation.state'], seed: 1 })) {
      const px = b.columns['observation.image'];
      assert.ok(px instanceof Uint8Array);
      for (let i = 0; i < b.size; i++) {
        const want = (eps[b.episodeIndex[i]].frames['observation.image'] as Uint8Array).subarray(b.frameIndex[i] * size, (b.frameIndex[i] + 1) * size);
        assert.deepEqual(px.subarray(i * size, (i + 1) * size), want);
      }
      rows += b.size;
    }
    assert.equal(rows, 9);
  } finally {
    cleanup();
  }
});

test('decodeImagePng: the native-zlib path equals fast-png bit for bit on every PNG filter type, split IDAT chunks and fast-png-only formats', async () => {
  const { deflateSync, crc32 } = await import('node:zlib');
  const { decode } = await import('fast-png');
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  /** An 8-bit PNG of `channels` (3: RGB, 4: RGBA) whose row y uses filter filters[y % 5]; IDAT split into `parts` chunks. */
  const png = (pixels: Uint8Array, h: number, w: number, channels: number, parts: number): Uint8Array => {
    const stride = w * channels;
    const raw = new Uint8Array(h * (stride + 1));
    for (let y = 0; y < h; y++) {
      const f = y % 5;
      raw[y * (stride + 1)] = f;
      for (let x = 0; x < stride; x++) {
        const v = pixels[y * stride + x];
        const a = x >= channels ? pixels[y * stride + x - channels] : 0;
        const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
        const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
        const p = a + b - c;
        const pred = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][f];
        raw[y * (stride + 1) + 1 + x] = (v - pred) & 255;
      }
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8;
    ihdr[9] = channels === 3 ? 2 : 6;
    const z = deflateSync(raw);
    const size = Math.ceil(z.length / parts);
    const idats = Array.from({ length: parts }, (_, k) => chunk('IDAT', z.subarray(k * size, (k + 1) * size)));
    return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), ...idats, chunk('IEND', new Uint8Array(0))]));
  };
  const rng = new Rng(7);
  const [h, w] = [11, 9];
  const pixels = Uint8Array.from({ length: h * w * 3 }, () => Math.floor(rng.random() * 256));
  // Few distinct values: Paeth's ties (which neighbour wins) happen often.
  const flat = Uint8Array.from({ length: h * w * 3 }, () => 80 * Math.floor(rng.random() * 3));
  for (const [image, parts] of [[pixels, 1], [pixels, 3], [flat, 1]] as const) {
    const bytes = png(image, h, w, 3, parts);
    const ours = decodeImagePng(bytes, [h, w, 3], 'x');
    assert.deepEqual(ours, image, `${parts} IDAT chunk(s): every filter type unfiltered exactly`);
    assert.deepEqual(ours, Uint8Array.from(decode(bytes).data as Uint8Array), 'and as fast-png decodes it');
  }
  // What lamkit writes (fast-png's encoder) round-trips through the fast path too.
  assert.deepEqual(decodeImagePng(encodeImagePng(pixels, [h, w, 3]), [h, w, 3], 'x'), pixels);
  // RGBA is not the fast path's: fast-png decodes it and the shape check names it.
  const rgba = Uint8Array.from({ length: h * w * 4 }, () => Math.floor(rng.random() * 256));
  assert.throws(() => decodeImagePng(png(rgba, h, w, 4, 1), [h, w, 3], 'x'), /expected an 8-bit RGB PNG of shape \[11, 9, 3\].*got a PNG of shape \[11, 9, 4\]/);
});
