import { InvalidArgument, formatError } from '../core/errors.js';
import { replaceDirAtomicAsync } from './atomic-write.js';
import { DatasetWriter, datasetSpecOf, type DatasetWriterOptions } from './dataset-writer.js';
import { openDataset, type LeRobotDataset } from './lerobot-dataset.js';
import { writeSplits } from './episode-splits.js';
import { DEFAULT_FEATURES } from './lerobot-format.js';
import type { EpisodeData, FrameValues } from './episode-journal.js';

/** Episodes `ks` of a dataset as the writer takes them (their frames, task and per-episode facts); each data file is decoded once. */
export async function episodesData(ds: LeRobotDataset, ks: readonly number[], fillExecuted = false): Promise<EpisodeData[]> {
  const names = Object.keys(ds.columns).filter((n) => !(n in DEFAULT_FEATURES));
  const read = await ds.readEpisodes(ks, names);
  return ks.map((k, i) => {
    const frames = read[i] as Record<string, FrameValues>;
    // A clean episode in a dataset with perturbed ones: what was executed is the action itself.
    if (fillExecuted && !('action.executed' in frames)) frames['action.executed'] = (frames.action as Float32Array).slice();
    const e = ds.episodes[k];
    const task = e.tasks[0] ?? ds.tasks[0] ?? 'task';
    return { length: e.length, task, frames, return: e.return ?? undefined, success: e.success, seed: e.seed };
  });
}

/** Episode `k` of a dataset as the writer takes it (see {@link episodesData}). */
export async function episodeData(ds: LeRobotDataset, k: number, fillExecuted = false): Promise<EpisodeData> {
  return (await episodesData(ds, [k], fillExecuted))[0];
}

/** Every episode of `ds` in index order, to `writer`; the episodes of one data file are decoded together. */
async function copyEpisodes(ds: LeRobotDataset, writer: DatasetWriter, fillExecuted = false): Promise<void> {
  const fileOf = new Map<number, number>();
  ds.dataFiles().forEach((f, i) => f.episodes.forEach((e) => fileOf.set(e, i)));
  for (let k = 0; k < ds.episodes.length; ) {
    const run = [k];
    while (++k < ds.episodes.length && fileOf.get(k) === fileOf.get(run[0])) run.push(k);
    for (const data of await episodesData(ds, run, fillExecuted)) writer.addEpisode(data);
  }
}

/**
 * Appends every episode of `sources` (in order) to the dataset at `out`
 * (created when missing). All must have the same features and fps, except
 * that clean episodes (no `action.executed`) merge into a dataset of
 * perturbed ones with `action.executed` = `action`.
 * @returns episodes in `out` afterwards.
 */
export async function mergeDatasets(sources: readonly string[], out: string, options: DatasetWriterOptions = {}): Promise<number> {
  const opened = await Promise.all(sources.map((s) => openDataset(s)));
  const spec = datasetSpecOf(opened[0].info);
  for (const ds of opened) {
    if (ds.skippedFeatures.length > 0) throw new InvalidArgument(formatError(`mergeDatasets(${ds.root})`, 'a dataset without video features (low-dimensional data and PNG images merge)', `video features ${ds.skippedFeatures.map((s) => s.name).join(', ')}`, 'Merge video datasets with LeRobot'));
  }
  const writer = await DatasetWriter.open(out, spec, options);
  try {
    for (const ds of opened) {
      const other = datasetSpecOf(ds.info);
      const fill = 'action.executed' in spec.features && !('action.executed' in other.features);
      if (fill) other.features = Object.fromEntries(Object.entries(spec.features).filter(([n]) => n === 'action.executed' || n in other.features));
      if (JSON.stringify(other.features) !== JSON.stringify(spec.features) || other.fps !== spec.fps) {
        throw new InvalidArgument(formatError(`mergeDatasets(${ds.root}).features`, `the features and fps of ${opened[0].root}`, `${Object.keys(other.features).join(', ')} at ${other.fps} fps`, 'Merge datasets of the same task and spaces'));
      }
      await copyEpisodes(ds, writer, fill);
    }
    return writer.totalEpisodes;
  } finally {
    writer.close();
  }
}

/**
 * Rewrites a dataset with as few data files as its size limit allows
 * (many short recording sessions leave many small files), keeping episode
 * order, tasks, stats and the stored split. The new copy is built beside
 * the dataset and swapped in by renames.
 * @returns data files before and after.
 */
