import { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import { rowDeterministic, type Deterministic } from '../../policies/actor-critic.js';

/**
 * Temporally correlated exploration noise for a diagonal-Gaussian actor
 * (PPO's `noiseCorrelation`): each sub-env's standard-normal deviates follow
 * a stationary AR(1) process within an episode,
 * `e_t = rho * e_{t-1} + sqrt(1 - rho^2) * z_t` with `z_t` drawn from the
 * run's generator, and `e_0 = z_0` at each episode start. Every deviate is
 * still N(0, 1), so an action `mean + std * e_t` has the Gaussian policy's
 * marginal density, which is what PPO scores (as colored-noise exploration
 * does, Eberhard et al. 2023, "Pink Noise Is All You Need"; the discretised
 * Ornstein-Uhlenbeck noise of DDPG, Lillicrap et al. 2016, without its
 * drift towards a fixed scale). What changes is the path: the noise pushes
 * in one direction for about `(1 + rho) / (1 - rho)` steps instead of
 * jittering every step, so an episode explores a smooth deviation of the
 * mean motion.
 *
 * It stands in for the run's {@link Rng} in `ActorCritic.act`: the
 * Gaussian sampler draws `actDim` deviates per sampled row, in row order;
 * {@link begin} is called before each `act` with the same per-row
 * deterministic mask, so rows acting by their mode draw nothing. Only
 * `normal()` may be drawn from it (other heads are refused by PPO).
 *
 * The state is not saved: PPO resumes from a checkpoint with fresh episodes,
 * whose first deviates are fresh draws from the saved generator.
 */
export class CorrelatedNoise extends Rng {
  private readonly base: Rng;
  private readonly rows: number;
  private readonly dim: number;
  private readonly rho: number;
  private readonly innovation: number;
  private readonly state: Float64Array;
  /** 1 where the row's next deviate starts an episode. */
  private readonly fresh: Uint8Array;
  private mask: Deterministic = false;
  private row = 0;
  private j = 0;

  /**
   * @param base the run's generator (every innovation is drawn from it).
   * @param rows sub-envs.
   * @param dim deviates per row (the action size).
   * @param rho lag-1 correlation in [0, 1).
   */
  constructor(base: Rng, rows: number, dim: number, rho: number) {
    super(0);
    if (!(rho >= 0 && rho < 1)) {
      throw new InvalidArgument(formatError('CorrelatedNoise.rho', 'a correlation in [0, 1)', String(rho), 'Use e.g. 0.5 or 0.9 (0: independent noise)'));
    }
    this.base = base;
    this.rows = rows;
    this.dim = dim;
    this.rho = rho;
    this.innovation = Math.sqrt(1 - rho * rho);
    this.state = new Float64Array(rows * dim);
    this.fresh = new Uint8Array(rows).fill(1);
  }

  /** Before each `act` over all rows: `deterministic` as passed to it (rows acting by the mode draw no deviates). */
  begin(deterministic: Deterministic): void {
    this.mask = deterministic;
    this.row = this.nextSampledRow(0);
    this.j = 0;
  }

  /** Row `i` starts a new episode: its next deviates are fresh N(0, 1) draws. */
  resetRow(i: number): void {
    this.fresh[i] = 1;
  }

  /** Every row starts a new episode. */
  resetAll(): void {
    this.fresh.fill(1);
  }

  override normal(mean = 0, std = 1): number {
    if (this.row >= this.rows) {
      throw new InvalidArgument(formatError('CorrelatedNoise.normal', `at most ${this.dim} deviates per sampled row of ${this.rows} between begin() calls`, 'one more', 'Call begin() before each act over all sub-envs'));
    }
    const k = this.row * this.dim + this.j;
    const z = this.base.normal();
    const e = this.fresh[this.row] ? z : this.rho * this.state[k] + this.innovation * z;
    this.state[k] = e;
    if (++this.j === this.dim) {
      this.fresh[this.row] = 0;
      this.j = 0;
      this.row = this.nextSampledRow(this.row + 1);
    }
    return mean + std * e;
  }

  override random(): number {
    throw new InvalidArgument(formatError('CorrelatedNoise.random', 'normal() draws only (a diagonal-Gaussian actor)', 'a uniform draw', 'Use noiseCorrelation with a Gaussian action head'));
  }

  override nextUint32(): number {
    throw new InvalidArgument(formatError('CorrelatedNoise.nextUint32', 'normal() draws only (a diagonal-Gaussian actor)', 'a raw integer draw', 'Use noiseCorrelation with a Gaussian action head'));
  }

  private nextSampledRow(from: number): number {
    let r = from;
    while (r < this.rows && rowDeterministic(this.mask, r)) r++;
    return r;
  }
}
