import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { writeFileAtomic, writeFilesAtomic } from './atomic-write.js';
import { EpisodeJournal, readJournal, type EpisodeData, type FrameValues } from './episode-journal.js';
import { ParquetEncoder, encodeParquet, estimateParquetBytes, giveBackEncodeBuffer, takeEncodeBuffer, piecesSource, type NumericColumnSource } from './parquet-encoder.js';
import { openParquet, type ColumnSpec, type ColumnValues } from './parquet-table.js';
import { StatsRows, type FeatureStats, STAT_NAMES } from './feature-stats.js';
import {
  DATA_PATH_TEMPLATE,
  DEFAULT_CHUNKS_SIZE,
  DEFAULT_DATA_FILE_SIZE_MB,
  DEFAULT_FEATURES,
  DEFAULT_VIDEO_FILE_SIZE_MB,
  EPISODES_PATH_TEMPLATE,
  INFO_PATH,
  STATS_PATH,
  TASKS_PATH,
  columnSpecOf,
  fillTemplate,
  readInfo,
  type DatasetInfoJson,
  type FeatureInfo,
  type LamkitInfo,
} from './lerobot-format.js';
import { readCommittedState, type CommittedState } from './committed-state.js';
import { acquireWriterLock, journalPath, type WriterLock } from './writer-lock.js';
import { readStatsJson } from './stats-json.js';
import { checkImageFrames, computeImageStats, imageShapeOf, statsJsonWithImages } from './image-feature.js';

/** What a dataset holds per frame (besides LeRobot's default index columns), and where it came from. */
export interface DatasetSpec {
  /** Frames per second (an integer, as LeRobot requires). */
  fps: number;
  /** Per-frame features in column order, without LeRobot's defaults (`timestamp`, `frame_index`, ...). */
  features: Record<string, FeatureInfo>;
  /** lamkit's fields (under `info.json`'s `lamkit` key). */
  lamkit: Omit<LamkitInfo, 'version' | 'splits'>;
  robotType?: string | null;
}

/** Options of {@link DatasetWriter.open}. */
export interface DatasetWriterOptions {
  /** A data file is written (and the metadata committed) once the pending episodes reach this size. Default 100 (LeRobot's `data_files_size_in_mb`). */
  dataFileSizeMb?: number;
  /** Files per `chunk-CCC` directory. Default 1000 (LeRobot's `chunks_size`). */
  chunksSize?: number;
  /** Compression of the data files (see `encodeParquet`). Default `'auto'`. */
  compression?: 'auto' | 'snappy' | 'none';
  /**
   * Rows per row group of the data files (whole episodes: a group closes at
   * the first episode end past this many rows). Default 4096: a commit
   * encodes at most about this many rows, the others were encoded as their
   * episodes came (by the recording worker, while the env loop runs).
   */
  rowGroupRows?: number;
  /** fsync the journal after every episode: finished episodes then also survive power loss (~ms per episode). Default false: they survive the process being killed. */
  syncEveryEpisode?: boolean;
}

/**
 * Writes a LeRobotDataset v3.0 directory, episode by episode, so that a
 * process killed at any moment loses no finished episode:
 *
 * 1. `addEpisode` appends the episode to a journal (`.lamkit/journal.bin`,
 *    one `write`) and keeps it in memory;
 * 2. when the pending episodes reach `dataFileSizeMb` (and on `flush` /
 *    `close`), they become a new `data/chunk-CCC/file-FFF.parquet`, written
 *    completely (footer included) to a temp name, fsynced and renamed; then a
 *    new `meta/episodes/...` file, `tasks.parquet` and `stats.json` the same
 *    way, and last `info.json`, whose totals are the commit;
 * 3. opening a dataset (to read or to append) drops files that no committed
 *    episode refers to, replays the journal's whole episodes and drops a
 *    torn last record (see `recoverDataset`).
 *
 * `--out` semantics: opening an existing dataset appends when its features
 * and spaces match `spec`. One writer per dataset (a lock file with the pid).
 */
