import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '../core/policy.js';
import type { Space } from '../core/spaces/space.js';
import { spaceFromJSON } from '../core/spaces/from-json.js';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { tuneAllocator } from '../core/tune-allocator.js';
import { columnSpecOf, fillTemplate, isVisualFeature, readInfo, type DatasetInfoJson, type EpisodeSplits, type FeatureInfo } from './lerobot-format.js';
import { readCommittedState, listChunkFiles, type EpisodeRecord } from './committed-state.js';
import { openParquet, readColumns, type ColumnSpec, type ColumnValues, type ParquetFile, type ReadInto } from './parquet-table.js';
import { aggregateStats, type FeatureStats } from './feature-stats.js';
import { readStatsJson } from './stats-json.js';
import { readJournal } from './episode-journal.js';
import { journalPath, lockHolder, LAMKIT_DIR } from './writer-lock.js';
import { DatasetWriter, datasetSpecOf } from './dataset-writer.js';
import { stateDimWithoutImages } from './image-observations.js';
import { flattenStats } from './image-feature.js';

/** What opening a dataset found beside its committed contents, and did about it. */
export interface RecoveryReport {
  /** Whole episodes from the journal of a recording that stopped before committing them (committed now, unless read-only). */
  journalEpisodes: number;
  /** Bytes of a torn last journal record (an episode cut off mid-write), dropped. */
  tornBytes: number;
  /** Files no committed episode refers to (a flush cut off before its commit), removed unless read-only. */
  uncommittedFiles: string[];
  /** The pid of a live process writing the dataset (then nothing is changed), or null. */
  writerPid: number | null;
  /** True when the dataset was changed to recover it. */
  repaired: boolean;
  /** One line for a person, or null when there was nothing to recover. */
  message: string | null;
}

/** A feature listed in `info.json` that lamkit does not load (images, videos, higher-rank arrays). */
export interface SkippedFeature {
  name: string;
  dtype: string;
  shape: number[];
  reason: string;
}

/** One data file and the episodes it holds. */
export interface DataFile {
  path: string;
  /** Episode indices in the file, in row order. */
  episodes: number[];
  rows: number;
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Never change the directory: a torn tail is reported (and skipped) but not repaired. Default false. */
  readOnly?: boolean;
}

/**
 * A LeRobot dataset on disk, v3.0 (lamkit's own or anyone's) or v2.1:
 * metadata in memory, frames read on demand file by file.
 *
 * Low-dimensional features (state, action, reward, done flags, indices,
 * text) and `image` features (PNGs in the data, decoded to `Uint8Array
 * [rows x H x W x 3]`) are loaded; video features are listed in
 * {@link skippedFeatures} with the reason, never silently dropped.
 */
export class LeRobotDataset {
  private files: DataFile[] = [];
  private parquet = new Map<string, ParquetFile>();

  private constructor(
    readonly root: string,
    readonly info: DatasetInfoJson,
    readonly episodes: readonly EpisodeRecord[],
    readonly tasks: readonly string[],
    readonly stats: Readonly<Record<string, FeatureStats>>,
    readonly recovery: RecoveryReport,
    files: DataFile[],
  ) {
    this.files = files;
    this.columns = {};
    this.skippedFeatures = [];
    for (const [name, f] of Object.entries(info.features)) {
      if (isVisualFeature(f)) {
        this.skippedFeatures.push({ name, dtype: f.dtype, shape: f.shape, reason: `${f.dtype} features are not loaded by lamkit (low-dimensional data and PNG images only)` });
        continue;
      }
      try {
        this.columns[name] = columnSpecOf(name, f, `${root}/meta/info.json`);
      } catch (err) {
        this.skippedFeatures.push({ name, dtype: f.dtype, shape: f.shape, reason: (err as Error).message });
      }
    }
  }

  /** Loadable features -> how they are stored. */
  readonly columns: Record<string, ColumnSpec>;
  /** Features listed in `info.json` that are not loaded, with why. */
  readonly skippedFeatures: SkippedFeature[];

  /** Opens `root`; see {@link openDataset}. */
  static async open(root: string, options: OpenDatasetOptions = {}): Promise<LeRobotDataset> {
    // Reading it makes and frees pages and batches all the time: keep freed memory mapped (once per process).
    await tuneAllocator();
    let info = readInfo(root);
    const version = info.codebase_version;
    if (version.startsWith('v2')) return LeRobotDataset.openV2(root, info);
    if (!version.startsWith('v3')) {
      throw new FileFormatError(formatError(`${root}/meta/info.json.codebase_version`, "'v3.0' or 'v2.1'", describeValue(version), 'Convert the dataset with LeRobot first'));
    }
    const recovery = await recover(root, info, options.readOnly ?? false);
    if (recovery.repaired) info = readInfo(root);
    const state = await readCommittedState(root, info);
    const stats = await readStatsJson(root, info, state, { repair: false });
    const files = groupFiles(root, state.episodes, (e) => state.dataFiles.find((f) => f.chunk === e.dataChunk && f.file === e.dataFile)?.path ?? '');
    return new LeRobotDataset(root, info, state.episodes, state.tasks, stats, recovery, files);
  }

