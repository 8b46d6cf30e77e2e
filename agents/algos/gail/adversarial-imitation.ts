import * as tf from '@tensorflow/tfjs';
import type { Rng, RngState } from '../../../src/core/rng.js';
import { RunningMeanStd, type RunningMeanStdState } from '../../../src/core/running-mean-std.js';
import type { OptimizerState } from '../../optim/adamw-options.js';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { MetricStream, MetricRow } from '../../../src/streams/metrics.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import type { RolloutBuffer } from '../../buffers/rollout-buffer.js';
import { LearnedReward, type LearnedRewardSpec, type LearnedRewardState } from '../../rewards/learned-reward.js';
import { Discriminator, type DiscriminatorConfig, type DiscriminatorStats } from '../../rewards/discriminator.js';
import { writeLearnedRewards } from '../../rewards/learned-reward-hook.js';
import { absorbingRows, checkTransitions, concatTransitions, selectFromParts, selectTransitions, type Transitions } from '../../rewards/transitions.js';
import type { HeadSpec } from '../../policies/param-layout.js';

/** What {@link AdversarialImitation} needs to build its reward. */
export interface AdversarialSetup {
  kind: 'gail' | 'airl';
  config: DiscriminatorConfig;
  /** Expert transitions (raw observations). */
  expert: Transitions;
  obsDim: number;
  head: HeadSpec;
  /** Box action bounds for continuous tasks (the encoder clips to them), else null. */
  actionBounds: { low: number[]; high: number[] } | null;
  /** The generator's discount (AIRL's shaping term). */
  gamma: number;
  rng: Rng;
  metrics?: MetricStream;
  /** A saved reward to continue from (its network only). */
  restore?: LearnedRewardState;
  /** A saved training state to resume exactly: network, discriminator optimizer, reward scale and RNG (overrides `restore`). */
  resume?: AdversarialState;
  /** The replay buffer of the run being resumed ({@link AdversarialImitation.getReplay}). */
  resumeReplay?: ReplayState | null;
}

/** A replay buffer as checkpoints keep it: its rollouts' sizes, and their transitions as flat float32 arrays (`algo.arrays`). */
export interface ReplayState {
  rows: number[];
  arrays: Record<string, Float32Array>;
}

/** The `algo.arrays` names of a saved replay buffer's columns. */
const REPLAY_COLUMNS = ['obs', 'actions', 'nextObs', 'terminated', 'absorbing'] as const;

/** What resuming an {@link AdversarialImitation} needs (checkpoints keep it in `algo.state.reward` and `algo.state.adversarial`). */
export interface AdversarialState {
  reward: LearnedRewardState;
  /** The discriminator's Adam moments, as JSON numbers (float32 values round-trip exactly). */
  optimizer: { groups: Record<string, { step: number; m: number[]; v: number[] }> };
  /** The running statistics that scale the learned reward. */
  rewardScale: RunningMeanStdState;
  rng: RngState;
}

/**
 * The adversarial half of GAIL (Ho & Ermon 2016, arXiv:1606.03476) and AIRL
 * (Fu et al. 2018, arXiv:1710.11248), as a PPO reward hook: after each
 * rollout, `updatesPerRollout` discriminator steps on expert versus rollout
 * transitions, then the rollout's rewards are overwritten with the logit
 * reward `log D - log(1 - D)` (= the discriminator logit: GAIL's score,
 * AIRL's `f - log pi`), which has no built-in survival bonus or penalty,
 * divided by its running std (`normalizeReward`). With `absorbing`, the
 * reward is measured from the absorbing state's logit, so ending an episode
 * is worth exactly what the discriminator says the absorbing state is
 * (see {@link DiscriminatorConfig.absorbing} and `writeLearnedRewards`).
 *
 * AIRL reads log pi of the expert's actions under the generator, so the
 * generator must be memoryless (an `evaluate` on single rows); it sees the
 * expert's observations as the generator does (`attach`'s `networkObs`:
 * PPO's running observation statistics when it normalizes them).
 */
