import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError, formatError, describeValue } from '../core/errors.js';
import { columnShape, openParquet, readColumns, type ColumnSpec, type ParquetFile } from './parquet-table.js';
import { TASKS_PATH, type DatasetInfoJson } from './lerobot-format.js';

/** One episode as `meta/episodes` records it (v3.0 columns; lamkit's own when present). */
export interface EpisodeRecord {
  episodeIndex: number;
  length: number;
  tasks: string[];
  dataChunk: number;
  dataFile: number;
  /** Global frame range `[from, to)` (the `index` column). */
  from: number;
  to: number;
  /** Which `meta/episodes` file holds this row. */
  metaChunk: number;
  metaFile: number;
  /** lamkit columns (null in datasets written by others). */
  return: number | null;
  success: boolean | null;
  seed: number | null;
  terminated: boolean | null;
  truncated: boolean | null;
}

/** The committed contents of a v3.0 dataset, and what lies beside them uncommitted. */
export interface CommittedState {
  episodes: EpisodeRecord[];
  tasks: string[];
  /** Data and episodes-metadata files no committed episode refers to (a torn flush), and temp files. */
  orphanFiles: string[];
  /** Episodes files holding at least one committed row (path -> chunk/file). */
  episodeFiles: Array<{ path: string; chunk: number; file: number }>;
  dataFiles: Array<{ path: string; chunk: number; file: number }>;
}

const FILE_RE = /^file-(\d+)\.parquet$/;
const CHUNK_RE = /^chunk-(\d+)$/;

/** `dir/chunk-CCC/file-FFF.parquet` files in (chunk, file) order, plus temp files left by a crash. */
export function listChunkFiles(dir: string): { files: Array<{ path: string; chunk: number; file: number }>; temps: string[] } {
  const files: Array<{ path: string; chunk: number; file: number }> = [];
  const temps: string[] = [];
  if (!existsSync(dir)) return { files, temps };
  for (const c of readdirSync(dir)) {
    const cm = CHUNK_RE.exec(c);
    if (!cm) continue;
    for (const f of readdirSync(join(dir, c))) {
      const fm = FILE_RE.exec(f);
      if (fm) files.push({ path: join(dir, c, f), chunk: Number(cm[1]), file: Number(fm[1]) });
      else if (f.startsWith('.') && f.includes('.tmp-')) temps.push(join(dir, c, f));
    }
  }
  files.sort((a, b) => a.chunk - b.chunk || a.file - b.file);
  return { files, temps };
}

const EPISODE_COLUMNS: ColumnSpec[] = [
  { name: 'episode_index', kind: 'int64', dim: null },
  { name: 'length', kind: 'int64', dim: null },
  { name: 'tasks', kind: 'string-list', dim: null },
  { name: 'data/chunk_index', kind: 'int64', dim: null },
  { name: 'data/file_index', kind: 'int64', dim: null },
  { name: 'dataset_from_index', kind: 'int64', dim: null },
  { name: 'dataset_to_index', kind: 'int64', dim: null },
];
const LAMKIT_COLUMNS: ColumnSpec[] = [
  { name: 'lamkit/return', kind: 'float64?', dim: null },
  { name: 'lamkit/success', kind: 'bool?', dim: null },
  { name: 'lamkit/seed', kind: 'int64?', dim: null },
  { name: 'lamkit/terminated', kind: 'bool?', dim: null },
  { name: 'lamkit/truncated', kind: 'bool?', dim: null },
];

/**
 * Reads the committed state of a v3.0 dataset: `info.json` is the commit
 * record (its `total_episodes` says which episode rows count), so rows of
 * later episodes, files only they refer to, and temp files are reported as
 * orphans (what a crash between writing a file and committing it leaves).
 */
