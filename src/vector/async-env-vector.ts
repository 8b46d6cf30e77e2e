import type { AsyncEnv, Env, ResetResult, StepResult } from '../core/env.js';
import { toAsyncEnv } from '../core/env.js';
import type { ActionBatch, VectorResetArgs, VectorResetResult, VectorStepResult } from '../core/vector-env.js';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { BaseVectorEnv, type VectorEnvOptions } from './base-vector-env.js';
import { SubEnvBatch } from './sub-env-batch.js';
import { checkSameSpaces } from './sync-vector-env.js';

/**
 * Vectorizes a set of {@link AsyncEnv}s, e.g. real robots over WebSocket
 * (`RemoteEnv`) or any env that waits on the outside world: each `step`
 * sends every sub-env its action and awaits all of them concurrently, so the
 * batch takes as long as the slowest sub-env, not the sum.
 *
 * Same semantics as `SyncVectorEnv`: next-step autoreset, sub-env i seeded
 * with `seed + i`, episode statistics in `info.episode`, reused result arrays
 * (copy what you keep). Synchronous `Env`s are accepted too (adapted with
 * `toAsyncEnv`).
 *
 * ```ts
 * const vec = new AsyncEnvVector([robotA, robotB]);
 * await vec.reset({ seed: 0 });
 * const r = await vec.step(actions); // both robots step at the same time
 * ```
 */
export class AsyncEnvVector extends BaseVectorEnv {
  /** The sub-envs, in order. */
  readonly envs: readonly AsyncEnv<unknown, unknown>[];
  private readonly batch: SubEnvBatch<AsyncEnv<unknown, unknown>>;
  private readonly pending: Promise<void>[];
  private busy = false;
  private closing: Promise<void> | null = null;

  /** @param envs built sub-envs (AsyncEnv or Env) with equal spaces; the vector env owns and closes them. */
  constructor(envs: ReadonlyArray<AsyncEnv<any, any> | Env<any, any>>, options: VectorEnvOptions = {}) {
    if (!Array.isArray(envs) || envs.length === 0 || !envs.every((e) => e !== null && typeof e === 'object' && typeof e.step === 'function' && typeof e.reset === 'function')) {
      throw new InvalidArgument(formatError('AsyncEnvVector.envs', 'a non-empty array of AsyncEnv or Env objects', describeValue(envs), 'Pass the sub-envs themselves (already connected/built)'));
    }
    const asyncEnvs = envs.map((e) => ('unwrapped' in e ? toAsyncEnv(e as Env<unknown, unknown>) : (e as AsyncEnv<unknown, unknown>)));
    checkSameSpaces('AsyncEnvVector.envs', asyncEnvs);
    super('AsyncEnvVector', asyncEnvs.length, asyncEnvs[0].observationSpace, asyncEnvs[0].actionSpace, options ?? {}, false);
    this.envs = asyncEnvs;
    this.batch = new SubEnvBatch(asyncEnvs, 0, this.numEnvs, this.buffers, this.singleObservationSpace, this.singleActionSpace, this.infoKeys);
    this.pending = new Array<Promise<void>>(this.numEnvs);
  }

  /** Resets every sub-env concurrently (sub-env i seeded with `seed + i`, or `seed[i]`). */
  async reset(args?: VectorResetArgs): Promise<VectorResetResult> {
    this.assertIdle();
    const seeds = this.beginReset(args);
    const options = args?.options;
    await this.runAll((k) => {
      const seed = seeds ? seeds[k] : null;
      return this.envs[k].reset(seed === null ? (options ? { options } : undefined) : { seed, options }).then((r: ResetResult<unknown>) => this.batch.writeReset(k, r));
    });
    return this.finishReset();
  }

  /** Steps every sub-env concurrently; sub-envs whose episode ended on the previous step are reset instead. */
  async step(actions: ActionBatch): Promise<VectorStepResult> {
    this.assertIdle();
    this.beginStep(actions);
    await this.runAll((k) =>
      this.batch.needsAutoreset(k)
        ? this.envs[k].reset().then((r: ResetResult<unknown>) => this.batch.writeReset(k, r))
        : this.envs[k].step(this.batch.actionFor(k)).then((r: StepResult<unknown>) => this.batch.writeStep(k, r)),
    );
    return this.finishStep();
  }

  /** Closes every sub-env (concurrently). Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.lifecycle = 'closed';
      this.closing = Promise.all(this.envs.map((e) => e.close())).then(() => undefined);
    }
    return this.closing;
  }

  private assertIdle(): void {
    if (this.busy) {
      throw new InvalidArgument('AsyncEnvVector: expected the previous reset()/step() to have finished, got a new call while one is pending. Await each call before the next.');
    }
  }

  private async runAll(start: (k: number) => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      for (let k = 0; k < this.numEnvs; k++) {
        try {
          this.pending[k] = start(k);
        } catch (err) {
          this.pending[k] = Promise.reject(err);
        }
      }
      // allSettled: never leave a sub-env call running unobserved when another one fails.
      const results = await Promise.allSettled(this.pending);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        this.markFailed();
        throw failed.reason;
      }
    } finally {
      this.busy = false;
    }
  }
}
