import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import { encodeNestedValues } from 'hyparquet-writer/src/dremel.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { schemaPathResolver } from 'hyparquet-writer/src/schema.js';
import type { SchemaElement } from 'hyparquet';
import { endianness } from 'node:os';
import { imageSchemaElements, imageShapeOf, imageStructRows } from './image-feature.js';
import type { ColumnSpec, ColumnValues } from './parquet-table.js';

/*
 * Writing Parquet: whole files (encodeParquet) or row groups as rows arrive
 * (ParquetEncoder), with a fast path for fixed-width numeric columns and
 * the buffers reused between files. Reading is in parquet-table.ts.
 */

/**
 * A fixed-width numeric column (`float32`, `float64`, `int64`, `bool`) given
 * to {@link encodeParquet} without its values in one array: consecutive
 * pieces (one typed array per episode, see {@link concatSource}) or values
 * computed per range (a dataset's index columns). The encoder copies each
 * page's values into a scratch array it reuses, so a data file is encoded
 * without first concatenating its columns into fresh memory (memory touched
 * for the first time costs ~5 ms of CPU per MB on the 2-core VM, see
 * docs/benchmarks.md "Datasets").
 */
export interface NumericColumnSource {
  /** Number of values (rows x dim). */
  readonly length: number;
  /** Writes values `[from, from + out.length)` into `out` (the column kind's typed array: Float64Array for int64, Uint8Array for bool). */
  read(out: Float32Array | Float64Array | Uint8Array, from: number): void;
}

/**
 * A column made of consecutive pieces of `lengths[k]` values each, the
 * values of piece `k` from offset `at` written by `fill(k, out, at)`
 * (`out` holds as many as are asked), as a {@link NumericColumnSource}.
 */
export function piecesSource(lengths: ArrayLike<number>, fill: (k: number, out: Float32Array | Float64Array | Uint8Array, at: number) => void): NumericColumnSource {
  const starts = new Float64Array(lengths.length + 1);
  for (let k = 0; k < lengths.length; k++) starts[k + 1] = starts[k] + lengths[k];
  return {
    length: starts[lengths.length],
    read(out, from) {
      // The first piece holding `from` (binary search), then piece by piece.
      let lo = 0;
      let hi = lengths.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= from) lo = mid;
        else hi = mid - 1;
      }
      let done = 0;
      for (let k = lo; done < out.length && k < lengths.length; k++) {
        const at = k === lo ? from - starts[k] : 0;
        const take = Math.min(lengths[k] - at, out.length - done);
        fill(k, out.subarray(done, done + take), at);
        done += take;
      }
    },
  };
}

/** The column made of `parts` one after another (e.g. one typed array per episode), as a {@link NumericColumnSource}. */
export function concatSource(parts: ReadonlyArray<Float32Array | Float64Array | Uint8Array>): NumericColumnSource {
  return piecesSource(
    parts.map((p) => p.length),
    (k, out, at) => out.set(parts[k].subarray(at, at + out.length)),
  );
}

/** A table to encode: the columns in file order with their data (all of `rows` rows). */
export interface TableInput {
  columns: ReadonlyArray<{ spec: ColumnSpec; data: ColumnValues | NumericColumnSource }>;
  rows: number;
}

/** Encoding options of {@link encodeParquet}. */
export interface EncodeOptions {
  /**
   * `'auto'` (default): Snappy for string and nullable columns, no
   * compression for fixed-width numeric columns (pure-JS Snappy decodes
   * incompressible float data at a fraction of memory speed, robot states
   * barely compress, and compressing the index columns cost more CPU when
   * recording than the rest of the encoding); `'snappy'` or `'none'` for
   * every column.
   */
  compression?: 'auto' | 'snappy' | 'none';
  /** Rows per row group. Default 100,000. */
  rowGroupRows?: number;
  /** Key-value metadata for the footer (e.g. pandas' index description). */
  kvMetadata?: Array<{ key: string; value: string }>;
  /**
   * Encode into a buffer kept between calls (grown as needed) and return a
   * view of it, valid until the next `encodeParquet` with this option: the
   * writer's data files reuse memory instead of touching fresh pages.
   */
  reuseBuffer?: boolean;
}

