import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';

/** The typed arrays a message may carry. */
export type PackedArray = Float32Array | Float64Array | Uint8Array;

const KINDS = { f32: Float32Array, f64: Float64Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

/** Where one array sits in a packed message. */
interface ArrayEntry {
  name: string;
  kind: Kind;
  length: number;
  offset: number;
}

/**
 * Packs a JSON header and named typed arrays into one message:
 * `u32 headerBytes | header JSON (utf-8) | padding to 8 | arrays`, each array
 * 8-byte aligned, little-endian as the machine (x86 and ARM both are). The
 * header gains `arrays` (name, kind, length, offset) so the reader needs no
 * schema; the receiver validates sizes with {@link unpackMessage}.
 */
export function packMessage(header: Record<string, unknown>, arrays: Record<string, PackedArray>): Uint8Array {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const kind: Kind = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'u8';
    entries.push({ name, kind, length: a.length, offset });
    offset += align8(a.byteLength);
  }
  const head = new TextEncoder().encode(JSON.stringify({ ...header, arrays: entries }));
  const start = align8(4 + head.length);
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  for (const e of entries) {
    const a = arrays[e.name];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + e.offset);
  }
  return out;
}

/**
 * Reads a message written by {@link packMessage}: the header and its arrays
 * (copies, aligned). Malformed bytes throw a `FileFormatError` naming `where`.
 */
export function unpackMessage(bytes: Uint8Array, where: string): { header: Record<string, unknown>; arrays: Map<string, PackedArray> } {
  const bad = (what: string, got: string): never => {
    throw new FileFormatError(formatError(where, what, got, 'Run workers and the learner from the same lamkit version'));
  };
  if (bytes.length < 4) bad('a lamkit broker message (header length first)', `${bytes.length} bytes`);
  const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headLen > bytes.length) bad(`a header of at most ${bytes.length - 4} bytes`, `${headLen}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headLen))) as Record<string, unknown>;
  } catch (err) {
    return bad('a JSON header', (err as Error).message);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.arrays)) return bad('a header object with an `arrays` list', describeValue(header));
  const start = align8(4 + headLen);
  const arrays = new Map<string, PackedArray>();
  for (const e of header.arrays as ArrayEntry[]) {
    const Ctor = KINDS[e?.kind as Kind];
    if (!Ctor || !Number.isSafeInteger(e.length) || e.length < 0 || !Number.isSafeInteger(e.offset) || e.offset < 0) return bad('array entries {name, kind f32|f64|u8, length, offset}', describeValue(e));
    const byteLength = e.length * Ctor.BYTES_PER_ELEMENT;
    if (start + e.offset + byteLength > bytes.length) return bad(`array '${String(e.name)}' inside the ${bytes.length}-byte message`, `${byteLength} bytes at ${start + e.offset}`);
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(start + e.offset, start + e.offset + byteLength));
    arrays.set(String(e.name), new Ctor(copy.buffer));
  }
  return { header, arrays };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
