import type { Space } from './spaces/space.js';
import type { ActionBatch } from './vector-env.js';

/** Options for one policy call. */
export interface ActOptions {
  /** Take the mode of the action distribution instead of sampling (evaluation). */
  deterministic?: boolean;
}

/**
 * Anything that maps a batch of observations to a batch of actions: a
 * trained network, a scripted expert, a remote policy. Evaluation, the
 * policy server and the benchmark suite accept any `Policy`.
 */
export interface Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  /**
   * @param obs `Float32Array [numEnvs x obsDim]`, flattened observations.
   * @returns actions, laid out as an `ActionBatch` for `actionSpace`.
   */
  act(obs: Float32Array, options?: ActOptions): ActionBatch | Promise<ActionBatch>;
  /** Sub-env `envIndex` started a new episode (history-based policies clear its context). */
  resetEpisode?(envIndex: number): void;
  /** Releases tensors or other resources. Idempotent. */
  dispose?(): void;
}