  private static async openV2(root: string, info: DatasetInfoJson): Promise<LeRobotDataset> {
    const jsonl = (rel: string): Array<Record<string, unknown>> => {
      const path = join(root, rel);
      if (!existsSync(path)) throw new FileFormatError(formatError(`Dataset(${root})`, `${rel} (LeRobot ${info.codebase_version})`, 'no such file', 'Restore it, or convert the dataset'));
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l, i) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch (err) {
            throw new FileFormatError(formatError(`${path}:${i + 1}`, 'one JSON object per line', (err as Error).message, 'Fix the line'));
          }
        });
    };
    const tasks: string[] = [];
    for (const t of jsonl('meta/tasks.jsonl')) tasks[Number(t.task_index)] = String(t.task);
    const rows = jsonl('meta/episodes.jsonl').sort((a, b) => Number(a.episode_index) - Number(b.episode_index));
    const chunksSize = info.chunks_size ?? 1000;
    let at = 0;
    const episodes: EpisodeRecord[] = rows.map((r, k) => {
      const index = Number(r.episode_index);
      const length = Number(r.length);
      if (index !== k || !Number.isInteger(length) || length < 0) throw new FileFormatError(formatError(`${root}/meta/episodes.jsonl[${k}]`, `episode_index ${k} with an integer length`, describeValue(r), 'Fix meta/episodes.jsonl'));
      const e: EpisodeRecord = { episodeIndex: index, length, tasks: (r.tasks as string[]) ?? [], dataChunk: Math.floor(index / chunksSize), dataFile: index, from: at, to: at + length, metaChunk: 0, metaFile: 0, return: null, success: null, seed: null, terminated: null, truncated: null };
      at += length;
      return e;
    });
    let stats: Record<string, FeatureStats> = {};
    if (existsSync(join(root, 'meta/stats.json'))) stats = JSON.parse(readFileSync(join(root, 'meta/stats.json'), 'utf8'));
    else if (existsSync(join(root, 'meta/episodes_stats.jsonl'))) {
      const per: Record<string, FeatureStats[]> = {};
      for (const r of jsonl('meta/episodes_stats.jsonl')) for (const [n, s] of Object.entries(r.stats as Record<string, FeatureStats>)) (per[n] ??= []).push(flattenStats(s as unknown as Record<string, unknown>));
      for (const [n, parts] of Object.entries(per)) stats[n] = aggregateStats(parts) as FeatureStats;
    }
    const files = episodes.map((e) => ({ path: join(root, fillTemplate(info.data_path, { episode_chunk: e.dataChunk, episode_index: e.episodeIndex, chunk_index: e.dataChunk })), episodes: [e.episodeIndex], rows: e.length }));
    const report: RecoveryReport = { journalEpisodes: 0, tornBytes: 0, uncommittedFiles: [], writerPid: null, repaired: false, message: null };
    return new LeRobotDataset(root, info, episodes, tasks, stats, report, files);
  }

  /** `'v3.0'`, `'v2.1'`, ... as `info.json` says. */
  get version(): string {
    return this.info.codebase_version;
  }

  get fps(): number {
    return this.info.fps;
  }

  get totalFrames(): number {
    return this.episodes.reduce((s, e) => s + e.length, 0);
  }

  get features(): Readonly<Record<string, FeatureInfo>> {
    return this.info.features;
  }

  /** lamkit's seeded split, or null when none was stored. */
  get splits(): EpisodeSplits | null {
    return this.info.lamkit?.splits ?? null;
  }

  /** The env's spaces when lamkit recorded the data, else null. */
  get spaces(): { observation: Space<unknown>; action: Space<unknown> } | null {
    const s = this.info.lamkit?.spaces;
    return s ? { observation: spaceFromJSON(s.observation, `${this.root}/meta/info.json.lamkit.spaces.observation`), action: spaceFromJSON(s.action, `${this.root}/meta/info.json.lamkit.spaces.action`) } : null;
  }

  /** The data files in row order. */
  dataFiles(): readonly DataFile[] {
    return this.files;
  }

  /**
   * Reads columns of data file `k` (all loadable features by default):
   * `Float32Array [rows x dim]` for float32, `Float64Array` for int64 and
   * float64, `Uint8Array` for bool, `string[]` for text, `Uint8Array
   * [rows x H x W x 3]` for an image. With `into`,
   * numeric columns are decoded into the given arrays (from `rowOffset`).
   * @throws FileFormatError naming the file and the column when it does not match `info.json`.
   */
  async readFile(k: number, names: readonly string[] = Object.keys(this.columns), into?: ReadInto): Promise<Record<string, ColumnValues>> {
    const file = this.files[k];
    if (!file) throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).readFile`, `a file index in [0, ${this.files.length})`, describeValue(k), 'See dataFiles()'));
    let pq = this.parquet.get(file.path);
    if (!pq) {
      if (!existsSync(file.path)) throw new FileFormatError(formatError(`Dataset(${this.root})`, `the data file ${file.path}`, 'no such file', 'Restore it from a copy'));
      pq = openParquet(file.path);
      this.parquet.set(file.path, pq);
    }
    if (pq.rows !== file.rows) throw new FileFormatError(formatError(`Parquet(${file.path})`, `${file.rows} rows (the episodes' lengths in the metadata)`, `${pq.rows}`, 'The file does not belong to this metadata'));
    return readColumns(pq, names.map((n) => this.columnSpec(n)), into);
  }

  /** Reads one episode's frames (same layout as {@link readFile}). */
  async readEpisode(index: number, names: readonly string[] = Object.keys(this.columns)): Promise<Record<string, ColumnValues>> {
    return (await this.readEpisodes([index], names))[0];
  }

  /**
   * Reads several episodes' frames, one record per index in the order given
   * (same layout as {@link readFile}). Each data file is read and decoded
   * once for all of its requested episodes (a file holds many episodes:
   * reading them one by one would decode the whole file each time), one
   * file at a time.
   */
  async readEpisodes(indices: readonly number[], names: readonly string[] = Object.keys(this.columns)): Promise<Array<Record<string, ColumnValues>>> {
    const byFile = new Map<number, number[]>();
    indices.forEach((index, i) => {
      const e = this.episodes[index];
      if (!e) throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).readEpisode`, `an episode index in [0, ${this.episodes.length})`, describeValue(index), 'See episodes'));
      const k = this.files.findIndex((f) => f.episodes.includes(index));
      const list = byFile.get(k);
      if (list) list.push(i);
      else byFile.set(k, [i]);
    });
    const out = new Array<Record<string, ColumnValues>>(indices.length);
    for (const [k, positions] of byFile) {
      const cols = await this.readFile(k, names);
      for (const i of positions) {
        const index = indices[i];
        const start = this.rowOffset(k, index);
        const length = this.episodes[index].length;
        const episode: Record<string, ColumnValues> = {};
        for (const n of names) {
          const w = this.columns[n].dim ?? 1;
          const v = cols[n];
          episode[n] = Array.isArray(v) ? (v as string[]).slice(start, start + length) : (v as Float32Array).slice(start * w, (start + length) * w);
        }
        out[i] = episode;
      }
    }
    return out;
  }

  /** Row of episode `index`'s first frame within data file `k`. */
  rowOffset(k: number, index: number): number {
    let row = 0;
    for (const e of this.files[k].episodes) {
      if (e === index) return row;
      row += this.episodes[e].length;
    }
    throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).rowOffset`, `an episode of file ${k}`, describeValue(index), 'See dataFiles()'));
  }

  /** How feature `name` is stored. @throws InvalidArgument for unknown or skipped features. */
  columnSpec(name: string): ColumnSpec {
    const spec = this.columns[name];
    if (spec) return spec;
    const skipped = this.skippedFeatures.find((s) => s.name === name);
    throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).features`, `a loadable feature (${Object.keys(this.columns).join(', ')})`, describeValue(name), skipped ? `Not loaded: ${skipped.reason}` : 'Check meta/info.json'));
  }

  /**
   * Checks that a policy can be trained on (or compared with) this data:
   * its observation and action sizes equal the dataset's state and action.
   * @throws InvalidArgument naming the feature and both sizes.
   */
  assertFitsPolicy(policy: Pick<Policy, 'observationSpace' | 'actionSpace'>): void {
    const check = (feature: string, space: Space<unknown>, what: string): void => {
      const f = this.info.features[feature];
      if (!f) throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).features.${feature}`, `a ${feature} feature for the policy's ${what}`, 'none', 'Record the dataset with this task'));
      const discrete = space.kind === 'Discrete';
      // Camera images are image columns of their own, not part of observation.state.
      const size = discrete ? 1 : feature === 'observation.state' ? stateDimWithoutImages(space) : space.flatDim;
      const flatFeature = f.shape.reduce((a, b) => a * b, 1);
      if (feature === 'action' && discrete !== (f.dtype === 'int64')) {
        throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).features.action`, `${discrete ? 'int64 class indices' : 'float32 vectors'} for ${space.toString()}`, `${f.dtype}[${f.shape.join(',')}]`, 'Use a policy for this dataset\'s action space'));
      }
      if (flatFeature !== size) {
        throw new InvalidArgument(formatError(`LeRobotDataset(${this.root}).features.${feature}`, `size ${size} (the policy's ${what} ${space.toString()})`, `size ${flatFeature} (${f.dtype}[${f.shape.join(',')}])`, 'Use a policy built for this dataset\'s task'));
      }
    };
    check('observation.state', policy.observationSpace, 'observation');
    check('action', policy.actionSpace, 'action');
  }
}

