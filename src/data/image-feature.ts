import { inflateSync } from 'node:zlib';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import type { SchemaElement } from 'hyparquet';
import { FileFormatError, InvalidArgument, describeValue, formatError } from '../core/errors.js';
import type { FeatureStats } from './feature-stats.js';

/**
 * LeRobot's `image` features, as LeRobot v3.0 stores them: `info.json`
 * declares `{ dtype: "image", shape: [H, W, 3], names: ["height", "width",
 * "channels"] }`; each frame is a PNG in the data file's column, a struct
 * `{ bytes: binary, path: string }` (Hugging Face `datasets.Image()`'s
 * Arrow storage, which `embed_images` fills with the PNG's bytes). In
 * lamkit's memory an image column is a `Uint8Array [rows x H x W x 3]`
 * (row-major HWC, as `AddImageObservation` produces frames).
 *
 * Statistics are LeRobot's (`compute_stats.compute_episode_stats`): per
 * channel over sampled frames (`sample_indices`: up to
 * `estimate_num_samples` evenly spaced frames, images of 300 px or more
 * strided down to ~150 px), divided by 255, stored in `stats.json` with
 * shape `[3, 1, 1]` (so they broadcast against a CHW tensor); `count` is the
 * number of sampled frames.
 */
export type ImageShape = readonly [height: number, width: number, channels: 3];

/** The names LeRobot gives an image feature's axes. */
export const IMAGE_AXIS_NAMES = ['height', 'width', 'channels'];

/** An `image` feature of shape `[height, width, 3]` (the only image LeRobot stores: RGB, 8 bits). */
export function imageFeature(height: number, width: number): { dtype: 'image'; shape: number[]; names: string[] } {
  return { dtype: 'image', shape: [height, width, 3], names: [...IMAGE_AXIS_NAMES] };
}

/** Checks an `image` feature's shape: `[H, W, 3]` with positive H and W. @throws FileFormatError naming the feature. */
export function imageShapeOf(shape: readonly number[], where: string): ImageShape {
  if (shape.length !== 3 || shape[2] !== 3 || !(shape[0] > 0) || !(shape[1] > 0)) {
    throw new FileFormatError(formatError(where, 'an image feature of shape [height, width, 3] (RGB)', describeValue(shape), 'Record RGB frames; LeRobot image features are [H, W, 3]'));
  }
  return [shape[0], shape[1], 3];
}

/** Values per frame of an image of `shape`. */
export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * Checks a feature's frames against its image shape before anything is
 * written. @throws InvalidArgument naming both shapes.
 */
export function checkImageFrames(values: unknown, length: number, shape: ImageShape, where: string): void {
  const size = imageSize(shape);
  if (values instanceof Uint8Array && values.length === length * size) return;
  const got = values instanceof Uint8Array
    ? `Uint8Array of ${values.length} values (${values.length % length === 0 ? `[${length} x ${values.length / length}] per frame` : `not a multiple of ${length} frames`}, not ${length} x ${shape.join(' x ')})`
    : describeValue(values);
  throw new InvalidArgument(formatError(where, `Uint8Array [${length} x ${shape.join(' x ')}] (${length} frames of [${shape.join(', ')}] RGB)`, got, 'Record frames of the shape the dataset declares (meta/info.json), e.g. render at that size'));
}

/** Parquet schema of an image column: LeRobot's `struct<bytes: binary, path: string>`, nullable as pyarrow writes it. */
export function imageSchemaElements(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
}

/** One frame of `[H, W, 3]` pixels as an 8-bit RGB PNG. */
export function encodeImagePng(pixels: Uint8Array, shape: ImageShape): Uint8Array {
  return encodePng({ width: shape[1], height: shape[0], data: pixels, channels: 3, depth: 8 });
}

/**
 * Rows `[from, from + n)` of an image column as the struct values of its
 * Parquet column (`{ bytes: PNG, path: null }`).
 */
export function imageStructRows(pixels: Uint8Array, from: number, n: number, shape: ImageShape): Array<{ bytes: Uint8Array; path: null }> {
  const size = imageSize(shape);
  const out = new Array<{ bytes: Uint8Array; path: null }>(n);
  for (let r = 0; r < n; r++) out[r] = { bytes: encodeImagePng(pixels.subarray((from + r) * size, (from + r + 1) * size), shape), path: null };
  return out;
}

