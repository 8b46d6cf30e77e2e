import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpaceJSON } from '../core/spaces/space.js';
import { FileFormatError, formatError, describeValue } from '../core/errors.js';
import type { ColumnKind, ColumnSpec } from './parquet-table.js';
import { imageShapeOf, imageSize } from './image-feature.js';

/**
 * The LeRobotDataset layout, as LeRobot's own code writes and reads it
 * (lerobot/datasets/utils.py, io_utils.py, dataset_metadata.py and
 * scripts/convert_dataset_v21_to_v30.py):
 *
 * v3.0: `meta/info.json`, `meta/stats.json`, `meta/tasks.parquet`
 * (`task_index`, with `task` as the pandas index),
 * `meta/episodes/chunk-CCC/file-FFF.parquet` (one row per episode: length,
 * tasks, `data/chunk_index`, `data/file_index`, `dataset_from_index`,
 * `dataset_to_index`, `stats/<feature>/<stat>`), and
 * `data/chunk-CCC/file-FFF.parquet` holding many episodes each.
 *
 * v2.1: `data/chunk-CCC/episode_EEEEEE.parquet` (one file per episode),
 * `meta/episodes.jsonl`, `meta/tasks.jsonl`, `meta/episodes_stats.jsonl`
 * (and `meta/stats.json` in v2.0).
 */
export const INFO_PATH = 'meta/info.json';
export const STATS_PATH = 'meta/stats.json';
export const TASKS_PATH = 'meta/tasks.parquet';
export const DATA_PATH_TEMPLATE = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const EPISODES_PATH_TEMPLATE = 'meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
/** LeRobot's defaults (utils.py): files per chunk directory, and the size at which a data file rolls over. */
export const DEFAULT_CHUNKS_SIZE = 1000;
export const DEFAULT_DATA_FILE_SIZE_MB = 100;
export const DEFAULT_VIDEO_FILE_SIZE_MB = 200;

/** One entry of `info.json`'s `features` (LeRobot's feature dict). */
export interface FeatureInfo {
  /** numpy dtype name (`float32`, `int64`, `bool`, `string`) or `image` / `video`. */
  dtype: string;
  shape: number[];
  names: string[] | Record<string, unknown> | null;
  /** Frames per second (v3.0 writes it on every non-video feature). */
  fps?: number;
  /** lamkit: the class names of a discrete action (index -> name). */
  class_names?: string[];
  [key: string]: unknown;
}

/** Seeded split of episode indices, stored under `info.json`'s `lamkit.splits`. */
export interface EpisodeSplits {
  /** Seed of the shuffle (null for explicit lists). */
  seed: number | null;
  train: number[];
  val: number[];
  test: number[];
}

/** lamkit's own fields, kept under one `lamkit` key so LeRobot still reads the file (it ignores unknown keys). */
export interface LamkitInfo {
  /** Format version of this block. */
  version: 1;
  /** Registered task id the data came from, or null. */
  envId: string | null;
  /** `space.toJSON()` of the env's spaces (the observation is stored flattened). */
  spaces: { observation: SpaceJSON; action: SpaceJSON } | null;
  /** Seconds per step of the env (`fps` in LeRobot's field is rounded to an integer). */
  dtSeconds: number | null;
  splits: EpisodeSplits | null;
  /** Extra per-frame text columns (e.g. an instruction), stored as `string` features. */
  textFeatures: string[];
  /**
   * Optional, per episode: an image point of what the episode is about (normalized image coordinates `[x, y]`, x
   * right, y down, -1 and 1 at the image's edges), or null; behaviour cloning's `keypointLabelLoss` reads it
   * (`writeKeypointLabels`; LangReach: `bench:lang-reach-splits --labels`).
   */
  keypointLabels?: Array<[number, number] | null>;
}

/** `meta/info.json` (v3.0 fields, plus v2.1's where they differ). */
export interface DatasetInfoJson {
  codebase_version: string;
  robot_type: string | null;
  total_episodes: number;
  total_frames: number;
  total_tasks: number;
  chunks_size: number;
  data_files_size_in_mb?: number;
  video_files_size_in_mb?: number;
  fps: number;
  splits: Record<string, string>;
  data_path: string;
  video_path: string | null;
  features: Record<string, FeatureInfo>;
  /** v2.1 only. */
  total_chunks?: number;
  total_videos?: number;
  lamkit?: LamkitInfo;
  [key: string]: unknown;
}

