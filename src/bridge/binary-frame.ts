import { formatError, describeValue } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';

/**
 * Compact binary frame for float vectors (observations and actions), all
 * little-endian:
 *
 * ```
 * offset size field
 *  0     u8   magic 0x4c ('L')
 *  1     u8   frame version (1)
 *  2     u8   kind: 1 = obs, 2 = action
 *  3     u8   flags: bit 0 terminated, bit 1 truncated, bit 2 packed
 *  4     u32  seq
 *  8     f64  reward (0 for actions)
 * 16     u32  n, number of float32 values
 * 20     u32  m, number of byte values when packed (else reserved, 0)
 * 24     f32  values [n]
 * 24+4n  u8   bytes [m] (packed frames only)
 * ```
 *
 * A frame is exactly `24 + 4n` bytes, or `24 + 4n + m` when packed;
 * anything else is a `BAD_FRAME` error. A packed frame carries the parts
 * of the flat vector that are `uint8` Boxes (camera images) as one byte
 * each in `bytes`, the rest as float32 in `values`, each in flat order
 * (see packed-obs.ts); robots send them only after the server agreed in
 * its `welcome` (`packedFrames`).
 */
export const FRAME_MAGIC = 0x4c;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;
export const FRAME_KIND_OBS = 1;
export const FRAME_KIND_ACTION = 2;
/** Flags bit 2: the frame carries `m` byte values after its float32 values. */
export const FRAME_FLAG_PACKED = 4;

/** A decoded frame; `values` is a fresh `Float32Array [n]`. */
export interface BinaryFrame {
  kind: typeof FRAME_KIND_OBS | typeof FRAME_KIND_ACTION;
  seq: number;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  values: Float32Array;
  /** A packed frame's byte values (a fresh `Uint8Array [m]`); undefined when the frame is not packed. */
  bytes?: Uint8Array;
}

/** Encodes one frame into a new `Uint8Array [24 + 4n]` (the socket keeps it until written). */
export function encodeFrame(
  kind: BinaryFrame['kind'],
  seq: number,
  values: ArrayLike<number>,
  reward = 0,
  terminated = false,
  truncated = false,
  packed?: Uint8Array,
): Uint8Array {
  const n = values.length;
  const m = packed ? packed.length : 0;
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + 4 * n + m);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FRAME_MAGIC);
  view.setUint8(1, FRAME_VERSION);
  view.setUint8(2, kind);
  view.setUint8(3, (terminated ? 1 : 0) | (truncated ? 2 : 0) | (packed ? FRAME_FLAG_PACKED : 0));
  view.setUint32(4, seq >>> 0, true);
  view.setFloat64(8, reward, true);
  view.setUint32(16, n, true);
  view.setUint32(20, m, true);
  for (let i = 0; i < n; i++) view.setFloat32(FRAME_HEADER_BYTES + 4 * i, values[i], true);
  if (packed) bytes.set(packed, FRAME_HEADER_BYTES + 4 * n);
  return bytes;
}

function bad(where: string, expected: string, got: string): BridgeProtocolError {
  return new BridgeProtocolError('BAD_FRAME', formatError(where, expected, got, 'See the binary frame layout in docs/bridge-protocol.md'));
}

/**
 * Decodes and validates a frame; throws `BridgeProtocolError('BAD_FRAME')`
 * naming the bad field (magic, version, kind, flags, length, a non-finite
 * value).
 */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView, where = 'decodeFrame'): BinaryFrame {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < FRAME_HEADER_BYTES) throw bad(`${where}.length`, `at least ${FRAME_HEADER_BYTES} bytes`, `${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== FRAME_MAGIC) throw bad(`${where}.magic`, `0x4c ('L')`, `0x${view.getUint8(0).toString(16)}`);
  if (view.getUint8(1) !== FRAME_VERSION) throw bad(`${where}.version`, String(FRAME_VERSION), String(view.getUint8(1)));
  const kind = view.getUint8(2);
  if (kind !== FRAME_KIND_OBS && kind !== FRAME_KIND_ACTION) throw bad(`${where}.kind`, '1 (obs) or 2 (action)', String(kind));
  const flags = view.getUint8(3);
  if (flags > 7) throw bad(`${where}.flags`, 'only bits 0 (terminated), 1 (truncated) and 2 (packed)', `0x${flags.toString(16)}`);
  const n = view.getUint32(16, true);
  const packed = (flags & FRAME_FLAG_PACKED) !== 0;
  const m = packed ? view.getUint32(20, true) : 0;
  if (bytes.byteLength !== FRAME_HEADER_BYTES + 4 * n + m) {
    throw packed
      ? bad(`${where}.m`, `${FRAME_HEADER_BYTES} + 4 x n + m = ${bytes.byteLength} bytes to match n and m`, `n = ${n}, m = ${m}`)
      : bad(`${where}.n`, `${FRAME_HEADER_BYTES} + 4 x n = ${bytes.byteLength} bytes to match n`, `n = ${n}`);
  }
  const reward = view.getFloat64(8, true);
  if (!Number.isFinite(reward)) throw bad(`${where}.reward`, 'a finite number', describeValue(reward));
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = view.getFloat32(FRAME_HEADER_BYTES + 4 * i, true);
    if (!Number.isFinite(v)) throw bad(`${where}.values[${i}]`, 'a finite number', describeValue(v));
    values[i] = v;
  }
  const frame: BinaryFrame = { kind: kind as BinaryFrame['kind'], seq: view.getUint32(4, true), reward, terminated: (flags & 1) !== 0, truncated: (flags & 2) !== 0, values };
  if (packed) frame.bytes = bytes.slice(FRAME_HEADER_BYTES + 4 * n);
  return frame;
}
