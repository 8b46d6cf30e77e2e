import type { Space } from '../core/spaces/space.js';
import { InvalidArgument, describeValue, formatError } from '../core/errors.js';
import { imageFeature, imageSize, type ImageShape } from './image-feature.js';
import type { FeatureInfo } from './lerobot-format.js';

/**
 * Camera images inside a Dict observation (`AddImageObservation`'s `image`:
 * a `Box(0, 255, [H, W, 3], uint8)`), and how a dataset stores them: each
 * image part is its own LeRobot `image` feature `observation.<key>` (PNG in
 * the data), and `observation.state` holds the flat observation *without*
 * the image parts (12,288 float32 per 64 x 64 frame would dwarf the rest).
 * {@link flatObservations} puts them back together into the env's flat
 * observation (pixels as numbers 0-255 at the image's offset), the layout
 * the policies read.
 */
export interface ImagePart {
  /** Dict key. */
  key: string;
  /** Dataset column: `observation.<key>`. */
  column: string;
  /** Offset in the flat observation. */
  offset: number;
  shape: ImageShape;
}

/** The image parts of an observation space (a Dict's uint8 `[H, W, 3]` Boxes), in flat order; none for other spaces. */
export function imageParts(space: Space<unknown>): ImagePart[] {
  const dict = space as { kind: string; keys?: readonly string[]; spaces?: Readonly<Record<string, Space<unknown>>> };
  if (dict.kind !== 'Dict' || !dict.keys || !dict.spaces) return [];
  const out: ImagePart[] = [];
  let offset = 0;
  for (const k of dict.keys) {
    const s = dict.spaces[k] as Space<unknown> & { shape?: readonly number[]; dtype?: string };
    if (s.kind === 'Box' && s.dtype === 'uint8' && s.shape?.length === 3 && s.shape[2] === 3) out.push({ key: k, column: `observation.${k}`, offset, shape: [s.shape[0], s.shape[1], 3] });
    offset += s.flatDim;
  }
  return out;
}

/** Width of `observation.state` for this space: its flat size less the image parts. */
export function stateDimWithoutImages(space: Space<unknown>): number {
  return space.flatDim - imageParts(space).reduce((s, p) => s + imageSize(p.shape), 0);
}

/** The `image` features of the image parts (`observation.<key>`: `[H, W, 3]`). */
export function imageFeatures(space: Space<unknown>): Record<string, FeatureInfo> {
  const out: Record<string, FeatureInfo> = {};
  for (const p of imageParts(space)) out[p.column] = imageFeature(p.shape[0], p.shape[1]);
  return out;
}

/**
 * Writes one observation into `state` (at `stateOffset`, without its image
 * parts) and each image part's pixels into `images[column]` (at
 * `frame x H x W x 3`). Without image parts, the same as `space.flattenInto`.
 */
export function splitObservationInto(space: Space<unknown>, parts: readonly ImagePart[], obs: unknown, state: Float32Array, stateOffset: number, images: Record<string, Uint8Array>, frame: number): void {
  if (parts.length === 0) {
    space.flattenInto(obs, state, stateOffset);
    return;
  }
  const dict = space as unknown as { keys: readonly string[]; spaces: Readonly<Record<string, Space<unknown>>> };
  const value = obs as Record<string, unknown>;
  let o = stateOffset;
  for (const k of dict.keys) {
    const part = parts.find((p) => p.key === k);
    if (part) {
      const size = imageSize(part.shape);
      const px = value[k] as ArrayLike<number>;
      if (!px || px.length !== size) throw new InvalidArgument(formatError(`observation.${k}`, `an image of [${part.shape.join(', ')}] (${size} values)`, describeValue(px), 'Record frames of the size the observation space declares'));
      images[part.column].set(px, frame * size);
      continue;
    }
    dict.spaces[k].flattenInto(value[k], state, o);
    o += dict.spaces[k].flatDim;
  }
}

/**
 * The env's flat observations `[rows x space.flatDim]` from a dataset's
 * `observation.state` without images (`[rows x stateDimWithoutImages]`) and
 * its image columns (`Uint8Array [rows x H x W x 3]` each).
 * @throws InvalidArgument naming the column and both sizes when one does not fit.
 */
export function flatObservations(space: Space<unknown>, state: Float32Array, images: Readonly<Record<string, Uint8Array>>, rows: number, where: string): Float32Array {
  const parts = imageParts(space);
  const stateDim = stateDimWithoutImages(space);
  if (state.length !== rows * stateDim) throw new InvalidArgument(formatError(`${where}.observation.state`, `[${rows} x ${stateDim}] (the observation without its images)`, `${state.length} values`, 'Record the dataset with this task'));
  const dim = space.flatDim;
  const out = new Float32Array(rows * dim);
  for (const p of parts) {
    const size = imageSize(p.shape);
    const px = images[p.column];
    if (!(px instanceof Uint8Array) || px.length !== rows * size) throw new InvalidArgument(formatError(`${where}.${p.column}`, `Uint8Array [${rows} x ${p.shape.join(' x ')}]`, px instanceof Uint8Array ? `${px.length} values` : describeValue(px), 'Record the dataset with this task'));
  }
  // The non-image runs of the flat row, in order.
  const runs: Array<[number, number]> = [];
  let at = 0;
  for (const p of parts) {
    if (p.offset > at) runs.push([at, p.offset - at]);
    at = p.offset + imageSize(p.shape);
  }
  if (at < dim) runs.push([at, dim - at]);
  for (let r = 0; r < rows; r++) {
    let s = r * stateDim;
    for (const [from, len] of runs) {
      out.set(state.subarray(s, s + len), r * dim + from);
      s += len;
    }
    for (const p of parts) {
      const size = imageSize(p.shape);
      const px = images[p.column];
      const base = r * dim + p.offset;
      for (let j = 0; j < size; j++) out[base + j] = px[r * size + j];
    }
  }
  return out;
}
