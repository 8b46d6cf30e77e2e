import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync, writevSync, ftruncateSync, fstatSync } from 'node:fs';
import * as zlib from 'node:zlib';

/** Per-frame values of one feature: `[length x dim]` numbers, or one string per frame. */
export type FrameValues = Float32Array | Float64Array | Uint8Array | string[];

/**
 * One finished episode as the writer receives it: per-frame values of every
 * feature the dataset declares (other than LeRobot's default index
 * columns, which the writer fills in), plus per-episode facts.
 */
export interface EpisodeData {
  /** Number of frames. */
  length: number;
  /** Natural-language task of the episode (a row of `meta/tasks.parquet`). */
  task: string;
  /** Feature name -> values `[length x dim]` (`Float32Array` for float32, `Float64Array` for int64, `Uint8Array` for bool, `string[]` for text). */
  frames: Record<string, FrameValues>;
  /** Undiscounted return; default: the sum of `next.reward`. */
  return?: number;
  /** Whether the task reported success at the end, or null when it does not report it. */
  success?: boolean | null;
  /** Seed the env was reset with, or null. */
  seed?: number | null;
}

/** A journal record: the episode and the index it will have in the dataset. */
export interface JournalRecord {
  episodeIndex: number;
  episode: EpisodeData;
}

const MAGIC = 0x314a4b4c; // 'LKJ1'
const HEADER_BYTES = 12;

/**
 * An append-only file of finished episodes not yet in Parquet: the
 * recorder's crash log. Each record is
 * `magic u32 | jsonLength u32 | payloadLength u32 | json | payload | crc32 u32`
 * (little endian; the CRC covers json and payload). A process killed
 * mid-append leaves at most one torn record at the end, which
 * {@link readJournal} detects and drops. One `writev` per record, no fsync by
 * default: what `write` returned survives the death of the process (the
 * kernel holds it); `sync: true` also survives power loss, at ~ms per record.
 */
export class EpisodeJournal {
  private fd: number;
  private readonly sync: boolean;
  private closed = false;

  constructor(readonly path: string, options: { sync?: boolean } = {}) {
    this.fd = openSync(path, 'a');
    this.sync = options.sync ?? false;
  }

  /**
   * Appends one record: one `writev` of its header and the episode's own
   * column bytes (no copy of the episode into a record buffer; a short
   * write, rare on a regular file, is finished with plain writes).
   */
  append(record: JournalRecord): void {
    const parts = encodeRecord(record);
    let written = writevSync(this.fd, parts);
    for (const part of parts) {
      if (written >= part.length) {
        written -= part.length;
        continue;
      }
      let off = written;
      while (off < part.length) off += writeSync(this.fd, part, off, part.length - off);
      written = 0;
    }
    if (this.sync) fsyncSync(this.fd);
  }

  /** Empties the journal (after its episodes are committed to Parquet). */
  truncate(): void {
    ftruncateSync(this.fd, 0);
  }

