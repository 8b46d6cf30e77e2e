import { Worker } from 'node:worker_threads';
import { BackendError, ClosedError, FileFormatError, InvalidArgument, LamkitError, formatError } from '../core/errors.js';
import { EpisodeJournal, type EpisodeData } from './episode-journal.js';
import { episodeBytes, type DatasetSpec, type DatasetWriterOptions } from './dataset-writer.js';
import type { FeatureInfo } from './lerobot-format.js';
import { journalPath } from './writer-lock.js';
import type { WriterReply, WriterRequest } from './record-worker.js';

/** Running from the TypeScript sources (through tsx), workers need the bootstrap that registers tsx first (as AsyncVectorEnv's). */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? '../vector/worker-bootstrap.mjs' : './record-worker.js', import.meta.url);
const WORKER_ENTRY = new URL(FROM_SOURCE ? './record-worker.ts' : './record-worker.js', import.meta.url).href;

/**
 * The one worker thread that commits recordings (record-worker.ts), shared
 * by every {@link OffloadedWriter} of the process and kept between
 * recordings (starting one costs more CPU than a short recording's
 * commit). It does not keep the process alive unless a request is waiting.
 */
class WriterHost {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: WriterReply & { ok: true }) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;
  nextWriter = 1;

  constructor() {
    // The bootstrap registers tsx itself: drop the parent's `--import tsx` so it is not loaded twice.
    const execArgv = !FROM_SOURCE ? process.execArgv : process.execArgv.filter((a, i, all) => !(a === 'tsx' && all[i - 1] === '--import') && !(a === '--import' && all[i + 1] === 'tsx') && a !== '--import=tsx');
    this.worker = new Worker(WORKER_URL, { workerData: { entry: WORKER_ENTRY }, execArgv });
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.ok) w.resolve(reply);
      else w.reject(errorFrom(reply.error));
    });
    const die = (err: Error): void => {
      this.dead ??= err;
      if (host === this) host = null;
      for (const w of this.waiting.values()) w.reject(this.dead);
      this.waiting.clear();
    };
    this.worker.on('error', (err) => die(new BackendError(formatError('recordEpisodes (dataset writer thread)', 'the writer thread to run', `${err.name}: ${err.message}`, 'Record with { offload: false } to write on the recording thread'), { cause: err })));
    this.worker.on('exit', (code) => die(new BackendError(formatError('recordEpisodes (dataset writer thread)', 'the writer thread to run', `exit code ${code}`, 'Record with { offload: false } to write on the recording thread'))));
  }

  /** Sends a request and resolves with its answer (rejects with the writer's own typed error). */
  request(msg: Exclude<WriterRequest, { type: 'add' }>): Promise<WriterReply & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.set(msg.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(msg);
    });
  }

  id(): number {
    return this.nextId++;
  }

  /** Hands episodes over; their arrays that own their whole buffer are transferred (detached here), the rest copied. */
  add(writer: number, episodes: EpisodeData[]): void {
    if (this.dead) throw this.dead;
    const transfer = new Set<ArrayBuffer>();
    for (const episode of episodes) {
      for (const v of Object.values(episode.frames)) {
        if (!Array.isArray(v) && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) transfer.add(v.buffer);
      }
    }
    this.worker.postMessage({ type: 'add', writer, episodes } satisfies WriterRequest, [...transfer]);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

let host: WriterHost | null = null;

/** Starts the shared writer thread now (it loads while the first episode runs). */
export function startRecordWorker(): void {
  host ??= new WriterHost();
}

/** Stops the shared writer thread (a later recording starts a new one). Idempotent; do not call while a recording runs. */
export async function closeRecordWorker(): Promise<void> {
  const h = host;
  host = null;
  await h?.terminate();
}

/** The house's typed errors by name, to re-throw what the writer thread threw as the same class. */
const ERRORS: Record<string, new (message: string) => LamkitError> = { InvalidArgument, FileFormatError, BackendError, ClosedError };

function errorFrom(e: { name: string; message: string }): Error {
  const Cls = ERRORS[e.name];
  if (Cls) return new Cls(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * Episodes are handed to the writer thread in batches of at least this many
 * frames (they are journaled one by one before that): one message and one
 * wake-up of the writer thread per ~10 short episodes instead of per
 * episode, which costs CPU on both threads.
 */
const HANDOVER_FRAMES = 512;

/**
 * A {@link DatasetWriter} whose work after the journal runs on a worker
 * thread, for `recordEpisodes`: `addEpisode` journals the episode on the
 * calling thread (one `writev`: when it returns, the episode survives a
 * kill, as with `DatasetWriter`) and hands its arrays over in batches
 * (transferred: the caller must not use them again); the writer thread computes the
 * statistics, keeps the pending columns and encodes and commits the files,
 * with `DatasetWriter`'s own code and order guarantees. On two cores that
 * work overlaps the env loop instead of interrupting it.
 */
export class OffloadedWriter {
  readonly root: string;
  private readonly journal: EpisodeJournal;
  private episodes: number;
  private frames: number;
  private pendingBytes = 0;
  /** Journaled episodes not handed over yet (see {@link HANDOVER_FRAMES}). */
  private batch: EpisodeData[] = [];
  private batchFrames = 0;
  private closed = false;

  private constructor(
    private readonly host: WriterHost,
    private readonly id: number,
    root: string,
    opened: WriterReply & { ok: true },
    private readonly fileBytes: number,
    sync: boolean,
    readonly features: Record<string, FeatureInfo>,
  ) {
    this.root = root;
    this.episodes = opened.totalEpisodes;
    this.frames = opened.totalFrames;
    this.journal = new EpisodeJournal(journalPath(root), { sync });
  }

  /** Opens (creates, recovers, appends to) the dataset in the writer thread; the same checks and errors as `DatasetWriter.open`. */
  static async open(root: string, spec: DatasetSpec, options: DatasetWriterOptions = {}): Promise<OffloadedWriter> {
    startRecordWorker();
    const h = host!;
    const writer = h.nextWriter++;
    const opened = await h.request({ type: 'open', id: h.id(), writer, root, spec, options });
    return new OffloadedWriter(h, writer, root, opened, opened.fileBytes!, options.syncEveryEpisode ?? false, opened.features!);
  }

  get totalEpisodes(): number {
    return this.episodes;
  }

  get totalFrames(): number {
    return this.frames;
  }

  /** The pending episodes fill a data file: call {@link flush} before the next episode. */
  get flushDue(): boolean {
    return this.pendingBytes >= this.fileBytes;
  }

  /**
   * Journals the episode and hands it to the writer thread; returns its
   * index. A bad episode is reported by the next `flush` / `closeAsync`
   * (it is journaled; opening the dataset commits what was valid).
   */
  addEpisode(episode: EpisodeData): number {
    if (this.closed) throw new InvalidArgument(formatError('OffloadedWriter.addEpisode', 'an open writer', 'a closed one', 'Open the dataset again to append'));
    const index = this.episodes;
    this.journal.append({ episodeIndex: index, episode });
    this.episodes++;
    this.frames += episode.length;
    this.pendingBytes += episodeBytes(episode);
    this.batch.push(episode);
    this.batchFrames += episode.length;
    if (this.batchFrames >= HANDOVER_FRAMES) this.handOver();
    return index;
  }

  private handOver(): void {
    if (this.batch.length === 0) return;
    const episodes = this.batch;
    this.batch = [];
    this.batchFrames = 0;
    this.host.add(this.id, episodes);
  }

  /** Commits the pending episodes as a data file (in the writer thread), then empties the journal. */
  async flush(): Promise<void> {
    this.handOver();
    await this.host.request({ type: 'flush', id: this.host.id(), writer: this.id });
    // Nothing was journaled meanwhile (the caller awaited): every journaled episode is committed.
    this.journal.truncate();
    this.pendingBytes = 0;
  }

  /** Commits the pending episodes and closes (the writer thread removes the journal and the lock). Idempotent. */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.handOver();
      await this.host.request({ type: 'close', id: this.host.id(), writer: this.id });
    } finally {
      this.journal.close();
    }
  }
}
