import { Rng } from '../core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import type { LeRobotDataset } from './lerobot-dataset.js';
import type { ColumnSpec, ColumnValues } from './parquet-table.js';
import { startBatchHelper, type BatchHelper, type PretouchOrder } from './batch-helper.js';

/** Options shared by {@link iterateBatches} and {@link iterateWindows}. */
export interface DatasetSamplingOptions {
  /** Samples per batch (positive integer). */
  batchSize: number;
  /** Features in each batch. Default `['observation.state', 'action']`. */
  features?: readonly string[];
  /** Episodes to draw from: a stored split (`info.json` `lamkit.splits`), `'all'` (default), or explicit indices. */
  split?: 'train' | 'val' | 'test' | 'all' | readonly number[];
  /** Shuffle samples (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Seed of the shuffles (epoch e uses a stream derived from it). Default 0. */
  seed?: number;
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Drop a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Bytes of decoded columns held at once. Default 1 GiB. When every data
   * file's requested columns fit, they are loaded once and shuffled
   * globally; otherwise files are read in a random order per epoch, in
   * blocks of consecutive files of at most half the budget, and samples are
   * shuffled within each block (a block shuffle: not uniform over the whole
   * dataset, and said so by `plan().mode`).
   */
  memoryBudgetBytes?: number;
  /** Float features to normalize with `meta/stats.json`: `(x - mean) / (std + 1e-8)`, as LeRobot's MEAN_STD. */
  normalize?: readonly string[];
  /**
   * A second thread for the reading (src/data/batch-helper.ts): it takes the
   * first touch of freshly allocated column memory while the files decode,
   * then assembles every other batch (batches, not windows). `'auto'`
   * (default): when a block's decoded columns reach 32 MiB (below, starting
   * it costs more than it saves); `true`: always; `false`: never. Batches
   * are the same either way.
   */
  helperThread?: 'auto' | boolean;
  /** @internal Tests: when the helper's first touch runs relative to the decoding (default `'race'`). */
  pretouchOrder?: PretouchOrder;
  /** @internal Tests: the iterating thread waits for the helper to assemble every odd batch (default: it takes those the helper has not claimed yet). */
  helperTakesOdd?: boolean;
  /** @internal Tests and benches: called once the iteration ends, with how many batches the helper assembled. */
  onHelperStats?: (stats: { helperBatches: number }) => void;
}

/** A minibatch of frames: `columns[name]` is `[size x dim]` (Float32Array for float features, Float64Array for int64, Uint8Array for bool). */
export interface Batch {
  size: number;
  episodeIndex: Int32Array;
  frameIndex: Int32Array;
  columns: Record<string, Float32Array | Float64Array | Uint8Array>;
}

/** A minibatch of windows of `length` consecutive frames ending at each sampled frame: `columns[name]` is `[size x length x dim]`; `mask [size x length]` is 0 on the zero padding before an episode's start. */
export interface WindowBatch extends Batch {
  length: number;
  mask: Uint8Array;
}

/** How sampling will read the dataset. */
export interface SamplingPlan {
  /** `'in-memory'`: one global shuffle; `'block-shuffle'`: file blocks within the memory budget. */
  mode: 'in-memory' | 'block-shuffle';
  /** Decoded bytes of the requested columns over all data files. */
  totalBytes: number;
  /** Largest number of decoded bytes held at once. */
  blockBytes: number;
  episodes: number[];
  frames: number;
}

const DEFAULT_BUDGET = 1024 * 1024 * 1024;