export class DatasetWriter {
  readonly root: string;
  private info: DatasetInfoJson;
  private readonly specs: ColumnSpec[];
  private readonly options: Required<Omit<DatasetWriterOptions, 'syncEveryEpisode'>>;
  private tasks: string[];
  private stats: Record<string, FeatureStats>;
  private nextData: { chunk: number; file: number };
  private nextMeta: { chunk: number; file: number };
  private pending: PendingEpisode[] = [];
  private pendingBytes = 0;
  private pendingFrames = 0;
  /** Per-episode statistics of the pending episodes, per feature (every non-string column). */
  private readonly pendingStats: Record<string, StatsRows> = {};
  /** The pending frames not encoded yet of every numeric column (not LeRobot's index columns), `[capacity x dim]`; the capacity is kept from commit to commit. */
  private readonly columnStore: Record<string, Float32Array | Float64Array | Uint8Array> = {};
  /** The next data file, encoded a row group at a time as episodes arrive (see {@link ROW_GROUP_ROWS}); null until its first row group. */
  private encoder: ParquetEncoder | null = null;
  /** Pending episodes / frames already in {@link encoder}'s row groups. */
  private encodedEpisodes = 0;
  private encodedFrames = 0;
  /** The finished bytes of a data file whose commit failed (written again by the next flush / close; no episode may be added meanwhile). */
  private finishedData: Uint8Array | null = null;
  private readonly journal: EpisodeJournal;
  /** Another thread appends the journal (see {@link detachJournal}). */
  private journalDetached = false;
  private readonly lock: WriterLock;
  private closed = false;

  private constructor(root: string, info: DatasetInfoJson, state: CommittedState, stats: Record<string, FeatureStats>, options: DatasetWriterOptions, lock: WriterLock) {
    this.root = root;
    this.info = info;
    this.lock = lock;
    this.specs = Object.entries(info.features).map(([name, f]) => columnSpecOf(name, f, `${root}/${INFO_PATH}`));
    this.options = {
      dataFileSizeMb: options.dataFileSizeMb ?? info.data_files_size_in_mb ?? DEFAULT_DATA_FILE_SIZE_MB,
      chunksSize: options.chunksSize ?? info.chunks_size ?? DEFAULT_CHUNKS_SIZE,
      compression: options.compression ?? 'auto',
      rowGroupRows: options.rowGroupRows ?? ROW_GROUP_ROWS,
    };
    this.tasks = state.tasks.slice();
    this.stats = stats;
    const lastData = state.dataFiles[state.dataFiles.length - 1];
    const lastMeta = state.episodeFiles[state.episodeFiles.length - 1];
    this.nextData = lastData ? this.advance(lastData) : { chunk: 0, file: 0 };
    this.nextMeta = lastMeta ? this.advance(lastMeta) : { chunk: 0, file: 0 };
    this.journal = new EpisodeJournal(journalPath(root), { sync: options.syncEveryEpisode });
  }

