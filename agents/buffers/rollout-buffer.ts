import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

/**
 * On-policy rollout storage shaped (steps, envs, ...) like SB3's
 * `RolloutBuffer`, for a vector env in Gymnasium 1.x "next-step" autoreset
 * mode. Row `t` holds, for each sub-env, the observation the policy saw, the
 * action it took, and what `vec.step` returned for it.
 *
 * Next-step autoreset: when sub-env i ends at step t, `vec.step` at t
 * returns its TRUE final observation; at t+1 the env ignores the action and
 * resets. So (a) `values[t+1, i]` is V(final observation), exactly the
 * bootstrap a truncated step needs (SB3 issue #633), and (b) the step t+1
 * transition is not a real one: it is marked invalid (`valid = 0`) and kept
 * out of training and advantage statistics.
 */
export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** `Float32Array [steps x envs x obsDim]`: observations fed to the policy (normalized if enabled). */
  readonly obs: Float32Array;
  /** `Float32Array [steps x envs x obsDim]`: the same observations as the env returned them (before normalization): what a learned reward reads. */
  readonly rawObs: Float32Array;
  /** `Float32Array [envs x obsDim]`: the raw observation after the last step (the next observation of row `steps - 1`). */
  readonly lastRawObs: Float32Array;
  /** `Uint8Array [steps x envs]`: 1 where the row's observation is the first of an episode (sequence policies cut their history there). */
  readonly episodeStarts: Uint8Array;
  /** `Float64Array [steps x envs]`: the env's own reward (episode statistics; `rewards` may be relabelled and scaled). */
  readonly envRewards: Float64Array;
  /** `Float32Array [steps x envs x actDim]`: stored actions (indices or raw Gaussian samples). */
  readonly actions: Float32Array;
  /** `Float64Array [steps x envs]`: log-prob of the action under the rollout policy. */
  readonly logProbs: Float64Array;
  /** `Float64Array [steps x envs]`: the reward trained on: the env's, or a learned reward's (PPO's reward hook), then scaled if enabled. */
  readonly rewards: Float64Array;
  /** `Float64Array [steps x envs]`: V(obs) under the rollout policy. */
  readonly values: Float64Array;
  /** `Uint8Array [steps x envs]`: the step ended the episode in a terminal state. */
  readonly terminated: Uint8Array;
  /** `Uint8Array [steps x envs]`: the step ended the episode by truncation. */
  readonly truncated: Uint8Array;
  /** `Uint8Array [steps x envs]`: 0 for next-step autoreset steps (not real transitions). */
  readonly valid: Uint8Array;
  /** `Float64Array [steps x envs]`: GAE(lambda) advantages (0 where invalid). */
  readonly advantages: Float64Array;
  /** `Float64Array [steps x envs]`: advantages + values (the critic's targets). */
  readonly returns: Float64Array;

  constructor(numSteps: number, numEnvs: number, obsDim: number, actDim: number) {
    for (const [name, v] of [['numSteps', numSteps], ['numEnvs', numEnvs], ['obsDim', obsDim], ['actDim', actDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new InvalidArgument(formatError(`RolloutBuffer.${name}`, 'a positive integer', describeValue(v)));
    }
    this.numSteps = numSteps;
    this.numEnvs = numEnvs;
    this.obsDim = obsDim;
    this.actDim = actDim;
    const n = numSteps * numEnvs;
    this.obs = new Float32Array(n * obsDim);
    this.rawObs = new Float32Array(n * obsDim);
    this.lastRawObs = new Float32Array(numEnvs * obsDim);
    this.episodeStarts = new Uint8Array(n);
    this.envRewards = new Float64Array(n);
    this.actions = new Float32Array(n * actDim);
    this.logProbs = new Float64Array(n);
    this.rewards = new Float64Array(n);
    this.values = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.valid = new Uint8Array(n);
    this.advantages = new Float64Array(n);
    this.returns = new Float64Array(n);
  }

  /**
   * Generalized advantage estimation (Schulman et al. 2016, arXiv:1506.02438),
   * backwards over the rollout:
   *
   *   delta_t = r_t + gamma * V(s_{t+1}) * (1 - terminated_t) - V(s_t)
   *   A_t     = delta_t + gamma * lambda * (1 - terminated_t) * (1 - truncated_t) * A_{t+1}
   *
   * V(s_{t+1}) is `values[t+1]` (the true final observation's value after an
   * episode end, see the class note) or `lastValues` after the last step, so
   * truncation bootstraps and termination does not.
   * @param lastValues `Float64Array [envs]`: V of the observation after the last step.
   */
  computeReturnsAndAdvantage(lastValues: Float64Array, gamma: number, gaeLambda: number): void {
    this.gae(lastValues, gamma, gaeLambda, this.advantages, this.returns, 'RolloutBuffer.computeReturnsAndAdvantage.lastValues');
  }

  /** The GAE recursion of {@link computeReturnsAndAdvantage} into `advantages` and `returns` (with lambda 1, `returns` is the discounted reward-to-go). */
  private gae(lastValues: Float64Array, gamma: number, gaeLambda: number, advantages: Float64Array, returns: Float64Array, where: string): void {
    const T = this.numSteps;
    const N = this.numEnvs;
    if (lastValues.length !== N) throw new InvalidArgument(formatError(where, `length ${N}`, describeValue(lastValues)));
    for (let i = 0; i < N; i++) {
      let lastGae = 0;
      for (let t = T - 1; t >= 0; t--) {
        const k = t * N + i;
        if (this.valid[k] === 0) {
          advantages[k] = 0;
          returns[k] = 0;
          lastGae = 0;
          continue;
        }
        const nextValue = t === T - 1 ? lastValues[i] : this.values[k + N];
        const notTerminal = 1 - this.terminated[k];
        const delta = this.rewards[k] + gamma * nextValue * notTerminal - this.values[k];
        const carry = this.terminated[k] | this.truncated[k] ? 0 : 1;
        lastGae = delta + gamma * gaeLambda * carry * lastGae;
        advantages[k] = lastGae;
        returns[k] = lastGae + this.values[k];
      }
    }
  }

  /**
   * Group-relative advantages (PPO's `groupSize`; call after
   * {@link computeReturnsAndAdvantage}, whose `returns` stay the critic's
   * targets): sub-envs `[g*G, (g+1)*G)` started the rollout from the same
   * state (one reset seed per group), so at step t each one's discounted
   * reward-to-go `R_i(t)` is compared with the mean of the others' at the
   * same step, the leave-one-out baseline of RLOO (Kool et al. 2019;
   * Ahmadian et al. 2024, arXiv:2402.14740) taken per step:
   *
   *   A_i(t) = R_i(t) - mean_{j in group, j != i, valid at t} R_j(t)
   *
   * The baseline depends only on the other members' rollouts, so it does
   * not bias the policy gradient, and it removes the variance of where the
   * episode started, which a critic of a few updates cannot. `R` cuts at
   * termination, bootstraps a truncation or the rollout's end with V (as
   * GAE), and is 0 where a row is invalid; a row with no valid partner gets
   * advantage 0.
   *
   * `greedy`: each group's first member acted by the policy's mode, and the
   * baseline is its reward-to-go instead (`A_i(t) = R_i(t) - R_greedy(t)`,
   * 0 once its episode ended; self-critical training's greedy baseline); the
   * greedy member's own advantages are 0 (PPO does not train on its rows).
   */
  computeGroupAdvantage(lastValues: Float64Array, gamma: number, groupSize: number, greedy = false): void {
    const T = this.numSteps;
    const N = this.numEnvs;
    if (!Number.isInteger(groupSize) || groupSize < 2 || N % groupSize !== 0) {
      throw new InvalidArgument(formatError('RolloutBuffer.computeGroupAdvantage.groupSize', `an integer >= 2 dividing numEnvs (${N})`, describeValue(groupSize), 'Pick a group size that divides the sub-envs'));
    }
    // Reward-to-go: GAE's returns with lambda 1 (the advantages it writes on the way are scratch).
    const togo = new Float64Array(T * N);
    this.gae(lastValues, gamma, 1, new Float64Array(T * N), togo, 'RolloutBuffer.computeGroupAdvantage.lastValues');
    for (let t = 0; t < T; t++) {
      for (let g = 0; g < N; g += groupSize) {
        if (greedy) {
          // The greedy member (the group's first) is the baseline: its reward-to-go at t (0 once its episode ended), its own rows 0.
          const base = this.valid[t * N + g] ? togo[t * N + g] : 0;
          this.advantages[t * N + g] = 0;
          for (let i = g + 1; i < g + groupSize; i++) this.advantages[t * N + i] = this.valid[t * N + i] ? togo[t * N + i] - base : 0;
          continue;
        }
        let sum = 0;
        let count = 0;
        for (let j = g; j < g + groupSize; j++) {
          if (this.valid[t * N + j] === 0) continue;
          sum += togo[t * N + j];
          count++;
        }
        for (let i = g; i < g + groupSize; i++) {
          const k = t * N + i;
          this.advantages[k] = this.valid[k] && count > 1 ? togo[k] - (sum - togo[k]) / (count - 1) : 0;
        }
      }
    }
  }

  /** Flat indices `t * envs + i` of valid transitions, in order. */
  validIndices(): Int32Array {
    let count = 0;
    for (let k = 0; k < this.valid.length; k++) count += this.valid[k];
    const out = new Int32Array(count);
    let j = 0;
    for (let k = 0; k < this.valid.length; k++) if (this.valid[k]) out[j++] = k;
    return out;
  }
}
