import * as tf from '@tensorflow/tfjs';
import type { VectorEnv, ActionBatch } from '../../src/core/vector-env.js';
import { allocateActions } from '../../src/core/vector-env.js';
import { Rng, type RngState } from '../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../src/core/errors.js';
import type { MetricStream, MetricRow } from '../../src/streams/metrics.js';
import { initBackend } from '../backend.js';
import { MlpActorCritic } from '../policies/mlp-actor-critic.js';
import { JsActorCritic } from '../policies/js-actor-critic.js';
import { ActionCodec } from '../policies/action-codec.js';
import { MlpPolicy } from '../policies/mlp-policy.js';
import type { MlpSpec } from '../policies/param-layout.js';
import type { AdamState } from '../optim/flat-adam.js';
import { PpoUpdater, type GradientPath } from './ppo-updater.js';
import { RolloutBuffer } from '../buffers/rollout-buffer.js';
import { VecNormalizer, type VecNormalizerState } from './vec-normalizer.js';
import { PPO_STAT_NAMES } from './ppo-loss.js';
import type { ResolvedPpoConfig } from './ppo-config.js';

/** From this many sub-envs on, rollouts use one batched tfjs call per step instead of the plain-JS pass. */
export const BATCHED_INFERENCE_MIN_ENVS = 32;

/** Everything needed to continue a run exactly (what a checkpoint stores). */
export interface PpoTrainingState {
  config: ResolvedPpoConfig;
  spec: MlpSpec;
  theta: Float32Array;
  adam: AdamState;
  normalizer: VecNormalizerState;
  rng: RngState;
  globalStep: number;
  /** Updates done so far. */
  update: number;
  episodes: number;
  wallSeconds: number;
}

/** Options of {@link PPO.create} / {@link PPO.restore}. */
export interface PpoOptions {
  /** Where metrics go (none: not emitted). */
  metrics?: MetricStream;
  /** Called with the training state at each checkpoint boundary (and at the end); it writes the files. */
  onCheckpoint?: (state: PpoTrainingState) => void | Promise<void>;
  /**
   * How gradient steps are computed. 'explicit' (default): the hand-derived
   * gradient of {@link ExplicitPpoGrad} with a plain-JS Adam, ~40 tfjs
   * kernels a step; 'autodiff': `ppoLoss` under `tf.variableGrads` with the
   * tensor Adam, ~300 kernels (2x slower at minibatch 256 of a 64x64 MLP,
   * bench/ppo-grad-step.ts). Same objective; results differ by float rounding
   * only, so a run must resume with the path it started with to stay bit-exact.
   */
  gradient?: GradientPath;
}

/** One finished episode. */
export interface EpisodeRecord {
  globalStep: number;
  wallSeconds: number;
  return: number;
  length: number;
}

/** What {@link PPO.learn} returns. */
export interface LearnResult {
  globalStep: number;
  updates: number;
  wallSeconds: number;
  /** Episodes finished during this call. */
  episodes: EpisodeRecord[];
}

/**
 * Proximal Policy Optimization over any {@link VectorEnv} (a simulated task
 * or a robot), following CleanRL's `ppo_continuous_action.py`: rollouts of
 * `numSteps` per sub-env into (steps, envs) storage, GAE with truncation
 * bootstrapping, `updateEpochs` epochs of shuffled minibatches of the
 * clipped objective (ppo-loss.ts), global grad-norm clipping, linear LR
 * annealing, optional target-KL early stop.
 *
 * Rollouts run a plain-JS copy of the network (JsActorCritic), refreshed
 * after every update; gradient steps run on the explicit path
 * (ExplicitPpoGrad + JsAdam over a JS copy of the parameters, written back
 * to the tfjs network after each update) or on the autodiff path (the tfjs
 * network under `tf.variableGrads`), see {@link PpoOptions.gradient}.
 *
 * Checkpoints and exact resume: every checkpoint is an episode boundary. At
 * each `checkpointEvery` crossing the state is handed to `onCheckpoint`, then
 * all sub-envs are reset with a seed drawn from the run's Rng. A run restored
 * from that state draws the same seed, so it continues bit for bit like the
 * uninterrupted run (no env internals need saving).
 */