  /**
   * Creates the dataset at `root`, or opens it to append (recovering it
   * first when a crash left it torn).
   * @throws InvalidArgument when the existing dataset's features or spaces differ from `spec`,
   *   or another live process is writing it.
   */
  static async open(root: string, spec: DatasetSpec, options: DatasetWriterOptions = {}): Promise<DatasetWriter> {
    checkSpec(spec);
    const rg = options.rowGroupRows;
    if (rg !== undefined && !(Number.isSafeInteger(rg) && rg >= 1)) throw new InvalidArgument(formatError('DatasetWriter.open.options.rowGroupRows', 'a positive integer', describeValue(rg), 'Pass e.g. 4096, or omit it'));
    mkdirSync(root, { recursive: true });
    const lock = acquireWriterLock(root);
    try {
      const infoPath = join(root, INFO_PATH);
      if (!existsSync(infoPath)) {
        const info = newInfo(spec, options);
        await writeFilesAtomic([{ path: infoPath, data: JSON.stringify(info, null, 4) }]);
      }
      const info = readInfo(root);
      assertSameSpec(root, info, spec);
      const { state, stats } = await recoverCommitted(root, info);
      const writer = new DatasetWriter(root, info, state, stats, options, lock);
      writer.replayJournal();
      return writer;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Episodes committed or pending. */
  get totalEpisodes(): number {
    return this.info.total_episodes + this.pending.length;
  }

  /** Frames committed or pending. */
  get totalFrames(): number {
    return this.info.total_frames + this.pendingFrames;
  }

  /** The features of every frame, LeRobot's defaults included, as `info.json` lists them. */
  get features(): Record<string, FeatureInfo> {
    return this.info.features;
  }

  /**
   * Adds one finished episode; returns its index. When this returns, the
   * episode is in the journal (it survives a kill of this process).
   * @throws InvalidArgument naming the feature when a column is missing or has the wrong size or type.
   */
  addEpisode(episode: EpisodeData): number {
    if (this.closed) throw new InvalidArgument(formatError('DatasetWriter.addEpisode', 'an open writer', 'a closed one', 'Open the dataset again to append'));
    if (this.finishedData) throw new BackendError(formatError(`DatasetWriter(${this.root}).addEpisode`, 'a writer whose last commit succeeded', 'a failed commit of the pending episodes (they are in the journal)', 'Call flush() or close() again once the cause (e.g. a full disk) is fixed, or open the dataset again to recover them'));
    this.checkEpisode(episode);
    const index = this.totalEpisodes;
    if (!this.journalDetached) this.journal.append({ episodeIndex: index, episode });
    // The statistics of the episode now, while its arrays are in cache: the commit only aggregates them.
    // What the commit needs of the episode: its numeric columns copied into the writer's column store
    // (a few large arrays instead of ~8 small ones per episode kept alive until the commit: less GC work in the loop),
    // text and image columns, and the per-episode facts of the episodes file.
    const kept: EpisodeData['frames'] = {};
    for (const spec of this.specs) if (!(spec.name in DEFAULT_FEATURES) && !isNumericKind(spec.kind)) kept[spec.name] = episode.frames[spec.name];
    const pending: PendingEpisode = {
      index,
      episode: { length: episode.length, task: episode.task, frames: kept, success: episode.success, seed: episode.seed },
      return: episode.return ?? sum(episode.frames['next.reward'] as Float32Array | undefined),
      terminated: lastFlag(episode.frames['next.terminated']),
      truncated: lastFlag(episode.frames['next.truncated']),
      taskIndex: this.taskIndexOf(episode.task),
      firstFrame: this.totalFrames,
    };
    this.addEpisodeStats(pending, episode);
    this.storeColumns(episode);
    this.pending.push(pending);
    this.pendingFrames += episode.length;
    this.pendingBytes += episodeBytes(episode);
    if (this.pendingBytes >= this.fileBytes) this.flush();
    else if (this.pendingFrames - this.encodedFrames >= this.options.rowGroupRows) this.encodePending();
    return index;
  }

  /** Pending bytes (as {@link episodeBytes} counts them) at which a data file is written. */
  get fileBytes(): number {
    return this.options.dataFileSizeMb * 1024 * 1024;
  }

  /**
   * For the recording worker (record-worker.ts): from now on the journal is
   * appended, emptied after each commit and removed by another thread (the
   * recording loop's, see `OffloadedWriter`); this writer only commits
   * (and still removes the journal when it closes with nothing pending).
   * Call right after {@link open} (which replayed and emptied the journal).
   * @internal
   */
  detachJournal(): void {
    this.journalDetached = true;
    this.journal.close();
  }

  /**
   * Writes the pending episodes as one new data file and commits them
   * (see the class comment for the order). Nothing to do when none is pending.
   */
  flush(): void {
    const commit = this.prepareCommit();
    if (!commit) return;
    for (const f of commit.files) writeFileAtomic(f.path, f.data);
    writeFileAtomic(join(this.root, INFO_PATH), JSON.stringify(commit.info, null, 4));
    this.completeCommit(commit);
  }

  /**
   * {@link close} that writes the last commit's files concurrently: the
   * data, episodes, tasks and stats files are written and fsynced at once
   * (the thread pool), then renamed, then `info.json` (the commit) is
   * written, fsynced and renamed. The same order guarantees as `flush`
   * (no file is referred to before it is complete on disk), about one
   * fsync's wait instead of five. Idempotent; no episode may be added once
   * called.
   */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const commit = this.prepareCommit();
      if (commit) {
        // (The data file's bytes are a view of this writer's own encoding buffer.)
        await writeFilesAtomic(commit.files);
        await writeFilesAtomic([{ path: join(this.root, INFO_PATH), data: JSON.stringify(commit.info, null, 4) }]);
        this.completeCommit(commit);
      }
    } finally {
      this.release();
    }
  }

  /** The files of a commit of the pending episodes (null: none pending), encoded, with the `info.json` that commits them. */
  private prepareCommit(): Commit | null {
    if (this.pending.length === 0) return null;
    const episodes = this.pending;
    const rows = this.pendingFrames;
    const firstFrame = this.info.total_frames;

    // 1. The data file: the row groups encoded as the episodes came, the rest now, the footer.
    if (!this.finishedData) {
      this.encodePending();
      this.finishedData = this.encoder!.finish();
    }
    const files: Commit['files'] = [];
    const dataPath = join(this.root, fillTemplate(DATA_PATH_TEMPLATE, { chunk_index: this.nextData.chunk, file_index: this.nextData.file }));
    files.push({ path: dataPath, data: this.finishedData });

    // 2. The episodes' metadata rows.
    const metaPath = join(this.root, fillTemplate(EPISODES_PATH_TEMPLATE, { chunk_index: this.nextMeta.chunk, file_index: this.nextMeta.file }));
    // Into a buffer of an earlier commit (this thread's), given back when the files are written.
    const table = this.episodesTable(episodes, firstFrame);
    const metaEncoder = new ParquetEncoder(table.columns.map((c) => c.spec), {}, takeEncodeBuffer(estimateParquetBytes(table), 'fit'));
    metaEncoder.addRows(table);
    files.push({ path: metaPath, data: metaEncoder.finish() });

    // 3. Tasks (only grow), stats, then info.json: the commit.
    if (this.tasks.length > this.info.total_tasks) files.push({ path: join(this.root, TASKS_PATH), data: encodeTasks(this.tasks) });
    const stats = { ...this.stats };
    for (const [name, rows] of Object.entries(this.pendingStats)) stats[name] = rows.aggregate(this.stats[name]);
    files.push({ path: join(this.root, STATS_PATH), data: JSON.stringify(statsJsonWithImages(stats, this.info.features), null, 4) });
    const totalEpisodes = this.info.total_episodes + episodes.length;
    const info = { ...this.info, total_episodes: totalEpisodes, total_frames: firstFrame + rows, total_tasks: this.tasks.length, splits: { train: `0:${totalEpisodes}` } };
    return { files, info, stats, buffers: [metaEncoder.buffer] };
  }