/**
 * Decodes an image column's rows (structs `{ bytes, path }` as hyparquet
 * reads them) into `Uint8Array [rows x H x W x 3]`.
 * @throws FileFormatError naming the row and both shapes when a PNG is not `shape`.
 */
export function decodeImageRows(rows: ArrayLike<unknown>, shape: ImageShape, where: string): Uint8Array {
  const size = imageSize(shape);
  const out = new Uint8Array(rows.length * size);
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r] as { bytes?: unknown } | null;
    const bytes = v && typeof v === 'object' ? v.bytes : undefined;
    if (!(bytes instanceof Uint8Array)) {
      throw new FileFormatError(formatError(`${where}[row ${r}]`, 'a struct { bytes: PNG, path } with the image bytes embedded', describeValue(v), 'Embed the images in the data files (LeRobot: embed_images), or fix the file'));
    }
    out.set(decodeImagePng(bytes, shape, `${where}[row ${r}]`), r * size);
  }
  return out;
}

/** One PNG as `[H, W, 3]` pixels. @throws FileFormatError naming both shapes when it is another size, depth or colour type. */
export function decodeImagePng(bytes: Uint8Array, shape: ImageShape, where: string): Uint8Array {
  const fast = decodeRgb8Png(bytes, shape);
  if (fast) return fast;
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes);
  } catch (err) {
    throw new FileFormatError(formatError(where, 'PNG bytes', `${bytes.length} bytes that are not a PNG (${(err as Error).message})`, 'Fix the data file'), { cause: err });
  }
  if (png.height !== shape[0] || png.width !== shape[1] || png.channels !== 3 || png.depth !== 8 || png.palette) {
    const got = `a PNG of shape [${png.height}, ${png.width}, ${png.channels}] (${png.depth}-bit${png.palette ? ', indexed' : ''})`;
    throw new FileFormatError(formatError(where, `an 8-bit RGB PNG of shape [${shape.join(', ')}] (the feature's shape in meta/info.json)`, got, 'Fix the feature shape in meta/info.json or re-record the images'));
  }
  return png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
}

/** LeRobot's `estimate_num_samples` (defaults 100, 10,000, power 0.75). */
export function estimateNumSamples(length: number, min = 100, max = 10_000, power = 0.75): number {
  if (length < min) min = length;
  return Math.max(min, Math.min(Math.floor(length ** power), max));
}

/** LeRobot's `sample_indices`: `np.round(np.linspace(0, n - 1, k))` (round half to even). */
export function sampleIndices(length: number): number[] {
  const k = estimateNumSamples(length);
  if (k <= 0) return [];
  if (k === 1) return [0];
  const step = (length - 1) / (k - 1);
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(i === k - 1 ? length - 1 : roundHalfEven(i * step));
  return out;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** LeRobot's `auto_downsample_height_width`: the stride an image is read at (1 below 300 px). */
export function downsampleStride(shape: ImageShape, target = 150, threshold = 300): number {
  const [h, w] = shape;
  if (Math.max(w, h) < threshold) return 1;
  return Math.max(1, Math.floor((w > h ? w : h) / target));
}

/**
 * One episode's statistics of an image feature, as LeRobot's
 * `compute_episode_stats` computes them (sampled frames, strided pixels, per
 * channel, / 255), flat: `min`, `max`, `mean`, `std` of 3 values each.
 */
export function computeImageStats(pixels: Uint8Array, length: number, shape: ImageShape): FeatureStats {
  const [h, w] = shape;
  const size = imageSize(shape);
  const stride = downsampleStride(shape);
  const frames = sampleIndices(length);
  const min = [255, 255, 255];
  const max = [0, 0, 0];
  const sum = [0, 0, 0];
  let n = 0;
  for (const f of frames) {
    for (let y = 0; y < h; y += stride) {
      for (let x = 0; x < w; x += stride) {
        const at = f * size + (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = pixels[at + c];
          if (v < min[c]) min[c] = v;
          if (v > max[c]) max[c] = v;
          sum[c] += v;
        }
        n++;
      }
    }
  }
  const mean = sum.map((s) => (n > 0 ? s / n : 0));
  const m2 = [0, 0, 0];
  for (const f of frames) {
    for (let y = 0; y < h; y += stride) {
      for (let x = 0; x < w; x += stride) {
        const at = f * size + (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          const d = pixels[at + c] - mean[c];
          m2[c] += d * d;
        }
      }
    }
  }
  const scale = (v: number[]): number[] => v.map((x) => x / 255);
  return {
    min: scale(n > 0 ? min : [0, 0, 0]),
    max: scale(max),
    mean: scale(mean),
    std: scale(m2.map((s) => (n > 0 ? Math.sqrt(s / n) : 0))),
    count: [frames.length],
  };
}

/** Image statistics as `stats.json` holds them: `[3, 1, 1]` per statistic (LeRobot's shape), `count` `[n]`. */
export function imageStatsToJson(s: FeatureStats): Record<string, unknown> {
  const nest = (v: number[]): number[][][] => v.map((x) => [[x]]);
  return { min: nest(s.min), max: nest(s.max), mean: nest(s.mean), std: nest(s.std), count: s.count };
}

/** `stats.json`'s statistics with image features nested `[3, 1, 1]` (LeRobot's layout); others unchanged. */
export function statsJsonWithImages(stats: Record<string, FeatureStats>, features: Record<string, { dtype: string }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(stats)) out[name] = features[name]?.dtype === 'image' ? imageStatsToJson(s) : s;
  return out;
}