export class AdversarialImitation {
  readonly reward: LearnedReward;
  readonly discriminator: Discriminator;
  readonly expert: Transitions;
  private readonly kind: 'gail' | 'airl';
  private readonly config: DiscriminatorConfig;
  private readonly rng: Rng;
  /** The loss weight of an absorbing-state sample (`config.absorbingWeight`, 0 resolved to 1/(1-gamma)). */
  private readonly absorbingWeight: number;
  private readonly metrics: MetricStream | undefined;
  private readonly scale = new RunningMeanStd([]);
  private generator: ActorCritic | null = null;
  /** Raw observations as the generator's network sees them (identity by default). */
  private networkObs: (raw: Float32Array, rows: number) => Float32Array = (raw) => raw;
  /** `inputStats: 'mixture'` on a new reward: its input statistics wait for the first rollout. */
  private statsPending: boolean;
  /** `replayCapacity`: the policy transitions of the last rollouts, oldest first (the current one last). */
  private readonly replay: Transitions[] = [];
  /** Policy transitions the discriminator last sampled from. */
  private poolRows = 0;
  /** The last discriminator step's figures (tests, logs). */
  last: DiscriminatorStats | null = null;

  constructor(s: AdversarialSetup) {
    checkTransitions(s.expert, s.obsDim, s.head.kind === 'categorical' ? s.head.nvec.length : s.head.dim, `${s.kind.toUpperCase()}.demonstrations`);
    this.kind = s.kind;
    this.config = s.config;
    this.rng = s.rng;
    this.metrics = s.metrics;
    this.absorbingWeight = s.config.absorbingWeight > 0 ? s.config.absorbingWeight : 1 / (1 - Math.min(s.gamma, 0.999));
    // One absorbing-state sample per terminated expert episode (the absorbing state is where it went).
    let ends = 0;
    for (let k = 0; k < s.expert.rows; k++) ends += s.expert.terminated[k];
    this.expert = s.config.absorbing && ends > 0 ? concatTransitions(s.expert, absorbingRows(s.obsDim, s.expert.actDim, ends)) : s.expert;
    const stats = observationStats(s.expert);
    const keep = s.config.observations;
    if (keep) {
      const bad = keep.find((j) => j >= s.obsDim);
      if (bad !== undefined) throw new InvalidArgument(formatError(`${s.kind.toUpperCase()}.reward.observations`, `observation indices in [0, ${s.obsDim})`, describeValue(bad), `The task's observation has ${s.obsDim} dimensions; list indices below that`));
    }
    const common = { obsDim: s.obsDim, head: s.head, hidden: [...s.config.hidden], obsMean: stats.mean, obsVar: stats.var, supportLow: stats.min, supportHigh: stats.max, actionLow: s.actionBounds?.low ?? null, actionHigh: s.actionBounds?.high ?? null, ...(keep ? { obsIndices: [...keep] } : {}) };
    const spec: LearnedRewardSpec = s.kind === 'gail' ? { kind: 'gail', ...common, inputs: s.config.inputs } : { kind: 'airl', ...common, stateOnly: s.config.stateOnly, gamma: s.gamma };
    const saved = s.resume?.reward ?? s.restore;
    this.reward = saved ? LearnedReward.restore({ ...saved }, this.rng.spawn(), `${s.kind}.restore`) : new LearnedReward(spec, this.rng.spawn());
    this.statsPending = !saved && s.config.inputStats === 'mixture';
    this.discriminator = new Discriminator(this.reward, s.config);
    if (s.resume) {
      try {
        if (s.resumeReplay) this.restoreReplay(s.resumeReplay, s.obsDim, s.expert.actDim);
        this.discriminator.setOptimizerState(optimizerFromJson(s.resume.optimizer, `${s.kind.toUpperCase()}.resume.optimizer`));
        this.scale.setState(s.resume.rewardScale);
        this.rng.setState(s.resume.rng);
      } catch (err) {
        this.dispose();
        throw err;
      }
    }
  }

  /** Policy transitions the discriminator last sampled from (the replay buffer's, or the last rollout's). */
  get replayRows(): number {
    return this.poolRows;
  }

