import type { Env } from '../core/env.js';
import { ObservationWrapper } from '../core/wrapper.js';
import { Box } from '../core/spaces/box.js';
import { Discrete } from '../core/spaces/discrete.js';
import { MultiDiscrete } from '../core/spaces/multi-discrete.js';
import { MultiBinary } from '../core/spaces/multi-binary.js';
import { Dict } from '../core/spaces/dict.js';
import { Tuple } from '../core/spaces/tuple.js';
import type { Space } from '../core/spaces/space.js';

/**
 * Flattens any observation into a `Float32Array [flatDim]` with
 * `space.flatten` (Gymnasium's `FlattenObservation`): Box values row-major,
 * discrete parts one-hot, Dict entries in sorted-key order, Tuple entries in
 * order. The new space is a float32 `Box` whose bounds are the flattened
 * bounds (`[0, 1]` for one-hot parts).
 */
export class FlattenObservation<InnerObs, Act> extends ObservationWrapper<Float32Array, Act, InnerObs> {
  private readonly inner: Space<InnerObs>;

  constructor(env: Env<InnerObs, Act>) {
    super(env);
    this.inner = env.observationSpace;
    const n = this.inner.flatDim;
    const low = new Float64Array(n);
    const high = new Float64Array(n);
    flatBounds(this.inner as Space<unknown>, low, high, 0);
    this.observationSpace = new Box<Float32Array>(low, high, [n], 'float32');
  }

  observation(obs: InnerObs): Float32Array {
    return this.inner.flatten(obs);
  }
}

/** Writes the flattened lower/upper bounds of `space` at `offset`; returns the next offset. */
function flatBounds(space: Space<unknown>, low: Float64Array, high: Float64Array, offset: number): number {
  if (space instanceof Box) {
    low.set(space.low, offset);
    high.set(space.high, offset);
    return offset + space.flatDim;
  }
  if (space instanceof Discrete || space instanceof MultiDiscrete || space instanceof MultiBinary) {
    high.fill(1, offset, offset + space.flatDim);
    return offset + space.flatDim;
  }
  if (space instanceof Dict) {
    let o = offset;
    for (const k of space.keys) o = flatBounds(space.spaces[k], low, high, o);
    return o;
  }
  if (space instanceof Tuple) {
    let o = offset;
    for (const s of space.spaces) o = flatBounds(s, low, high, o);
    return o;
  }
  // Unknown custom space: unbounded.
  low.fill(-Infinity, offset, offset + space.flatDim);
  high.fill(Infinity, offset, offset + space.flatDim);
  return offset + space.flatDim;
}
