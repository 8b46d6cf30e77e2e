import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError, formatError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { aggregateStats, type FeatureStats, STAT_NAMES } from './feature-stats.js';
import { STATS_PATH, type DatasetInfoJson } from './lerobot-format.js';
import { openParquet, readColumns, columnShape } from './parquet-table.js';
import { flattenStats, statsJsonWithImages } from './image-feature.js';
import type { CommittedState } from './committed-state.js';

/**
 * `meta/stats.json`, checked against the commit: when its `count`s do not
 * equal `total_frames` (a crash between writing it and `info.json`), it is
 * recomputed from the committed episodes' `stats/<feature>/<stat>` columns
 * (and rewritten when `repair`).
 */
export async function readStatsJson(root: string, info: DatasetInfoJson, state: CommittedState, options: { repair: boolean }): Promise<Record<string, FeatureStats>> {
  const path = join(root, STATS_PATH);
  let stats: Record<string, FeatureStats> = {};
  if (existsSync(path)) {
    try {
      stats = JSON.parse(readFileSync(path, 'utf8')) as Record<string, FeatureStats>;
      // Image statistics are [3, 1, 1] in stats.json (LeRobot's shape); lamkit keeps them flat.
      for (const [n, f] of Object.entries(info.features)) if (f.dtype === 'image' && stats[n]) stats[n] = flattenStats(stats[n] as unknown as Record<string, unknown>);
    } catch (err) {
      throw new FileFormatError(formatError(path, 'valid JSON', (err as Error).message, 'Delete it; lamkit recomputes it from meta/episodes'), { cause: err });
    }
  }
  // An image's count is its sampled frames (LeRobot's sample_indices), not every frame.
  const consistent = Object.entries(stats).every(([n, s]) => Array.isArray(s.count) && (info.features[n]?.dtype === 'image' || s.count[0] === info.total_frames)) && (info.total_frames === 0 || Object.keys(stats).length > 0);
  if (consistent) return stats;
  stats = await statsFromEpisodes(info, state);
  if (options.repair) writeFileAtomic(path, JSON.stringify(statsJsonWithImages(stats, info.features), null, 4));
  return stats;
}

/** Aggregates the per-episode statistics stored in the committed `meta/episodes` files. */
export async function statsFromEpisodes(info: DatasetInfoJson, state: CommittedState): Promise<Record<string, FeatureStats>> {
  const perFeature: Record<string, FeatureStats[]> = {};
  for (const f of state.episodeFiles) {
    const pq = openParquet(f.path);
    const names = Object.entries(info.features)
      .filter(([n, ft]) => ft.dtype !== 'string' && ft.dtype !== 'video' && columnShape(pq, `stats/${n}/mean`))
      .map(([n, ft]) => ({ n, dim: ft.dtype === 'image' ? 3 : ft.shape[0] }));
    const specs = names.flatMap(({ n, dim }) => STAT_NAMES.map((s) => ({ name: `stats/${n}/${s}`, kind: s === 'count' ? ('int64' as const) : ('float64' as const), dim: s === 'count' ? 1 : dim })));
    const cols = await readColumns(pq, [{ name: 'episode_index', kind: 'int64', dim: null }, ...specs]);
    const idx = cols.episode_index as Float64Array;
    for (let i = 0; i < pq.rows; i++) {
      if (idx[i] >= info.total_episodes) continue;
      for (const { n, dim } of names) {
        const get = (s: string, w: number): number[] => Array.from((cols[`stats/${n}/${s}`] as Float64Array).subarray(i * w, (i + 1) * w));
        (perFeature[n] ??= []).push({ min: get('min', dim), max: get('max', dim), mean: get('mean', dim), std: get('std', dim), count: [get('count', 1)[0]] });
      }
    }
  }
  const out: Record<string, FeatureStats> = {};
  for (const [n, parts] of Object.entries(perFeature)) out[n] = aggregateStats(parts) as FeatureStats;
  return out;
}