  /** The replay buffer as checkpoints keep it (a copy), or null when it is off or empty. */
  getReplay(): ReplayState | null {
    if (this.config.replayCapacity <= 0 || this.replay.length === 0) return null;
    const all = concatTransitions(...this.replay);
    const arrays: Record<string, Float32Array> = {};
    for (const c of REPLAY_COLUMNS) {
      const a = all[c];
      arrays[`replay.${c}`] = a instanceof Float32Array ? a : Float32Array.from(a);
    }
    return { rows: this.replay.map((t) => t.rows), arrays };
  }

  private restoreReplay(r: ReplayState, obsDim: number, actDim: number): void {
    const total = r.rows.reduce((a, b) => a + b, 0);
    const width = { obs: obsDim, actions: actDim, nextObs: obsDim, terminated: 1, absorbing: 1 };
    for (const c of REPLAY_COLUMNS) {
      const a = r.arrays[`replay.${c}`];
      if (!a || a.length !== total * width[c]) throw new FileFormatError(formatError(`${this.kind.toUpperCase()}.resume.replay.${c}`, `${total} x ${width[c]} float32 values (rollouts of ${r.rows.join(', ')} transitions)`, a ? `${a.length} values` : 'none', 'Resume from a checkpoint written by lamkit imitate, whole'));
    }
    let at = 0;
    for (const n of r.rows) {
      const cut = <T extends Float32Array | Uint8Array>(c: (typeof REPLAY_COLUMNS)[number], Ctor: { from(a: ArrayLike<number>): T }): T => Ctor.from(r.arrays[`replay.${c}`].subarray(at * width[c], (at + n) * width[c]));
      this.replay.push({ obsDim, actDim, rows: n, obs: cut('obs', Float32Array), actions: cut('actions', Float32Array), nextObs: cut('nextObs', Float32Array), terminated: cut('terminated', Uint8Array), absorbing: cut('absorbing', Uint8Array) });
      at += n;
    }
  }

  /** The state {@link AdversarialSetup.resume} continues from (a copy). */
  getState(): AdversarialState {
    const groups: AdversarialState['optimizer']['groups'] = {};
    for (const [name, g] of Object.entries(this.discriminator.getOptimizerState().groups)) groups[name] = { step: g.step, m: Array.from(g.m), v: Array.from(g.v) };
    return { reward: this.reward.getState(), optimizer: { groups }, rewardScale: this.scale.getState(), rng: this.rng.getState() };
  }

  /**
   * The generator whose log pi AIRL reads (call once PPO has built it), and
   * how raw observations become its network's inputs (PPO's `networkObs`;
   * default: as they are).
   */
  attach(net: ActorCritic, networkObs?: (raw: Float32Array, rows: number) => Float32Array): void {
    if (this.kind === 'airl' && net.sequence) {
      throw new InvalidArgument(formatError('AIRL.generator', 'a memoryless network (mlp)', `a sequence network '${net.kind}'`, 'Use GAIL for sequence networks, or --policy-kind mlp'));
    }
    this.generator = net;
    if (networkObs) this.networkObs = networkObs;
  }

