import type { AsyncEnv, Env, Info, ResetResult, StepResult } from '../core/env.js';
import type { Space } from '../core/spaces/space.js';
import { Discrete } from '../core/spaces/discrete.js';
import { MultiBinary } from '../core/spaces/multi-binary.js';
import { actionLayout, type ActionBatch } from '../core/vector-env.js';

/**
 * The batch arrays one vector env writes into, each covering ALL sub-envs
 * (row i = sub-env i). In `AsyncVectorEnv` they are views of
 * SharedArrayBuffers, so workers write results where the main thread reads them.
 */
export interface BatchBuffers {
  /** `Float32Array [numEnvs x obsDim]`. */
  obs: Float32Array;
  /** `Float64Array [numEnvs]`. */
  rewards: Float64Array;
  /** `Uint8Array [numEnvs]`. */
  terminated: Uint8Array;
  /** `Uint8Array [numEnvs]`. */
  truncated: Uint8Array;
  /** `Int8Array [numEnvs]`: `info.isSuccess` of the last step, 1 / 0, or -1 when absent. */
  success: Int8Array;
  /** `Float64Array [infoKeys.length x numEnvs]`: numeric `info[key]` of the last step, NaN when absent. */
  infoValues: Float64Array;
  /** `ActionBatch [numEnvs x actDim]` read by `step` (a fixed buffer: views into it are made once). */
  actions: ActionBatch;
}

/** Allocates {@link BatchBuffers}, on plain or shared memory. */
export function allocateBatchBuffers(
  numEnvs: number,
  obsDim: number,
  actionSpace: Space<unknown>,
  numInfoKeys: number,
  shared: boolean,
): BatchBuffers {
  const mem = (bytes: number): ArrayBuffer => (shared ? (new SharedArrayBuffer(bytes) as unknown as ArrayBuffer) : new ArrayBuffer(bytes));
  const { actDim, dtype } = actionLayout(actionSpace);
  return {
    obs: new Float32Array(mem(4 * numEnvs * obsDim)),
    rewards: new Float64Array(mem(8 * numEnvs)),
    terminated: new Uint8Array(mem(numEnvs)),
    truncated: new Uint8Array(mem(numEnvs)),
    success: new Int8Array(mem(numEnvs)).fill(-1),
    infoValues: new Float64Array(mem(8 * numInfoKeys * numEnvs)),
    actions: dtype === 'float32' ? new Float32Array(mem(4 * numEnvs * actDim)) : new Int32Array(mem(4 * numEnvs * actDim)),
  };
}

/**
 * Runs a contiguous slice of sub-envs (`first .. first + envs.length - 1`)
 * synchronously with Gymnasium 1.x next-step autoreset, writing results into
 * {@link BatchBuffers}. Used by `SyncVectorEnv` (all sub-envs), by each
 * `AsyncVectorEnv` worker (its slice) and, one sub-env at a time, by
 * `AsyncEnvVector`.
 *
 * Hot path: per-sub-env action views are made once; a step allocates nothing
 * beyond what the sub-envs themselves return.
 */
export class SubEnvBatch<E extends Env<unknown, unknown> | AsyncEnv<unknown, unknown> = Env<unknown, unknown>> {
  readonly envs: readonly E[];
  readonly first: number;
  /** Index of the sub-env whose reset/step threw last, or -1. */
  failedIndex = -1;
  private readonly buf: BatchBuffers;
  private readonly obsSpace: Space<unknown>;
  private readonly obsDim: number;
  private readonly numEnvs: number;
  private readonly infoKeys: readonly string[];
  private readonly actionViews: unknown[];
  private readonly isDiscrete: boolean;
  private readonly binaryScratch: Int8Array[] | null;
  /** 1 where the sub-env's episode ended on the previous step: it is reset on the next one. */
  private readonly autoreset: Uint8Array;