/** Resolves options against a dataset: which episodes, features, and how the data will be read. */
export function planSampling(ds: LeRobotDataset, options: DatasetSamplingOptions): SamplingPlan & { specs: ColumnSpec[]; blocks: number[][] } {
  const where = 'datasetBatches';
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new InvalidArgument(formatError(`${where}.batchSize`, 'a positive integer', describeValue(options.batchSize), 'Pass e.g. 256'));
  const specs = (options.features ?? ['observation.state', 'action']).map((n) => ds.columnSpec(n));
  for (const s of specs) if (s.kind === 'string') throw new InvalidArgument(formatError(`${where}.features`, 'numeric features', describeValue(s.name), 'Read text with dataset.readEpisode'));
  const episodes = selectEpisodes(ds, options.split ?? 'all');
  const bytesPerRow = specs.reduce((s, c) => s + (c.dim ?? 1) * (c.kind === 'float32' ? 4 : c.kind === 'bool' || c.kind === 'image' ? 1 : 8), 0);
  const selected = new Set(episodes);
  const fileIdx = ds.dataFiles().map((f, k) => (f.episodes.some((e) => selected.has(e)) ? k : -1)).filter((k) => k >= 0);
  const fileBytes = (k: number): number => ds.dataFiles()[k].rows * bytesPerRow;
  const totalBytes = fileIdx.reduce((s, k) => s + fileBytes(k), 0);
  const budget = options.memoryBudgetBytes ?? DEFAULT_BUDGET;
  const frames = episodes.reduce((s, e) => s + ds.episodes[e].length, 0);
  if (totalBytes <= budget) return { mode: 'in-memory', totalBytes, blockBytes: totalBytes, episodes, frames, specs, blocks: [fileIdx] };
  const largest = Math.max(...fileIdx.map(fileBytes));
  if (largest > budget / 2) throw new InvalidArgument(formatError(`${where}.memoryBudgetBytes`, `at least twice the largest data file's decoded columns (${largest} bytes)`, describeValue(budget), 'Raise the budget, or write smaller files (dataFileSizeMb)'));
  return { mode: 'block-shuffle', totalBytes, blockBytes: Math.min(totalBytes, budget / 2), episodes, frames, specs, blocks: fileIdx.map((k) => [k]) };
}

function selectEpisodes(ds: LeRobotDataset, split: NonNullable<DatasetSamplingOptions['split']>): number[] {
  if (Array.isArray(split)) {
    for (const e of split) if (!Number.isInteger(e) || e < 0 || e >= ds.episodes.length) throw new InvalidArgument(formatError('datasetBatches.split', `episode indices in [0, ${ds.episodes.length})`, describeValue(e), 'Pass indices of existing episodes'));
    return [...split];
  }
  if (split === 'all') return ds.episodes.map((e) => e.episodeIndex);
  const s = ds.splits;
  if (!s) throw new InvalidArgument(formatError('datasetBatches.split', 'a dataset with a stored split', `no lamkit.splits in ${ds.root}/meta/info.json`, `Run \`lamkit dataset split ${ds.root} --val 0.1 --test 0.1\`, or pass split: 'all'`));
  return [...s[split as 'train' | 'val' | 'test']];
}

/** Decoded columns of a block of files, and the (row, episode, frame) of every selected frame in it. */
interface Block {
  cols: Record<string, ColumnValues>;
  rows: Int32Array;
  episode: Int32Array;
  frame: Int32Array;
  /** Row in the block of each selected frame's episode start (for windows). */
  episodeStart: Int32Array;
  /** The buffers it lies in (reused by a later block once no batch remainder refers to this one). */
  pool: Pool;
}

/** Decoded columns and row bookkeeping of one block, by column name (`#rows`, `#episode`, `#frame` for the bookkeeping). */
type Pool = Record<string, Float32Array | Float64Array | Uint8Array | Int32Array>;

/** What one iteration keeps between blocks: reused column buffers, buffers written once already, the helper thread. */
interface ReadState {
  /** Block buffers, reused: one in memory, two (rarely more) in block shuffle, where a batch remainder holds on to the previous block. */
  pools: Pool[];
  /** Buffers whose pages were all written once already (decoded into): no first touch to take. */
  touched: WeakSet<ArrayBufferLike>;
  helper: BatchHelper | null;
  pretouchOrder: PretouchOrder;
}