  /** The PPO reward hook: discriminator steps, then relabelling. */
  relabel(b: RolloutBuffer, globalStep: number, wallSeconds: number): void {
    const policy = rolloutTransitions(b, this.config.absorbing);
    const c = this.config;
    if (this.statsPending) {
      // Equal-weight mixture of the expert's and this rollout's states (as the balanced batches).
      const e = observationStats(this.expert);
      const p = observationStats(policy);
      this.reward.setInputStats(
        e.mean.map((m, j) => (m + p.mean[j]) / 2),
        e.var.map((v, j) => (v + p.var[j]) / 2 + ((e.mean[j] - p.mean[j]) / 2) ** 2),
      );
      this.statsPending = false;
    }
    const policyLogPi = this.kind === 'airl' ? rolloutLogPi(b, policy.rows) : null;
    const pool = this.replayPool(policy);
    this.poolRows = pool.reduce((n, t) => n + t.rows, 0);
    const sums = { loss: 0, accExpert: 0, accPolicy: 0, gradPenalty: 0 };
    for (let u = 0; u < c.updatesPerRollout; u++) {
      const ie = Int32Array.from({ length: Math.min(c.batchSize, this.expert.rows) }, () => this.rng.integer(0, this.expert.rows));
      const ip = Int32Array.from({ length: Math.min(c.batchSize, this.poolRows) }, () => this.rng.integer(0, this.poolRows));
      const e = selectTransitions(this.expert, ie);
      const p = selectFromParts(pool, ip);
      // log pi of the policy rows: the rollout's own (its policy is the generator now), or re-read for replayed rows.
      const lpPolicy = policyLogPi ? (pool.length === 1 ? Float32Array.from(ip, (k) => policyLogPi[k]) : this.logPi(p)) : null;
      const st = this.discriminator.step(e, p, this.kind === 'airl' ? this.logPi(e) : null, lpPolicy, this.absorbingWeight);
      for (const k of Object.keys(sums) as Array<keyof DiscriminatorStats>) sums[k] += st[k] / c.updatesPerRollout;
      this.last = st;
    }
    // Relabel: the logit of each real transition (policy rows are the valid ones, in order).
    // The generator's reward: the logit, AIRL's with -log pi weighted by logPiWeight.
    const w = c.logPiWeight ?? (this.reward.spec.head.kind === 'categorical' ? 1 : 0);
    const logits = this.logits(policy, policyLogPi && w !== 1 ? Float32Array.from(policyLogPi, (v) => w * v) : policyLogPi);
    const absorbingLogit = c.absorbing ? this.logits(absorbingRows(policy.obsDim, policy.actDim, 1), this.kind === 'airl' ? new Float32Array(1) : null)[0] : 0;
    const real = policy.rows - countOf(policy.absorbing);
    this.scale.update(logits.subarray(0, real), real);
    const div = c.normalizeReward ? Math.sqrt(this.scale.var[0] + 1e-8) : 1;
    writeLearnedRewards(b, logits, absorbingLogit, div);
    let sum = 0;
    for (let k = 0; k < real; k++) sum += logits[k];
    if (this.metrics && c.updatesPerRollout > 0) {
      const row: MetricRow = { global_step: globalStep, wall_s: wallSeconds, 'disc/loss': sums.loss, 'disc/acc_expert': sums.accExpert, 'disc/acc_policy': sums.accPolicy, 'charts/learned_reward_mean': sum / Math.max(1, real) };
      if (c.gradientPenalty > 0) row['disc/grad_penalty'] = sums.gradPenalty;
      if (c.replayCapacity > 0) row['disc/replay_rows'] = this.poolRows;
      this.metrics.emit(row);
    }
  }

  /**
   * The policy transitions the discriminator samples from, as rollouts in
   * order (sampled through `selectFromParts`, never concatenated): `policy`
   * alone without a replay buffer, else the last rollouts that fit in
   * `replayCapacity` transitions (at least this one).
   */
  private replayPool(policy: Transitions): readonly Transitions[] {
    const cap = this.config.replayCapacity;
    if (cap <= 0) return [policy];
    this.replay.push(policy);
    let total = this.replay.reduce((n, t) => n + t.rows, 0);
    while (total > cap && this.replay.length > 1) total -= this.replay.shift()!.rows;
    return this.replay;
  }

  /** Discriminator logits of rows (`score - log pi` for AIRL): `Float64Array [rows]`. */
  private logits(t: Transitions, logPi: Float32Array | null): Float64Array {
    const out = tf.tidy(() => {
      const s = this.reward.score(t);
      if (this.kind === 'gail') return s;
      return tf.sub(s, tf.tensor1d(logPi ?? this.logPi(t)));
    });
    const v = Float64Array.from(out.dataSync());
    out.dispose();
    return v;
  }

  /** log pi(a|s) of rows under the generator (0 on absorbing rows). */
  private logPi(t: Transitions): Float32Array {
    const net = this.generator;
    if (!net) throw new InvalidArgument(formatError('AIRL.logPi', 'a generator attached', 'none', 'Call attach(net) before the first rollout'));
    const lp = tf.tidy(() => net.evaluate({ obs: { rows: t.rows, flat: this.networkObs(t.obs, t.rows) }, actions: t.actions }).logProb);
    const out = Float32Array.from(lp.dataSync(), (v, i) => (t.absorbing[i] ? 0 : v));
    lp.dispose();
    return out;
  }