export class PPO {
  readonly vec: VectorEnv;
  readonly config: ResolvedPpoConfig;
  readonly net: MlpActorCritic;
  private readonly options: PpoOptions;
  private readonly js: JsActorCritic;
  private readonly codec: ActionCodec;
  private readonly updater: PpoUpdater;
  private readonly normalizer: VecNormalizer;
  private readonly rng: Rng;
  private readonly buffer: RolloutBuffer;
  // Rollout state and scratch (preallocated; no allocation per step).
  private readonly nextObs: Float32Array;
  private readonly nextDone: Uint8Array;
  private readonly actorOut: Float64Array;
  private readonly envActions: ActionBatch;
  private readonly scaledRewards: Float64Array;
  private readonly ended: Uint8Array;
  private readonly epReturn: Float64Array;
  private readonly epLength: Int32Array;
  private readonly lastValues: Float64Array;
  /**
   * Rollout inference path. bench/ppo-inference.ts: the plain-JS pass costs
   * ~25 us per sub-env, a batched tfjs (wasm) call ~400-500 us whatever the
   * batch up to 64, so JS wins below ~16 sub-envs and tfjs from ~32 up.
   */
  private readonly batchedInference: boolean;
  private globalStep = 0;
  private update = 0;
  private episodes = 0;
  private wallOffset = 0;
  /** 'fresh': reset with config.seed; 'boundary': reset with a seed from rng; 'running'. */
  private envState: 'fresh' | 'boundary' | 'running' = 'fresh';
  private disposed = false;

  private constructor(vec: VectorEnv, config: ResolvedPpoConfig, net: MlpActorCritic, rng: Rng, options: PpoOptions) {
    if (vec.numEnvs !== config.numEnvs) {
      throw new InvalidArgument(formatError('PPO.config.numEnvs', `the vector env's numEnvs (${vec.numEnvs})`, String(config.numEnvs), 'Make the vector env with config.numEnvs sub-envs'));
    }
    this.vec = vec;
    this.config = config;
    this.net = net;
    this.options = options;
    this.rng = rng;
    this.codec = new ActionCodec(vec.singleActionSpace);
    this.js = new JsActorCritic(net.spec, net.readParams());
    this.normalizer = new VecNormalizer(vec.obsDim, vec.numEnvs, config);
    const N = vec.numEnvs;
    this.buffer = new RolloutBuffer(config.numSteps, N, vec.obsDim, this.codec.actDim);
    this.updater = new PpoUpdater(net, this.buffer, config, options.gradient ?? 'explicit');
    this.nextObs = new Float32Array(N * vec.obsDim);
    this.nextDone = new Uint8Array(N);
    this.actorOut = new Float64Array(N * this.js.outDim);
    this.envActions = allocateActions(vec.singleActionSpace, N);
    this.scaledRewards = new Float64Array(N);
    this.ended = new Uint8Array(N);
    this.epReturn = new Float64Array(N);
    this.epLength = new Int32Array(N);
    this.lastValues = new Float64Array(N);
    this.batchedInference = N >= BATCHED_INFERENCE_MIN_ENVS;
  }

  /** A new run: starts the tfjs backend, builds and initializes the network from `config.seed`. */
  static async create(vec: VectorEnv, config: ResolvedPpoConfig, options: PpoOptions = {}): Promise<PPO> {
    await initBackend();
    const rng = new Rng(config.seed);
    const codec = new ActionCodec(vec.singleActionSpace);
    const spec: MlpSpec = { obsDim: vec.obsDim, hidden: config.hidden, activation: config.activation, head: codec.head };
    const net = MlpActorCritic.create(spec, rng.spawn(), { logStdInit: config.logStdInit });
    return new PPO(vec, config, net, rng, options);
  }