async function loadBlock(ds: LeRobotDataset, files: number[], specs: ColumnSpec[], selected: Set<number>, st: ReadState, pool: Pool): Promise<Block> {
  // Decode every file of the block straight into one array per column, reused from block to block.
  const totalRows = files.reduce((s, k) => s + ds.dataFiles()[k].rows, 0);
  const cols: Record<string, ColumnValues> = {};
  // Shared memory when a helper thread is there: it takes the first touch of the pages and gathers batches from them.
  const Backing = st.helper ? SharedArrayBuffer : ArrayBuffer;
  const reuse = <A extends Pool[string]>(key: string, length: number, make: (b: ArrayBufferLike) => A, bytes: number): A => {
    let a = pool[key] as A | undefined;
    if (!a || a.length < length) a = pool[key] = make(new Backing(length * bytes));
    return a.subarray(0, length) as A;
  };
  for (const s of specs) {
    const make = (b: ArrayBufferLike): Float32Array | Float64Array | Uint8Array => (s.kind === 'float32' ? new Float32Array(b) : s.kind === 'bool' || s.kind === 'image' ? new Uint8Array(b) : new Float64Array(b));
    cols[s.name] = reuse(s.name, totalRows * (s.dim ?? 1), make, bytesPerValue(s)) as ColumnValues;
  }
  const fresh = specs.filter((s) => pool[s.name].buffer instanceof SharedArrayBuffer && !st.touched.has(pool[s.name].buffer));
  let pretouch: { claim(f: number): void; close(): void } | null = null;
  if (st.helper && fresh.length > 0 && files.length > 1) {
    const ranges: Array<Array<[number, number]>> = [];
    let row = 0;
    for (const k of files) {
      const rows = ds.dataFiles()[k].rows;
      ranges.push(fresh.map((s) => [row * bytesPerValue(s) * (s.dim ?? 1), (row + rows) * bytesPerValue(s) * (s.dim ?? 1)]));
      row += rows;
    }
    pretouch = st.helper.pretouch(fresh.map((s) => pool[s.name].buffer as SharedArrayBuffer), ranges, st.pretouchOrder);
  }
  try {
    let offset = 0;
    for (let f = 0; f < files.length; f++) {
      pretouch?.claim(f);
      await ds.readFile(files[f], specs.map((s) => s.name), { arrays: cols as Record<string, Float32Array>, rowOffset: offset });
      offset += ds.dataFiles()[files[f]].rows;
    }
  } finally {
    pretouch?.close();
  }
  for (const s of specs) st.touched.add(pool[s.name].buffer);
  // Row bookkeeping in typed arrays sized up front (JS arrays of a million numbers each cost more than the decode).
  let n = 0;
  for (const k of files) for (const e of ds.dataFiles()[k].episodes) if (selected.has(e)) n += ds.episodes[e].length;
  const int32s = (key: string): Int32Array => reuse(key, n, (b) => new Int32Array(b), 4);
  const rows = int32s('#rows');
  const episode = int32s('#episode');
  const frame = int32s('#frame');
  const start = new Int32Array(n);
  let base = 0;
  let i = 0;
  for (const k of files) {
    const f = ds.dataFiles()[k];
    let row = base;
    for (const e of f.episodes) {
      const len = ds.episodes[e].length;
      if (selected.has(e)) {
        episode.fill(e, i, i + len);
        start.fill(row, i, i + len);
        for (let t = 0; t < len; t++, i++) {
          rows[i] = row + t;
          frame[i] = t;
        }
      }
      row += len;
    }
    base += f.rows;
  }
  return { cols, rows, episode, frame, episodeStart: start, pool };
}

const bytesPerValue = (s: ColumnSpec): number => (s.kind === 'float32' ? 4 : s.kind === 'bool' || s.kind === 'image' ? 1 : 8);

/** Below this many decoded bytes per block, `helperThread: 'auto'` does without the helper (its start and the shared memory cost more than they save). */
const HELPER_MIN_BYTES = 32 * 2 ** 20;

/** Per-feature `(x - mean) * invStd` parameters from the dataset's stats (null: copy as is). */
function normalizers(ds: LeRobotDataset, specs: ColumnSpec[], names: readonly string[]): Array<{ mean: Float64Array; invStd: Float64Array } | null> {
  return specs.map((s) => {
    if (!names.includes(s.name)) return null;
    const st = ds.stats[s.name];
    if (!st || (s.kind !== 'float32' && s.kind !== 'float64')) throw new InvalidArgument(formatError('datasetBatches.normalize', 'float features with stats in meta/stats.json', describeValue(s.name), 'Normalize only float features'));
    return { mean: Float64Array.from(st.mean), invStd: Float64Array.from(st.std, (x) => 1 / (x + 1e-8)) };
  });
}