  /** After a commit's files and `info.json` are in place: the journal is emptied, the next files numbered. */
  private completeCommit(commit: Commit): void {
    this.info = commit.info;
    this.stats = commit.stats;
    if (!this.journalDetached) this.journal.truncate();
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingFrames = 0;
    // The data file is written: its memory encodes the next one (of any writer of this thread).
    giveBackEncodeBuffer(this.encoder!.buffer);
    for (const b of commit.buffers) giveBackEncodeBuffer(b);
    this.encoder = null;
    this.finishedData = null;
    this.encodedEpisodes = 0;
    this.encodedFrames = 0;
    for (const rows of Object.values(this.pendingStats)) rows.clear();
    this.nextData = this.advance(this.nextData);
    this.nextMeta = this.advance(this.nextMeta);
  }

  /** Flushes, removes the journal and releases the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.release();
    }
  }

  /**
   * Closes without committing the pending episodes (they stay in the
   * journal, and opening the dataset commits them) and releases the lock.
   * For the recording worker after a failed episode. @internal
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.journal.close();
    this.lock.release();
    this.giveBackMemory();
  }

  /** Closes the journal (removed when everything is committed) and releases the lock. */
  private release(): void {
    this.journal.close();
    if (this.pending.length === 0) rmSync(journalPath(this.root), { force: true });
    this.lock.release();
    this.giveBackMemory();
  }

  /** The column stores and statistics rows go to the thread's next writer (a recording per writer would otherwise touch fresh memory each time). */
  private giveBackMemory(): void {
    for (const [name, store] of Object.entries(this.columnStore)) {
      giveBackStore(store);
      delete this.columnStore[name];
    }
    for (const [name, rows] of Object.entries(this.pendingStats)) {
      giveBackStatsRows(rows);
      delete this.pendingStats[name];
    }
  }

  /** Re-adds the journal's whole episodes that are not committed (a crash after `addEpisode`, before the flush). */
  private replayJournal(): void {
    const { records } = readJournal(journalPath(this.root));
    this.journal.truncate();
    let next = this.info.total_episodes;
    for (const r of records) {
      if (r.episodeIndex < next) continue; // committed before the crash; the journal was not emptied yet
      if (r.episodeIndex !== next) break;
      this.addEpisode(r.episode);
      next++;
    }
    this.flush();
  }

  private advance(at: { chunk: number; file: number }): { chunk: number; file: number } {
    // LeRobot's update_chunk_file_indices.
    return at.file === this.options.chunksSize - 1 ? { chunk: at.chunk + 1, file: 0 } : { chunk: at.chunk, file: at.file + 1 };
  }

  private taskIndexOf(task: string): number {
    let i = this.tasks.indexOf(task);
    if (i < 0) i = this.tasks.push(task) - 1;
    return i;
  }

