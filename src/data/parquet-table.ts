import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parquetMetadata, snappyUncompress, type FileMetaData, type SchemaElement } from 'hyparquet';
import { parquetReadColumn } from 'hyparquet/src/read.js';
import { parquetHeader } from 'hyparquet/src/column.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { FileFormatError, formatError, describeValue } from '../core/errors.js';
import { decodeImageRows, imageShapeOf } from './image-feature.js';
import { listLevels } from './parquet-encoder.js';

/*
 * The column model of a dataset's Parquet files, and reading them (footer,
 * whole columns into typed arrays). Writing is in parquet-encoder.ts.
 */

/**
 * The column types a dataset uses, and their in-memory form:
 * - `float32` / `float64`: `Float32Array` / `Float64Array [rows x dim]`
 * - `int64`: `Float64Array [rows x dim]` (safe integers; Parquet INT64 on disk)
 * - `bool`: `Uint8Array [rows]` (0/1)
 * - `string`: `string[]`; `string-list`: `string[][]` (variable length)
 * - `bool?` / `float64?` / `int64?`: nullable scalars as `(boolean | number | null)[]`
 * - `image`: `Uint8Array [rows x H x W x 3]` (`dim` = H x W x 3, `shape` [H, W, 3]); on disk one
 *   PNG per row in LeRobot's `struct<bytes, path>` (see image-feature.ts)
 */
export type ColumnKind = 'float32' | 'float64' | 'int64' | 'bool' | 'string' | 'string-list' | 'bool?' | 'float64?' | 'int64?' | 'image';

/** One column: a scalar (`dim: null`) or a fixed-length list (`dim: n`, Parquet LIST). */
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  /** `null` for a scalar; the list length for a vector column (numeric kinds only); H x W x 3 for an image. */
  dim: number | null;
  /** `image` only: `[H, W, 3]`. */
  shape?: readonly number[];
}

/** In-memory column data, laid out as {@link ColumnKind} says. */
export type ColumnValues = Float32Array | Float64Array | Uint8Array | string[] | string[][] | Array<boolean | number | null>;

/** A Parquet file opened for column reads: its footer, and the file read on demand. */
export interface ParquetFile {
  path: string;
  metadata: FileMetaData;
  rows: number;
  /** Top-level column names in file order. */
  columnNames: string[];
}

/** Reads a Parquet file's footer. @throws FileFormatError naming the file when it is not Parquet or is truncated. */
export function openParquet(path: string): ParquetFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(8);
    if (size < 12) throw new Error(`${size} bytes`);
    readSync(fd, tail, 0, 8, size - 8);
    if (tail.readUInt32LE(4) !== 0x31524150) throw new Error('no PAR1 footer magic (an unfinished or torn file)');
    const footerLength = tail.readUInt32LE(0);
    if (footerLength + 12 > size) throw new Error(`footer length ${footerLength} > file size ${size}`);
    const buf = Buffer.alloc(footerLength + 8);
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const metadata = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const columnNames: string[] = [];
    let i = 1;
    while (i < metadata.schema.length) {
      columnNames.push(metadata.schema[i].name);
      i = skipSubtree(metadata.schema, i);
    }
    return { path, metadata, rows: Number(metadata.num_rows), columnNames };
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw new FileFormatError(formatError(`Parquet(${path})`, 'a complete Parquet file (PAR1 header and footer)', (err as Error).message, 'Re-record the file, or open the dataset to let it drop a torn tail'), { cause: err });
  } finally {
    closeSync(fd);
  }
}

function skipSubtree(schema: SchemaElement[], i: number): number {
  let next = i + 1;
  for (let c = 0; c < (schema[i].num_children ?? 0); c++) next = skipSubtree(schema, next);
  return next;
}

/** The physical leaf element and list-ness of a top-level column, as the file declares it. */
export function columnShape(file: ParquetFile, name: string): { leaf: SchemaElement; list: boolean } | null {
  const schema = file.metadata.schema;
  let i = 1;
  while (i < schema.length) {
    if (schema[i].name === name) {
      const children = schema[i].num_children ?? 0;
      if (children === 0) return { leaf: schema[i], list: false };
      let j = i;
      while ((schema[j].num_children ?? 0) > 0) j++;
      return { leaf: schema[j], list: true };
    }
    i = skipSubtree(schema, i);
  }
  return null;
}

