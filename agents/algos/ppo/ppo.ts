import type { VectorEnv, ActionBatch } from '../../../src/core/vector-env.js';
import { allocateActions } from '../../../src/core/vector-env.js';
import type { Policy } from '../../../src/core/policy.js';
import { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { MetricRow } from '../../../src/streams/metrics.js';
import { initBackend } from '../../backend.js';
import type { ActorCritic, ActOutput, NamedTensor } from '../../policies/actor-critic.js';
import { ActionCodec } from '../../policies/action-codec.js';
import { policyKind, resolvePolicyConfig } from '../../policies/policy-kinds.js';
import { NetworkPolicy } from '../../policies/network-policy.js';
import { capturePolicy, restorePolicy, type PolicyState } from '../../policies/policy-state.js';
import { PpoUpdater } from './ppo-updater.js';
import { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import { VecNormalizer, type VecNormalizerState } from './vec-normalizer.js';
import { PPO_STAT_NAMES } from './ppo-loss.js';
import { KlReference } from './kl-reference.js';
import { checkValueWarmup } from './value-warmup.js';
import { loraOnly } from './lora-only.js';
import { SelfImitation } from './self-imitation.js';
import { CorrelatedNoise } from './correlated-noise.js';
import type { ResolvedPpoConfig } from './ppo-config.js';
import type { PpoTrainingState, PpoOptions, PpoCreateOptions, EpisodeRecord, LearnResult } from './ppo-types.js';

export type { PpoTrainingState, RewardHook, RolloutSource, PpoOptions, PpoCreateOptions, EpisodeRecord, LearnResult } from './ppo-types.js';

/**
 * Proximal Policy Optimization over any {@link VectorEnv} (a simulated task
 * or a robot) and any {@link ActorCritic}, following CleanRL's
 * `ppo_continuous_action.py`: rollouts of `numSteps` per sub-env into
 * (steps, envs) storage ({@link collect}), GAE with truncation bootstrapping,
 * `updateEpochs` epochs of shuffled minibatches of the clipped objective
 * ({@link update}), global grad-norm clipping, linear LR annealing,
 * optional target-KL early stop. {@link learn} composes them, with the
 * reward hook in between.
 *
 * Rollouts run the network's `act` (the MLP's plain-JS copy, refreshed after
 * every update); a sequence network keeps each sub-env's history, reset at
 * episode starts. Gradient steps use the network's fast path when it offers
 * one, else autodiff (see {@link PpoOptions.gradient}).
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
  readonly net: ActorCritic;
  private readonly options: PpoOptions;
  private readonly codec: ActionCodec;
  private readonly updater: PpoUpdater;
  private readonly normalizer: VecNormalizer;
  private readonly rng: Rng;
  private readonly buffer: RolloutBuffer;
  // Rollout state and scratch (preallocated; no allocation per step).
  private readonly nextObs: Float32Array;
  private readonly nextRawObs: Float32Array;
  private readonly nextDone: Uint8Array;
  private readonly startNext: Uint8Array;
  private readonly envActions: ActionBatch;
  private readonly scaledRewards: Float64Array;
  private readonly ended: Uint8Array;
  private readonly epReturn: Float64Array;
  private readonly epLength: Int32Array;
  private readonly lastValues: Float64Array;
  /** Group mode (`groupSize` > 1): 1 once the sub-env's episode of this rollout has ended (later rows are not trained on). */
  private readonly finished: Uint8Array;
  /** Group mode: the success of each sub-env's episode of this rollout (-1: none reported). */
  private readonly groupSuccess: Int8Array;
  /** `groupBaseline` 'greedy': 1 for each group's first sub-env, which acts by the policy's mode; else null. */
  private readonly greedyRows: Uint8Array | null;
  private readonly clockStart = performance.now();
  private globalStep = 0;
  private update_ = 0;
  private episodes = 0;
  private wallOffset = 0;
  private stepsAtStart = 0;
  /** 'fresh': reset with config.seed; 'boundary': reset with a seed from rng; 'running'. */
  private envState: 'fresh' | 'boundary' | 'running' = 'fresh';
  private collected = false;
  private disposed = false;
  /** The KL reference as saved state (captured once: the reference never changes). */
  private referenceState: PolicyState | null = null;
  /** `noiseCorrelation` > 0: the correlated exploration noise drawn from {@link rng}, or null. */
  private readonly noise: CorrelatedNoise | null;
  /** Self-imitation's replay of solved episodes (`selfImitationCoef` > 0), or null. */
  private readonly selfImitation: SelfImitation | null;

  private constructor(vec: VectorEnv, config: ResolvedPpoConfig, net: ActorCritic, rng: Rng, options: PpoOptions) {
    if (vec.numEnvs !== config.numEnvs) {
      throw new InvalidArgument(formatError('PPO.config.numEnvs', `the vector env's numEnvs (${vec.numEnvs})`, String(config.numEnvs), 'Make the vector env with config.numEnvs sub-envs'));
    }
    const codec = new ActionCodec(vec.singleActionSpace);
    if (net.obsDim !== vec.obsDim || JSON.stringify(net.head) !== JSON.stringify(codec.head)) {
      throw new InvalidArgument(formatError('PPO.net', `a network for obs ${vec.obsDim} and head ${JSON.stringify(codec.head)}`, `obs ${net.obsDim}, head ${JSON.stringify(net.head)}`, 'Train on the task the network was built for'));
    }
    checkValueWarmup(net, config.valueWarmupUpdates);
    if (options.rolloutSource && config.selfImitationCoef > 0) {
      // The learner takes rollouts, not whole episodes with their success: the replay would stay empty.
      throw new InvalidArgument(formatError('PPO.config.selfImitationCoef', '0 with remote rollout workers (a rolloutSource)', String(config.selfImitationCoef), 'Drop selfImitationCoef, or train without --broker (in one process)'));
    }
    for (const [name, o] of Object.entries(config.paramGroups)) if (o.frozen !== undefined) net.setTrainable(name, !o.frozen);
    if (!net.paramGroups().some((g) => g.trainable)) {
      throw new InvalidArgument(formatError('PPO.config.paramGroups', 'at least one trainable parameter group', 'every group frozen', 'Unfreeze a group (e.g. the critic)'));
    }
    this.vec = vec;
    this.config = config;
    this.net = net;
    this.options = options;
    this.rng = rng;
    this.codec = codec;
    this.normalizer = new VecNormalizer(vec.obsDim, vec.numEnvs, config);
    const N = vec.numEnvs;
    this.buffer = new RolloutBuffer(config.numSteps, N, vec.obsDim, codec.actDim);
    if (config.klRefCoef > 0 && !options.reference) {
      throw new InvalidArgument(formatError('PPO.options.reference', 'the frozen reference network of the KL penalty (klRefCoef > 0)', 'none', 'Pass the network the run started from (PPO.create copies it for you)'));
    }
    const klRef = config.klRefCoef > 0 && options.reference ? new KlReference(options.reference, config.klRefCoef, config.klRefTarget) : null;
    this.selfImitation = config.selfImitationCoef > 0 ? new SelfImitation(N, vec.obsDim, codec.actDim, config.selfImitationEpisodes) : null;
    this.updater = new PpoUpdater(net, this.buffer, config, options.gradient ?? 'explicit', klRef, this.selfImitation);
    this.nextObs = new Float32Array(N * vec.obsDim);
    this.nextRawObs = new Float32Array(N * vec.obsDim);
    this.nextDone = new Uint8Array(N);
    this.startNext = new Uint8Array(N);
    this.envActions = allocateActions(vec.singleActionSpace, N);
    this.scaledRewards = new Float64Array(N);
    this.ended = new Uint8Array(N);
    this.epReturn = new Float64Array(N);
    this.epLength = new Int32Array(N);
    this.lastValues = new Float64Array(N);
    this.finished = new Uint8Array(N);
    this.groupSuccess = new Int8Array(N);
    if (config.noiseCorrelation > 0 && net.head.kind !== 'gaussian') {
      throw new InvalidArgument(formatError('PPO.config.noiseCorrelation', 'a Gaussian action head (continuous actions)', `a '${net.head.kind}' head`, 'Drop noiseCorrelation for discrete actions'));
    }
    this.noise = config.noiseCorrelation > 0 ? new CorrelatedNoise(rng, N, codec.actDim, config.noiseCorrelation) : null;
    this.greedyRows = config.groupBaseline === 'greedy' ? Uint8Array.from({ length: N }, (_, i) => (i % config.groupSize === 0 ? 1 : 0)) : null;
  }

  /** A new run: starts the tfjs backend, builds the network of `options.policy` (or takes `options.net`) initialized from `config.seed`. */
  static async create(vec: VectorEnv, config: ResolvedPpoConfig, options: PpoCreateOptions = {}): Promise<PPO> {
    await initBackend();
    const rng = new Rng(config.seed);
    const netRng = rng.spawn();
    let net = options.net;
    if (!net) {
      const policy = resolvePolicyConfig(options.policy, 'PPO.policy');
      const codec = new ActionCodec(vec.singleActionSpace);
      net = policyKind(policy.kind).create(policy, { obsDim: vec.obsDim, head: codec.head, ...(codec.bounds ? { actionBounds: codec.bounds } : {}) }, netRng);
    }
    if (config.actorLogStd !== null) setActorLogStd(net, config.actorLogStd);
    // The KL reference is the network as it starts (before adapters, which start as a no-op).
    const reference = options.reference ?? (config.klRefCoef > 0 ? restorePolicy(capturePolicy(net), 'PPO.reference') : undefined);
    if (config.trainParams === 'lora') net = loraOnly(net, rng.spawn());
    let ppo: PPO;
    try {
      ppo = new PPO(vec, config, net, rng, { ...options, ...(reference ? { reference } : {}) });
    } catch (err) {
      net.dispose();
      reference?.dispose();
      throw err;
    }
    if (options.normalization) ppo.normalizer.setState(options.normalization);
    return ppo;
  }

  /** Continues a run from a saved state (see the class note on exact resume). */
  static async restore(vec: VectorEnv, state: PpoTrainingState, options: PpoOptions = {}): Promise<PPO> {
    await initBackend();
    if (state.config.klRefCoef > 0 && !state.reference && !options.reference) {
      throw new InvalidArgument(formatError('PPO.restore.state.reference', 'the KL penalty\'s reference network (the run has klRefCoef > 0)', 'a state without one (a checkpoint written before lamkit stored the reference)', 'Start a new run with --from <its checkpoint> (the KL reference is then that network), or pass options.reference'));
    }
    const net = restorePolicy(state.policy, 'PPO.restore.policy');
    let reference: ActorCritic | undefined;
    try {
      reference = options.reference ?? (state.config.klRefCoef > 0 && state.reference ? restorePolicy(state.reference, 'PPO.restore.reference') : undefined);
      const ppo = new PPO(vec, state.config, net, Rng.fromState(state.rng), { ...options, ...(reference ? { reference } : {}) });
      ppo.updater.setOptimizerState(state.optimizer);
      ppo.normalizer.setState(state.normalizer);
      ppo.globalStep = ppo.stepsAtStart = state.globalStep;
      ppo.update_ = state.update;
      ppo.episodes = state.episodes;
      ppo.wallOffset = state.wallSeconds;
      ppo.envState = 'boundary';
      if (state.selfImitation) ppo.selfImitation?.setState(state.selfImitation, 'PPO.restore.state.selfImitation');
      if (state.klRefCoef !== undefined) ppo.updater.klRef?.setCoef(state.klRefCoef);
      return ppo;
    } catch (err) {
      net.dispose();
      reference?.dispose();
      throw err;
    }
  }

  /** The last rollout (read-only use outside a reward hook: diagnostics and tests). */
  get rollout(): RolloutBuffer {
    return this.buffer;
  }

  /** Env steps taken so far. */
  get step(): number {
    return this.globalStep;
  }

  /** Updates done so far. */
  get updates(): number {
    return this.update_;
  }

  /** Seconds of training (including the runs this one resumes). */
  wallSeconds(): number {
    return this.wallOffset + (performance.now() - this.clockStart) / 1000;
  }

  /**
   * Trains until `config.numUpdates` updates are done, or until `stop()`
   * returns true when asked after an update (Ctrl-C, a benchmark's goal),
   * then hands a final checkpoint to `onCheckpoint`. Each iteration is
   * `collect()` (or the `rolloutSource`'s, which may return null to stop), the reward hook, `update()`, the `checkpointEvery`
   * checkpoint when one is due, `afterUpdate()` (awaited: evaluation, a
   * timed save), then one turn of the event loop (a `setImmediate`), so a
   * Ctrl-C handler or a progress timer runs even when every env step is
   * synchronous, and at last `stop()`.
   */
  async learn(opts: { stop?: () => boolean; afterUpdate?: () => void | Promise<void> } = {}): Promise<LearnResult> {
    const c = this.config;
    const episodes: EpisodeRecord[] = [];
    const source = this.options.rolloutSource;
    while (this.update_ < c.numUpdates) {
      const got = source ? await source.collect(this) : await this.collect();
      if (got === null) break;
      episodes.push(...got);
      await this.options.rewardHook?.(this.buffer);
      this.update();
      await source?.afterUpdate?.(this);
      const every = c.checkpointEvery;
      const crossed = every > 0 && Math.floor(this.globalStep / every) > Math.floor((this.globalStep - c.batchSize) / every);
      if (crossed && this.update_ < c.numUpdates) {
        await this.options.onCheckpoint?.(this.trainingState());
        this.envState = 'boundary';
      }
      await opts.afterUpdate?.();
      // Signals (Ctrl-C) and timers are only delivered when the event loop turns; a SyncVectorEnv never lets it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.stop?.()) break;
    }
    await this.options.onCheckpoint?.(this.trainingState());
    return { globalStep: this.globalStep, updates: this.update_, wallSeconds: this.wallSeconds(), episodes };
  }

  /**
   * Collects one rollout of `numSteps` per sub-env into {@link rollout}
   * (`rewards` = the env's rewards, unscaled) and returns the episodes that
   * finished. Emits `charts/episodic_return` / `_length` (/ `charts/success`).
   */
  async collect(): Promise<EpisodeRecord[]> {
    // Group mode starts every rollout from fresh episodes, one reset seed per group.
    const grouped = this.config.groupSize > 1;
    const reset = this.envState !== 'running' || grouped;
    this.updater.chunks?.carryContext(reset);
    if (reset) await this.resetEnvs();
    const episodes: EpisodeRecord[] = [];
    const { numSteps } = this.config;
    const N = this.vec.numEnvs;
    const obsDim = this.vec.obsDim;
    const actDim = this.codec.actDim;
    const b = this.buffer;
    for (let t = 0; t < numSteps; t++) {
      this.globalStep += N;
      const row = t * N;
      b.obs.set(this.nextObs, row * obsDim);
      b.rawObs.set(this.nextRawObs, row * obsDim);
      for (let i = 0; i < N; i++) {
        // The step after an episode end is the env's reset step (next-step autoreset): not a transition.
        // Group mode trains on each sub-env's first episode only (the next one did not start with its group).
        b.valid[row + i] = this.nextDone[i] || this.finished[i] ? 0 : 1;
        b.episodeStarts[row + i] = this.startNext[i];
      }
      this.noise?.begin(this.greedyRows ?? false);
      this.net.act({ rows: N, flat: this.nextObs }, this.noise ?? this.rng, this.greedyRows ?? false, this.rowOutput(row));
      this.codec.toEnvActions(b.actions.subarray(row * actDim, (row + N) * actDim), N, this.envActions);
      const res = await this.vec.step(this.envActions);
      for (let i = 0; i < N; i++) {
        const k = row + i;
        this.ended[i] = res.terminated[i] | res.truncated[i];
        b.envRewards[k] = b.rewards[k] = res.rewards[i];
        b.terminated[k] = res.terminated[i];
        b.truncated[k] = res.truncated[i];
        this.startNext[i] = 0;
        if (this.nextDone[i]) {
          // That was the reset step: the returned observation starts a new episode.
          this.startNext[i] = 1;
          this.net.resetEpisode(i);
          this.noise?.resetRow(i);
        }
        if (b.valid[k]) {
          this.epReturn[i] += res.rewards[i];
          this.epLength[i] += 1;
          this.selfImitation?.record(i, b.obs, b.actions, k);
        }
        if (this.ended[i] && b.valid[k]) {
          const success = res.info.episode?.mask[i] ? res.info.episode.success[i] : -1;
          this.selfImitation?.finish(i, success);
          episodes.push(this.finishEpisode(i, success, this.greedyRows?.[i] === 1));
          if (grouped) {
            this.finished[i] = 1;
            this.groupSuccess[i] = success < 0 ? -1 : success > 0 ? 1 : 0;
          }
        }
        this.nextDone[i] = this.ended[i];
      }
      this.nextRawObs.set(res.obs.subarray(0, N * obsDim));
      this.normalizer.normalizeObs(res.obs, N, this.nextObs, !this.config.freezeObsStats);
    }
    b.lastRawObs.set(this.nextRawObs);
    this.net.value({ rows: N, flat: this.nextObs }, this.lastValues);
    this.collected = true;
    if (grouped) this.emitGroupSpread();
    return episodes;
  }

  /**
   * Learns from the collected rollout: reward scaling (after any relabelling),
   * GAE, then `updateEpochs` epochs of minibatch steps at the annealed
   * learning rate. Emits the `losses/*`, `charts/learning_rate` and
   * `perf/sps` metrics and returns them.
   */
  update(): MetricRow {
    if (!this.collected) throw new InvalidArgument(formatError('PPO.update', 'a rollout collected since the last update', 'none', 'Call collect() first (learn() does both)'));
    this.collected = false;
    const c = this.config;
    this.scaleRewards();
    this.buffer.computeReturnsAndAdvantage(this.lastValues, c.gamma, c.gaeLambda);
    if (c.groupSize > 1) this.buffer.computeGroupAdvantage(this.lastValues, c.gamma, c.groupSize, this.greedyRows !== null);
    // The greedy members acted by the mode: not samples of the policy, so not trained on (after the critic's targets and advantages).
    if (this.greedyRows) for (let k = 0; k < this.buffer.valid.length; k += c.groupSize) this.buffer.valid[k] = 0;
    // Linear annealing to 0 over the run (CleanRL: frac = 1 - (iteration - 1) / num_iterations).
    const frac = 1 - this.update_ / c.numUpdates;
    const lr = c.annealLr ? frac * c.learningRate : c.learningRate;
    const clipCoef = c.annealClip ? frac * c.clipCoef : c.clipCoef;
    const valueOnly = this.update_ < c.valueWarmupUpdates;
    const stats = this.updater.update(this.rng, lr, clipCoef, valueOnly);
    this.update_ += 1;
    const wall = this.wallSeconds();
    const row: MetricRow = { global_step: this.globalStep, wall_s: wall, 'charts/learning_rate': lr };
    PPO_STAT_NAMES.forEach((k, i) => (row[k] = stats[i]));
    if (c.valueWarmupUpdates > 0) row['charts/value_warmup'] = valueOnly ? 1 : 0;
    const klRef = this.updater.klRef;
    if (klRef) {
      row['losses/kl_ref'] = stats[PPO_STAT_NAMES.length];
      row['charts/kl_ref_coef'] = klRef.coef;
      // The actor did not move during a warm-up: nothing to adapt to.
      if (!valueOnly) klRef.adapt(stats[PPO_STAT_NAMES.length]);
    }
    if (this.selfImitation) {
      row['losses/self_imitation_nll'] = stats[PPO_STAT_NAMES.length + (klRef ? 1 : 0)];
      row['charts/self_imitation_episodes'] = this.selfImitation.size;
    }
    row['perf/sps'] = Math.round((this.globalStep - this.stepsAtStart) / Math.max(1e-9, (performance.now() - this.clockStart) / 1000));
    this.options.metrics?.emit(row);
    return row;
  }

  /**
   * Raw observations `[rows x obsDim]` as the network sees them: through the
   * running observation statistics (no update) when `normalizeObs`, else a
   * copy. AIRL reads log pi of the expert's actions with it.
   */
  networkObs(raw: Float32Array, rows: number): Float32Array {
    const out = new Float32Array(rows * this.vec.obsDim);
    this.normalizer.normalizeObs(raw, rows, out, false);
    return out;
  }

  /**
   * The current network as a {@link Policy} with frozen normalization: plain
   * JS when the kind has a JS forward (the MLP), else a {@link NetworkPolicy}
   * over a copy of the network. The caller disposes it.
   */
  policy(seed = 0): Policy {
    const parts = {
      observationSpace: this.vec.singleObservationSpace,
      actionSpace: this.vec.singleActionSpace,
      obsStats: this.normalizer.obsRms?.getState() ?? null,
      clipObs: this.config.clipObs,
      seed,
    };
    const state = capturePolicy(this.net);
    const kind = policyKind(state.kind);
    return kind.jsPolicy ? kind.jsPolicy(state.spec, state.tensors, parts) : new NetworkPolicy(restorePolicy(state, 'PPO.policy'), parts);
  }

  /**
   * Scale-out, learner side (see agents/scale): takes a rollout that a copy of
   * this network collected elsewhere with {@link collect}, in place of
   * {@link collect}. The caller has written its transitions into
   * {@link rollout} (`rewards` = the env's rewards); `lastValues` is V of the
   * observation after its last step, `Float64Array [numEnvs]`. Counts its
   * env steps, merges the observations its envs returned into the
   * observation statistics (as a local collect does) and emits its finished
   * episodes; {@link update} follows.
   */
  acceptRollout(lastValues: Float64Array, finished: ReadonlyArray<{ return: number; length: number; success?: number }>): EpisodeRecord[] {
    const N = this.vec.numEnvs;
    if (lastValues.length !== N) throw new InvalidArgument(formatError('PPO.acceptRollout.lastValues', `length ${N} (numEnvs)`, `length ${lastValues.length}`, 'Send rollouts of the learner\'s numEnvs'));
    this.globalStep += this.config.batchSize;
    this.lastValues.set(lastValues);
    const rms = this.normalizer.obsRms;
    if (rms) {
      rms.update(this.buffer.rawObs.subarray(N * this.vec.obsDim), this.config.batchSize - N);
      rms.update(this.buffer.lastRawObs, N);
    }
    this.collected = true;
    return finished.map((e) => this.recordEpisode(e.return, e.length, e.success ?? -1));
  }

  /** Scale-out, worker side: adopts a learner's weights and normalization statistics before {@link collect}. */
  adoptPolicy(tensors: readonly NamedTensor[], normalizer: VecNormalizerState): void {
    this.net.writeTensors(tensors);
    this.normalizer.setState(normalizer);
  }

  /** V of the observation after the last collected step, `Float64Array [numEnvs]` (a worker ships it with its rollout). */
  get lastValue(): Float64Array {
    return this.lastValues;
  }

  /** A snapshot of everything needed to continue (weights, optimizer, statistics, RNG, counters). */
  trainingState(): PpoTrainingState {
    return {
      config: { ...this.config },
      policy: capturePolicy(this.net),
      optimizer: this.updater.getOptimizerState(),
      normalizer: this.normalizer.getState(),
      rng: this.rng.getState(),
      globalStep: this.globalStep,
      update: this.update_,
      episodes: this.episodes,
      wallSeconds: this.wallSeconds(),
      ...(this.updater.klRef ? { klRefCoef: this.updater.klRef.coef, reference: (this.referenceState ??= capturePolicy(this.updater.klRef.ref)) } : {}),
      ...(this.selfImitation ? { selfImitation: this.selfImitation.getState() } : {}),
    };
  }

  /** Frees tf variables (does not close the vector env). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.dispose();
    this.updater.dispose();
    this.updater.klRef?.dispose();
  }

  private rowOutput(row: number): ActOutput {
    const b = this.buffer;
    const N = this.vec.numEnvs;
    const ad = this.codec.actDim;
    return { actions: b.actions.subarray(row * ad, (row + N) * ad), logProbs: b.logProbs.subarray(row, row + N), values: b.values.subarray(row, row + N) };
  }

  /** Reward scaling over the rollout in step order (after the reward hook). */
  private scaleRewards(): void {
    const b = this.buffer;
    const N = this.vec.numEnvs;
    for (let t = 0; t < this.config.numSteps; t++) {
      const row = t * N;
      for (let i = 0; i < N; i++) this.ended[i] = b.terminated[row + i] | b.truncated[row + i];
      const r = b.rewards.subarray(row, row + N);
      this.normalizer.scaleRewards(r, this.ended, this.scaledRewards);
      r.set(this.scaledRewards);
    }
  }

  private async resetEnvs(): Promise<void> {
    const N = this.vec.numEnvs;
    const G = this.config.groupSize;
    const fresh = this.envState === 'fresh';
    // Group mode: the sub-envs of group g share one seed (config.seed + g on a fresh run, else one drawn per group).
    let seed: number | number[];
    if (G > 1) {
      const seeds: number[] = [];
      for (let g = 0; g < N / G; g++) seeds.push(fresh ? this.config.seed + g : this.rng.nextSeed());
      seed = Array.from({ length: N }, (_, i) => seeds[Math.floor(i / G)]);
    } else {
      seed = fresh ? this.config.seed : this.rng.nextSeed();
    }
    const { obs } = await this.vec.reset({ seed });
    this.nextRawObs.set(obs.subarray(0, N * this.vec.obsDim));
    this.normalizer.normalizeObs(obs, N, this.nextObs, !this.config.freezeObsStats);
    this.normalizer.resetReturns();
    this.nextDone.fill(0);
    this.startNext.fill(1);
    this.epReturn.fill(0);
    this.epLength.fill(0);
    this.finished.fill(0);
    this.groupSuccess.fill(-1);
    this.selfImitation?.dropRunning();
    for (let i = 0; i < N; i++) this.net.resetEpisode(i);
    this.noise?.resetAll();
    this.envState = 'running';
  }

  /**
   * Group mode, after a rollout: `charts/group_mixed_success`, the share of groups whose members' episodes
   * (tasks that report success, all ended) disagree on success: the groups whose advantages carry a success signal.
   */
  private emitGroupSpread(): void {
    const G = this.config.groupSize;
    const N = this.vec.numEnvs;
    let groups = 0;
    let mixed = 0;
    for (let g = 0; g < N; g += G) {
      const s = this.groupSuccess.subarray(g, g + G);
      if (s.some((x) => x < 0)) continue;
      groups++;
      if (s.some((x) => x !== s[0])) mixed++;
    }
    if (groups > 0) this.options.metrics?.emit({ global_step: this.globalStep, wall_s: this.wallSeconds(), 'charts/group_mixed_success': mixed / groups });
  }

  private finishEpisode(i: number, success: number, greedy = false): EpisodeRecord {
    const rec = this.recordEpisode(this.epReturn[i], this.epLength[i], success, greedy);
    this.epReturn[i] = 0;
    this.epLength[i] = 0;
    return rec;
  }

  /** Counts a finished episode and emits its metrics (`success` < 0: the task reports none; `greedy`: a greedy group member's, whose success is `charts/greedy_success`). */
  private recordEpisode(ret: number, length: number, success: number, greedy = false): EpisodeRecord {
    const rec: EpisodeRecord = { globalStep: this.globalStep, wallSeconds: this.wallSeconds(), return: ret, length };
    this.episodes += 1;
    const row: MetricRow = { global_step: rec.globalStep, wall_s: rec.wallSeconds, 'charts/episodic_return': rec.return, 'charts/episodic_length': rec.length };
    if (success >= 0) row[greedy ? 'charts/greedy_success' : 'charts/success'] = success;
    this.options.metrics?.emit(row);
    return rec;
  }
}

/** Sets the Gaussian actor's state-independent log-std (`actor.log_std` of the MLP, `head.actor.log_std` of the transformer) to `value`. */
function setActorLogStd(net: ActorCritic, value: number): void {
  const tensors = net.readTensors();
  const name = tensors.some((t) => t.name === 'head.actor.log_std') ? 'head.actor.log_std' : 'actor.log_std';
  if (!tensors.some((t) => t.name === name)) {
    net.dispose();
    throw new InvalidArgument(formatError('PPO config.actorLogStd', 'a network with a Gaussian head and a learned log-std', `a '${net.kind}' network for head ${JSON.stringify(net.head)}`, 'Drop actorLogStd for this network'));
  }
  net.writeTensors(tensors.map((t) => (t.name === name ? { ...t, data: new Float32Array(t.data.length).fill(value) } : t)));
}
