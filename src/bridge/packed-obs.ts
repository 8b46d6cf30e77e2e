import type { Space } from '../core/spaces/space.js';
import { describeValue, formatError } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';

/** Where one part of a flat observation lies: `[offset, length]`. */
export type FlatRange = readonly [number, number];

/**
 * What the bridge knows of an observation space's flat form beyond its size:
 * the `uint8` Box parts (camera images: pixels travel as one byte each in a
 * packed binary frame, and must be integers 0-255) and the `Text` parts
 * (instructions: one charset index per character, `pad` = the charset's
 * length marks the end; see the `Text` space). Parts are in flat order (Dict
 * keys sorted, Tuple members in order, nested).
 */
export interface ObsLayout {
  flatDim: number;
  /** The uint8 Box parts. */
  bytes: FlatRange[];
  /** Numbers in `bytes` in all (a packed frame's `m`). */
  byteCount: number;
  /** The Text parts, with their pad index (the charset's length). */
  text: Array<readonly [number, number, number]>;
}

/** The layout of `space`'s flat form (see {@link ObsLayout}). */
export function obsLayout(space: Space<unknown>): ObsLayout {
  const layout: ObsLayout = { flatDim: space.flatDim, bytes: [], byteCount: 0, text: [] };
  walk(space, 0, layout);
  return layout;
}

function walk(space: Space<unknown>, offset: number, layout: ObsLayout): void {
  const s = space as Space<unknown> & { dtype?: string; keys?: readonly string[]; spaces?: unknown; maxLength?: number; charset?: string };
  switch (s.kind) {
    case 'Box':
      if (s.dtype === 'uint8' && s.flatDim > 0) {
        layout.bytes.push([offset, s.flatDim]);
        layout.byteCount += s.flatDim;
      }
      return;
    case 'Text':
      layout.text.push([offset, s.flatDim, [...(s.charset ?? '')].length]);
      return;
    case 'Dict': {
      let o = offset;
      const members = s.spaces as Record<string, Space<unknown>>;
      for (const k of s.keys ?? []) {
        walk(members[k], o, layout);
        o += members[k].flatDim;
      }
      return;
    }
    case 'Tuple': {
      let o = offset;
      for (const m of s.spaces as readonly Space<unknown>[]) {
        walk(m, o, layout);
        o += m.flatDim;
      }
      return;
    }
    default:
      return;
  }
}

/**
 * Splits a flat observation for a packed frame: the `uint8` parts as bytes
 * (each value must be an integer 0-255), the rest as float32, both in flat
 * order. Throws `BridgeProtocolError('BAD_OBSERVATION')` naming a pixel that
 * is not a byte.
 */
export function packObs(flat: ArrayLike<number>, layout: ObsLayout, where: string): { values: Float32Array; bytes: Uint8Array } {
  if (flat.length !== layout.flatDim) {
    throw new BridgeProtocolError('BAD_OBSERVATION', formatError(`${where}.length`, `${layout.flatDim} numbers`, `${flat.length}`, 'Send observationSpace.flatten(obs)'));
  }
  const values = new Float32Array(layout.flatDim - layout.byteCount);
  const bytes = new Uint8Array(layout.byteCount);
  let f = 0;
  let b = 0;
  let i = 0;
  for (const [offset, length] of layout.bytes) {
    for (; i < offset; i++) values[f++] = flat[i];
    for (const end = offset + length; i < end; i++) {
      const v = flat[i];
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw badPixel(where, i, v);
      bytes[b++] = v;
    }
  }
  for (; i < flat.length; i++) values[f++] = flat[i];
  return { values, bytes };
}

/**
 * Joins a packed frame's float32 `values` and `bytes` back into the flat
 * observation. Throws `BridgeProtocolError('BAD_FRAME')` when their counts do
 * not match the layout the robot announced.
 */
export function unpackObs(values: Float32Array, bytes: Uint8Array, layout: ObsLayout, where: string): Float32Array {
  if (bytes.length !== layout.byteCount || values.length + bytes.length !== layout.flatDim) {
    throw new BridgeProtocolError(
      'BAD_FRAME',
      formatError(where, `${layout.flatDim - layout.byteCount} float32 values (n) and ${layout.byteCount} bytes (m) for the announced observation space`, `n = ${values.length}, m = ${bytes.length}`, 'Pack observationSpace.flatten(obs): uint8 Box parts as bytes, the rest as float32'),
    );
  }
  const out = new Float32Array(layout.flatDim);
  let f = 0;
  let b = 0;
  let i = 0;
  for (const [offset, length] of layout.bytes) {
    out.set(values.subarray(f, f + offset - i), i);
    f += offset - i;
    // A plain loop: TypedArray.set from a Uint8Array into a Float32Array converts element by element, ~10x slower.
    for (let j = 0; j < length; j++) out[offset + j] = bytes[b + j];
    b += length;
    i = offset + length;
  }
  out.set(values.subarray(f), i);
  return out;
}

/**
 * Checks what the flat form says about images and instructions: every value
 * of a `uint8` part an integer 0-255, every value of a `Text` part an integer
 * charset index or the pad (the charset's length). Returns the protocol error
 * for the first value that is not, or null. `bytesKnownValid`: the uint8 parts
 * came as bytes (a packed frame), so only the Text parts are checked.
 */
export function checkObsContent(obs: Float32Array, layout: ObsLayout, where: string, bytesKnownValid = false): BridgeProtocolError | null {
  if (!bytesKnownValid) for (const [offset, length] of layout.bytes) {
    for (let i = offset; i < offset + length; i++) {
      const v = obs[i];
      if (!(v >= 0 && v <= 255 && v === Math.floor(v))) return badPixel(where, i, v);
    }
  }
  for (const [offset, length, pad] of layout.text) {
    for (let i = offset; i < offset + length; i++) {
      const v = obs[i];
      if (!(v >= 0 && v <= pad && v === Math.floor(v))) {
        return new BridgeProtocolError('BAD_OBSERVATION', formatError(`${where}[${i}]`, `a character index in [0, ${pad}] (an instruction: charset indices, padded with ${pad})`, describeValue(v), 'Send textSpace.flatten(instruction); the instruction must fit the announced Text space'));
      }
    }
  }
  return null;
}

function badPixel(where: string, i: number, v: number): BridgeProtocolError {
  return new BridgeProtocolError('BAD_OBSERVATION', formatError(`${where}[${i}]`, 'a pixel: an integer 0-255 (a uint8 image)', describeValue(v), 'Send the camera image as bytes'));
}
