import type { JsMsg } from '@nats-io/jetstream';
import type { PPO, RolloutSource, EpisodeRecord } from '../algos/ppo/ppo.js';
import type { MetricStream } from '../../src/streams/metrics.js';
import { LamkitError } from '../../src/core/errors.js';
import type { BrokerRun } from './broker-run.js';
import { readRollout, type RolloutMeta } from './rollout-message.js';
import { encodeWeights } from './weights-message.js';
import { brokerCall } from './retry.js';

/** Options of {@link BrokerRolloutSource}. */
export interface BrokerRolloutSourceOptions {
  broker: BrokerRun;
  envId: string;
  /** Rollouts collected with weights more than this many updates old are dropped (no V-trace; see docs/scale-out.md). */
  maxPolicyLag: number;
  /** Workers wait while this many rollouts are stored and not yet handed to the learner. */
  maxQueued: number;
  /**
   * One update is assembled from this many rollouts collected with the same
   * weights (K): each worker collects `numEnvs / K` sub-envs x `numSteps`,
   * and the learner places the K rollouts side by side in its
   * `numEnvs x numSteps` buffer (default 1).
   */
  rolloutsPerUpdate?: number;
  /** This learner instance (rollouts of earlier instances are dropped). */
  learnerId: string;
  /** Where the `broker/*` rows go (one after every update). */
  metrics: MetricStream;
  /** True once the user asked to stop (Ctrl-C): waiting for a rollout ends. */
  stop: () => boolean;
  log: (line: string) => void;
}

/** Counters of a learner's broker traffic (also in the `broker/*` metrics). */
export interface BrokerLearnerStats {
  /** Rollout messages taken from the stream (first deliveries). */
  received: number;
  used: number;
  /** Too old (`maxPolicyLag`), or from an earlier learner instance. */
  dropped: number;
  /** Redelivered messages already taken (an acknowledgement lost in a broker restart). */
  duplicates: number;
  /** Malformed, or the wrong shape (a worker of another task); terminated, not redelivered. */
  rejected: number;
  bytes: number;
  /** Seconds spent in broker work that a queued rollout does not hide: decode, acknowledge, publish weights, and taking a rollout that was already queued. */
  brokerSeconds: number;
  /** Seconds spent waiting for a rollout when none was queued (workers slower than the learner). */
  waitSeconds: number;
  /** Seconds of the updates themselves (from a rollout's acceptance to the end of its update). */
  updateSeconds: number;
  /** Seconds the workers spent collecting the rollouts trained on (their own clocks). */
  collectSeconds: number;
  workersSeen: Set<string>;
}

/**
 * The learner's side of scale-out as PPO's {@link RolloutSource}: takes
 * rollouts from the work-queue stream, drops those collected with weights
 * older than `maxPolicyLag` updates (or by an earlier learner instance),
 * assembles `rolloutsPerUpdate` of one weights version side by side in
 * PPO's buffer (versions never mix within an update), hands them to
 * `PPO.acceptRollout`, and after each update acknowledges them (so a
 * learner killed mid-update gets them again)
 * and publishes the new weights (awaited, together with the ack). The first `collect` (re)publishes the
 * current weights: a learner resumed from its checkpoint starts its workers
 * on them.
 */
export class BrokerRolloutSource implements RolloutSource {
  readonly stats: BrokerLearnerStats = { received: 0, used: 0, dropped: 0, duplicates: 0, rejected: 0, bytes: 0, brokerSeconds: 0, waitSeconds: 0, updateSeconds: 0, collectSeconds: 0, workersSeen: new Set() };
  private readonly opts: BrokerRolloutSourceOptions;
  /** The rollout seqs taken per worker instance (`workerId/instance`). */
  private readonly takenSeqs = new Map<string, TakenSeqs>();
  private readonly startMs = performance.now();
  private pending: JsMsg[] = [];
  /** The last update's rollouts: how many, from how many workers, of how many weights versions (always 1). */
  private lastBatch = { rollouts: 0, workers: 0, versions: 0 };
  private lastAge = 0;
  private acceptedAtMs = 0;
  private queuedBehind = 0;
  private published = false;
  /** The hint about --rollouts-per-update was printed. */
  private hinted = false;

  constructor(opts: BrokerRolloutSourceOptions) {
    this.opts = opts;
  }

