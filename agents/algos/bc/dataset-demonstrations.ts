import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { LeRobotDataset } from '../../../src/data/lerobot-dataset.js';
import type { Space } from '../../../src/core/spaces/space.js';
import { ActionCodec } from '../../policies/action-codec.js';
import { flatObservations, imageParts } from '../../../src/data/image-observations.js';
import type { Demonstrations } from './demonstrations.js';

/** Which rows a split holds: episode indices of the dataset. */
export type EpisodeList = readonly number[];

/**
 * Reads episodes of a recorded dataset (`observation.state`, `action`) into
 * {@link Demonstrations} for supervised training: actions in the stored form
 * of the policy head for `actionSpace` (discrete values minus the space's
 * `start`; Box values as recorded). Camera images stored as `image` columns
 * are put back at their place in the flat observation (pixels 0-255).
 * @throws InvalidArgument naming the dataset when an episode list is empty.
 */
export async function datasetDemonstrations(ds: LeRobotDataset, episodes: EpisodeList, observationSpace: Space<unknown>, actionSpace: Space<unknown>, where: string): Promise<Demonstrations> {
  if (episodes.length === 0) throw new InvalidArgument(formatError(where, 'at least one episode', 'none', 'Record more episodes or change the split fractions'));
  const codec = new ActionCodec(actionSpace);
  const offset = codec.head.kind === 'categorical' ? startsOf(actionSpace, codec.actDim) : null;
  const parts: Array<{ obs: Float32Array; act: Float64Array | Float32Array; rows: number }> = [];
  const images = imageParts(observationSpace).filter((p) => ds.features[p.column]?.dtype === 'image');
  // Each data file is decoded once for all of its episodes.
  const read = await ds.readEpisodes(episodes, ['observation.state', 'action', ...images.map((p) => p.column)]);
  for (const [i, e] of episodes.entries()) {
    const cols = read[i];
    const act = cols.action as Float64Array | Float32Array;
    const stored = cols['observation.state'] as Float32Array;
    const obs = images.length > 0 ? flatObservations(observationSpace, stored, cols as Record<string, Uint8Array>, act.length / codec.actDim, `${where}.episode ${e}`) : stored;
    const rows = obs.length / observationSpace.flatDim;
    if (!Number.isInteger(rows) || act.length !== rows * codec.actDim) {
      throw new InvalidArgument(formatError(`${where}.episode ${e}`, `observation.state [rows x ${observationSpace.flatDim}] and action [rows x ${codec.actDim}]`, `${obs.length} and ${act.length} values`, 'Record the dataset with this task'));
    }
    parts.push({ obs, act, rows });
  }
  const total = parts.reduce((a, p) => a + p.rows, 0);
  const od = observationSpace.flatDim;
  const ad = codec.actDim;
  const out: Demonstrations = { obsDim: od, actDim: ad, rows: total, obs: new Float32Array(total * od), actions: new Float32Array(total * ad), episodeStart: new Uint8Array(total) };
  let row = 0;
  for (const p of parts) {
    out.obs.set(p.obs, row * od);
    for (let i = 0; i < p.rows * ad; i++) out.actions[row * ad + i] = offset ? p.act[i] - offset[i % ad] : p.act[i];
    out.episodeStart[row] = 1;
    row += p.rows;
  }
  return out;
}

function startsOf(space: Space<unknown>, n: number): Float64Array {
  const s = (space as { start?: number | ArrayLike<number> }).start;
  if (s === undefined) return new Float64Array(n);
  if (typeof s === 'number') return Float64Array.of(s);
  if (s.length !== n) throw new InvalidArgument(formatError('datasetDemonstrations.actionSpace', `${n} starts`, describeValue(s), 'Use the dataset\'s action space'));
  return Float64Array.from(s);
}
