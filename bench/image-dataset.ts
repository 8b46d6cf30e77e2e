/**
 * `npm run bench:image-dataset [-- --frames N --size S --data <dir>]`: the
 * cost of camera images in a dataset (issue 15): frames/s written (PNG
 * encode + Parquet + commit) and read back (Parquet + PNG decode), and bytes
 * per frame on disk against the raw `H x W x 3` bytes. Frames: LangReach-like
 * scenes drawn here (a shaded table, coloured discs; deterministic), or the
 * `observation.image` frames of a recorded dataset (`--data`). Prints the
 * machine load beside the figures.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, cpus, loadavg } from 'node:os';
import { DatasetWriter } from '../src/data/dataset-writer.js';
import { openDataset } from '../src/data/lerobot-dataset.js';
import { imageFeature } from '../src/data/image-feature.js';
import { Rng } from '../src/core/rng.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** A table seen from above: a vertical shading, three discs moving a little from frame to frame. */
function scenes(frames: number, size: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(frames * size * size * 3);
  const discs = Array.from({ length: 3 }, () => ({ x: rng.uniform(0.2, 0.8) * size, y: rng.uniform(0.2, 0.8) * size, r: size / 12, c: [rng.integer(0, 256), rng.integer(0, 256), rng.integer(0, 256)] }));
  for (let f = 0; f < frames; f++) {
    const arm = { x: (0.1 + (0.8 * f) / frames) * size, y: size / 2 };
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const o = ((f * size + y) * size + x) * 3;
        const shade = 150 + Math.round((40 * y) / size);
        let c = [shade, Math.round(shade * 0.8), Math.round(shade * 0.6)];
        for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) c = d.c;
        if (Math.abs(y - arm.y) < size / 16 && x < arm.x) c = [90, 90, 100];
        out[o] = c[0];
        out[o + 1] = c[1];
        out[o + 2] = c[2];
      }
    }
  }
  return out;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

const framesWanted = Number(flag('frames', '2000'));
let size = Number(flag('size', '64'));
const source = flag('data', '');
let pixels: Uint8Array;
let frames: number;
if (source) {
  const ds = await openDataset(source, { readOnly: true });
  const f = ds.features['observation.image'];
  size = f.shape[0];
  const parts: Uint8Array[] = [];
  for (let k = 0; k < ds.dataFiles().length; k++) parts.push((await ds.readFile(k, ['observation.image']))['observation.image'] as Uint8Array);
  pixels = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) (pixels.set(p, at), (at += p.length));
  frames = pixels.length / (size * size * 3);
} else {
  frames = framesWanted;
  pixels = scenes(frames, size, new Rng(0));
}
const episodeLength = 50;
const dir = mkdtempSync(join(tmpdir(), 'lamkit-bench-images-'));
try {
  const spec = { fps: 25, features: { 'observation.image': imageFeature(size, size), 'observation.state': { dtype: 'float32', shape: [12], names: null } }, lamkit: { envId: null, spaces: null, dtSeconds: null, textFeatures: [] } };
  const frameBytes = size * size * 3;
  const t0 = performance.now();
  const w = await DatasetWriter.open(dir, spec);
  for (let s = 0; s < frames; s += episodeLength) {
    const n = Math.min(episodeLength, frames - s);
    w.addEpisode({ length: n, task: 'reach', frames: { 'observation.image': pixels.slice(s * frameBytes, (s + n) * frameBytes), 'observation.state': new Float32Array(n * 12) } });
  }
  w.close();
  const writeMs = performance.now() - t0;
  const onDisk = dirBytes(join(dir, 'data'));
  const t1 = performance.now();
  const ds = await openDataset(dir);
  let read = 0;
  let same = true;
  for (let k = 0; k < ds.dataFiles().length; k++) {
    const got = (await ds.readFile(k, ['observation.image']))['observation.image'] as Uint8Array;
    for (let i = 0; i < got.length && same; i += 997) same = got[i] === pixels[read * frameBytes + i];
    read += got.length / frameBytes;
  }
  const readMs = performance.now() - t1;
  const load = loadavg()[0];
  const row = (what: string, value: string, ref: string): void => void process.stdout.write(`${what.padEnd(44)} ${value.padStart(14)}   ${ref}\n`);
  process.stdout.write(`image dataset bench: ${frames} frames of ${size}x${size}x3 (${source ? `from ${source}` : 'drawn scenes'}), episodes of ${episodeLength}\n`);
  row('write (PNG encode + Parquet + commit)', `${((frames * 1000) / writeMs).toFixed(0)} frames/s`, `reference: LangReach records at 25 fps per env; batched rendering target 500 frames/s`);
  row('read (Parquet + PNG decode)', `${((read * 1000) / readMs).toFixed(0)} frames/s`, 'reference: the same frames written');
  row('on disk (data files) per frame', `${(onDisk / frames).toFixed(0)} B`, `raw ${frameBytes} B (x${(frameBytes / (onDisk / frames)).toFixed(1)} smaller)`);
  row('round trip', same && read === frames ? 'exact' : 'MISMATCH', '');
  process.stdout.write(`load average (1 min): ${load.toFixed(2)} on ${cpus().length} cores${load > 1 ? ' (machine busy: figures are noisy)' : ''}\n`);
  if (!same || read !== frames) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