  async collect(ppo: PPO): Promise<EpisodeRecord[] | null> {
    const { broker, maxPolicyLag, learnerId, stop } = this.opts;
    const K = this.opts.rolloutsPerUpdate ?? 1;
    if (!this.published) await this.publishWeights(ppo);
    const st = this.stats;
    const n = ppo.rollout.numEnvs / K;
    const lastValues = new Float64Array(ppo.rollout.numEnvs);
    // The rollouts of the update being assembled: all collected with the weights `version`.
    let batch: Array<{ msg: JsMsg; meta: RolloutMeta }> = [];
    let version = -1;
    while (!stop()) {
      const t0 = performance.now();
      const msg = await this.broker(() => broker.nextRollout(1000));
      const t1 = performance.now();
      if (this.queuedBehind > 0 && msg) st.brokerSeconds += (t1 - t0) / 1000;
      else st.waitSeconds += (t1 - t0) / 1000;
      if (!msg) continue;
      this.queuedBehind = msg.info.pending;
      let read: ReturnType<typeof readRollout>;
      try {
        read = readRollout(msg.data, ppo.rollout, K, 'lamkit train --broker rollout');
      } catch (err) {
        if (!(err instanceof LamkitError)) throw err;
        st.rejected++;
        if (st.rejected === 1 || st.rejected % 100 === 0) this.opts.log(`lamkit train: rejected a rollout (${st.rejected} so far): ${err.message}`);
        msg.term();
        continue;
      }
      const { meta } = read;
      const key = `${meta.workerId}/${meta.instance}`;
      let seqs = this.takenSeqs.get(key);
      if (!seqs) this.takenSeqs.set(key, (seqs = new TakenSeqs()));
      if (!seqs.take(meta.seq)) {
        st.duplicates++;
        await this.ack(msg);
        st.brokerSeconds += (performance.now() - t1) / 1000;
        continue;
      }
      st.received++;
      st.bytes += msg.data.length;
      st.workersSeen.add(meta.workerId);
      if (st.workersSeen.size === 2 && K === 1 && maxPolicyLag === 0 && !this.hinted) {
        this.hinted = true;
        this.opts.log(`lamkit train: a second worker (${meta.workerId}): at --rollouts-per-update 1 and --max-policy-lag 0 each update takes one rollout, so the others' rollouts of the same weights are dropped as stale; --rollouts-per-update <k> (a divisor of numEnvs ${ppo.rollout.numEnvs}) has k workers collect each update together (docs/scale-out.md)`);
      }
      const age = ppo.updates - meta.policyVersion;
      // Versions never mix within an update: an older rollout than the batch's is dropped; a newer one
      // (possible only at --max-policy-lag >= 1) replaces the batch, whose rollouts are dropped.
      const older = batch.length > 0 && meta.policyVersion < version;
      if (meta.learnerId !== learnerId || age < 0 || age > maxPolicyLag || older) {
        st.dropped++;
        await this.ack(msg);
        st.brokerSeconds += (performance.now() - t1) / 1000;
        continue;
      }
      if (batch.length > 0 && meta.policyVersion > version) {
        st.dropped += batch.length;
        await Promise.all(batch.map((b) => this.ack(b.msg)));
        batch = [];
      }
      version = meta.policyVersion;
      lastValues.set(read.place(batch.length), batch.length * n);
      batch.push({ msg, meta });
      st.brokerSeconds += (performance.now() - t1) / 1000;
      if (batch.length < K) continue;
      const finished = batch.flatMap((b) => b.meta.episodes);
      for (const b of batch) st.collectSeconds += Number.isFinite(b.meta.collectSeconds) ? b.meta.collectSeconds : 0;
      st.used += K;
      this.lastAge = age;
      this.pending = batch.map((b) => b.msg);
      this.lastBatch = { rollouts: K, workers: new Set(batch.map((b) => b.meta.workerId)).size, versions: new Set(batch.map((b) => b.meta.policyVersion)).size };
      const t2 = performance.now();
      const episodes = ppo.acceptRollout(lastValues, finished);
      this.acceptedAtMs = performance.now();
      st.brokerSeconds += (this.acceptedAtMs - t2) / 1000;
      return episodes;
    }
    return null;
  }

