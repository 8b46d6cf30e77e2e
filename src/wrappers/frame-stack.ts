import type { Env, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import { Wrapper } from '../core/wrapper.js';
import { Box, type BoxArray } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { MultiDiscrete } from '../core/spaces/multi-discrete.js';
import type { Space } from '../core/spaces/space.js';
import { InvalidArgument, InvalidSpace, formatError, describeValue } from '../core/errors.js';

/** A stacked observation: `[stackSize x ...obsShape]` row-major, oldest frame first. */
export type StackedObs = BoxArray | Int32Array;

/** Options of {@link FrameStack}. */
export interface FrameStackOptions {
  /**
   * What fills the stack after `reset` (Gymnasium's `padding_type`):
   * `'reset'` (default) repeats the first observation, `'zero'` uses zeros,
   * or pass a value of the observation space.
   */
  padding?: 'reset' | 'zero' | ArrayLike<number> | number;
}

/**
 * Stacks the last `stackSize` observations (Gymnasium 1.x
 * `FrameStackObservation`). For a `Box` observation of shape `S` the new
 * space is a `Box` of shape `[stackSize, ...S]` (bounds repeated); for
 * `Discrete(n)` it is `MultiDiscrete([n, ..., n])`. After `reset` the stack
 * holds `stackSize - 1` padding frames then the first observation. Each
 * returned observation is a new array (owned by the caller).
 */
export class FrameStack<Act> extends Wrapper<StackedObs, Act, unknown, Act> {
  readonly stackSize: number;
  readonly paddingType: 'reset' | 'zero' | 'custom';
  private readonly frameSize: number;
  private readonly makeStacked: () => StackedObs;
  /** Ring buffer of frames (flat values), `frames[(head + i) % stackSize]` is the i-th oldest. */
  private readonly frames: Float64Array[];
  private head = 0;
  private readonly padValue: Float64Array | null;

  constructor(env: Env<unknown, Act>, stackSize: number, options: FrameStackOptions = {}) {
    super(env);
    if (!Number.isInteger(stackSize) || stackSize <= 0) {
      throw new InvalidArgument(formatError('FrameStack.stackSize', 'a positive integer', describeValue(stackSize), 'Pass e.g. 4'));
    }
    this.stackSize = stackSize;
    const inner = env.observationSpace as Space<unknown>;
    if (inner instanceof Box) {
      const n = inner.flatDim;
      const low = new Float64Array(n * stackSize);
      const high = new Float64Array(n * stackSize);
      for (let k = 0; k < stackSize; k++) {
        low.set(inner.low, k * n);
        high.set(inner.high, k * n);
      }
      const stacked = new Box(low, high, [stackSize, ...inner.shape], inner.dtype);
      this.frameSize = n;
      this.makeStacked = () => stacked.unflatten(new Float64Array(n * stackSize));
      this.observationSpace = stacked as Space<StackedObs>;
    } else if (inner instanceof Discrete) {
      const stacked = new MultiDiscrete(new Array(stackSize).fill(inner.n), new Array(stackSize).fill(inner.start));
      this.frameSize = 1;
      this.makeStacked = () => new Int32Array(stackSize);
      this.observationSpace = stacked as Space<StackedObs>;
    } else {
      throw new InvalidSpace(
        formatError('FrameStack.env.observationSpace', 'a Box or Discrete', inner?.toString(), 'Wrap with FlattenObservation first for Dict/Tuple observations'),
      );
    }
    this.frames = Array.from({ length: stackSize }, () => new Float64Array(this.frameSize));
    const padding = options.padding ?? 'reset';
    if (padding === 'reset' || padding === 'zero') {
      this.paddingType = padding;
      this.padValue = padding === 'zero' ? new Float64Array(this.frameSize) : null;
    } else {
      const why = inner.explain(padding);
      if (why !== null) {
        throw new InvalidArgument(
          formatError('FrameStack.padding', `'reset', 'zero' or a value of ${inner.toString()}`, `${describeValue(padding)} (${why})`, "Omit it for 'reset'"),
        );
      }
      this.paddingType = 'custom';
      this.padValue = new Float64Array(this.frameSize);
      writeFrame(padding as ArrayLike<number> | number, this.padValue);
    }
  }

  override reset(args?: ResetArgs): ResetResult<StackedObs> {
    const { obs, info } = this.env.reset(args);
    const last = this.frames[this.stackSize - 1];
    writeFrame(obs as ArrayLike<number> | number, last);
    for (let k = 0; k < this.stackSize - 1; k++) this.frames[k].set(this.padValue ?? last);
    this.head = 0;
    return { obs: this.stacked(), info };
  }

  override step(action: Act): StepResult<StackedObs> {
    const r = this.env.step(action);
    // Overwrite the oldest frame and advance the ring.
    writeFrame(r.obs as ArrayLike<number> | number, this.frames[this.head]);
    this.head = (this.head + 1) % this.stackSize;
    return { obs: this.stacked(), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }

  private stacked(): StackedObs {
    const out = this.makeStacked();
    const n = this.frameSize;
    for (let i = 0; i < this.stackSize; i++) {
      const f = this.frames[(this.head + i) % this.stackSize];
      for (let j = 0; j < n; j++) out[i * n + j] = f[j];
    }
    return out;
  }
}

function writeFrame(obs: ArrayLike<number> | number, out: Float64Array): void {
  if (typeof obs === 'number') out[0] = obs;
  else for (let j = 0; j < out.length; j++) out[j] = obs[j];
}