/**
 * Opens a LeRobot dataset directory (v3.0 or v2.1). A v3.0 dataset that
 * lamkit was writing when its process died is recovered first (unless
 * `readOnly`, or a live process is still writing it): whole episodes in the
 * journal are committed, a torn last episode is dropped, files of a flush
 * that never committed are removed; `dataset.recovery.message` says what.
 * @throws FileFormatError naming the file and field (missing `meta/info.json`, bad columns).
 */
export async function openDataset(root: string, options: OpenDatasetOptions = {}): Promise<LeRobotDataset> {
  return LeRobotDataset.open(root, options);
}

async function recover(root: string, info: DatasetInfoJson, readOnly: boolean): Promise<RecoveryReport> {
  const report: RecoveryReport = { journalEpisodes: 0, tornBytes: 0, uncommittedFiles: [], writerPid: null, repaired: false, message: null };
  if (!existsSync(join(root, LAMKIT_DIR))) return report;
  report.writerPid = lockHolder(root);
  const journal = readJournal(journalPath(root));
  report.journalEpisodes = journal.records.filter((r) => r.episodeIndex >= info.total_episodes).length;
  report.tornBytes = journal.tornBytes;
  const temps = [...listChunkFiles(join(root, 'data')).temps, ...listChunkFiles(join(root, 'meta/episodes')).temps];
  report.uncommittedFiles = [...temps, ...(await readCommittedState(root, info)).orphanFiles.filter((f) => !temps.includes(f))];
  if (report.journalEpisodes === 0 && report.tornBytes === 0 && report.uncommittedFiles.length === 0) {
    // A killed writer that had just committed leaves only its lock.
    if (report.writerPid === null && !readOnly) rmSync(join(root, LAMKIT_DIR, 'writer.lock'), { force: true });
    return report;
  }
  if (report.writerPid !== null) {
    report.message = `a recording (process ${report.writerPid}) is writing this dataset: ${report.journalEpisodes} finished episode(s) are in its journal and not yet committed; showing the ${info.total_episodes} committed episode(s)`;
    return report;
  }
  const what = [
    report.journalEpisodes > 0 ? `${report.journalEpisodes} finished episode(s) from the journal` : '',
    report.tornBytes > 0 ? `dropped an unfinished episode (${report.tornBytes} bytes)` : '',
    report.uncommittedFiles.length > 0 ? `${report.uncommittedFiles.length} uncommitted file(s)` : '',
  ].filter(Boolean);
  if (readOnly) {
    report.message = `the recording stopped before committing: ${what.join('; ')} (read-only: not repaired; showing the ${info.total_episodes} committed episode(s))`;
    return report;
  }
  const writer = await DatasetWriter.open(root, datasetSpecOf(info));
  writer.close();
  report.repaired = true;
  report.message = `recovered a recording that stopped before committing: ${what.map((w) => (w.startsWith('dropped') ? w : w.startsWith(`${report.journalEpisodes} finished`) ? `committed ${w}` : `removed ${w}`)).join('; ')}`;
  return report;
}

function groupFiles(root: string, episodes: readonly EpisodeRecord[], pathOf: (e: EpisodeRecord) => string): DataFile[] {
  const files: DataFile[] = [];
  for (const e of episodes) {
    const path = pathOf(e);
    let f = files[files.length - 1];
    if (!f || f.path !== path) {
      if (files.some((x) => x.path === path)) throw new FileFormatError(formatError(`Dataset(${root}).meta/episodes`, 'the episodes of each data file contiguous and in order', `episode ${e.episodeIndex} back in ${path}`, 'Rewrite the dataset'));
      f = { path, episodes: [], rows: 0 };
      files.push(f);
    }
    f.episodes.push(e.episodeIndex);
    f.rows += e.length;
  }
  return files;
}