  /** True when the learner took the rollout `seq` of this worker instance (trained on or dropped). */
  taken(workerId: string, instance: string, seq: number): boolean {
    return this.takenSeqs.get(`${workerId}/${instance}`)?.has(seq) ?? false;
  }

  async afterUpdate(ppo: PPO): Promise<void> {
    const t0 = performance.now();
    this.stats.updateSeconds += (t0 - this.acceptedAtMs) / 1000;
    const pending = this.pending;
    this.pending = [];
    // Stored before the next rollout is taken: workers collect with weights at most one update old
    // (in the background the put would only progress while the learner waits, a few updates late).
    await Promise.all([...pending.map((m) => this.ack(m)), this.publishWeights(ppo)]);
    const st = this.stats;
    st.brokerSeconds += (performance.now() - t0) / 1000;
    const elapsed = Math.max(1e-9, (performance.now() - this.startMs) / 1000);
    this.opts.metrics.emit({
      global_step: ppo.step,
      wall_s: ppo.wallSeconds(),
      'broker/rollout_age': this.lastAge,
      'broker/workers_seen': st.workersSeen.size,
      'broker/rollouts_received': st.received,
      'broker/rollouts_dropped': st.dropped,
      'broker/batch_rollouts': this.lastBatch.rollouts,
      'broker/batch_workers': this.lastBatch.workers,
      'broker/batch_versions': this.lastBatch.versions,
      'broker/mb_per_s': st.bytes / 1e6 / elapsed,
      'broker/time_share': st.brokerSeconds / elapsed,
      'broker/wait_share': st.waitSeconds / elapsed,
      'broker/broker_s': st.brokerSeconds,
      'broker/wait_s': st.waitSeconds,
      'broker/update_s': st.updateSeconds,
      'broker/collect_s': st.collectSeconds,
    });
    this.opts.broker.publishStats('learner', { learnerId: this.opts.learnerId, version: ppo.updates, globalStep: ppo.step, used: st.used, dropped: st.dropped, workersSeen: st.workersSeen.size });
  }

  /** Publishes the current weights (the first: also those of a learner resumed from its checkpoint) and waits until they are stored. */
  async publishWeights(ppo: PPO): Promise<void> {
    const bytes = this.encodeWeights(ppo);
    await this.broker(() => this.opts.broker.publishWeights(bytes));
    this.published = true;
  }

  /** The current weights as version `ppo.updates` (`finished` once the run reached its last update). */
  private encodeWeights(ppo: PPO): Uint8Array {
    const state = ppo.trainingState();
    const { batchSize: _b, minibatchSize: _m, numUpdates: _n, ...config } = state.config;
    return encodeWeights({
      version: ppo.updates,
      learnerId: this.opts.learnerId,
      envId: this.opts.envId,
      config,
      policy: state.policy,
      normalizer: state.normalizer,
      maxQueued: this.opts.maxQueued,
      maxPolicyLag: this.opts.maxPolicyLag,
      rolloutsPerUpdate: this.opts.rolloutsPerUpdate ?? 1,
      finished: ppo.updates >= state.config.numUpdates,
    });
  }

  private ack(msg: JsMsg): Promise<unknown> {
    return this.broker(() => msg.ackAck());
  }

  /** A broker call that rides out a broker restart. */
  private broker<T>(call: () => Promise<T>): Promise<T> {
    return brokerCall(call, 'lamkit train', this.opts.log);
  }
}

/**
 * The seqs (0, 1, 2, ...) of one worker instance's rollouts the learner
 * took. Each is counted once however often it is delivered, and not only
 * in order: a rollout handed out as a broker restarts can be lost on the
 * way and come back after the ack wait, behind later ones, and is then a
 * first receipt, not a duplicate. Every seq below `next` was taken; the
 * few taken out of order wait in `ahead`.
 */
export class TakenSeqs {
  private next = 0;
  private readonly ahead = new Set<number>();

  has(seq: number): boolean {
    return seq < this.next || this.ahead.has(seq);
  }

  /** Marks `seq` taken; false when it already was (a redelivered duplicate). */
  take(seq: number): boolean {
    if (this.has(seq)) return false;
    this.ahead.add(seq);
    while (this.ahead.delete(this.next)) this.next++;
    return true;
  }
}