  private checkEpisode(ep: EpisodeData): void {
    const where = `DatasetWriter(${this.root}).addEpisode`;
    if (!Number.isInteger(ep.length) || ep.length < 1) throw new InvalidArgument(formatError(`${where}.length`, 'a positive integer', describeValue(ep.length), 'Add episodes with at least one frame'));
    if (typeof ep.task !== 'string') throw new InvalidArgument(formatError(`${where}.task`, 'a string', describeValue(ep.task), "Pass the task in words, e.g. 'reach the target'"));
    for (const spec of this.specs) {
      if (spec.name in DEFAULT_FEATURES) continue;
      const v = ep.frames[spec.name];
      if (spec.kind === 'image') {
        checkImageFrames(v, ep.length, imageShapeOf(spec.shape ?? [], spec.name), `${where}.frames.${spec.name}`);
        continue;
      }
      const width = spec.dim ?? 1;
      const ctor = spec.kind === 'float32' ? Float32Array : spec.kind === 'bool' ? Uint8Array : spec.kind === 'string' ? Array : Float64Array;
      const ok = spec.kind === 'string' ? Array.isArray(v) && v.length === ep.length && v.every((s) => typeof s === 'string') : v instanceof ctor && v.length === ep.length * width;
      if (!ok) {
        const expected = spec.kind === 'string' ? `${ep.length} strings` : `${ctor.name} [${ep.length} x ${width}] (${spec.name}: ${spec.kind}${spec.dim === null ? '' : ` x ${spec.dim}`})`;
        throw new InvalidArgument(formatError(`${where}.frames.${spec.name}`, expected, describeValue(v), 'Record values of the dataset\'s features (see meta/info.json)'));
      }
    }
    for (const name of Object.keys(ep.frames)) {
      if (!(name in this.info.features)) throw new InvalidArgument(formatError(`${where}.frames`, `only the dataset's features (${Object.keys(this.info.features).join(', ')})`, `an extra ${describeValue(name)}`, 'Drop it, or record into a new dataset that declares it'));
    }
  }

  /**
   * Encodes the pending episodes not encoded yet as the next row group of
   * the data file: numeric columns straight from the column store (no
   * concatenated copy), LeRobot's index columns generated page by page.
   * Their text and image columns are let go.
   */
  private encodePending(): void {
    const episodes = this.pending.slice(this.encodedEpisodes);
    const rows = this.pendingFrames - this.encodedFrames;
    if (rows === 0) return;
    const columns: Array<{ spec: ColumnSpec; data: ColumnValues | NumericColumnSource }> = [];
    for (const spec of this.specs) {
      const data = spec.name in DEFAULT_FEATURES
        ? defaultColumnSource(spec.name, episodes, this.info.fps)
        : isNumericKind(spec.kind)
          ? this.columnStore[spec.name].subarray(0, rows * (spec.dim ?? 1))
          : this.concatColumn(spec, episodes, rows);
      columns.push({ spec, data });
    }
    // rowGroupRows: a whole batch is one row group however long.
    this.encoder ??= new ParquetEncoder(this.specs, { compression: this.options.compression, rowGroupRows: Number.MAX_SAFE_INTEGER }, takeEncodeBuffer());
    this.encoder.addRows({ columns, rows });
    for (const p of episodes) p.episode.frames = {};
    this.encodedEpisodes = this.pending.length;
    this.encodedFrames = this.pendingFrames;
  }

  /** A string or image column of the pending episodes, concatenated (numeric columns are encoded from the episodes' arrays). */
  private concatColumn(spec: ColumnSpec, episodes: PendingEpisode[], rows: number): ColumnValues {
    const width = spec.dim ?? 1;
    if (spec.kind === 'string') return episodes.flatMap((p) => p.episode.frames[spec.name] as string[]);
    const first = episodes[0].episode.frames[spec.name] as Exclude<FrameValues, string[]>;
    const out = new (first.constructor as Float32ArrayConstructor)(rows * width);
    let off = 0;
    for (const p of episodes) {
      const v = p.episode.frames[spec.name] as Float32Array;
      out.set(v, off);
      off += v.length;
    }
    return out;
  }

  /** Appends each feature's statistics of a pending episode to {@link pendingStats} (every non-string column, LeRobot's index columns included). */
  private addEpisodeStats(p: PendingEpisode, episode: EpisodeData): void {
    const n = episode.length;
    for (const spec of this.specs) {
      if (spec.kind === 'string') continue;
      let values: Exclude<FrameValues, string[]>;
      if (spec.name in DEFAULT_FEATURES) {
        // Generated into a scratch array reused episode to episode (the data file's values are generated again at the commit).
        values = spec.kind === 'float32' ? this.scratch32(n) : this.scratch64(n);
        fillDefaultColumn(spec.name, values, p, 0, this.info.fps);
      } else values = episode.frames[spec.name] as Exclude<FrameValues, string[]>;
      if (spec.kind === 'image') {
        const s = computeImageStats(values as Uint8Array, n, imageShapeOf(spec.shape ?? [], spec.name));
        (this.pendingStats[spec.name] ??= takeStatsRows(s.mean.length)).addStats(s);
      } else (this.pendingStats[spec.name] ??= takeStatsRows(spec.dim ?? 1)).add(values, n);
    }
  }

