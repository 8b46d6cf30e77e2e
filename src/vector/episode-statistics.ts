import type { EpisodeStats } from '../core/vector-env.js';

/**
 * Per-sub-env episode bookkeeping shared by every vector env (Gymnasium's
 * vector `RecordEpisodeStatistics`, built in): running return and length of
 * each sub-env's current episode, reported in `info.episode` on the step where
 * the episode ends.
 *
 * Works with next-step autoreset: the step that resets a sub-env (reward 0,
 * flags 0) starts a new episode and is not counted in it.
 *
 * All arrays are preallocated; {@link update} allocates nothing.
 */
export class EpisodeStatistics {
  /** The `info.episode` object, overwritten in place by every {@link update}. */
  readonly stats: EpisodeStats;
  private readonly returns: Float64Array;
  private readonly lengths: Int32Array;
  private readonly prevDone: Uint8Array;
  private readonly numEnvs: number;
  private readonly createdMs: number;

  /** @param numEnvs number of sub-envs. */
  constructor(numEnvs: number) {
    this.numEnvs = numEnvs;
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
    this.prevDone = new Uint8Array(numEnvs);
    this.stats = {
      r: new Float64Array(numEnvs),
      l: new Int32Array(numEnvs),
      t: new Float64Array(numEnvs),
      success: new Int8Array(numEnvs).fill(-1),
      mask: new Uint8Array(numEnvs),
    };
    this.createdMs = performance.now();
  }

  /** Starts a fresh episode in every sub-env (called by `reset`). */
  reset(): void {
    this.returns.fill(0);
    this.lengths.fill(0);
    this.prevDone.fill(0);
    const { r, l, t, success, mask } = this.stats;
    r.fill(0);
    l.fill(0);
    t.fill(0);
    success.fill(-1);
    mask.fill(0);
  }

  /**
   * Accounts for one vector step.
   *
   * @param rewards `Float64Array [numEnvs]` of this step.
   * @param terminated `Uint8Array [numEnvs]`.
   * @param truncated `Uint8Array [numEnvs]`.
   * @param stepSuccess `Int8Array [numEnvs]`: `info.isSuccess` of this step (1, 0, -1 = not reported).
   * @returns true when at least one episode ended on this step (then `stats.mask` marks which).
   */
  update(rewards: Float64Array, terminated: Uint8Array, truncated: Uint8Array, stepSuccess: Int8Array): boolean {
    const { r, l, t, success, mask } = this.stats;
    let any = false;
    let nowS = -1;
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.prevDone[i] === 1) {
        // This step was the autoreset of sub-env i: a new episode begins with the reset observation.
        // Its last report is cleared here (entries of other sub-envs are already 0).
        this.returns[i] = 0;
        this.lengths[i] = 0;
        r[i] = 0;
        l[i] = 0;
        t[i] = 0;
        success[i] = -1;
      } else {
        this.returns[i] += rewards[i];
        this.lengths[i] += 1;
      }
      const done = terminated[i] === 1 || truncated[i] === 1 ? 1 : 0;
      this.prevDone[i] = done;
      mask[i] = done;
      if (done === 1) {
        if (nowS < 0) nowS = (performance.now() - this.createdMs) / 1000;
        any = true;
        r[i] = this.returns[i];
        l[i] = this.lengths[i];
        t[i] = nowS;
        success[i] = stepSuccess[i];
      }
    }
    return any;
  }
}