/** Where a batch's arrays lie in its one buffer (byte offsets, 8-byte aligned). */
interface BatchLayout {
  size: number;
  steps: number;
  bytes: number;
  columns: number[];
  episodeIndex: number;
  frameIndex: number;
  /** -1: no mask. */
  mask: number;
}

function batchLayout(specs: ColumnSpec[], size: number, steps: number, withMask: boolean): BatchLayout {
  const align = (n: number): number => (n + 7) & ~7;
  let at = 0;
  const take = (bytes: number): number => {
    const from = at;
    at += align(bytes);
    return from;
  };
  const columns = specs.map((s) => take(size * steps * (s.dim ?? 1) * bytesPerValue(s)));
  const episodeIndex = take(4 * size);
  const frameIndex = take(4 * size);
  const mask = withMask ? take(size * steps) : -1;
  return { size, steps, bytes: at, columns, episodeIndex, frameIndex, mask };
}

/**
 * A batch's arrays carved from one ArrayBuffer: one allocation per batch
 * instead of one per column (each large typed array is a separate zeroed
 * allocation; at batch 256 they cost more than the copies).
 */
function carve(specs: ColumnSpec[], l: BatchLayout, buf: ArrayBuffer = new ArrayBuffer(l.bytes)): { columns: Record<string, Float32Array | Float64Array | Uint8Array>; episodeIndex: Int32Array; frameIndex: Int32Array; mask: Uint8Array | null } {
  const columns: Record<string, Float32Array | Float64Array | Uint8Array> = {};
  for (let c = 0; c < specs.length; c++) {
    const s = specs[c];
    const n = l.size * l.steps * (s.dim ?? 1);
    columns[s.name] = s.kind === 'float32' ? new Float32Array(buf, l.columns[c], n) : s.kind === 'bool' || s.kind === 'image' ? new Uint8Array(buf, l.columns[c], n) : new Float64Array(buf, l.columns[c], n);
  }
  const episodeIndex = new Int32Array(buf, l.episodeIndex, l.size);
  const frameIndex = new Int32Array(buf, l.frameIndex, l.size);
  const mask = l.mask >= 0 ? new Uint8Array(buf, l.mask, l.size * l.steps) : null;
  return { columns, episodeIndex, frameIndex, mask };
}

/**
 * Minibatches of frames, pulled one at a time (the consumer sets the pace).
 * See {@link DatasetSamplingOptions} for shuffling and the memory bound.
 */
export async function* iterateBatches(ds: LeRobotDataset, options: DatasetSamplingOptions): AsyncGenerator<Batch> {
  yield* iterate(ds, options, 0);
}

/**
 * Minibatches of windows of `length` consecutive frames of one episode,
 * each ending at a sampled frame (every frame is a window end once per
 * epoch). Frames before the episode's first are zero padding with mask 0.
 */
export async function* iterateWindows(ds: LeRobotDataset, options: DatasetSamplingOptions & { length: number }): AsyncGenerator<WindowBatch> {
  if (!Number.isInteger(options.length) || options.length < 1) throw new InvalidArgument(formatError('datasetWindows.length', 'a positive integer (frames per window)', describeValue(options.length), 'Pass e.g. 16'));
  yield* iterate(ds, options, options.length) as AsyncGenerator<WindowBatch>;
}

