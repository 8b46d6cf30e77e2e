import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, Consumer, JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { KV } from '@nats-io/kv';
import { formatError } from '../../src/core/errors.js';
import { BrokerError } from './broker-error.js';
import { MAX_HELD_ROLLOUTS } from './broker-limits.js';

/** Name of the learner's durable consumer on the rollout stream. */
const LEARNER_CONSUMER = 'learner';
/** The key of the run's key-value bucket that names the current weights object. */
const WEIGHTS_KEY = 'policy';
/** Weights objects kept besides the newest (a slow worker may still be reading one). */
const OLD_WEIGHTS_KEPT = 3;
/** A weights download that takes longer is abandoned and retried. */
const FETCH_TIMEOUT_MS = 30_000;
/** A rollout the learner took and did not acknowledge is handed out again after this (learner crash mid-update). */
export const ROLLOUT_ACK_WAIT_MS = 60_000;
/** Cap of the rollout stream; a full stream refuses new rollouts (workers retry) instead of deleting stored ones. */
const STREAM_MAX_BYTES = 1024 ** 3;

/**
 * One scale-out run on a NATS JetStream server, named `run`:
 *
 * - rollouts: subject `lamkit.<run>.rollouts` on the work-queue stream
 *   `LAMKIT_<run>_ROLLOUTS` (file storage: survives a broker restart; each
 *   message is removed once the learner acknowledges it; a worker's retry
 *   after a lost publish reply is deduplicated by its message id);
 * - weights: a new object `policy-<n>` in the object store bucket
 *   `lamkit-<run>` per publish (any size, chunked), named by key `policy`
 *   of the key-value bucket `lamkit-<run>` once stored; objects are never
 *   replaced in place (a reader of an object being replaced can wait
 *   forever for purged chunks), old ones are deleted a few versions later;
 * - stats: plain subjects `lamkit.<run>.stats.worker.<id>` and
 *   `lamkit.<run>.stats.learner` (JSON; not stored).
 *
 * Both roles create the stream and bucket if missing (same config, so it
 * is idempotent); the learner creates its durable consumer.
 */
export class BrokerRun {
  readonly nc: NatsConnection;
  readonly run: string;
  readonly rolloutSubject: string;
  readonly streamName: string;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly weights: ObjectStore;
  private readonly pointer: KV;
  private readonly weightsNames: string[] = [];
  private weightsCount = 0;
  private consumer: Consumer | null = null;
  private closed = false;

  private constructor(nc: NatsConnection, run: string, js: JetStreamClient, jsm: JetStreamManager, weights: ObjectStore, pointer: KV) {
    this.nc = nc;
    this.run = run;
    this.rolloutSubject = `lamkit.${run}.rollouts`;
    this.streamName = `LAMKIT_${run}_ROLLOUTS`;
    this.js = js;
    this.jsm = jsm;
    this.weights = weights;
    this.pointer = pointer;
  }

