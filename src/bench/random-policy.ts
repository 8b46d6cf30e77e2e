import type { Policy } from '../core/policy.js';
import type { Space } from '../core/spaces/space.js';
import { Rng } from '../core/rng.js';
import { allocateActions, type ActionBatch } from '../core/vector-env.js';

/**
 * Uniformly random actions (`actionSpace.sample(rng)` per row) from a seeded
 * {@link Rng}: the "random" reference of `lamkit bench` (score 0 of the
 * normalized scale). Same seed, same actions.
 */
export class RandomPolicy implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  private readonly rng: Rng;
  private readonly obsDim: number;
  private readonly perRow: number;
  private batch: ActionBatch;

  constructor(spaces: { observationSpace: Space<unknown>; actionSpace: Space<unknown> }, seed: number) {
    this.observationSpace = spaces.observationSpace;
    this.actionSpace = spaces.actionSpace;
    this.rng = new Rng(seed);
    this.obsDim = spaces.observationSpace.flatDim;
    this.batch = allocateActions(this.actionSpace, 1);
    this.perRow = this.batch.length;
  }

  /** @param obs `Float32Array [rows x obsDim]`; @returns one sampled action per row (the batch is reused between calls). */
  act(obs: Float32Array): ActionBatch {
    const rows = Math.max(1, Math.round(obs.length / Math.max(1, this.obsDim)));
    if (this.batch.length !== rows * this.perRow) this.batch = allocateActions(this.actionSpace, rows);
    for (let r = 0; r < rows; r++) {
      const a = this.actionSpace.sample(this.rng);
      if (typeof a === 'number') this.batch[r * this.perRow] = a;
      else this.batch.set(a as ArrayLike<number>, r * this.perRow);
    }
    return this.batch;
  }
}
