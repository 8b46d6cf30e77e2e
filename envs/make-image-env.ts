import type { AsyncEnv, Env, EnvMetadata, ResetArgs, ResetResult, StepResult } from '../src/core/env.js';
import type { Dict } from '../src/core/spaces/dict.js';
import type { Space } from '../src/core/spaces/space.js';
import { allocateActions, type ActionBatch } from '../src/core/vector-env.js';
import { ClosedError, formatError } from '../src/core/errors.js';
import type { AddImageObservation } from '../src/vector/add-image-observation.js';
import type { SyncVectorEnv } from '../src/vector/sync-vector-env.js';
import { makeImageVec, type MakeImageVecOptions } from './make-image-vec.js';

/**
 * One sub-env of a {@link makeImageVec} vector env (camera images drawn by
 * the batched renderer after every step) as an {@link AsyncEnv}: what
 * `recordEpisodes`, `runEpisodes` and the scripted experts take. Its
 * observation is the Dict `{ image, ...the task's keys }` (`image` a
 * `Uint8Array [H x W x 3]`, the instruction a string); `unwrapped` is the
 * task's own env (the expert reads its simulator), `info.isSuccess` passes
 * through. Each `reset` resets the vector env with the given seed (the
 * vector env's next-step autoreset is never used: runEpisodes resets after
 * every episode).
 */
export class ImageObservationEnv implements AsyncEnv<Record<string, unknown>, unknown> {
  readonly observationSpace: Dict;
  readonly actionSpace: Space<unknown>;
  readonly metadata: EnvMetadata;
  /** The task's env under the vector env (not the image): `dt`, the simulator. */
  readonly unwrapped: Env<unknown, unknown>;
  private readonly actions: ActionBatch;
  private closed = false;

  constructor(readonly vec: AddImageObservation) {
    this.observationSpace = vec.singleObservationSpace;
    this.actionSpace = vec.singleActionSpace;
    const sub = (vec.inner as SyncVectorEnv).envs[0];
    this.metadata = sub.metadata;
    this.unwrapped = sub.unwrapped;
    this.actions = allocateActions(this.actionSpace, 1);
  }

  async reset(args: ResetArgs = {}): Promise<ResetResult<Record<string, unknown>>> {
    this.assertOpen('reset');
    const r = await this.vec.reset({ seed: args.seed, options: args.options });
    return { obs: this.observation(r.obs), info: infoOf(r.info) };
  }

  async step(action: unknown): Promise<StepResult<Record<string, unknown>>> {
    this.assertOpen('step');
    if (typeof action === 'number') this.actions[0] = action;
    else this.actions.set(action as ArrayLike<number>);
    const r = await this.vec.step(this.actions);
    return { obs: this.observation(r.obs), reward: r.rewards[0], terminated: r.terminated[0] === 1, truncated: r.truncated[0] === 1, info: infoOf(r.info) };
  }

  /** Closes the vector env and its renderer page. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.vec.close();
  }

  private observation(flat: Float32Array): Record<string, unknown> {
    // The Dict's unflatten: the image as a uint8 Box value (Uint8Array [H x W x 3]), the instruction as a string.
    return this.observationSpace.unflatten(flat.subarray(0, this.vec.obsDim)) as Record<string, unknown>;
  }

  private assertOpen(method: string): void {
    if (this.closed) throw new ClosedError(formatError(`ImageObservationEnv.${method}`, 'an open env', 'a closed one', 'Make a new one with makeImageEnv'));
  }
}

/** Sub-env 0's numeric info fields (NaN = not reported). */
function infoOf(info: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) {
    if (k === 'episode' || !(v instanceof Float64Array)) continue;
    if (!Number.isNaN(v[0])) out[k] = k === 'isSuccess' ? v[0] !== 0 : v[0];
  }
  return out;
}

/**
 * A registered MuJoCo task with a camera image in its observation, as one
 * {@link AsyncEnv} (see {@link ImageObservationEnv}); `isSuccess` is passed
 * through. Close it to close the renderer.
 *
 * ```ts
 * const env = await makeImageEnv('LangReach-v0'); // obs { image: Uint8Array [64 x 64 x 3], instruction, state }
 * ```
 */
export async function makeImageEnv(id: string, options: Omit<MakeImageVecOptions, 'infoKeys'> = {}): Promise<ImageObservationEnv> {
  return new ImageObservationEnv(await makeImageVec(id, 1, { ...options, infoKeys: ['isSuccess'] }));
}