  /** Bytes in the journal. */
  get size(): number {
    return fstatSync(this.fd).size;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** What a journal holds: whole records, and how many bytes at its end were a torn record. */
export interface JournalContents {
  records: JournalRecord[];
  tornBytes: number;
}

/** Reads every whole record; a torn or corrupt record ends the read (it and what follows are reported as torn). */
export function readJournal(path: string): JournalContents {
  if (!existsSync(path)) return { records: [], tornBytes: 0 };
  const buf = readFileSync(path);
  const records: JournalRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const rec = decodeRecord(buf, off);
    if (!rec) break;
    records.push(rec.record);
    off = rec.next;
  }
  return { records, tornBytes: buf.length - off };
}

interface ColumnHeader {
  name: string;
  type: 'f32' | 'f64' | 'u8' | 'str';
  byteOffset: number;
  byteLength: number;
  length: number;
}

const ZEROS = new Uint8Array(8);

/** A record as the byte ranges to write in order: header, JSON, the columns (views of the episode's arrays, 8-byte aligned), CRC. */
function encodeRecord({ episodeIndex, episode }: JournalRecord): Uint8Array[] {
  const columns: ColumnHeader[] = [];
  const parts: Uint8Array[] = [];
  let payload = 0;
  for (const [name, values] of Object.entries(episode.frames)) {
    let bytes: Uint8Array;
    let type: ColumnHeader['type'];
    if (Array.isArray(values)) {
      bytes = Buffer.from(JSON.stringify(values), 'utf8');
      type = 'str';
    } else {
      bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      type = values instanceof Float32Array ? 'f32' : values instanceof Float64Array ? 'f64' : 'u8';
    }
    // Keep every numeric column 8-byte aligned in the payload so it can be viewed without copying.
    const pad = (8 - (payload % 8)) % 8;
    if (pad) parts.push(ZEROS.subarray(0, pad));
    payload += pad;
    columns.push({ name, type, byteOffset: payload, byteLength: bytes.length, length: values.length });
    parts.push(bytes);
    payload += bytes.length;
  }
  const json = Buffer.from(
    JSON.stringify({ episodeIndex, length: episode.length, task: episode.task, return: episode.return ?? null, success: episode.success ?? null, seed: episode.seed ?? null, columns }),
    'utf8',
  );
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(json.length, 4);
  header.writeUInt32LE(payload, 8);
  let crc = crc32(json);
  for (const part of parts) crc = crc32(part, crc);
  const tail = Buffer.allocUnsafe(4);
  tail.writeUInt32LE(crc, 0);
  return [header, json, ...parts, tail];
}

function decodeRecord(buf: Buffer, off: number): { record: JournalRecord; next: number } | null {
  if (off + HEADER_BYTES > buf.length || buf.readUInt32LE(off) !== MAGIC) return null;
  const jsonLength = buf.readUInt32LE(off + 4);
  const payloadLength = buf.readUInt32LE(off + 8);
  const end = off + HEADER_BYTES + jsonLength + payloadLength;
  if (end + 4 > buf.length) return null;
  if (crc32(buf.subarray(off + HEADER_BYTES, end)) !== buf.readUInt32LE(end)) return null;
  let head: { episodeIndex: number; length: number; task: string; return: number | null; success: boolean | null; seed: number | null; columns: ColumnHeader[] };
  try {
    head = JSON.parse(buf.toString('utf8', off + HEADER_BYTES, off + HEADER_BYTES + jsonLength));
  } catch {
    return null;
  }
  const base = off + HEADER_BYTES + jsonLength;
  const frames: Record<string, FrameValues> = {};
  for (const c of head.columns) {
    const start = base + c.byteOffset;
    if (c.type === 'str') {
      frames[c.name] = JSON.parse(buf.toString('utf8', start, start + c.byteLength)) as string[];
      continue;
    }
    const copy = new Uint8Array(buf.subarray(start, start + c.byteLength)).buffer;
    frames[c.name] = c.type === 'f32' ? new Float32Array(copy) : c.type === 'f64' ? new Float64Array(copy) : new Uint8Array(copy);
  }
  const episode: EpisodeData = { length: head.length, task: head.task, frames, return: head.return ?? undefined, success: head.success, seed: head.seed };
  return { record: { episodeIndex: head.episodeIndex, episode }, next: end + 4 };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (IEEE, as zlib), to tell a whole record from a torn or overwritten
 * one; `value` continues a CRC over preceding bytes. zlib's native
 * `crc32` where Node has it (20.15+, ~10x faster), else a table in JS.
 */
export function crc32(bytes: Uint8Array, value = 0): number {
  return nativeCrc32 ? nativeCrc32(bytes, value) : crc32Js(bytes, value);
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** {@link crc32} in JavaScript (Node < 20.15). */
export function crc32Js(bytes: Uint8Array, value = 0): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