  /** Appends the episode's numeric columns to {@link columnStore} (after the pending frames), growing it by doubling. */
  private storeColumns(episode: EpisodeData): void {
    for (const spec of this.specs) {
      if (spec.name in DEFAULT_FEATURES || !isNumericKind(spec.kind)) continue;
      const width = spec.dim ?? 1;
      const values = episode.frames[spec.name] as Exclude<FrameValues, string[]>;
      const at = (this.pendingFrames - this.encodedFrames) * width;
      let store = this.columnStore[spec.name];
      if (!store || store.length < at + values.length) {
        const grown = takeStore(values.constructor as Float32ArrayConstructor, Math.max(at + values.length, 2 * (store?.length ?? 0), 1024 * width));
        if (store) {
          grown.set(store.subarray(0, at));
          giveBackStore(store);
        }
        this.columnStore[spec.name] = store = grown;
      }
      store.set(values, at);
    }
  }

  private scratchF32 = new Float32Array(64);
  private scratchF64 = new Float64Array(64);

  private scratch32(n: number): Float32Array {
    if (this.scratchF32.length < n) this.scratchF32 = new Float32Array(n * 2);
    return this.scratchF32.subarray(0, n);
  }

  private scratch64(n: number): Float64Array {
    if (this.scratchF64.length < n) this.scratchF64 = new Float64Array(n * 2);
    return this.scratchF64.subarray(0, n);
  }

  private episodesTable(episodes: PendingEpisode[], firstFrame: number): Parameters<typeof encodeParquet>[0] {
    const n = episodes.length;
    const ints = (f: (k: number) => number): Float64Array => Float64Array.from({ length: n }, (_, k) => f(k));
    const from: number[] = [];
    let at = firstFrame;
    for (const p of episodes) {
      from.push(at);
      at += p.episode.length;
    }
    const int = (name: string, data: Float64Array) => ({ spec: { name, kind: 'int64' as const, dim: null }, data });
    const columns: Parameters<typeof encodeParquet>[0]['columns'][number][] = [
      int('episode_index', ints((k) => episodes[k].index)),
      { spec: { name: 'tasks', kind: 'string-list', dim: null }, data: episodes.map((p) => [p.episode.task]) },
      int('length', ints((k) => episodes[k].episode.length)),
      int('data/chunk_index', ints(() => this.nextData.chunk)),
      int('data/file_index', ints(() => this.nextData.file)),
      int('dataset_from_index', ints((k) => from[k])),
      int('dataset_to_index', ints((k) => from[k] + episodes[k].episode.length)),
      int('meta/episodes/chunk_index', ints(() => this.nextMeta.chunk)),
      int('meta/episodes/file_index', ints(() => this.nextMeta.file)),
    ];
    for (const [name, rows] of Object.entries(this.pendingStats)) {
      for (const stat of STAT_NAMES) {
        const width = stat === 'count' ? 1 : rows.dim;
        columns.push({ spec: { name: `stats/${name}/${stat}`, kind: stat === 'count' ? 'int64' : 'float64', dim: width }, data: rows[stat].subarray(0, n * width) });
      }
    }
    const returns = episodes.map((p) => p.return);
    columns.push(
      { spec: { name: 'lamkit/return', kind: 'float64?', dim: null }, data: returns },
      { spec: { name: 'lamkit/success', kind: 'bool?', dim: null }, data: episodes.map((p) => p.episode.success ?? null) },
      { spec: { name: 'lamkit/seed', kind: 'int64?', dim: null }, data: episodes.map((p) => p.episode.seed ?? null) },
      { spec: { name: 'lamkit/terminated', kind: 'bool?', dim: null }, data: episodes.map((p) => p.terminated) },
      { spec: { name: 'lamkit/truncated', kind: 'bool?', dim: null }, data: episodes.map((p) => p.truncated) },
    );
    return { columns, rows: n };
  }
}

/** An episode added but not committed yet (its statistics are rows of the writer's `pendingStats`). */
interface PendingEpisode {
  index: number;
  /** The episode without its numeric columns (those are in the writer's column store). */
  episode: EpisodeData;
  /** Facts of the episodes file: the return (given, or the sum of `next.reward`), whether the last frame terminated / truncated. */
  return: number | null;
  terminated: boolean | null;
  truncated: boolean | null;
  taskIndex: number;
  /** Global index of its first frame. */
  firstFrame: number;
}

/** What an episode adds to the pending size that rolls data files over (its column bytes, text as characters, 40 bytes a frame of index columns). */
export function episodeBytes(episode: EpisodeData): number {
  let bytes = 40 * episode.length;
  for (const v of Object.values(episode.frames)) bytes += Array.isArray(v) ? v.join('').length : v.byteLength;
  return bytes;
}

