import type { Space } from '../core/spaces/space.js';
import { textRanges, type TextRange } from '../core/spaces/text.js';
import {
  ActionUnbatcher,
  actionLayout,
  type ActionBatch,
  type VectorEnv,
  type VectorInfo,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from '../core/vector-env.js';
import { ClosedError, InvalidArgument, ResetNeeded, formatError, describeValue } from '../core/errors.js';
import { EpisodeStatistics } from './episode-statistics.js';
import { allocateBatchBuffers, type BatchBuffers } from './sub-env-batch.js';

/** Options every vector env accepts. */
export interface VectorEnvOptions {
  /**
   * Numeric (or boolean) `info` fields of the sub-envs to batch: each becomes
   * `info[key]`, a `Float64Array [numEnvs]` holding the value from this step
   * (NaN where a sub-env did not report it). Default: none.
   */
  infoKeys?: readonly string[];
}

type Lifecycle = 'new' | 'ready' | 'failed' | 'closed';

/**
 * What `SyncVectorEnv`, `AsyncVectorEnv` and `AsyncEnvVector` share: the
 * preallocated result arrays, episode statistics, seeding rules and the
 * lifecycle checks (step before reset, step after a failure, use after close).
 *
 * Result arrays are owned by the vector env and overwritten by the next
 * `step`/`reset`: copy what you keep.
 */
export abstract class BaseVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  readonly obsDim: number;
  readonly actDim: number;
  readonly autoresetMode = 'next_step' as const;
  /** The batched `info` keys (see {@link VectorEnvOptions.infoKeys}). */
  readonly infoKeys: readonly string[];
  protected readonly buffers: BatchBuffers;
  protected readonly episodes: EpisodeStatistics;
  protected lifecycle: Lifecycle = 'new';
  private readonly where: string;
  private readonly unbatcher: ActionUnbatcher;
  private readonly info: VectorInfo;
  protected readonly stepResult: VectorStepResult;
  private readonly resetResult: VectorResetResult;
  /** The `Text` parts of the observation space and the strings decoded from them (one per sub-env). */
  private readonly textParts: ReadonlyArray<{ range: TextRange; values: string[] }>;

  protected constructor(
    where: string,
    numEnvs: number,
    observationSpace: Space<unknown>,
    actionSpace: Space<unknown>,
    options: VectorEnvOptions,
    sharedMemory: boolean,
  ) {
    this.where = where;
    this.numEnvs = numEnvs;
    this.singleObservationSpace = observationSpace;
    this.singleActionSpace = actionSpace;
    this.obsDim = observationSpace.flatDim;
    this.actDim = actionLayout(actionSpace).actDim;
    this.infoKeys = checkInfoKeys(`${where}.options.infoKeys`, options.infoKeys);
    this.unbatcher = new ActionUnbatcher(actionSpace, numEnvs);
    this.buffers = allocateBatchBuffers(numEnvs, this.obsDim, actionSpace, this.infoKeys.length, sharedMemory);
    this.episodes = new EpisodeStatistics(numEnvs);
    this.info = {};
    this.infoKeys.forEach((key, j) => {
      this.info[key] = this.buffers.infoValues.subarray(j * numEnvs, (j + 1) * numEnvs);
    });
    const b = this.buffers;
    this.stepResult = { obs: b.obs, rewards: b.rewards, terminated: b.terminated, truncated: b.truncated, info: this.info };
    this.resetResult = { obs: b.obs, info: this.info };
    this.textParts = textRanges(observationSpace).map((range) => ({ range, values: new Array<string>(numEnvs).fill('') }));
    if (this.textParts.length > 0) {
      const text = Object.fromEntries(this.textParts.map((p) => [p.range.key || 'obs', p.values]));
      this.stepResult.text = text;
      this.resetResult.text = text;
    }
  }

  /** Decodes the `Text` parts of every sub-env's flat observation into `text` (no work without text). */
  private decodeText(): void {
    const b = this.buffers;
    for (const { range, values } of this.textParts) {
      for (let i = 0; i < this.numEnvs; i++) values[i] = range.space.unflatten(b.obs, i * this.obsDim + range.offset);
    }
  }

  abstract reset(args?: VectorResetArgs): Promise<VectorResetResult>;
  abstract step(actions: ActionBatch): Promise<VectorStepResult>;
  abstract close(): Promise<void>;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.lifecycle === 'closed';
  }

  /** Checks the vector env is open and the reset arguments; returns one seed (or null) per sub-env. */
  protected beginReset(args: VectorResetArgs | undefined): (number | null)[] | null {
    this.assertOpen('reset');
    if (args !== undefined && (args === null || typeof args !== 'object')) {
      throw new InvalidArgument(formatError(`${this.where}.reset`, 'an object { seed?, options? }', describeValue(args), 'Pass e.g. { seed: 42 }'));
    }
    const seed = args?.seed;
    if (seed === undefined) return null;
    if (typeof seed === 'number') {
      if (!Number.isSafeInteger(seed)) {
        throw new InvalidArgument(formatError(`${this.where}.reset.seed`, 'a safe integer or an array of numEnvs safe integers', describeValue(seed), 'Pass e.g. { seed: 42 } (sub-env i gets seed + i)'));
      }
      return Array.from({ length: this.numEnvs }, (_, i) => seed + i);
    }
    if (!Array.isArray(seed) || seed.length !== this.numEnvs || !seed.every((s) => Number.isSafeInteger(s))) {
      throw new InvalidArgument(
        formatError(`${this.where}.reset.seed`, `a safe integer or an array of ${this.numEnvs} safe integers (one per sub-env)`, describeValue(seed), 'Pass one seed, or exactly numEnvs seeds'),
      );
    }
    return seed.slice();
  }

  /** Marks a successful reset and returns the (reused) reset result. */
  protected finishReset(): VectorResetResult {
    this.lifecycle = 'ready';
    this.episodes.reset();
    this.info.episode = undefined;
    this.decodeText();
    return this.resetResult;
  }

  /** Lifecycle and action checks of `step`; copies `actions` into the action buffer sub-envs read. */
  protected beginStep(actions: ActionBatch): void {
    this.assertOpen('step');
    if (this.lifecycle === 'new') {
      throw new ResetNeeded(`${this.where}.step: expected reset() before step(), got step() on a vector env that was never reset. Call await vec.reset() first.`);
    }
    if (this.lifecycle === 'failed') {
      throw new ResetNeeded(`${this.where}.step: expected reset() after a failed step or reset, got step(). Call await vec.reset() to restart every sub-env.`);
    }
    this.unbatcher.check(`${this.where}.step.actions`, actions);
    this.buffers.actions.set(actions);
  }

  /** Updates episode statistics from the result buffers and returns the (reused) step result. */
  protected finishStep(): VectorStepResult {
    const b = this.buffers;
    const ended = this.episodes.update(b.rewards, b.terminated, b.truncated, b.success);
    this.info.episode = ended ? this.episodes.stats : undefined;
    this.decodeText();
    return this.stepResult;
  }

  /** Call when a reset/step threw: the sub-envs are in an unknown state until the next reset. */
  protected markFailed(): void {
    if (this.lifecycle !== 'closed') this.lifecycle = 'failed';
  }

  protected assertOpen(method: string): void {
    if (this.lifecycle === 'closed') {
      throw new ClosedError(`${this.where}.${method}: expected an open vector env, got one that was closed. Create a new vector env.`);
    }
  }
}

function checkInfoKeys(where: string, keys: unknown): readonly string[] {
  if (keys === undefined) return [];
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && k !== 'episode')) {
    throw new InvalidArgument(formatError(where, "an array of info field names (strings other than 'episode')", describeValue(keys), "Pass e.g. ['isSuccess']"));
  }
  return Object.freeze(keys.slice());
}
