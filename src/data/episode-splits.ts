import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { INFO_PATH, readInfo, type EpisodeSplits, type LamkitInfo } from './lerobot-format.js';
import { lockHolder } from './writer-lock.js';

/** Options of {@link splitEpisodes}: ratios with a seed, or explicit lists. */
export interface SplitOptions {
  /** Fraction of episodes for validation, in [0, 1). Default 0. */
  val?: number;
  /** Fraction of episodes for the test split, in [0, 1). Default 0. */
  test?: number;
  /** Seed of the shuffle that assigns episodes to splits. Default 0. */
  seed?: number;
  /** Explicit validation episodes (then `val`/`test` ratios are not used); the rest not in `testEpisodes` is train. */
  valEpisodes?: readonly number[];
  testEpisodes?: readonly number[];
}

/**
 * Splits episodes `0..n-1` by episode (never frames of one episode in two
 * splits): with ratios, a seeded shuffle puts `round(val * n)` episodes in
 * val and `round(test * n)` in test, the rest in train; each list sorted.
 * Same `n` and seed, same split.
 */
export function splitEpisodes(n: number, options: SplitOptions = {}): EpisodeSplits {
  const where = 'splitEpisodes';
  if (options.valEpisodes || options.testEpisodes) {
    const val = [...(options.valEpisodes ?? [])].sort((a, b) => a - b);
    const test = [...(options.testEpisodes ?? [])].sort((a, b) => a - b);
    const seen = new Set<number>();
    for (const e of [...val, ...test]) {
      if (!Number.isInteger(e) || e < 0 || e >= n || seen.has(e)) throw new InvalidArgument(formatError(`${where}.episodes`, `distinct episode indices in [0, ${n})`, describeValue(e), 'List each episode once'));
      seen.add(e);
    }
    return { seed: null, train: range(n).filter((e) => !seen.has(e)), val, test };
  }
  const val = options.val ?? 0;
  const test = options.test ?? 0;
  for (const [name, r] of [['val', val], ['test', test]] as const) {
    if (!(r >= 0 && r < 1)) throw new InvalidArgument(formatError(`${where}.${name}`, 'a fraction in [0, 1)', describeValue(r), 'Pass e.g. 0.1'));
  }
  if (val + test >= 1) throw new InvalidArgument(formatError(`${where}`, 'val + test < 1 (some episodes left to train on)', `${val} + ${test}`, 'Lower the fractions'));
  const seed = options.seed ?? 0;
  const order = Array.from(new Rng(seed).permutation(n));
  const nVal = Math.round(val * n);
  const nTest = Math.round(test * n);
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  return { seed, val: sorted(order.slice(0, nVal)), test: sorted(order.slice(nVal, nVal + nTest)), train: sorted(order.slice(nVal + nTest)) };
}

/** Stores a split under `meta/info.json`'s `lamkit.splits` (atomically; LeRobot's own `splits` field is left as it is). */
export function writeSplits(root: string, splits: EpisodeSplits): void {
  const where = `writeSplits(${root})`;
  updateLamkitInfo(root, where, 'Split it after the recording ends', (n) => {
    const all = [...splits.train, ...splits.val, ...splits.test];
    if (all.length !== n || new Set(all).size !== n || all.some((e) => !Number.isInteger(e) || e < 0 || e >= n)) {
      throw new InvalidArgument(formatError(where, `every episode 0..${n - 1} in exactly one split`, `${all.length} entries`, 'Build the split with splitEpisodes(total_episodes, ...)'));
    }
    return { splits };
  });
}

/** Stores per-episode keypoint labels under `meta/info.json`'s `lamkit.keypointLabels` (atomically; see LamkitInfo). */
export function writeKeypointLabels(root: string, labels: ReadonlyArray<readonly [number, number] | null>): void {
  const where = `writeKeypointLabels(${root})`;
  updateLamkitInfo(root, where, 'Label it after the recording ends', (n) => {
    checkKeypointLabels(labels, n, where);
    return { keypointLabels: labels.map((l) => (l ? [l[0], l[1]] : null)) };
  });
}

/**
 * Rewrites `meta/info.json` of a dataset no process is writing (atomically) with `fields(total_episodes)` merged
 * into its `lamkit` block; `where` and `fix` word the error when a recording holds the dataset.
 */
function updateLamkitInfo(root: string, where: string, fix: string, fields: (episodes: number) => Partial<LamkitInfo>): void {
  const writer = lockHolder(root);
  if (writer !== null) throw new InvalidArgument(formatError(where, 'a dataset no process is writing', `process ${writer} recording into it`, fix));
  const info = readInfo(root);
  const patch = fields(info.total_episodes);
  const lamkit = info.lamkit ?? { version: 1 as const, envId: null, spaces: null, dtSeconds: null, splits: null, textFeatures: [] };
  writeFileAtomic(join(root, INFO_PATH), JSON.stringify({ ...info, lamkit: { ...lamkit, ...patch } }, null, 4));
}

/** Checks keypoint labels of `n` episodes (one entry each: `[x, y]`, finite, within [-1.5, 1.5], or null); `where` names the source. */
export function checkKeypointLabels(labels: unknown, n: number, where: string): asserts labels is ReadonlyArray<readonly [number, number] | null> {
  if (!Array.isArray(labels) || labels.length !== n) throw new InvalidArgument(formatError(`${where}.keypointLabels`, `one entry per episode (${n})`, Array.isArray(labels) ? `${labels.length} entries` : describeValue(labels), 'Write them with writeKeypointLabels'));
  labels.forEach((l, e) => {
    const ok = l === null || (Array.isArray(l) && l.length === 2 && l.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1.5));
    if (!ok) throw new InvalidArgument(formatError(`${where}.keypointLabels[${e}]`, 'null or [x, y], normalized image coordinates (finite, within [-1.5, 1.5])', describeValue(l), 'Write them with writeKeypointLabels'));
  });
}

/**
 * Per step of `episodes` (in order, `rows` steps in all, each episode's first step marked in `episodeStart`), its
 * episode's keypoint label: `Float32Array [rows x 2]`, NaN where an episode has none.
 */
export function keypointLabelRows(labels: ReadonlyArray<readonly [number, number] | null>, episodes: readonly number[], episodeStart: Uint8Array): Float32Array {
  const out = new Float32Array(episodeStart.length * 2).fill(NaN);
  let e = -1;
  for (let r = 0; r < episodeStart.length; r++) {
    if (episodeStart[r]) e++;
    const l = labels[episodes[e]];
    if (l) (out[2 * r] = l[0]), (out[2 * r + 1] = l[1]);
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