async function* iterate(ds: LeRobotDataset, options: DatasetSamplingOptions, windowLength: number): AsyncGenerator<Batch | WindowBatch> {
  // Batches (tens of KiB each) are made and freed all the time: LeRobotDataset.open tuned the allocator for that.
  const plan = planSampling(ds, options);
  const { specs } = plan;
  const selected = new Set(plan.episodes);
  const norm = normalizers(ds, specs, options.normalize ?? []);
  const epochs = options.epochs ?? 1;
  const shuffle = options.shuffle ?? true;
  const rng = new Rng(options.seed ?? 0);
  const B = options.batchSize;
  const T = Math.max(windowLength, 1);
  const useHelper = options.helperThread ?? 'auto';
  const st: ReadState = {
    pools: [],
    touched: new WeakSet(),
    helper: useHelper === true || (useHelper === 'auto' && plan.blockBytes >= HELPER_MIN_BYTES) ? startBatchHelper(prefetchRows, copyColumn) : null,
    pretouchOrder: options.pretouchOrder ?? 'race',
  };
  const full = batchLayout(specs, B, 1, false);
  let cached: Block | null = null;
  // The shuffled order in shared memory for the helper, reused from pass to pass.
  let sharedOrder: Int32Array<ArrayBufferLike> = new Int32Array(0);
  // Source row of every output row of a batch (-1: padding), reused from batch to batch.
  let srcRowScratch = new Int32Array(0);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const blocks = plan.mode === 'in-memory' ? plan.blocks : groupBlocks(ds, shuffle ? rng.shuffle(plan.blocks.map((b) => b[0])) : plan.blocks.map((b) => b[0]), plan.blockBytes, specs);
      let carry: { block: Block; index: number }[] = [];
      for (let bi = 0; bi < blocks.length; bi++) {
        // Block buffers are reused unless a batch remainder still points into them (then a second set: at most the budget in all).
        const busy = new Set(carry.map((c) => c.block.pool));
        let pool = st.pools.find((p) => !busy.has(p));
        if (!pool) st.pools.push((pool = {}));
        const block = plan.mode === 'in-memory' ? (cached ??= await loadBlock(ds, blocks[0], specs, selected, st, pool)) : await loadBlock(ds, blocks[bi], specs, selected, st, pool);
        let order: Int32Array<ArrayBufferLike> = shuffle ? rng.permutation(block.rows.length) : Int32Array.from({ length: block.rows.length }, (_, i) => i);
        let i = 0;
        // A batch never mixes blocks except for the remainder carried over (its block stays referenced until then).
        while (carry.length > 0 && i < order.length && carry.length < B) carry.push({ block, index: order[i++] });
        if (carry.length === B) {
          yield build(carry.map((c) => c.block), carry.map((c) => c.index));
          carry = [];
        }
        const count = Math.floor((order.length - i) / B);
        let job = null;
        if (st.helper && windowLength === 0 && count >= 2 && block.rows.buffer instanceof SharedArrayBuffer) {
          if (sharedOrder.length < order.length) sharedOrder = new Int32Array(new SharedArrayBuffer(4 * order.length));
          sharedOrder.set(order);
          order = sharedOrder.subarray(0, order.length);
          job = st.helper.gather({
            order, from: i, count, batchSize: B, rows: block.rows, episode: block.episode, frame: block.frame,
            columns: specs.map((s, c) => ({ values: block.cols[s.name] as Float32Array, width: s.dim ?? 1, offset: full.columns[c], norm: norm[c] })),
            episodeOffset: full.episodeIndex, frameOffset: full.frameIndex, batchBytes: full.bytes, waitForHelper: options.helperTakesOdd ?? false,
          });
        }
        try {
          for (let j = 0; j < count; j++, i += B) {
            const made = job?.take(j) ?? null;
            if (made) {
              const { columns, episodeIndex, frameIndex } = carve(specs, full, made);
              yield { size: B, episodeIndex, frameIndex, columns };
            } else yield build(null, order.subarray(i, i + B), block);
          }
        } finally {
          job?.close();
        }
        for (; i < order.length; i++) carry.push({ block, index: order[i] });
      }
      if (carry.length > 0 && !(options.dropLast ?? false)) yield build(carry.map((c) => c.block), carry.map((c) => c.index));
    }
  } finally {
    options.onHelperStats?.({ helperBatches: st.helper?.helperBatches ?? 0 });
    st.helper?.close();
  }

  function build(blocksOf: Block[] | null, picks: ArrayLike<number>, single?: Block): Batch | WindowBatch {
    const size = picks.length;
    const { columns, episodeIndex, frameIndex, mask } = carve(specs, size === B && windowLength === 0 ? full : batchLayout(specs, size, T, windowLength > 0));
    if (srcRowScratch.length < size * T) srcRowScratch = new Int32Array(size * T);
    const srcRow = srcRowScratch.subarray(0, size * T).fill(-1);
    for (let b = 0; b < size; b++) {
      const blk = single ?? blocksOf![b];
      const p = picks[b];
      episodeIndex[b] = blk.episode[p];
      frameIndex[b] = blk.frame[p];
      const row = blk.rows[p];
      if (!mask) {
        srcRow[b] = row;
        continue;
      }
      for (let s = 0; s < T; s++) {
        const r = row - (T - 1 - s);
        if (r < blk.episodeStart[p]) continue; // padding: zeros, mask 0
        mask[b * T + s] = 1;
        srcRow[b * T + s] = r;
      }
    }
    // First load one value per cache line of every source row (all columns), then copy: see prefetchRows.
    if (single) for (let c = 0; c < specs.length; c++) prefetchSink += prefetchRows(single.cols[specs[c].name] as Float32Array, srcRow, specs[c].dim ?? 1);
    // Column by column, so each copy loop sees one array type (batches mixing blocks take the slow path per row).
    for (let c = 0; c < specs.length; c++) {
      const w = specs[c].dim ?? 1;
      const to = columns[specs[c].name];
      const nz = norm[c];
      if (single) copyColumn(single.cols[specs[c].name] as Float32Array, to, srcRow, w, nz);
      else for (let i = 0; i < srcRow.length; i++) if (srcRow[i] >= 0) copyColumn(blocksOf![Math.floor(i / T)].cols[specs[c].name] as Float32Array, to.subarray(i * w, (i + 1) * w), srcRow.subarray(i, i + 1), w, nz);
    }
    return mask ? { size, episodeIndex, frameIndex, columns, length: T, mask } : { size, episodeIndex, frameIndex, columns };
  }
}