let shared: ArrayBuffer | null = null;
let sharedHeld = false;

/**
 * Keeps the buffer of the last `reuseBuffer` encode from being reused until
 * the returned function is called (while its bytes are written
 * asynchronously): encodes meanwhile get a buffer of their own.
 */
export function holdEncodeBuffer(): () => void {
  sharedHeld = true;
  return () => {
    sharedHeld = false;
  };
}

const PAGE_BYTES = 1 << 20;

/** Buffers of finished files, kept for the next encoders of this thread (see {@link takeEncodeBuffer}). */
const spares: ArrayBuffer[] = [];
/** At most this many are kept: a commit's data file's and episodes file's (more would keep big data-file buffers alive for nothing). */
const MAX_SPARES = 2;

/**
 * Memory for a {@link ParquetEncoder}: a buffer a finished file gave back
 * ({@link giveBackEncodeBuffer}) when there is one (memory touched for the
 * first time is slow on some machines: ~150 MB/s on the 2-core VM), else a
 * new one of `bytes`. `prefer: 'largest'` (a data file, whose size is not
 * known yet) takes the largest kept; `'fit'` the smallest that holds
 * `bytes` (else the largest: the encoder grows it).
 */
export function takeEncodeBuffer(bytes = 1 << 20, prefer: 'largest' | 'fit' = 'largest'): ArrayBuffer {
  let best = -1;
  for (let i = 0; i < spares.length; i++) {
    if (best < 0) {
      best = i;
      continue;
    }
    const b = spares[i].byteLength;
    const cur = spares[best].byteLength;
    const better = prefer === 'fit' && b >= bytes ? cur < bytes || b < cur : b > cur && (prefer === 'largest' || cur < bytes);
    if (better) best = i;
  }
  return best < 0 ? new ArrayBuffer(bytes) : spares.splice(best, 1)[0];
}

/** Returns an encoder's buffer once the file's bytes are written (the {@link MAX_SPARES} largest are kept). */
export function giveBackEncodeBuffer(buffer: ArrayBuffer): void {
  if (spares.includes(buffer)) return;
  spares.push(buffer);
  if (spares.length > MAX_SPARES) {
    let smallest = 0;
    for (let i = 1; i < spares.length; i++) if (spares[i].byteLength < spares[smallest].byteLength) smallest = i;
    spares.splice(smallest, 1);
  }
}

type WriterSchema = Parameters<typeof schemaPathResolver>[0];