  /** Continues a run from a saved state (see the class note on exact resume). */
  static async restore(vec: VectorEnv, state: PpoTrainingState, options: PpoOptions = {}): Promise<PPO> {
    await initBackend();
    const head = new ActionCodec(vec.singleActionSpace).head;
    if (state.spec.obsDim !== vec.obsDim || JSON.stringify(state.spec.head) !== JSON.stringify(head)) {
      throw new InvalidArgument(
        formatError('PPO.restore', `a vector env matching the checkpoint (obs ${state.spec.obsDim}, head ${JSON.stringify(state.spec.head)})`, `obs ${vec.obsDim}, head ${JSON.stringify(head)}`, 'Resume on the task the checkpoint was trained on'),
      );
    }
    const net = MlpActorCritic.fromParams(state.spec, state.theta);
    const ppo = new PPO(vec, state.config, net, Rng.fromState(state.rng), options);
    ppo.updater.setAdamState(state.adam);
    ppo.normalizer.setState(state.normalizer);
    ppo.globalStep = state.globalStep;
    ppo.update = state.update;
    ppo.episodes = state.episodes;
    ppo.wallOffset = state.wallSeconds;
    ppo.envState = 'boundary';
    return ppo;
  }

  /** The last rollout (read-only use: diagnostics and tests). */
  get rollout(): RolloutBuffer {
    return this.buffer;
  }

  /** Env steps taken so far. */
  get step(): number {
    return this.globalStep;
  }

  /**
   * Trains until `config.numUpdates` updates are done (or `stopAtStep` env
   * steps, for tests that simulate an interruption, or until `stop()` returns
   * true when asked after an update, e.g. once a benchmark's goal is met),
   * then hands a final checkpoint to `onCheckpoint`.
   */
  async learn(opts: { stopAtStep?: number; stop?: () => boolean } = {}): Promise<LearnResult> {
    const c = this.config;
    const t0 = performance.now();
    const startStep = this.globalStep;
    const episodes: EpisodeRecord[] = [];
    const wall = (): number => this.wallOffset + (performance.now() - t0) / 1000;
    while (this.update < c.numUpdates && !(opts.stopAtStep !== undefined && this.globalStep >= opts.stopAtStep)) {
      if (this.envState !== 'running') await this.resetEnvs();
      // Linear annealing to 0 over the run (CleanRL: frac = 1 - (iteration - 1) / num_iterations).
      const frac = 1 - this.update / c.numUpdates;
      const lr = c.annealLr ? frac * c.learningRate : c.learningRate;
      const clipCoef = c.annealClip ? frac * c.clipCoef : c.clipCoef;

      await this.collectRollout(episodes, wall);
      this.buffer.computeReturnsAndAdvantage(this.lastValues, c.gamma, c.gaeLambda);
      const stats = this.updater.update(this.rng, lr, clipCoef);
      this.js.setParams(this.updater.params());
      this.update += 1;

      const row: MetricRow = { global_step: this.globalStep, wall_s: wall(), 'charts/learning_rate': lr };
      PPO_STAT_NAMES.forEach((k, i) => (row[k] = stats[i]));
      row['perf/sps'] = Math.round((this.globalStep - startStep) / ((performance.now() - t0) / 1000));
      this.options.metrics?.emit(row);

      const every = c.checkpointEvery;
      const crossed = every > 0 && Math.floor(this.globalStep / every) > Math.floor((this.globalStep - c.batchSize) / every);
      if (crossed && this.update < c.numUpdates) {
        await this.options.onCheckpoint?.(this.trainingState(wall()));
        this.envState = 'boundary';
      }
      if (opts.stop?.()) break;
    }
    await this.options.onCheckpoint?.(this.trainingState(wall()));
    return { globalStep: this.globalStep, updates: this.update, wallSeconds: wall(), episodes };
  }

  /** The current network as a {@link Policy} (plain JS, frozen normalization). */
  policy(seed = 0): MlpPolicy {
    return new MlpPolicy({
      spec: this.net.spec,
      theta: this.net.readParams(),
      observationSpace: this.vec.singleObservationSpace,
      actionSpace: this.vec.singleActionSpace,
      obsStats: this.normalizer.obsRms?.getState() ?? null,
      clipObs: this.config.clipObs,
      seed,
    });
  }

  /** A snapshot of everything needed to continue (weights, optimizer, statistics, RNG, counters). */
  trainingState(wallSeconds: number): PpoTrainingState {
    return {
      config: { ...this.config },
      spec: this.net.spec,
      theta: this.net.readParams(),
      adam: this.updater.getAdamState(),
      normalizer: this.normalizer.getState(),
      rng: this.rng.getState(),
      globalStep: this.globalStep,
      update: this.update,
      episodes: this.episodes,
      wallSeconds,
    };
  }