const PHYSICAL: Record<string, string[]> = {
  float32: ['FLOAT', 'DOUBLE'],
  float64: ['DOUBLE', 'FLOAT'],
  int64: ['INT64', 'INT32'],
  bool: ['BOOLEAN'],
  string: ['BYTE_ARRAY'],
  'string-list': ['BYTE_ARRAY'],
  'bool?': ['BOOLEAN'],
  'float64?': ['DOUBLE', 'FLOAT'],
  'int64?': ['INT64', 'INT32'],
  image: ['BYTE_ARRAY'],
};

let scratch = new Uint8Array(1 << 16);
let levels = new Uint8Array(1 << 16);

/**
 * Reads whole columns of a Parquet file into typed arrays. Numeric columns
 * written as lamkit writes them (DATA_PAGE_V2, PLAIN, no nulls) are decoded
 * page by page straight into the output (the values' bytes are copied, the
 * list structure is checked from the repetition levels, no per-row arrays);
 * any other layout (dictionary pages, DATA_PAGE v1 as pyarrow writes, nulls)
 * falls back to hyparquet's general reader and is flattened with the same
 * checks.
 *
 * @throws FileFormatError naming the file and column when a column is
 *   missing, has another physical type, or rows of another length.
 */
export async function readColumns(file: ParquetFile, specs: readonly ColumnSpec[], into?: ReadInto): Promise<Record<string, ColumnValues>> {
  const out: Record<string, ColumnValues> = {};
  let fd = -1;
  try {
    for (const spec of specs) {
      const shape = columnShape(file, spec.name);
      const where = `Parquet(${file.path}).${spec.name}`;
      if (!shape) throw new FileFormatError(formatError(where, `a column ${spec.name} (${spec.kind}${spec.dim === null ? '' : ` x ${spec.dim}`})`, `columns ${describeValue(file.columnNames)}`, 'Check meta/info.json features against the data files'));
      if (spec.kind === 'image') {
        if (!shape.list || !columnHasChild(file, spec.name, 'bytes')) throw new FileFormatError(formatError(where, 'a struct { bytes, path } (LeRobot image)', shape.list ? 'a group without a bytes field' : (shape.leaf.type ?? 'a group'), 'Fix the column type or the feature dtype in meta/info.json'));
        const pixels = decodeImageRows(await readRaw(file, spec.name, false), imageShapeOf(spec.shape ?? [], where), where);
        const dst = target(into, spec, file.rows);
        if (dst) dst.set(pixels);
        out[spec.name] = dst ?? pixels;
        continue;
      }
      const wantList = spec.dim !== null || spec.kind === 'string-list';
      if (!PHYSICAL[spec.kind].includes(shape.leaf.type ?? '') || shape.list !== wantList) {
        throw new FileFormatError(formatError(where, `${wantList ? 'a list of ' : ''}${PHYSICAL[spec.kind][0]}`, `${shape.list ? 'a list of ' : ''}${shape.leaf.type ?? 'a group'}`, 'Fix the column type or the feature dtype/shape in meta/info.json'));
      }
      let values: ColumnValues | null = null;
      if (shape.leaf.type === PHYSICAL[spec.kind][0] && (spec.kind === 'float32' || spec.kind === 'float64' || spec.kind === 'int64' || spec.kind === 'bool')) {
        if (fd < 0) fd = openSync(file.path, 'r');
        values = readFast(fd, file, spec, target(into, spec, file.rows));
      }
      values ??= await readGeneric(file, spec, where);
      const dst = target(into, spec, file.rows);
      if (dst && values !== dst && !Array.isArray(values)) dst.set(values as Float32Array);
      out[spec.name] = dst && !Array.isArray(values) ? dst : values;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return out;
}

/**
 * Where {@link readColumns} decodes numeric columns instead of new arrays
 * (reused buffers spare fresh memory, whose first touch is slow): column
 * name -> an array of the column's type, written from row `rowOffset` on.
 */
export interface ReadInto {
  arrays: Record<string, Float32Array | Float64Array | Uint8Array>;
  rowOffset: number;
}

function target(into: ReadInto | undefined, spec: ColumnSpec, rows: number): Float32Array | Float64Array | Uint8Array | null {
  const a = into?.arrays[spec.name];
  if (!a) return null;
  const w = spec.dim ?? 1;
  return a.subarray(into!.rowOffset * w, (into!.rowOffset + rows) * w);
}

/** The fast path; null when a page is not in the layout it handles. */
function readFast(fd: number, file: ParquetFile, spec: ColumnSpec, dst: Float32Array | Float64Array | Uint8Array | null): ColumnValues | null {
  const width = spec.dim ?? 1;
  const total = file.rows * width;
  const out = dst ?? (spec.kind === 'float32' ? new Float32Array(total) : spec.kind === 'bool' ? new Uint8Array(total) : new Float64Array(total));
  const bytesPer = spec.kind === 'float32' ? 4 : spec.kind === 'bool' ? 0 : 8;
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let row = 0;
  for (const group of file.metadata.row_groups) {
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema[0] === spec.name)?.meta_data;
    if (!chunk || chunk.dictionary_page_offset !== undefined) return null;
    const start = Number(chunk.data_page_offset);
    const length = Number(chunk.total_compressed_size);
    if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    if (readSync(fd, scratch, 0, length, start) !== length) return null;
    const reader = { view: new DataView(scratch.buffer, 0, length), offset: 0 };
    while (reader.offset < length) {
      const header = parquetHeader(reader);
      const v2 = header.data_page_header_v2;
      const pageStart = reader.offset;
      reader.offset += header.compressed_page_size;
      if (header.type !== 'DATA_PAGE_V2' || !v2 || v2.num_nulls !== 0 || v2.num_values !== v2.num_rows * width) return null;
      if (spec.dim !== null && !fixedRows(reader.view, pageStart, v2.repetition_levels_byte_length, v2.num_rows, spec.dim)) return null;
      const valuesStart = pageStart + v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
      let bytes = scratch.subarray(valuesStart, pageStart + header.compressed_page_size);
      const rawSize = header.uncompressed_page_size - v2.repetition_levels_byte_length - v2.definition_levels_byte_length;
      if (v2.is_compressed !== false && chunk.codec !== 'UNCOMPRESSED') {
        if (chunk.codec !== 'SNAPPY') return null;
        const target = new Uint8Array(rawSize);
        snappyUncompress(bytes, target);
        bytes = target;
      }
      if (spec.kind === 'bool') {
        if (v2.encoding !== 'RLE' && v2.encoding !== 'PLAIN') return null;
        const sub = out.subarray(row, row + v2.num_rows) as Uint8Array;
        if (v2.encoding === 'RLE') readRleBitPackedHybrid({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }, 1, sub);
        else for (let i = 0; i < v2.num_rows; i++) sub[i] = (bytes[i >> 3] >> (i & 7)) & 1;
      } else if (v2.encoding !== 'PLAIN') {
        return null;
      } else if (spec.kind === 'int64') {
        const ints = new BigInt64Array(bytes.slice(0, v2.num_values * 8).buffer);
        const dst = out as Float64Array;
        for (let i = 0; i < ints.length; i++) dst[row * width + i] = Number(ints[i]);
      } else {
        outBytes.set(bytes.subarray(0, v2.num_values * bytesPer), row * width * bytesPer);
      }
      row += v2.num_rows;
    }
  }
  return row === file.rows ? out : null;
}

/** listLevels(rows, dim).rep by `${rows}x${dim}` (row groups share a few shapes). */
const expectedLevels = new Map<string, Buffer>();

/** True when the repetition levels (bit width 1) at `offset` say every row has exactly `dim` values. */
function fixedRows(view: DataView, offset: number, byteLength: number, rows: number, dim: number): boolean {
  // Pages lamkit wrote hold exactly listLevels' bytes: one comparison instead of decoding rows x dim levels.
  const key = `${rows}x${dim}`;
  let expected = expectedLevels.get(key);
  if (!expected) {
    if (expectedLevels.size > 64) expectedLevels.clear();
    expectedLevels.set(key, (expected = Buffer.from(listLevels(rows, dim).rep)));
  }
  if (byteLength === expected.length && expected.equals(new Uint8Array(view.buffer, view.byteOffset + offset, byteLength))) return true;
  const count = rows * dim;
  if (levels.length < count) levels = new Uint8Array(Math.max(count, levels.length * 2));
  const reps = levels.subarray(0, count);
  readRleBitPackedHybrid({ view, offset }, 1, reps, byteLength);
  for (let r = 0, k = 0; r < rows; r++, k += dim) {
    if (reps[k] !== 0) return false;
    for (let j = 1; j < dim; j++) if (reps[k + j] !== 1) return false;
  }
  return true;
}

/** True when top-level column `name` is a group with a direct child `child`. */
function columnHasChild(file: ParquetFile, name: string, child: string): boolean {
  const schema = file.metadata.schema;
  let i = 1;
  while (i < schema.length && schema[i].name !== name) i = skipSubtree(schema, i);
  if (i >= schema.length) return false;
  let j = i + 1;
  for (let c = 0; c < (schema[i].num_children ?? 0); c++) {
    if (schema[j].name === child) return true;
    j = skipSubtree(schema, j);
  }
  return false;
}

/** One column's rows as hyparquet assembles them (structs as objects, lists as arrays); `utf8: false` keeps un-annotated BYTE_ARRAYs (an image's PNG) as bytes. */
async function readRaw(file: ParquetFile, name: string, utf8 = true): Promise<ArrayLike<unknown>> {
  const fd = openSync(file.path, 'r');
  try {
    const asyncBuffer = {
      byteLength: fstatSync(fd).size,
      slice(start: number, end?: number): ArrayBuffer {
        const buf = new Uint8Array((end ?? this.byteLength) - start);
        readSync(fd, buf, 0, buf.length, start);
        return buf.buffer;
      },
    };
    return (await parquetReadColumn({ file: asyncBuffer, metadata: file.metadata, columns: [name], utf8 })) as ArrayLike<unknown>;
  } finally {
    closeSync(fd);
  }
}

/** Any layout, through hyparquet's general reader, flattened with checks. */
async function readGeneric(file: ParquetFile, spec: ColumnSpec, where: string): Promise<ColumnValues> {
  const raw = await readRaw(file, spec.name);
  const bad = (row: number, got: unknown, expected: string): never => {
    throw new FileFormatError(formatError(`${where}[row ${row}]`, expected, describeValue(got), 'Fix the data file or the feature shape in meta/info.json'));
  };
  const n = raw.length;
  if (spec.kind === 'string') return Array.from(raw, (v, i) => (typeof v === 'string' ? v : bad(i, v, 'a string')));
  if (spec.kind === 'string-list') return Array.from(raw, (v, i) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : bad(i, v, 'a list of strings')));
  if (spec.kind.endsWith('?')) return Array.from(raw, (v) => (typeof v === 'bigint' ? Number(v) : (v as boolean | number | null)));
  const width = spec.dim ?? 1;
  const out = spec.kind === 'float32' ? new Float32Array(n * width) : spec.kind === 'bool' ? new Uint8Array(n * width) : new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    if (spec.dim === null) {
      if (v === null || v === undefined || Array.isArray(v)) bad(i, v, `a ${spec.kind} scalar`);
      out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
    } else {
      const row = v as ArrayLike<unknown> | null;
      if (!row || typeof row !== 'object' || row.length !== width) bad(i, v, `a list of ${width} ${spec.kind} values`);
      for (let j = 0; j < width; j++) {
        const x = (row as ArrayLike<unknown>)[j];
        if (x === null || x === undefined) bad(i, v, `a list of ${width} ${spec.kind} values without nulls`);
        out[i * width + j] = typeof x === 'boolean' ? (x ? 1 : 0) : Number(x);
      }
    }
  }
  return out;
}