/** Sum of the values {@link prefetchRows} loaded: kept so that the loads are not dead code. */
let prefetchSink = 0;

/**
 * Loads one value per 64-byte cache line of each source row (and the row's
 * last value), nothing else. Rows of a shuffled batch are random in a
 * 100+ MiB column: each is a cache and TLB miss. In the copy loop (~8
 * instructions a value) the CPU overlaps the misses of 1-2 rows; this loop
 * is a few instructions a row, so the misses of dozens of rows are in
 * flight at once, and the copy that follows hits the cache (256 rows x 2-3
 * lines: ~50 KiB). Measured: gathering 1M shuffled rows of 30 + 6 float32
 * from 144 MiB, 370-520 -> 105-180 ms CPU (2.5-3x; .lamkit-tmp bench in
 * docs/benchmarks.md "Datasets"). Self-contained: the helper thread runs
 * its source (src/data/batch-helper.ts). Returns the sum of the loaded values.
 */
function prefetchRows(from: Float32Array | Float64Array | Uint8Array, srcRow: Int32Array, w: number): number {
  const perLine = 64 / from.BYTES_PER_ELEMENT;
  const last = w - 1;
  let x = 0;
  for (let i = 0; i < srcRow.length; i++) {
    const r = srcRow[i];
    if (r < 0) continue;
    const a = r * w;
    for (let j = perLine; j < last; j += perLine) x += from[a + j];
    x += from[a] + from[a + last];
  }
  return x;
}

/** `to[i] = from[srcRow[i]]` row by row (`w` values each; rows < 0 left as zeros), normalized when `nz`. Self-contained: the helper thread runs its source. */
function copyColumn(from: Float32Array | Float64Array | Uint8Array, to: Float32Array | Float64Array | Uint8Array, srcRow: Int32Array, w: number, nz: { mean: Float64Array; invStd: Float64Array } | null): void {
  for (let i = 0; i < srcRow.length; i++) {
    const r = srcRow[i];
    if (r < 0) continue;
    const a = r * w;
    const b = i * w;
    if (nz) for (let j = 0; j < w; j++) to[b + j] = (from[a + j] - nz.mean[j]) * nz.invStd[j];
    else for (let j = 0; j < w; j++) to[b + j] = from[a + j];
  }
}

/** Consecutive files (in the given order) grouped into blocks of at most `maxBytes` decoded bytes. */
function groupBlocks(ds: LeRobotDataset, order: number[], maxBytes: number, specs: ColumnSpec[]): number[][] {
  const bytesPerRow = specs.reduce((s, c) => s + (c.dim ?? 1) * (c.kind === 'float32' ? 4 : c.kind === 'bool' || c.kind === 'image' ? 1 : 8), 0);
  const blocks: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (const k of order) {
    const b = ds.dataFiles()[k].rows * bytesPerRow;
    if (cur.length > 0 && bytes + b > maxBytes) {
      blocks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(k);
    bytes += b;
  }
  if (cur.length > 0) blocks.push(cur);
  return blocks;
}