  /** Frees tf variables (does not close the vector env). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.dispose();
    this.updater.dispose();
  }

  private async resetEnvs(): Promise<void> {
    const seed = this.envState === 'fresh' ? this.config.seed : this.rng.nextSeed();
    const { obs } = await this.vec.reset({ seed });
    this.normalizer.normalizeObs(obs, this.vec.numEnvs, this.nextObs, true);
    this.normalizer.resetReturns();
    this.nextDone.fill(0);
    this.epReturn.fill(0);
    this.epLength.fill(0);
    this.envState = 'running';
  }

  private async collectRollout(episodes: EpisodeRecord[], wall: () => number): Promise<void> {
    const { numSteps } = this.config;
    const N = this.vec.numEnvs;
    const obsDim = this.vec.obsDim;
    const actDim = this.codec.actDim;
    const outDim = this.js.outDim;
    const b = this.buffer;
    const dist = this.net.dist;
    for (let t = 0; t < numSteps; t++) {
      this.globalStep += N;
      const row = t * N;
      b.obs.set(this.nextObs, row * obsDim);
      if (this.batchedInference) this.forwardBatched(row);
      for (let i = 0; i < N; i++) {
        const k = row + i;
        // The step after an episode end is the env's reset step (next-step autoreset): not a transition.
        b.valid[k] = this.nextDone[i] ? 0 : 1;
        if (!this.batchedInference) {
          this.js.actorRow(this.nextObs, i * obsDim, this.actorOut, i * outDim);
          b.values[k] = this.js.valueRow(this.nextObs, i * obsDim);
        }
        b.logProbs[k] = dist.sampleRow(this.actorOut, i * outDim, this.js.logStd, this.rng, false, b.actions, k * actDim);
      }
      this.codec.toEnvActions(b.actions.subarray(row * actDim, (row + N) * actDim), N, this.envActions);
      const res = await this.vec.step(this.envActions);
      for (let i = 0; i < N; i++) this.ended[i] = res.terminated[i] | res.truncated[i];
      this.normalizer.scaleRewards(res.rewards, this.ended, this.scaledRewards);
      for (let i = 0; i < N; i++) {
        const k = row + i;
        b.rewards[k] = this.scaledRewards[i];
        b.terminated[k] = res.terminated[i];
        b.truncated[k] = res.truncated[i];
        if (b.valid[k]) {
          this.epReturn[i] += res.rewards[i];
          this.epLength[i] += 1;
        }
        if (this.ended[i]) this.finishEpisode(i, res.info.episode?.mask[i] ? res.info.episode.success[i] : -1, episodes, wall);
        this.nextDone[i] = this.ended[i];
      }
      this.normalizer.normalizeObs(res.obs, N, this.nextObs, true);
    }
    for (let i = 0; i < N; i++) this.lastValues[i] = this.js.valueRow(this.nextObs, i * obsDim);
  }

  /** Batched tfjs forward pass of `nextObs` into `actorOut` and the buffer's values at flat index `row` (= t * numEnvs). */
  private forwardBatched(row: number): void {
    const N = this.vec.numEnvs;
    tf.tidy(() => {
      const { actorOut, value } = this.net.forward(tf.tensor2d(this.nextObs, [N, this.vec.obsDim]));
      this.actorOut.set(actorOut.dataSync());
      this.buffer.values.set(value.dataSync(), row);
    });
  }

  private finishEpisode(i: number, success: number, episodes: EpisodeRecord[], wall: () => number): void {
    const rec: EpisodeRecord = { globalStep: this.globalStep, wallSeconds: wall(), return: this.epReturn[i], length: this.epLength[i] };
    episodes.push(rec);
    this.episodes += 1;
    const row: MetricRow = { global_step: rec.globalStep, wall_s: rec.wallSeconds, 'charts/episodic_return': rec.return, 'charts/episodic_length': rec.length };
    if (success >= 0) row['charts/success'] = success;
    this.options.metrics?.emit(row);
    this.epReturn[i] = 0;
    this.epLength[i] = 0;
  }
}