export async function compactDataset(root: string, options: DatasetWriterOptions = {}): Promise<{ before: number; after: number }> {
  const ds = await openDataset(root);
  const before = ds.dataFiles().length;
  const splits = ds.splits;
  let after = 0;
  await replaceDirAtomicAsync(root, async (tmp) => {
    const writer = await DatasetWriter.open(tmp, datasetSpecOf(ds.info), { dataFileSizeMb: ds.info.data_files_size_in_mb, ...options });
    try {
      await copyEpisodes(ds, writer);
    } finally {
      writer.close();
    }
    if (splits) writeSplits(tmp, splits);
    after = (await openDataset(tmp)).dataFiles().length;
  });
  return { before, after };
}

/** A few lines of per-dataset facts for a person (what `lamkit dataset info` prints). */
export function describeDataset(ds: LeRobotDataset): string {
  const lines: string[] = [];
  const e = ds.episodes;
  lines.push(`${ds.root}: LeRobot ${ds.version}, ${e.length} episodes, ${ds.totalFrames} frames at ${ds.fps} fps in ${ds.dataFiles().length} data file(s)${ds.info.lamkit?.envId ? `; task env ${ds.info.lamkit.envId}` : ''}`);
  if (ds.recovery.message) lines.push(`recovery: ${ds.recovery.message}`);
  lines.push(`tasks (${ds.tasks.length}): ${ds.tasks.slice(0, 5).map((t) => JSON.stringify(t)).join(', ')}${ds.tasks.length > 5 ? ', ...' : ''}`);
  const s = ds.splits;
  if (s) {
    const covered = s.train.length + s.val.length + s.test.length;
    lines.push(`splits (seed ${s.seed ?? 'explicit'}): train ${s.train.length}, val ${s.val.length}, test ${s.test.length} episodes${covered < e.length ? `; ${e.length - covered} newer episode(s) in no split (split again)` : ''}`);
  } else lines.push('splits: none stored (lamkit dataset split DIR --val 0.1 --test 0.1)');
  const lengths = e.map((x) => x.length);
  if (lengths.length > 0) lines.push(`episode length: min ${Math.min(...lengths)}, mean ${(ds.totalFrames / lengths.length).toFixed(1)}, max ${Math.max(...lengths)}`);
  const succ = e.filter((x) => x.success !== null);
  if (succ.length > 0) lines.push(`success rate: ${((100 * succ.filter((x) => x.success).length) / succ.length).toFixed(1)}% (${succ.filter((x) => x.success).length}/${succ.length})`);
  const returns = e.map((x) => x.return).filter((r): r is number => r !== null);
  if (returns.length > 0) {
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
    lines.push(`return: mean ${mean.toFixed(3)}, std ${std.toFixed(3)}, min ${Math.min(...returns).toFixed(3)}, max ${Math.max(...returns).toFixed(3)}`);
    lines.push(...histogram(returns, 8));
  }
  lines.push('features:');
  for (const [name, f] of Object.entries(ds.features)) {
    const st = ds.stats[name];
    const skipped = ds.skippedFeatures.find((x) => x.name === name);
    const head = `  ${name}: ${f.dtype}[${f.shape.join(',')}]${f.class_names ? ` classes ${f.class_names.join('/')}` : ''}`;
    if (skipped) lines.push(`${head}  (not loaded: ${skipped.reason})`);
    else if (st) lines.push(`${head}  mean ${vec(st.mean)} std ${vec(st.std)} min ${vec(st.min)} max ${vec(st.max)}`);
    else lines.push(head);
  }
  return lines.join('\n');
}

function vec(v: readonly number[]): string {
  const shown = v.slice(0, 4).map((x) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(3)));
  return v.length === 1 ? shown[0] : `[${shown.join(', ')}${v.length > 4 ? `, ... (${v.length})` : ''}]`;
}

/** A small terminal histogram: one line per bin, bars of █ scaled to the largest bin. */
export function histogram(values: readonly number[], bins: number): string[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(hi > lo ? bins : 1).fill(0);
  for (const v of values) counts[Math.min(counts.length - 1, Math.floor((v - lo) / width))]++;
  const top = Math.max(...counts);
  return counts.map((c, i) => `  ${(lo + i * width).toFixed(2).padStart(9)} .. ${(hi > lo ? lo + (i + 1) * width : hi).toFixed(2).padStart(9)} | ${'█'.repeat(Math.round((30 * c) / top))} ${c}`);
}
