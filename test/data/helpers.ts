import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetWriter, type DatasetSpec, type DatasetWriterOptions } from '../../src/data/dataset-writer.js';
import type { EpisodeData } from '../../src/data/episode-journal.js';
import { Rng } from '../../src/core/rng.js';

/** A fresh temp directory (removed by the returned cleanup). */
export function tempDir(prefix = 'lamkit-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A spec with a float state of `stateDim`, float action of `actionDim` and the reward/done flags. */
export function syntheticSpec(stateDim: number, actionDim: number, extra: DatasetSpec['features'] = {}): DatasetSpec {
  const scalar = (dtype: string) => ({ dtype, shape: [1], names: null });
  return {
    fps: 25,
    features: {
      'observation.state': { dtype: 'float32', shape: [stateDim], names: null },
      action: { dtype: 'float32', shape: [actionDim], names: null },
      'next.reward': scalar('float32'),
      'next.done': scalar('bool'),
      'next.terminated': scalar('bool'),
      'next.truncated': scalar('bool'),
      ...extra,
    },
    lamkit: { envId: 'Synthetic-v0', spaces: null, dtSeconds: 0.04, textFeatures: [] },
  };
}

/** A random episode for {@link syntheticSpec} (terminated at the end when `terminated`, else truncated). */
export function syntheticEpisode(rng: Rng, length: number, stateDim: number, actionDim: number, task = 'reach', terminated = true): EpisodeData {
  const state = new Float32Array(length * stateDim);
  const action = new Float32Array(length * actionDim);
  for (let i = 0; i < state.length; i++) state[i] = rng.normal();
  for (let i = 0; i < action.length; i++) action[i] = rng.uniform(-1, 1);
  const reward = Float32Array.from({ length }, () => rng.normal());
  const end = new Uint8Array(length);
  end[length - 1] = 1;
  return {
    length,
    task,
    frames: {
      'observation.state': state,
      action,
      'next.reward': reward,
      'next.done': end,
      'next.terminated': terminated ? end : new Uint8Array(length),
      'next.truncated': terminated ? new Uint8Array(length) : end.slice(),
    },
  };
}

/** Writes `lengths.length` synthetic episodes and closes the writer; returns them. */
export async function writeSynthetic(dir: string, lengths: number[], stateDim = 3, actionDim = 2, options: DatasetWriterOptions = {}, seed = 0): Promise<EpisodeData[]> {
  const rng = new Rng(seed);
  const w = await DatasetWriter.open(dir, syntheticSpec(stateDim, actionDim), options);
  const eps = lengths.map((n, k) => syntheticEpisode(rng, n, stateDim, actionDim, k % 2 === 0 ? 'reach' : 'push', k % 3 !== 2));
  for (const e of eps) w.addEpisode(e);
  w.close();
  return eps;
}

/** Features of the LeRobot-layout datasets the tests write with other Parquet engines (state 3, action 2, a video feature). */
export const FOREIGN_FEATURES = {
  'observation.state': { dtype: 'float32', shape: [3], names: { motors: ['a', 'b', 'c'] } },
  action: { dtype: 'float32', shape: [2], names: ['x', 'y'] },
  'observation.images.top': { dtype: 'video', shape: [96, 96, 3], names: ['height', 'width', 'channels'], info: { 'video.fps': 10 } },
  timestamp: { dtype: 'float32', shape: [1], names: null },
  frame_index: { dtype: 'int64', shape: [1], names: null },
  episode_index: { dtype: 'int64', shape: [1], names: null },
  index: { dtype: 'int64', shape: [1], names: null },
  task_index: { dtype: 'int64', shape: [1], names: null },
  'next.reward': { dtype: 'float32', shape: [1], names: null },
  'next.done': { dtype: 'bool', shape: [1], names: null },
};

/**
 * Writes `meta/info.json` of a foreign test dataset as LeRobot documents it: v3.0 (3 episodes, 13 frames, 2 tasks,
 * `file-NNN` data files) or v2.1 (2 episodes of 5 and 2 frames, one file per episode) and, for v2.1, its jsonl
 * metadata (episodes, tasks 'stack the blocks', per-episode stats of `next.reward`).
 */
export function writeForeignMeta(dir: string, version: 'v3.0' | 'v2.1'): void {
  mkdirSync(join(dir, 'meta'), { recursive: true });
  const info =
    version === 'v3.0'
      ? { codebase_version: 'v3.0', robot_type: 'so100', total_episodes: 3, total_frames: 13, total_tasks: 2, chunks_size: 1000, data_files_size_in_mb: 100, video_files_size_in_mb: 200, fps: 10, splits: { train: '0:3' }, data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet', video_path: 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4', features: FOREIGN_FEATURES }
      : { codebase_version: 'v2.1', robot_type: 'koch', total_episodes: 2, total_frames: 7, total_tasks: 1, total_videos: 2, total_chunks: 1, chunks_size: 1000, fps: 10, splits: { train: '0:2' }, data_path: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet', video_path: 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4', features: FOREIGN_FEATURES };
  writeFileSync(join(dir, 'meta/info.json'), JSON.stringify(info));
  if (version === 'v3.0') return;
  writeFileSync(join(dir, 'meta/episodes.jsonl'), [5, 2].map((length, i) => JSON.stringify({ episode_index: i, tasks: ['stack the blocks'], length })).join('\n') + '\n');
  writeFileSync(join(dir, 'meta/tasks.jsonl'), JSON.stringify({ task_index: 0, task: 'stack the blocks' }) + '\n');
  writeFileSync(
    join(dir, 'meta/episodes_stats.jsonl'),
    [
      { episode_index: 0, stats: { 'next.reward': { min: [0], max: [1], mean: [0.2], std: [0.4], count: [5] } } },
      { episode_index: 1, stats: { 'next.reward': { min: [0], max: [1], mean: [0.5], std: [0.5], count: [2] } } },
    ].map((r) => JSON.stringify(r)).join('\n'),
  );
}