/** Flattens nested statistics (`[3, 1, 1]` images, LeRobot's arrays) into lamkit's flat {@link FeatureStats}. */
export function flattenStats(s: Record<string, unknown>): FeatureStats {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? ((v as unknown[]).flat(Infinity as 1) as number[]) : [Number(v)]);
  return { min: flat(s.min), max: flat(s.max), mean: flat(s.mean), std: flat(s.std), count: [flat(s.count)[0]] };
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * The common case of {@link decodeImagePng}, what lamkit writes: an 8-bit
 * RGB, non-interlaced PNG of `shape`, inflated by Node's zlib (native) and
 * unfiltered here: reading 64 x 64 frames (Parquet + decode) went from
 * 4.7-4.9k to 8.8-9.7k frames/s against fast-png's JavaScript inflate
 * (docs/benchmarks.md). Returns null for anything else (another size,
 * depth, colour type, interlacing, or bytes that do not parse), which
 * fast-png then decodes or reports.
 */
function decodeRgb8Png(bytes: Uint8Array, shape: ImageShape): Uint8Array | null {
  if (bytes.length < 33) return null;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // IHDR: width, height, bit depth, colour type, compression, filter, interlace.
  if (view.getUint32(8) !== 13 || view.getUint32(12) !== 0x49484452) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width !== shape[1] || height !== shape[0] || bytes[24] !== 8 || bytes[25] !== 2 || bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] !== 0) return null;
  const parts: Uint8Array[] = [];
  let at = 33;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = view.getUint32(at + 4);
    if (at + 12 + length > bytes.length) return null;
    if (type === 0x49444154) parts.push(bytes.subarray(at + 8, at + 8 + length)); // IDAT
    if (type === 0x49454e44) break; // IEND
    at += 12 + length;
  }
  if (parts.length === 0) return null;
  let raw: Uint8Array;
  try {
    raw = inflateSync(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  } catch {
    return null;
  }
  const stride = width * 3;
  if (raw.length !== height * (stride + 1)) return null;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    switch (filter) {
      case 0:
        out.set(raw.subarray(src, src + stride), row);
        break;
      case 1: // Sub
        for (let x = 0; x < stride; x++) out[row + x] = (raw[src + x] + (x >= 3 ? out[row + x - 3] : 0)) & 255;
        break;
      case 2: // Up
        for (let x = 0; x < stride; x++) out[row + x] = (raw[src + x] + (y > 0 ? out[up + x] : 0)) & 255;
        break;
      case 3: // Average
        for (let x = 0; x < stride; x++) out[row + x] = (raw[src + x] + (((x >= 3 ? out[row + x - 3] : 0) + (y > 0 ? out[up + x] : 0)) >> 1)) & 255;
        break;
      case 4: // Paeth
        for (let x = 0; x < stride; x++) {
          const a = x >= 3 ? out[row + x - 3] : 0;
          const b = y > 0 ? out[up + x] : 0;
          const c = x >= 3 && y > 0 ? out[up + x - 3] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + x] = (raw[src + x] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
        }
        break;
      default:
        return null;
    }
  }
  return out;
}