  dispose(): void {
    this.discriminator.dispose();
    this.reward.dispose();
  }
}

/**
 * The valid transitions of a rollout in flat order `t * envs + i`, with s'
 * the next row's raw observation (after an episode end that row holds the
 * true final observation, see {@link RolloutBuffer}) or `lastRawObs`; with
 * `absorbing`, one absorbing-state row per terminated step after them.
 */
export function rolloutTransitions(b: RolloutBuffer, absorbing: boolean): Transitions {
  const N = b.numEnvs;
  const od = b.obsDim;
  const ad = b.actDim;
  const valid = b.validIndices();
  let ends = 0;
  if (absorbing) for (const k of valid) ends += b.terminated[k];
  const n = valid.length + ends;
  const t: Transitions = { obsDim: od, actDim: ad, rows: n, obs: new Float32Array(n * od), actions: new Float32Array(n * ad), nextObs: new Float32Array(n * od), terminated: new Uint8Array(n), absorbing: new Uint8Array(n) };
  valid.forEach((k, r) => {
    t.obs.set(b.rawObs.subarray(k * od, (k + 1) * od), r * od);
    t.actions.set(b.actions.subarray(k * ad, (k + 1) * ad), r * ad);
    const next = k + N < b.numSteps * N ? b.rawObs.subarray((k + N) * od, (k + N + 1) * od) : b.lastRawObs.subarray((k % N) * od, ((k % N) + 1) * od);
    t.nextObs.set(next, r * od);
    t.terminated[r] = b.terminated[k];
  });
  for (let r = valid.length; r < n; r++) t.absorbing[r] = 1;
  return t;
}

/** log pi of the rollout's valid rows (in order), 0 for the absorbing rows after them. */
function rolloutLogPi(b: RolloutBuffer, rows: number): Float32Array {
  const out = new Float32Array(rows);
  b.validIndices().forEach((k, r) => (out[r] = b.logProbs[k]));
  return out;
}

/** A checkpoint's JSON optimizer state as AdamW's; a malformed one is a FileFormatError naming `where`. */
function optimizerFromJson(state: AdversarialState['optimizer'], where: string): OptimizerState {
  if (!state || typeof state !== 'object' || !state.groups || typeof state.groups !== 'object') {
    throw new FileFormatError(formatError(where, '{ groups: { <name>: { step, m, v } } }', describeValue(state), 'Resume a checkpoint written by lamkit imitate --algo gail|airl'));
  }
  const groups: OptimizerState['groups'] = {};
  for (const [name, g] of Object.entries(state.groups)) {
    if (!g || typeof g.step !== 'number' || !Array.isArray(g.m) || !Array.isArray(g.v)) {
      throw new FileFormatError(formatError(`${where}.groups.${name}`, '{ step, m: number[], v: number[] }', describeValue(g), 'Resume a checkpoint written by lamkit imitate --algo gail|airl'));
    }
    groups[name] = { step: g.step, m: Float32Array.from(g.m), v: Float32Array.from(g.v) };
  }
  return { groups };
}

function countOf(a: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i];
  return n;
}

/** Mean, variance and range of the real (non-absorbing) observations of `t`. */
function observationStats(t: Transitions): { mean: number[]; var: number[]; min: number[]; max: number[] } {
  const od = t.obsDim;
  const mean = new Array<number>(od).fill(0);
  const variance = new Array<number>(od).fill(0);
  const min = new Array<number>(od).fill(Infinity);
  const max = new Array<number>(od).fill(-Infinity);
  let n = 0;
  for (let r = 0; r < t.rows; r++) if (!t.absorbing[r]) n++;
  for (let r = 0; r < t.rows; r++) {
    if (t.absorbing[r]) continue;
    for (let j = 0; j < od; j++) {
      const x = t.obs[r * od + j];
      mean[j] += x / n;
      if (x < min[j]) min[j] = x;
      if (x > max[j]) max[j] = x;
    }
  }
  for (let r = 0; r < t.rows; r++) if (!t.absorbing[r]) for (let j = 0; j < od; j++) variance[j] += (t.obs[r * od + j] - mean[j]) ** 2 / n;
  return { mean, var: variance, min, max };
}
