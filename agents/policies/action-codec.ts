import type { Space } from '../../src/core/spaces/space.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { MultiDiscrete } from '../../src/core/spaces/multi-discrete.js';
import { MultiBinary } from '../../src/core/spaces/multi-binary.js';
import { InvalidSpace, formatError } from '../../src/core/errors.js';
import type { ActionBatch } from '../../src/core/vector-env.js';
import type { HeadSpec } from './param-layout.js';

/**
 * Maps between an action space and a policy head: which distribution fits
 * it, and how stored actions (category indices from 0, raw Gaussian
 * samples) become an env `ActionBatch` (values with the space's `start`;
 * Gaussian samples clipped to the Box bounds, as SB3 does).
 */
export class ActionCodec {
  readonly space: Space<unknown>;
  readonly head: HeadSpec;
  /** Numbers per stored action. */
  readonly actDim: number;
  private readonly offset: Int32Array | null;
  private readonly low: Float64Array | null;
  private readonly high: Float64Array | null;

  constructor(space: Space<unknown>) {
    this.space = space;
    if (space instanceof Discrete) {
      this.head = { kind: 'categorical', nvec: [space.n] };
      this.offset = Int32Array.of(space.start);
    } else if (space instanceof MultiDiscrete) {
      this.head = { kind: 'categorical', nvec: Array.from(space.nvec) };
      this.offset = Int32Array.from(space.start);
    } else if (space instanceof MultiBinary) {
      this.head = { kind: 'categorical', nvec: new Array<number>(space.flatDim).fill(2) };
      this.offset = new Int32Array(space.flatDim);
    } else if (space instanceof Box) {
      this.head = { kind: 'gaussian', dim: space.flatDim };
      this.offset = null;
    } else {
      throw new InvalidSpace(formatError('ActionCodec.space', 'a Box, Discrete, MultiDiscrete or MultiBinary action space', space.toString(), 'Flatten Dict/Tuple action spaces with a wrapper first'));
    }
    this.actDim = this.head.kind === 'categorical' ? this.head.nvec.length : this.head.dim;
    this.low = space instanceof Box ? space.low : null;
    this.high = space instanceof Box ? space.high : null;
  }

  /** A Box space's bounds as plain arrays (what a binned head discretizes), else null. */
  get bounds(): { low: number[]; high: number[] } | null {
    return this.low && this.high ? { low: Array.from(this.low), high: Array.from(this.high) } : null;
  }

  /** Writes env actions for `rows` stored actions `[rows x actDim]` into `out` (an ActionBatch of the space). */
  toEnvActions(stored: Float32Array, rows: number, out: ActionBatch): void {
    const d = this.actDim;
    if (this.offset !== null) {
      for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) out[r * d + j] = stored[r * d + j] + this.offset[j];
      return;
    }
    const lo = this.low as Float64Array;
    const hi = this.high as Float64Array;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        const a = stored[r * d + j];
        out[r * d + j] = a < lo[j] ? lo[j] : a > hi[j] ? hi[j] : a;
      }
    }
  }
}