  /**
   * @param envs the sub-envs of this slice.
   * @param first global index of `envs[0]`.
   * @param numEnvs total sub-envs in the vector env (buffer rows).
   */
  constructor(
    envs: readonly E[],
    first: number,
    numEnvs: number,
    buffers: BatchBuffers,
    observationSpace: Space<unknown>,
    actionSpace: Space<unknown>,
    infoKeys: readonly string[],
  ) {
    this.envs = envs;
    this.first = first;
    this.numEnvs = numEnvs;
    this.buf = buffers;
    this.obsSpace = observationSpace;
    this.obsDim = observationSpace.flatDim;
    this.infoKeys = infoKeys;
    this.autoreset = new Uint8Array(envs.length);
    const { actDim } = actionLayout(actionSpace);
    this.isDiscrete = actionSpace instanceof Discrete;
    this.binaryScratch = actionSpace instanceof MultiBinary ? envs.map(() => new Int8Array(actDim)) : null;
    this.actionViews = envs.map((_, k) => {
      const i = first + k;
      return buffers.actions.subarray(i * actDim, (i + 1) * actDim);
    });
  }

  /** True when sub-env `k` (local index) will be reset instead of stepped on the next step. */
  needsAutoreset(k: number): boolean {
    return this.autoreset[k] === 1;
  }

  /** The action of local sub-env `k` in `buffers.actions`: a number (Discrete) or a fixed view. */
  actionFor(k: number): unknown {
    if (this.isDiscrete) return this.buf.actions[this.first + k];
    if (this.binaryScratch) {
      const out = this.binaryScratch[k];
      out.set(this.actionViews[k] as Int32Array);
      return out;
    }
    return this.actionViews[k];
  }

  /**
   * Resets every sub-env of the slice.
   * @param seeds one entry per sub-env of the WHOLE vector env (global index), null for "no seed"; or null.
   */
  reset(this: SubEnvBatch<Env<unknown, unknown>>, seeds: readonly (number | null)[] | null, options: Record<string, unknown> | undefined): void {
    for (let k = 0; k < this.envs.length; k++) {
      const seed = seeds ? seeds[this.first + k] : null;
      this.failedIndex = this.first + k;
      const r = this.envs[k].reset(seed === null ? (options ? { options } : undefined) : { seed, options });
      this.writeReset(k, r);
    }
    this.failedIndex = -1;
  }

  /** One step of every sub-env of the slice, reading actions from `buffers.actions`. */
  step(this: SubEnvBatch<Env<unknown, unknown>>): void {
    for (let k = 0; k < this.envs.length; k++) {
      this.failedIndex = this.first + k;
      if (this.autoreset[k] === 1) this.writeReset(k, this.envs[k].reset());
      else this.writeStep(k, this.envs[k].step(this.actionFor(k)));
    }
    this.failedIndex = -1;
  }

  /** Writes the result of a `reset` (explicit or autoreset) of local sub-env `k`: reward 0, flags 0. */
  writeReset(k: number, r: ResetResult<unknown>): void {
    this.autoreset[k] = 0;
    this.writeRow(k, r.obs, 0, false, false, r.info);
  }

  /** Writes the result of a `step` of local sub-env `k` and arms its autoreset when the episode ended. */
  writeStep(k: number, r: StepResult<unknown>): void {
    this.autoreset[k] = r.terminated || r.truncated ? 1 : 0;
    this.writeRow(k, r.obs, r.reward, r.terminated, r.truncated, r.info);
  }

  /** Closes every (synchronous) sub-env; each close is idempotent. */
  close(this: SubEnvBatch<Env<unknown, unknown>>): void {
    for (const env of this.envs) env.close();
  }

  private writeRow(k: number, obs: unknown, reward: number, terminated: boolean, truncated: boolean, info: Info): void {
    const i = this.first + k;
    const b = this.buf;
    this.obsSpace.flattenInto(obs, b.obs, i * this.obsDim);
    b.rewards[i] = reward;
    b.terminated[i] = terminated ? 1 : 0;
    b.truncated[i] = truncated ? 1 : 0;
    const s = info.isSuccess;
    b.success[i] = s === undefined || s === null ? -1 : s ? 1 : 0;
    for (let j = 0; j < this.infoKeys.length; j++) {
      const v = info[this.infoKeys[j]];
      b.infoValues[j * this.numEnvs + i] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : NaN;
    }
  }
}