type Store = Float32Array | Float64Array | Uint8Array;
/** Column stores of closed writers (and outgrown ones) of this thread, for the next writer: touching fresh memory is slow on some machines (~5 ms a MiB on the 2-core VM). */
const storePool: Store[] = [];
/** Statistics rows of closed writers of this thread, for the next writer. */
const statsPool: StatsRows[] = [];
/** Kept at most (the smallest dropped first): a few writers' worth, and at most {@link MAX_POOLED_BYTES} of stores. */
const MAX_POOLED = 32;
const MAX_POOLED_BYTES = 64 * 2 ** 20;

/** The smallest pooled store of this type holding `length` values (its old values stay: callers write before they read), else a new one. */
function takeStore(ctor: new (length: number) => Store, length: number): Store {
  let best = -1;
  for (let i = 0; i < storePool.length; i++) {
    const a = storePool[i];
    if (a.constructor === ctor && a.length >= length && (best < 0 || a.length < storePool[best].length)) best = i;
  }
  return best < 0 ? new ctor(length) : storePool.splice(best, 1)[0];
}

function giveBackStore(store: Store): void {
  if (store.byteLength > MAX_POOLED_BYTES) return;
  storePool.push(store);
  let bytes = storePool.reduce((sum, a) => sum + a.byteLength, 0);
  while (storePool.length > MAX_POOLED || bytes > MAX_POOLED_BYTES) {
    let smallest = 0;
    for (let i = 1; i < storePool.length; i++) if (storePool[i].byteLength < storePool[smallest].byteLength) smallest = i;
    bytes -= storePool.splice(smallest, 1)[0].byteLength;
  }
}

function takeStatsRows(dim: number): StatsRows {
  const i = statsPool.findIndex((r) => r.dim === dim);
  return i < 0 ? new StatsRows(dim) : statsPool.splice(i, 1)[0];
}

function giveBackStatsRows(rows: StatsRows): void {
  rows.clear();
  if (statsPool.length >= MAX_POOLED) statsPool.shift();
  statsPool.push(rows);
}

/** Default of {@link DatasetWriterOptions.rowGroupRows}. */
const ROW_GROUP_ROWS = 4096;

function isNumericKind(kind: ColumnSpec['kind']): boolean {
  return kind === 'float32' || kind === 'float64' || kind === 'int64' || kind === 'bool';
}

/** Frames `[t0, t0 + out.length)` of one of LeRobot's index columns (`timestamp`, `frame_index`, `episode_index`, `index`, `task_index`) of episode `p`. */
function fillDefaultColumn(name: string, out: Float32Array | Float64Array | Uint8Array, p: PendingEpisode, t0: number, fps: number): void {
  const n = out.length;
  switch (name) {
    case 'timestamp':
      for (let i = 0; i < n; i++) out[i] = (t0 + i) / fps;
      break;
    case 'frame_index':
      for (let i = 0; i < n; i++) out[i] = t0 + i;
      break;
    case 'index':
      for (let i = 0; i < n; i++) out[i] = p.firstFrame + t0 + i;
      break;
    case 'episode_index':
      out.fill(p.index);
      break;
    case 'task_index':
      out.fill(p.taskIndex);
      break;
    default:
      throw new Error(`unreachable: ${name} is not a LeRobot index column`);
  }
}

/** One of LeRobot's index columns over the pending episodes, generated page by page as the encoder asks (no array of it is kept). */
function defaultColumnSource(name: string, episodes: readonly PendingEpisode[], fps: number): NumericColumnSource {
  return piecesSource(
    episodes.map((p) => p.episode.length),
    (k, out, at) => fillDefaultColumn(name, out, episodes[k], at, fps),
  );
}

/** The files of one commit, in the order they are made durable, then the `info.json` that commits them. */
interface Commit {
  files: Array<{ path: string; data: string | Uint8Array }>;
  info: DatasetInfoJson;
  stats: Record<string, FeatureStats>;
  /** Encoding memory to give back once the files are written (see takeEncodeBuffer). */
  buffers: ArrayBuffer[];
}

/** The spec an existing dataset was written with (to append to it, copy or compact it). */
export function datasetSpecOf(info: DatasetInfoJson): DatasetSpec {
  const features: Record<string, FeatureInfo> = {};
  for (const [name, f] of Object.entries(info.features)) {
    if (name in DEFAULT_FEATURES) continue;
    const { fps: _fps, ...rest } = f;
    features[name] = rest as FeatureInfo;
  }
  const l = info.lamkit;
  return { fps: info.fps, features, robotType: info.robot_type ?? null, lamkit: { envId: l?.envId ?? null, spaces: l?.spaces ?? null, dtSeconds: l?.dtSeconds ?? null, textFeatures: l?.textFeatures ?? [] } };
}

function sum(v: Float32Array | undefined): number | null {
  if (!v) return null;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}