/** The Parquet schema elements of one column (3-level LIST for vectors, as pyarrow writes them). */
export function schemaElements(spec: ColumnSpec): SchemaElement[] {
  if (spec.kind === 'image') return imageSchemaElements(spec.name);
  const leaf = (name: string, repetition: 'REQUIRED' | 'OPTIONAL'): SchemaElement => {
    switch (spec.kind) {
      case 'float32':
        return { name, type: 'FLOAT', repetition_type: repetition };
      case 'float64':
      case 'float64?':
        return { name, type: 'DOUBLE', repetition_type: repetition };
      case 'int64':
      case 'int64?':
        return { name, type: 'INT64', repetition_type: repetition };
      case 'bool':
      case 'bool?':
        return { name, type: 'BOOLEAN', repetition_type: repetition };
      case 'string':
      case 'string-list':
        return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition };
      case 'image':
        throw new Error('unreachable: image columns are structs');
    }
  };
  if (spec.kind === 'string-list') {
    return [
      { name: spec.name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      leaf('element', 'REQUIRED'),
    ];
  }
  if (spec.dim === null) return [leaf(spec.name, spec.kind.endsWith('?') ? 'OPTIONAL' : 'REQUIRED')];
  return [
    { name: spec.name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    leaf('element', 'REQUIRED'),
  ];
}

/**
 * Encodes a table as one complete Parquet file (footer included) with
 * hyparquet-writer. Fixed-length numeric vectors take a fast path: their
 * repetition/definition levels are generated directly instead of through
 * the generic Dremel encoder (which walks nested JS arrays value by value,
 * ~6x slower); everything else goes through hyparquet-writer's own encoder.
 * Pages are DATA_PAGE_V2, PLAIN (or RLE for booleans), as pyarrow reads them.
 */
export function encodeParquet(table: TableInput, options: EncodeOptions = {}): Uint8Array {
  // Size the buffer up front: growing by doubling copies the file several times.
  const estimate = estimateParquetBytes(table);
  const reuse = options.reuseBuffer === true && !sharedHeld;
  if (reuse && (!shared || shared.byteLength < estimate)) shared = new ArrayBuffer(estimate);
  const encoder = new ParquetEncoder(table.columns.map((c) => c.spec), options, reuse ? shared! : new ArrayBuffer(estimate));
  encoder.addRows(table);
  const bytes = encoder.finish();
  if (reuse) shared = bytes.buffer as ArrayBuffer;
  return bytes;
}

/** About the bytes {@link encodeParquet} writes for `table` (a little more), to size its buffer up front. */
export function estimateParquetBytes(table: TableInput): number {
  let estimate = 1 << 16;
  for (const c of table.columns) estimate += table.rows * (c.spec.dim ?? 1) * (c.spec.kind === 'float32' ? 4 : c.spec.kind === 'bool' || c.spec.kind === 'bool?' || c.spec.kind === 'image' ? 1 : 8) + (Array.isArray(c.data) ? table.rows * 32 : 0);
  return Math.ceil(estimate * 1.05);
}

/**
 * A Parquet file encoded a batch of rows at a time ({@link encodeParquet}
 * in steps): each {@link addRows} call becomes one or more row groups
 * (`rowGroupRows` at most), {@link finish} writes the footer. The writer's
 * data files are encoded this way as episodes arrive, so that a commit only
 * encodes the rows added since the last batch.
 */
export class ParquetEncoder {
  private readonly writer: ByteWriter;
  private readonly pw: ParquetWriter;
  private readonly resolve: ReturnType<typeof schemaPathResolver>;
  private readonly groupRows: number;
  private readonly compression: 'auto' | 'snappy' | 'none';
  private readonly state: { row_groups: unknown[]; num_rows: bigint; pendingIndexes: unknown[]; compressors: ParquetWriter['compressors'] };
  private readonly specs: readonly ColumnSpec[];
  private finished = false;

  /** @param buffer Memory to encode into (grown by doubling when too small): reuse one file to file to avoid touching fresh pages. */
  constructor(specs: readonly ColumnSpec[], options: Omit<EncodeOptions, 'reuseBuffer'> = {}, buffer: ArrayBuffer = new ArrayBuffer(1 << 16)) {
    this.specs = specs;
    // hyparquet-writer carries its own copy of hyparquet's types: the same shapes, another module.
    const schema = [{ name: 'schema', num_children: specs.length }, ...specs.flatMap((spec) => schemaElements(spec))] as WriterSchema;
    this.writer = new ByteWriter(1);
    this.writer.buffer = buffer;
    this.writer.view = new DataView(buffer);
    this.pw = new ParquetWriter({ writer: this.writer, schema, codec: 'SNAPPY', kvMetadata: options.kvMetadata, createdBy: 'lamkit (hyparquet-writer)' });
    this.resolve = schemaPathResolver(schema);
    this.groupRows = options.rowGroupRows ?? 100_000;
    this.compression = options.compression ?? 'auto';
    this.state = this.pw as unknown as ParquetEncoder['state'];
  }

  /** Rows encoded so far. */
  get rows(): number {
    return Number(this.state.num_rows);
  }

  /** Encodes the rows of `table` (its columns in the constructor's order) as the next row group(s). */
  addRows(table: TableInput): void {
    if (this.finished) throw new Error('ParquetEncoder.addRows: the footer is written already');
    const { writer, state, resolve, compression } = this;
    for (let g = 0; g < table.rows; g += this.groupRows) {
      const n = Math.min(this.groupRows, table.rows - g);
      const groupStart = writer.offset;
      const chunks: Array<ReturnType<typeof writeColumn>['chunk']> = [];
      for (const [k, { spec, data }] of table.columns.entries()) {
        if (spec.name !== this.specs[k].name) throw new Error(`ParquetEncoder.addRows: column ${k} is ${spec.name}, expected ${this.specs[k].name}`);
        if (spec.kind === 'image') {
          chunks.push(...writeImageChunks(writer, spec, data as Uint8Array, g, n, resolve([spec.name]), state.compressors));
          continue;
        }
        let path = resolve([spec.name]);
        while (path[path.length - 1].children.length > 0) path = [...path, path[path.length - 1].children[0]];
        const schemaPath = path.map((node) => node.element);
        const vector = spec.dim !== null && spec.kind !== 'string-list';
        if (NUMERIC_FAST && (spec.kind === 'float32' || spec.kind === 'float64' || spec.kind === 'int64' || spec.kind === 'bool')) {
          // 'auto': fixed-width numeric columns are stored uncompressed (see writeNumericChunk).
          const fast = writeNumericChunk(writer, spec, data as Float32Array | Float64Array | Uint8Array | NumericColumnSource, g, n, schemaPath, compression === 'snappy' ? state.compressors.SNAPPY! : null);
          if (fast) {
            chunks.push(fast);
            continue;
          }
        }
        const codec = compression === 'none' || (compression === 'auto' && vector && (spec.kind === 'float32' || spec.kind === 'float64')) ? 'UNCOMPRESSED' : 'SNAPPY';
        const result = writeColumn({
          writer,
          column: {
            columnName: schemaPath.slice(1).map((s) => s.name).join('.'),
            element: schemaPath[schemaPath.length - 1],
            schemaPath,
            codec,
            compressors: state.compressors,
            stats: !vector && spec.kind !== 'string-list',
            pageSize: PAGE_BYTES,
            columnIndex: false,
            offsetIndex: false,
            encoding: spec.kind === 'bool' || spec.kind === 'bool?' ? undefined : 'PLAIN',
          },
          pageData: pageData(spec, isSource(data) ? materialize(spec, data) : data, g, n, path),
        });
        chunks.push(result.chunk);
      }
      let totalBytes = 0n;
      for (const c of chunks) totalBytes += c.meta_data?.total_uncompressed_size ?? 0n;
      state.row_groups.push({ columns: chunks, total_byte_size: totalBytes, num_rows: BigInt(n), total_compressed_size: BigInt(writer.offset - groupStart) });
      state.num_rows += BigInt(n);
    }
  }

  /** Writes the footer; returns the file's bytes, a view of the encoder's buffer (see {@link buffer}). */
  finish(): Uint8Array {
    if (this.finished) throw new Error('ParquetEncoder.finish: the footer is written already');
    this.finished = true;
    this.pw.finish();
    return this.writer.getBytes();
  }

  /** The memory encoded into (grown as needed): pass it to the next encoder once the bytes are written. */
  get buffer(): ArrayBuffer {
    return this.writer.buffer;
  }
}

/**
 * Rows `[g, g + n)` of an image column: each frame encoded as a PNG, then
 * the struct's two leaves (`bytes`, `path`) through hyparquet-writer's
 * Dremel encoder, uncompressed (PNG is deflated already).
 */
function writeImageChunks(writer: ByteWriter, spec: ColumnSpec, data: Uint8Array, g: number, n: number, path: Parameters<typeof encodeNestedValues>[0], compressors: ParquetWriter['compressors']): Chunk[] {
  const rows = imageStructRows(data, g, n, imageShapeOf(spec.shape ?? [], `encodeParquet.${spec.name}`));
  const node = path[path.length - 1];
  return node.children.map((leaf) => {
    const leafPath = [...path, leaf];
    const schemaPath = leafPath.map((x) => x.element);
    return writeColumn({
      writer,
      column: { columnName: schemaPath.slice(1).map((s) => s.name).join('.'), element: leaf.element, schemaPath, codec: 'UNCOMPRESSED', compressors, stats: false, pageSize: PAGE_BYTES, columnIndex: false, offsetIndex: false, encoding: 'PLAIN' },
      pageData: encodeNestedValues(leafPath, rows),
    }).chunk;
  });
}

function isSource(data: ColumnValues | NumericColumnSource): data is NumericColumnSource {
  return !Array.isArray(data) && !ArrayBuffer.isView(data);
}

/** A source's values in one new typed array (the general encoder's path: big-endian machines, unsafe int64). */
function materialize(spec: ColumnSpec, source: NumericColumnSource): Float32Array | Float64Array | Uint8Array {
  const out = spec.kind === 'float32' ? new Float32Array(source.length) : spec.kind === 'bool' ? new Uint8Array(source.length) : new Float64Array(source.length);
  source.read(out, 0);
  return out;
}

/** Scratch arrays for a source's page values, reused from page to page and file to file (at most a page, ~1 MiB, each). */
const pageScratch = { float32: new Float32Array(0), float64: new Float64Array(0), bool: new Uint8Array(0) };
let wordScratch = new Int32Array(0);

/** Values `[from, from + count)` of a column: a view of its typed array, or a source's values copied into a scratch array. */
function pageOf(data: Float32Array | Float64Array | Uint8Array | NumericColumnSource, kind: 'float32' | 'float64' | 'int64' | 'bool', from: number, count: number): Float32Array | Float64Array | Uint8Array {
  if (!isSource(data)) return data.subarray(from, from + count);
  const key = kind === 'int64' ? 'float64' : kind;
  if (pageScratch[key].length < count) {
    if (key === 'float32') pageScratch.float32 = new Float32Array(count);
    else if (key === 'float64') pageScratch.float64 = new Float64Array(count);
    else pageScratch.bool = new Uint8Array(count);
  }
  const out = pageScratch[key].subarray(0, count);
  data.read(out, from);
  return out;
}

/** Levels and values of rows `[g, g + n)` of one column. */
function pageData(spec: ColumnSpec, data: ColumnValues, g: number, n: number, path: Parameters<typeof encodeNestedValues>[0]): Parameters<typeof writeColumn>[0]['pageData'] {
  const dim = spec.dim;
  if (spec.kind === 'float32' || spec.kind === 'float64' || spec.kind === 'int64' || spec.kind === 'bool') {
    const width = dim ?? 1;
    const slice = (data as Float32Array | Float64Array | Uint8Array).subarray(g * width, (g + n) * width);
    const values = spec.kind === 'int64' ? toBigInt64(slice as Float64Array) : spec.kind === 'bool' ? Array.from(slice, (v) => v !== 0) : slice;
    if (dim === null) return { values, definitionLevels: [], repetitionLevels: [], maxDefinitionLevel: 0 };
    // REQUIRED list of REQUIRED elements: every value is defined at level 1; a row starts at repetition level 0.
    const definitionLevels = new Uint8Array(n * dim).fill(1);
    const repetitionLevels = new Uint8Array(n * dim).fill(1);
    for (let r = 0; r < n; r++) repetitionLevels[r * dim] = 0;
    return { values, definitionLevels: definitionLevels as unknown as number[], repetitionLevels: repetitionLevels as unknown as number[], maxDefinitionLevel: 1 };
  }
  const rows = (data as unknown[]).slice(g, g + n).map((v) => (spec.kind === 'int64?' && typeof v === 'number' ? BigInt(v) : v));
  return encodeNestedValues(path, rows);
}

/** Typed arrays are copied to pages byte for byte: Parquet is little-endian. */
const NUMERIC_FAST = endianness() === 'LE';

type Chunk = ReturnType<typeof writeColumn>['chunk'];

/**
 * Writes rows `[g, g + n)` of a fixed-width numeric column (a scalar or a
 * fixed-length list of float32 / float64 / int64 / bool, no nulls) as one
 * column chunk of DATA_PAGE_V2 pages of at most ~1 MiB, straight from its
 * typed array: PLAIN values copied as bytes (int64 split into two 32-bit
 * words, no BigInt), booleans and list levels bit-packed in one pass (the
 * levels of a fixed-length list are the same pattern every row). The same
 * layout hyparquet-writer's general encoder produces (and `readFast` reads),
 * without its per-value work (page-size estimates, level RLE, statistics
 * and value writes one value at a time), which cost 5-10 us a frame when
 * recording. Statistics (min/max) are kept for scalar columns. `snappy`:
 * compress each page's values with it, else the chunk is UNCOMPRESSED.
 * Null when the data cannot take this path (an int64 that is not a safe
 * integer): the caller falls back to the general encoder, which reports it.
 */
function writeNumericChunk(
  writer: ByteWriter,
  spec: ColumnSpec,
  data: Float32Array | Float64Array | Uint8Array | NumericColumnSource,
  g: number,
  n: number,
  schemaPath: SchemaElement[],
  snappy: ((input: Uint8Array) => Uint8Array) | null,
): Chunk | null {
  const width = spec.dim ?? 1;
  const list = spec.dim !== null;
  const kind = spec.kind as 'float32' | 'float64' | 'int64' | 'bool';
  const type = kind === 'float32' ? 'FLOAT' : kind === 'float64' ? 'DOUBLE' : kind === 'int64' ? 'INT64' : 'BOOLEAN';
  const encoding = kind === 'bool' ? 'RLE' : 'PLAIN';
  const valueBytes = kind === 'float32' ? 4 : kind === 'bool' ? 1 : 8;
  const rowsPerPage = Math.max(1, Math.floor(PAGE_BYTES / (width * valueBytes)));
  const offsetStart = writer.offset;
  let uncompressed = 0;
  let pages = 0;
  // Statistics (scalar columns), accumulated page by page.
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  for (let r0 = 0; r0 < n; r0 += rowsPerPage) {
    const rows = Math.min(rowsPerPage, n - r0);
    const count = rows * width;
    const page = pageOf(data, kind, (g + r0) * width, count);
    if (kind === 'int64') {
      for (let i = 0; i < count; i++) {
        if (!Number.isSafeInteger(page[i])) {
          // Drop the pages written so far: the general encoder writes the chunk.
          writer.index -= writer.offset - offsetStart;
          writer.offset = offsetStart;
          return null;
        }
      }
    }
    if (!list) {
      for (let i = 0; i < count; i++) {
        const v = page[i];
        if (v !== v) nan++;
        else {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    }
    const levels = list ? listLevels(rows, width) : null;
    const raw = pageValues(kind, page);
    const stored = snappy ? snappy(raw) : raw;
    const levelBytes = levels ? levels.rep.length + levels.def.length : 0;
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levelBytes + raw.length,
      compressed_page_size: levelBytes + stored.length,
      data_page_header_v2: {
        num_values: count,
        num_nulls: 0,
        num_rows: rows,
        encoding,
        definition_levels_byte_length: levels ? levels.def.length : 0,
        repetition_levels_byte_length: levels ? levels.rep.length : 0,
        is_compressed: snappy !== null,
      },
    } as Parameters<typeof writePageHeader>[1]);
    if (levels) {
      writer.appendBytes(levels.rep);
      writer.appendBytes(levels.def);
    }
    writer.appendBytes(stored);
    uncompressed += levelBytes + raw.length;
    pages++;
  }
  let stats: { min_value: unknown; max_value: unknown; null_count: bigint; nan_count?: bigint } | undefined;
  if (!list) {
    const has = nan < n;
    const conv = (v: number): unknown => (!has ? undefined : kind === 'int64' ? BigInt(v) : kind === 'bool' ? v !== 0 : v === 0 ? v : v);
    stats = { min_value: conv(min === 0 ? -0 : min), max_value: conv(max === 0 ? 0 : max), null_count: 0n };
    if (kind === 'float32' || kind === 'float64') stats.nan_count = BigInt(nan);
  }
  const element = schemaPath[schemaPath.length - 1];
  return {
    meta_data: {
      type: element.type ?? type,
      encodings: [encoding],
      path_in_schema: schemaPath.slice(1).map((e) => e.name),
      codec: snappy ? 'SNAPPY' : 'UNCOMPRESSED',
      num_values: BigInt(n * width),
      total_compressed_size: BigInt(writer.offset - offsetStart),
      // The page headers are counted in the compressed size (the bytes on disk) but not here, as the general encoder does.
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: BigInt(offsetStart),
      statistics: stats,
      encoding_stats: stats ? [{ page_type: 'DATA_PAGE_V2', encoding, count: pages }] : undefined,
    },
    file_offset: BigInt(offsetStart),
  } as unknown as Chunk;
}

/** A page's values as PLAIN bytes (booleans: RLE/bit-packed hybrid with its 4-byte length, as hyparquet-writer writes them). */
function pageValues(kind: 'float32' | 'float64' | 'int64' | 'bool', page: Float32Array | Float64Array | Uint8Array): Uint8Array {
  if (kind === 'float32' || kind === 'float64') return new Uint8Array(page.buffer, page.byteOffset, page.byteLength);
  if (kind === 'int64') {
    // Into a scratch array reused page to page: the caller copies (or compresses) the bytes at once.
    if (wordScratch.length < page.length * 2) wordScratch = new Int32Array(page.length * 2);
    const words = wordScratch;
    for (let i = 0; i < page.length; i++) {
      const v = page[i];
      const hi = Math.floor(v / 4294967296);
      words[2 * i] = (v - hi * 4294967296) | 0;
      words[2 * i + 1] = hi;
    }
    return new Uint8Array(words.buffer, 0, page.length * 8);
  }
  const { out: packed, bits } = bitPackedRun(page.length);
  for (let i = 0; i < page.length; i++) if (page[i] !== 0) packed[bits + (i >> 3)] |= 1 << (i & 7);
  const out = new Uint8Array(4 + packed.length);
  new DataView(out.buffer).setUint32(0, packed.length, true);
  out.set(packed, 4);
  return out;
}

/**
 * An empty bit-packed run (RLE/bit-packed hybrid, bit width 1) for `count`
 * bits: the varint header `(groups << 1) | 1` written, the bits (LSB first,
 * the last group of 8 padded with zeros) to set from byte `bits` on.
 */
function bitPackedRun(count: number): { out: Uint8Array; bits: number } {
  const groups = Math.ceil(count / 8);
  const header = varint(groups * 2 + 1);
  const out = new Uint8Array(header.length + groups);
  out.set(header);
  return { out, bits: header.length };
}

function varint(v: number): number[] {
  const bytes: number[] = [];
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

/**
 * Levels of `rows` rows of a REQUIRED list of `dim` REQUIRED values:
 * repetition 0 then dim-1 ones per row, bit-packed (the bits repeat every
 * 8 rows = `dim` bytes: the first 8 rows are set bit by bit, the rest
 * copied); definition all 1, one RLE run.
 */
export function listLevels(rows: number, dim: number): { rep: Uint8Array; def: Uint8Array } {
  const count = rows * dim;
  const { out: rep, bits } = bitPackedRun(count);
  const bytes = rep.subarray(bits);
  const first = Math.min(count, 8 * dim);
  for (let i = 0; i < first; i++) if (i % dim !== 0) bytes[i >> 3] |= 1 << (i & 7);
  for (let filled = dim; filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.length - filled));
  // The padding bits of the last group stay zero (past `count`).
  const tail = count & 7;
  if (tail) bytes[bytes.length - 1] &= (1 << tail) - 1;
  return { rep, def: Uint8Array.from([...varint(count * 2), 1]) };
}

function toBigInt64(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return out;
}