export async function readCommittedState(root: string, info: DatasetInfoJson): Promise<CommittedState> {
  const meta = listChunkFiles(join(root, 'meta/episodes'));
  const data = listChunkFiles(join(root, 'data'));
  const orphanFiles = [...meta.temps, ...data.temps];
  const episodes: EpisodeRecord[] = [];
  const episodeFiles: CommittedState['episodeFiles'] = [];
  for (const f of meta.files) {
    const pq = openParquetOrOrphan(f.path, orphanFiles);
    if (!pq) continue;
    const cols = await readColumns(pq, [...EPISODE_COLUMNS, ...LAMKIT_COLUMNS.filter((c) => columnShape(pq, c.name))]);
    const idx = cols.episode_index as Float64Array;
    let kept = 0;
    for (let i = 0; i < pq.rows; i++) {
      if (idx[i] >= info.total_episodes) continue;
      kept++;
      const opt = <T>(name: string): T | null => ((cols[name] as Array<T | null> | undefined)?.[i] ?? null);
      episodes.push({
        episodeIndex: idx[i],
        length: (cols.length as Float64Array)[i],
        tasks: (cols.tasks as string[][])[i],
        dataChunk: (cols['data/chunk_index'] as Float64Array)[i],
        dataFile: (cols['data/file_index'] as Float64Array)[i],
        from: (cols.dataset_from_index as Float64Array)[i],
        to: (cols.dataset_to_index as Float64Array)[i],
        metaChunk: f.chunk,
        metaFile: f.file,
        return: opt<number>('lamkit/return'),
        success: opt<boolean>('lamkit/success'),
        seed: opt<number>('lamkit/seed'),
        terminated: opt<boolean>('lamkit/terminated'),
        truncated: opt<boolean>('lamkit/truncated'),
      });
    }
    if (kept === 0) orphanFiles.push(f.path);
    else episodeFiles.push(f);
  }
  episodes.sort((a, b) => a.episodeIndex - b.episodeIndex);
  for (let k = 0; k < episodes.length; k++) {
    if (episodes[k].episodeIndex !== k) {
      throw new FileFormatError(formatError(`Dataset(${root}).meta/episodes`, `episodes 0..${info.total_episodes - 1} once each`, `episode ${describeValue(episodes[k].episodeIndex)} at position ${k}`, 'The episode metadata is damaged; restore it from a copy'));
    }
  }
  if (episodes.length !== info.total_episodes) {
    throw new FileFormatError(formatError(`Dataset(${root}).meta/info.json.total_episodes`, `${info.total_episodes} episodes in meta/episodes`, `${episodes.length}`, 'The episode metadata is missing files; restore them from a copy'));
  }
  const referenced = new Set(episodes.map((e) => `${e.dataChunk}/${e.dataFile}`));
  const dataFiles = data.files.filter((f) => referenced.has(`${f.chunk}/${f.file}`));
  for (const f of data.files) if (!referenced.has(`${f.chunk}/${f.file}`)) orphanFiles.push(f.path);
  for (const e of episodes) {
    if (!dataFiles.some((f) => f.chunk === e.dataChunk && f.file === e.dataFile)) {
      throw new FileFormatError(formatError(`Dataset(${root}).data`, `the data file chunk ${e.dataChunk} file ${e.dataFile} of episode ${e.episodeIndex}`, 'no such file', 'Restore the data file from a copy'));
    }
  }
  const tasks = await readTasks(root, info.total_tasks);
  return { episodes, tasks, orphanFiles, episodeFiles, dataFiles };
}

function openParquetOrOrphan(path: string, orphans: string[]): ParquetFile | null {
  try {
    return openParquet(path);
  } catch (err) {
    // A file without a footer can only be one whose write was cut short: never committed.
    if (err instanceof FileFormatError) {
      orphans.push(path);
      return null;
    }
    throw err;
  }
}

/** `meta/tasks.parquet` as a list indexed by `task_index` (first `total` tasks; later rows are uncommitted). */
export async function readTasks(root: string, total: number): Promise<string[]> {
  const path = join(root, TASKS_PATH);
  if (!existsSync(path)) {
    if (total === 0) return [];
    throw new FileFormatError(formatError(`Dataset(${root})`, `${TASKS_PATH} with ${total} tasks`, 'no such file', 'Restore it from a copy'));
  }
  const pq = openParquet(path);
  // pandas writes the index column (`task`) after the data columns; some writers name it __index_level_0__.
  const textColumn = pq.columnNames.includes('task') ? 'task' : pq.columnNames.find((c) => c.startsWith('__index_level'));
  if (!textColumn) throw new FileFormatError(formatError(`Parquet(${path})`, "a 'task' column (the pandas index) and 'task_index'", `columns ${describeValue(pq.columnNames)}`, 'Fix meta/tasks.parquet'));
  const cols = await readColumns(pq, [
    { name: 'task_index', kind: 'int64', dim: null },
    { name: textColumn, kind: 'string', dim: null },
  ]);
  const tasks: string[] = [];
  const index = cols.task_index as Float64Array;
  const text = cols[textColumn] as string[];
  for (let i = 0; i < pq.rows; i++) if (index[i] < total) tasks[index[i]] = text[i];
  for (let i = 0; i < total; i++) {
    if (tasks[i] === undefined) throw new FileFormatError(formatError(`Parquet(${path}).task_index`, `every index 0..${total - 1}`, `no row for ${i}`, 'Fix meta/tasks.parquet'));
  }
  return tasks;
}