function lastFlag(v: FrameValues | undefined): boolean | null {
  return v instanceof Uint8Array && v.length > 0 ? v[v.length - 1] !== 0 : null;
}

/** `meta/tasks.parquet` as pandas writes a frame indexed by `task` (so `pd.read_parquet` restores the index LeRobot looks tasks up by). */
export function encodeTasks(tasks: readonly string[]): Uint8Array {
  const pandas = {
    index_columns: ['task'],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'lamkit', version: '0.1.0' },
    pandas_version: '2.2.3',
  };
  return encodeParquet(
    {
      columns: [
        { spec: { name: 'task_index', kind: 'int64', dim: null }, data: Float64Array.from(tasks, (_, i) => i) },
        { spec: { name: 'task', kind: 'string', dim: null }, data: tasks.slice() },
      ],
      rows: tasks.length,
    },
    { kvMetadata: [{ key: 'pandas', value: JSON.stringify(pandas) }] },
  );
}

function newInfo(spec: DatasetSpec, options: DatasetWriterOptions): DatasetInfoJson {
  const features: Record<string, FeatureInfo> = {};
  for (const [name, f] of Object.entries({ ...spec.features, ...DEFAULT_FEATURES })) features[name] = { ...f, fps: spec.fps };
  return {
    codebase_version: 'v3.0',
    robot_type: spec.robotType ?? null,
    total_episodes: 0,
    total_frames: 0,
    total_tasks: 0,
    chunks_size: options.chunksSize ?? DEFAULT_CHUNKS_SIZE,
    data_files_size_in_mb: options.dataFileSizeMb ?? DEFAULT_DATA_FILE_SIZE_MB,
    video_files_size_in_mb: DEFAULT_VIDEO_FILE_SIZE_MB,
    fps: spec.fps,
    splits: {},
    data_path: DATA_PATH_TEMPLATE,
    video_path: null,
    features,
    lamkit: { version: 1, ...spec.lamkit, splits: null },
  };
}

function checkSpec(spec: DatasetSpec): void {
  if (!Number.isInteger(spec.fps) || spec.fps <= 0) throw new InvalidArgument(formatError('DatasetSpec.fps', 'a positive integer (LeRobot stores fps as an int)', describeValue(spec.fps), 'Round 1 / dt, e.g. 25 for dt = 0.04 s'));
  for (const [name, f] of Object.entries(spec.features)) {
    if (name in DEFAULT_FEATURES) throw new InvalidArgument(formatError(`DatasetSpec.features.${name}`, "a feature other than LeRobot's defaults", describeValue(name), 'The writer fills timestamp, frame_index, episode_index, index and task_index'));
    columnSpecOf(name, f, 'DatasetSpec');
  }
}

function assertSameSpec(root: string, info: DatasetInfoJson, spec: DatasetSpec): void {
  const describe = (features: Record<string, FeatureInfo>): string =>
    Object.entries(features)
      .filter(([n]) => !(n in DEFAULT_FEATURES))
      .map(([n, f]) => `${n}: ${f.dtype}[${f.shape.join(',')}]`)
      .join(', ');
  const have = describe(info.features);
  const want = describe(spec.features);
  if (have !== want) throw new InvalidArgument(formatError(`Dataset(${root}).features`, `the features of this recording (${want})`, have, 'Append only data of the same spaces; pass another --out for a new dataset'));
  const spaces = JSON.stringify(info.lamkit?.spaces ?? null);
  const wantSpaces = JSON.stringify(spec.lamkit.spaces);
  if (info.lamkit && spaces !== wantSpaces) throw new InvalidArgument(formatError(`Dataset(${root}).lamkit.spaces`, wantSpaces, spaces, 'Append only data of the same spaces; pass another --out for a new dataset'));
  if (info.fps !== spec.fps) throw new InvalidArgument(formatError(`Dataset(${root}).fps`, String(spec.fps), String(info.fps), 'Append only data recorded at the same rate'));
}

/** Removes what a crash left uncommitted and repairs stats/tasks, returning the committed state. */
async function recoverCommitted(root: string, info: DatasetInfoJson): Promise<{ state: CommittedState; stats: Record<string, FeatureStats> }> {
  const state = await readCommittedState(root, info);
  for (const f of state.orphanFiles) rmSync(f, { force: true });
  const tasksPath = join(root, TASKS_PATH);
  // Tasks only grow; rows past total_tasks belong to a flush that never committed.
  if (existsSync(tasksPath) && openParquet(tasksPath).rows > state.tasks.length) writeFileAtomic(tasksPath, encodeTasks(state.tasks));
  const stats = await readStatsJson(root, info, state, { repair: true });
  return { state: { ...state, orphanFiles: [] }, stats };
}