/** Fills a LeRobot path template (`{chunk_index:03d}`, `{episode_index:06d}`, `{episode_chunk:03d}`, `{video_key}`). */
export function fillTemplate(template: string, values: Record<string, number | string>): string {
  return template.replace(/\{(\w+)(?::0?(\d+)d)?\}/g, (_, key: string, width: string | undefined) => {
    const v = values[key];
    if (v === undefined) throw new FileFormatError(formatError('fillTemplate', `a value for {${key}}`, 'none', `Template ${template}`));
    return width && typeof v === 'number' ? String(v).padStart(Number(width), '0') : String(v);
  });
}

/** Reads and validates `meta/info.json`. @throws FileFormatError naming the file and the field. */
export function readInfo(root: string): DatasetInfoJson {
  const path = join(root, INFO_PATH);
  if (!existsSync(path)) {
    throw new FileFormatError(formatError(`Dataset(${root})`, `a LeRobot dataset directory with ${INFO_PATH}`, `no ${path}`, 'Pass the dataset root (the folder holding meta/ and data/), or record one with `lamkit record`'));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FileFormatError(formatError(path, 'valid JSON', (err as Error).message, 'Restore the file from a copy'), { cause: err });
  }
  const info = raw as DatasetInfoJson;
  const need = (field: string, ok: boolean, expected: string): void => {
    if (!ok) throw new FileFormatError(formatError(`${path}.${field}`, expected, describeValue((raw as Record<string, unknown>)?.[field]), 'Fix meta/info.json'));
  };
  need('codebase_version', typeof info?.codebase_version === 'string', "a version string such as 'v3.0'");
  need('fps', typeof info.fps === 'number' && info.fps > 0, 'a positive number');
  need('features', info.features !== null && typeof info.features === 'object' && !Array.isArray(info.features), 'an object of features');
  need('total_episodes', Number.isInteger(info.total_episodes) && info.total_episodes >= 0, 'a non-negative integer');
  need('total_frames', Number.isInteger(info.total_frames) && info.total_frames >= 0, 'a non-negative integer');
  need('data_path', typeof info.data_path === 'string', 'a path template');
  for (const [name, f] of Object.entries(info.features)) {
    if (!f || typeof f.dtype !== 'string' || !Array.isArray(f.shape) || !f.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new FileFormatError(formatError(`${path}.features.${name}`, '{ dtype: string, shape: integer[] }', describeValue(f), 'Fix meta/info.json'));
    }
  }
  return info;
}

/** LeRobot's default per-frame features (utils DEFAULT_FEATURES). */
export const DEFAULT_FEATURES: Record<string, FeatureInfo> = {
  timestamp: { dtype: 'float32', shape: [1], names: null },
  frame_index: { dtype: 'int64', shape: [1], names: null },
  episode_index: { dtype: 'int64', shape: [1], names: null },
  index: { dtype: 'int64', shape: [1], names: null },
  task_index: { dtype: 'int64', shape: [1], names: null },
};

/** True for features not stored in the Parquet data (videos: frames in MP4 files). `image` features are PNGs in the data and are loaded. */
export function isVisualFeature(f: FeatureInfo): boolean {
  return f.dtype === 'video';
}

/**
 * How a feature is stored in the data files: a `shape: [1]` feature is a
 * scalar column (LeRobot: `datasets.Value`), a 1-d one a list
 * (`datasets.Sequence(length=n)`). Higher ranks are stored flattened in
 * lamkit's reader (LeRobot's Array2D+ are nested lists; not supported).
 * An `image` feature (`[H, W, 3]`) is a column of PNGs (image-feature.ts).
 */
export function columnSpecOf(name: string, f: FeatureInfo, where: string): ColumnSpec {
  if (f.dtype === 'image') {
    const shape = imageShapeOf(f.shape, `${where}.features.${name}`);
    return { name, kind: 'image', dim: imageSize(shape), shape };
  }
  const kinds: Record<string, ColumnKind> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int64', bool: 'bool', string: 'string' };
  const kind = kinds[f.dtype];
  if (!kind || f.shape.length !== 1 || (kind === 'string' && f.shape[0] !== 1)) {
    throw new FileFormatError(formatError(`${where}.features.${name}`, 'a float32/float64/int64/bool feature of shape [n], a string of shape [1], or an image of shape [H, W, 3]', `dtype ${describeValue(f.dtype)} shape ${describeValue(f.shape)}`, 'lamkit reads low-dimensional features and PNG images; video features are listed but not loaded'));
  }
  return { name, kind, dim: f.shape[0] === 1 ? null : f.shape[0] };
}
