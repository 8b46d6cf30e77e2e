import type { LeRobotDataset } from '../../src/data/lerobot-dataset.js';
import type { Space } from '../../src/core/spaces/space.js';
import { InvalidArgument, formatError } from '../../src/core/errors.js';
import { datasetDemonstrations, type EpisodeList } from '../algos/bc/dataset-demonstrations.js';
import type { Demonstrations } from '../algos/bc/demonstrations.js';
import type { Transitions } from './transitions.js';

/**
 * Episodes of a recorded dataset as expert {@link Transitions} (s, a, s')
 * for a learned reward, and as labelled {@link Demonstrations}: s' is the
 * next frame's `observation.state`; an episode's last frame becomes a
 * transition into the absorbing state when `next.terminated` is set, and
 * is dropped otherwise (a truncated episode's final observation is not
 * stored).
 * @throws InvalidArgument naming the dataset for an empty episode list or
 *   columns that do not fit the spaces.
 */
export async function datasetTransitions(ds: LeRobotDataset, episodes: EpisodeList, observationSpace: Space<unknown>, actionSpace: Space<unknown>, where: string): Promise<{ transitions: Transitions; demonstrations: Demonstrations }> {
  const demos = await datasetDemonstrations(ds, episodes, observationSpace, actionSpace, where);
  const od = demos.obsDim;
  const ad = demos.actDim;
  const lastTerminated: boolean[] = [];
  const read = await ds.readEpisodes(episodes, ['next.terminated']);
  for (const [i, e] of episodes.entries()) {
    const cols = read[i];
    const term = cols['next.terminated'] as ArrayLike<number | boolean | bigint> | undefined;
    if (!term || term.length === 0) throw new InvalidArgument(formatError(`${where}.episode ${e}.next.terminated`, 'one flag per frame', 'none', 'Record the dataset with lamkit record'));
    lastTerminated.push(Boolean(Number(term[term.length - 1])));
  }
  const keep: number[] = [];
  const terminated: number[] = [];
  let ep = -1;
  for (let r = 0; r < demos.rows; r++) {
    if (demos.episodeStart[r]) ep++;
    const last = r + 1 === demos.rows || demos.episodeStart[r + 1] === 1;
    if (!last) {
      keep.push(r);
      terminated.push(0);
    } else if (lastTerminated[ep]) {
      keep.push(r);
      terminated.push(1);
    }
  }
  if (keep.length === 0) throw new InvalidArgument(formatError(where, 'at least one transition (s, a, s\')', 'episodes of one truncated step', 'Record longer episodes'));
  const n = keep.length;
  const t: Transitions = { obsDim: od, actDim: ad, rows: n, obs: new Float32Array(n * od), actions: new Float32Array(n * ad), nextObs: new Float32Array(n * od), terminated: Uint8Array.from(terminated), absorbing: new Uint8Array(n) };
  keep.forEach((k, i) => {
    t.obs.set(demos.obs.subarray(k * od, (k + 1) * od), i * od);
    t.actions.set(demos.actions.subarray(k * ad, (k + 1) * ad), i * ad);
    if (!terminated[i]) t.nextObs.set(demos.obs.subarray((k + 1) * od, (k + 2) * od), i * od);
  });
  return { transitions: t, demonstrations: demos };
}
