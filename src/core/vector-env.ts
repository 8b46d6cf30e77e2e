import type { Space } from './spaces/space.js';
import { Box } from './spaces/box.js';
import { Discrete } from './spaces/discrete.js';
import { MultiDiscrete } from './spaces/multi-discrete.js';
import { MultiBinary } from './spaces/multi-binary.js';
import { InvalidSpace, InvalidAction, formatError, describeValue } from './errors.js';

/**
 * A batch of actions, one row per sub-env: `Float32Array [numEnvs x actDim]`
 * for `Box`, `Int32Array [numEnvs x actDim]` for `Discrete` (actDim 1),
 * `MultiDiscrete` and `MultiBinary`.
 */
export type ActionBatch = Float32Array | Int32Array;

/** Episode statistics of sub-envs whose episode ended on this step (mask = 1 there). */
export interface EpisodeStats {
  /** Undiscounted return, `Float64Array [numEnvs]`. */
  r: Float64Array;
  /** Length in steps, `Int32Array [numEnvs]`. */
  l: Int32Array;
  /** Wall-clock seconds since the vector env was created, `Float64Array [numEnvs]`. */
  t: Float64Array;
  /** `info.isSuccess` of the final step: 1, 0, or -1 when the task does not report it. `Int8Array [numEnvs]`. */
  success: Int8Array;
  /** 1 where an episode ended on this step. `Uint8Array [numEnvs]`. */
  mask: Uint8Array;
}

/** Vector `info`: episode statistics plus env-specific fields. */
export interface VectorInfo {
  episode?: EpisodeStats;
  [key: string]: unknown;
}

export interface VectorResetArgs {
  /** One seed (sub-env i gets `seed + i`, as Gymnasium) or one per sub-env. */
  seed?: number | readonly number[];
  options?: Record<string, unknown>;
}

export interface VectorResetResult {
  /** `Float32Array [numEnvs x obsDim]`, flattened with the single observation space. */
  obs: Float32Array;
  info: VectorInfo;
  /** Present when the observation space has `Text` parts: by key (`'obs'` for a whole `Text` space), one string per sub-env. */
  text?: Readonly<Record<string, string[]>>;
  /** Present when images are observed (see `AddImageObservation`): by key, `Uint8Array [numEnvs x H x W x 3]`. */
  images?: Readonly<Record<string, Uint8Array>>;
}

/**
 * Result of a vector step. The arrays are owned by the vector env and
 * overwritten by the next call: copy what you keep.
 */
export interface VectorStepResult {
  /** `Float32Array [numEnvs x obsDim]`. */
  obs: Float32Array;
  /** `Float64Array [numEnvs]`. */
  rewards: Float64Array;
  /** `Uint8Array [numEnvs]`, 1 = terminated. */
  terminated: Uint8Array;
  /** `Uint8Array [numEnvs]`, 1 = truncated. */
  truncated: Uint8Array;
  info: VectorInfo;
  /**
   * Present when the observation space has `Text` parts (an instruction):
   * by key (`'obs'` for a whole `Text` space), one string per sub-env,
   * decoded from `obs`, where each text is its charset indices (Gymnasium's
   * flatten of `Text`). Reused like the arrays.
   */
  text?: Readonly<Record<string, string[]>>;
  /**
   * Present when images are observed (see `AddImageObservation`): by key,
   * `Uint8Array [numEnvs x H x W x 3]` (the same pixels also lie, as
   * numbers 0-255, in `obs` at the image's place in the Dict). Reused like the arrays.
   */
  images?: Readonly<Record<string, Uint8Array>>;
}

/**
 * The batched, asynchronous env interface agents train against (Gymnasium
 * 1.x `VectorEnv`, autoreset mode "next-step"): when sub-env i ends on step
 * t (terminated or truncated), step t returns its true final observation;
 * on step t+1 its action is ignored and it is reset, returning the first
 * observation of the new episode with reward 0 and both flags 0.
 */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  /** `singleObservationSpace.flatDim`. */
  readonly obsDim: number;
  /** Numbers per sub-env in an `ActionBatch` (see {@link actionLayout}). */
  readonly actDim: number;
  readonly autoresetMode: 'next_step';
  reset(args?: VectorResetArgs): Promise<VectorResetResult>;
  step(actions: ActionBatch): Promise<VectorStepResult>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** How one action of `space` is laid out in an {@link ActionBatch}. */
export interface ActionLayout {
  /** Numbers per sub-env. */
  actDim: number;
  /** Float32Array (Box) or Int32Array (discrete kinds). */
  dtype: 'float32' | 'int32';
}

/** The batch layout of `space`, or an `InvalidSpace` error for spaces a vector env cannot batch. */
export function actionLayout(space: Space<unknown>): ActionLayout {
  if (space instanceof Box) return { actDim: space.flatDim, dtype: 'float32' };
  if (space instanceof Discrete) return { actDim: 1, dtype: 'int32' };
  if (space instanceof MultiDiscrete) return { actDim: space.nvec.length, dtype: 'int32' };
  if (space instanceof MultiBinary) return { actDim: space.flatDim, dtype: 'int32' };
  throw new InvalidSpace(
    formatError('actionLayout', 'a Box, Discrete, MultiDiscrete or MultiBinary action space', space.toString(), 'Wrap the env to flatten Dict/Tuple actions'),
  );
}

/** Allocates an empty action batch for `numEnvs` sub-envs. */
export function allocateActions(space: Space<unknown>, numEnvs: number): ActionBatch {
  const { actDim, dtype } = actionLayout(space);
  return dtype === 'float32' ? new Float32Array(numEnvs * actDim) : new Int32Array(numEnvs * actDim);
}

/**
 * Per-sub-env views into an action batch, preallocated once so a vector env
 * hands each sub-env its action without allocating per step.
 */
export class ActionUnbatcher {
  private readonly space: Space<unknown>;
  private readonly layout: ActionLayout;
  private readonly numEnvs: number;

  constructor(space: Space<unknown>, numEnvs: number) {
    this.space = space;
    this.layout = actionLayout(space);
    this.numEnvs = numEnvs;
  }

  /** Checks the batch's type and length; throws `InvalidAction` naming both. */
  check(where: string, actions: unknown): asserts actions is ActionBatch {
    const want = this.layout.dtype === 'float32' ? Float32Array : Int32Array;
    const n = this.numEnvs * this.layout.actDim;
    if (!(actions instanceof want) || actions.length !== n) {
      throw new InvalidAction(
        formatError(
          where,
          `${want.name} [numEnvs x actDim] = [${this.numEnvs} x ${this.layout.actDim}] for ${this.space.toString()}`,
          describeValue(actions),
          'Allocate it with allocateActions(env.singleActionSpace, env.numEnvs)',
        ),
      );
    }
  }

  /** The action of sub-env `i`: a number for Discrete, else a subarray view (valid until the batch changes). */
  get(actions: ActionBatch, i: number): unknown {
    const d = this.layout.actDim;
    if (this.space instanceof Discrete) return actions[i];
    if (this.space instanceof MultiBinary) return Int8Array.from(actions.subarray(i * d, (i + 1) * d));
    return actions.subarray(i * d, (i + 1) * d);
  }
}