  /**
   * Opens (creating if needed) the run's stream and weights bucket on `nc`;
   * `learner` also creates the durable consumer. A server without
   * JetStream is a {@link BrokerError} naming `server`.
   */
  static async open(nc: NatsConnection, run: string, role: 'learner' | 'worker', where: string, server: string): Promise<BrokerRun> {
    const { jetstream, jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, AckPolicy } = await import('@nats-io/jetstream');
    const { Objm } = await import('@nats-io/obj');
    const { Kvm } = await import('@nats-io/kv');
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc);
    } catch (err) {
      throw new BrokerError(formatError(where, `JetStream enabled on ${server}`, `'${(err as Error).message}'`, 'Start the server with JetStream and file storage: nats-server -js -sd <dir>'), { cause: err });
    }
    const streamName = `LAMKIT_${run}_ROLLOUTS`;
    const subject = `lamkit.${run}.rollouts`;
    try {
      await jsm.streams.info(streamName);
    } catch {
      await jsm.streams.add({
        name: streamName,
        subjects: [subject],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_bytes: STREAM_MAX_BYTES,
        duplicate_window: 120e9,
      }).catch((err: unknown) => {
        // Another process created it between our look and our add.
        if (!/already in use/i.test((err as Error).message)) throw err;
      });
    }
    const js = jetstream(nc);
    const weights = await new Objm(js).create(`lamkit-${run}`, { storage: StorageType.File });
    const pointer = await new Kvm(js).create(`lamkit-${run}`, { history: 1 });
    const broker = new BrokerRun(nc, run, js, jsm, weights, pointer);
    if (role === 'learner') {
      await jsm.consumers.add(streamName, { durable_name: LEARNER_CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ROLLOUT_ACK_WAIT_MS * 1e6, max_ack_pending: MAX_HELD_ROLLOUTS });
    }
    return broker;
  }

  /** The largest message the server accepts, bytes (its `max_payload`). */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes one rollout; resolves once the server stored it (JetStream ack). `msgId` deduplicates retries. */
  async publishRollout(bytes: Uint8Array, msgId: string): Promise<void> {
    await this.js.publish(this.rolloutSubject, bytes, { msgID: msgId, timeout: 5000 });
  }

  /** The next rollout for the learner, or null when none came within `expiresMs`. */
  async nextRollout(expiresMs: number): Promise<JsMsg | null> {
    this.consumer ??= await this.js.consumers.get(this.streamName, LEARNER_CONSUMER);
    return this.consumer.next({ expires: expiresMs });
  }

  /** Rollouts stored and not yet handed to the learner (the queue workers throttle on). */
  async queuedRollouts(): Promise<number> {
    try {
      return (await this.jsm.consumers.info(this.streamName, LEARNER_CONSUMER)).num_pending;
    } catch {
      // No learner consumer yet: count what the stream holds.
      return (await this.jsm.streams.info(this.streamName)).state.messages;
    }
  }

  /**
   * The learner's consumer: rollouts stored and not yet handed out
   * (`queued`), and handed to the learner but not yet acknowledged (`held`:
   * the ones it is assembling an update from, or updating on).
   */
  async consumerState(): Promise<{ queued: number; held: number }> {
    try {
      const info = await this.jsm.consumers.info(this.streamName, LEARNER_CONSUMER);
      return { queued: info.num_pending, held: info.num_ack_pending };
    } catch {
      return { queued: (await this.jsm.streams.info(this.streamName)).state.messages, held: 0 };
    }
  }

  /** Messages the rollout stream holds now. */
  async storedRollouts(): Promise<number> {
    return (await this.jsm.streams.info(this.streamName)).state.messages;
  }

  /** Stores a new weights object, then points the `policy` key at it; deletes objects a few publishes old. */
  async publishWeights(bytes: Uint8Array): Promise<void> {
    const name = `policy-${Date.now().toString(36)}-${this.weightsCount++}`;
    await this.weights.putBlob({ name }, bytes);
    await this.pointer.put(WEIGHTS_KEY, name);
    this.weightsNames.push(name);
    while (this.weightsNames.length > OLD_WEIGHTS_KEPT + 1) {
      const old = this.weightsNames.shift() as string;
      this.weights.delete(old).catch(() => {});
    }
  }

  /** The name of the current weights object (changes with every publish; null: none published yet). */
  async weightsId(): Promise<string | null> {
    const entry = await this.pointer.get(WEIGHTS_KEY);
    return entry && entry.operation === 'PUT' ? entry.string() : null;
  }

  /** The weights object `id` (null: deleted meanwhile, ask {@link weightsId} again); a download stuck for 30 s fails (retry it). */
  async fetchWeights(id: string): Promise<Uint8Array | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`weights object ${id} not read within ${FETCH_TIMEOUT_MS} ms`)), FETCH_TIMEOUT_MS)));
    try {
      return await Promise.race([this.weights.getBlob(id), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Publishes stats as JSON on `lamkit.<run>.stats.<who>` (fire and forget; lost while disconnected). */
  publishStats(who: string, stats: Record<string, unknown>): void {
    if (this.closed || this.nc.isClosed()) return;
    this.nc.publish(`lamkit.${this.run}.stats.${who}`, JSON.stringify(stats));
  }

  /** Calls `onStats` with each worker's stats message. */
  subscribeWorkerStats(onStats: (stats: Record<string, unknown>) => void): Subscription {
    return this.nc.subscribe(`lamkit.${this.run}.stats.worker.*`, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const v = msg.json<Record<string, unknown>>();
          if (v !== null && typeof v === 'object') onStats(v);
        } catch {
          // Not JSON: someone else's message on our subject; ignore it.
        }
      },
    });
  }

  /** Drains and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** A subject-safe form of a worker id. */
export function subjectToken(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
