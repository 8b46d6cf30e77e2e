import type { Env, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** What {@link RecordEpisodeStatistics} puts in `info[statsKey]` on the step that ends an episode. */
export interface EpisodeSummary {
  /** Undiscounted return of the episode. */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall-clock seconds since the episode's reset, rounded to microseconds (Gymnasium's `t`). */
  t: number;
}

/**
 * Tracks each episode's return, length and duration (Gymnasium's
 * `RecordEpisodeStatistics`). On the step where `terminated || truncated`,
 * `info.episode = { r, l, t }` is added (in a new info object; the env's is
 * not mutated), and the last `bufferLength` episodes are kept in
 * `returnQueue`, `lengthQueue`, `timeQueue` (oldest first).
 */
export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  readonly bufferLength: number;
  readonly statsKey: string;
  /** Episodes finished since construction. */
  episodeCount = 0;
  /** Return of the running episode so far. */
  episodeReturn = 0;
  /** Steps of the running episode so far. */
  episodeLength = 0;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  private episodeStartMs = 0;

  constructor(env: Env<Obs, Act>, options: { bufferLength?: number; statsKey?: string } = {}) {
    super(env);
    const bufferLength = options.bufferLength ?? 100;
    if (!Number.isInteger(bufferLength) || bufferLength <= 0) {
      throw new InvalidArgument(formatError('RecordEpisodeStatistics.bufferLength', 'a positive integer', describeValue(bufferLength), 'Omit it for 100'));
    }
    this.bufferLength = bufferLength;
    this.statsKey = options.statsKey ?? 'episode';
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    this.episodeStartMs = performance.now();
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength += 1;
    if (r.terminated || r.truncated) {
      if (r.info !== null && typeof r.info === 'object' && this.statsKey in r.info) {
        throw new InvalidArgument(
          formatError(`RecordEpisodeStatistics.step.info`, `no '${this.statsKey}' key from the wrapped env`, `info.${this.statsKey} already set`, 'Wrap only once, or pass another statsKey'),
        );
      }
      const seconds = (performance.now() - this.episodeStartMs) / 1000;
      const stats: EpisodeSummary = { r: this.episodeReturn, l: this.episodeLength, t: Math.round(seconds * 1e6) / 1e6 };
      r.info = { ...r.info, [this.statsKey]: stats };
      push(this.returnQueue, stats.r, this.bufferLength);
      push(this.lengthQueue, stats.l, this.bufferLength);
      push(this.timeQueue, stats.t, this.bufferLength);
      this.episodeCount++;
      this.episodeStartMs = performance.now();
    }
    return r;
  }
}

function push(queue: number[], v: number, max: number): void {
  queue.push(v);
  if (queue.length > max) queue.shift();
}
