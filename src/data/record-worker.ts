/**
 * Worker-thread entry of {@link OffloadedWriter} (not a public module): hosts
 * the {@link DatasetWriter}s of recordings whose loop runs on another
 * thread. That thread journals each finished episode itself (so an episode
 * is crash-safe when its loop moves on) and hands the episode's arrays over
 * here; this thread computes the statistics, keeps the pending columns and
 * encodes and commits the data files, overlapping the env loop.
 */
import { parentPort } from 'node:worker_threads';
import { DatasetWriter, type DatasetSpec, type DatasetWriterOptions } from './dataset-writer.js';
import type { EpisodeData } from './episode-journal.js';

/** Messages to the worker. Every one but `add` is answered with the same `id`. */
export type WriterRequest =
  | { type: 'open'; id: number; writer: number; root: string; spec: DatasetSpec; options: DatasetWriterOptions }
  | { type: 'add'; writer: number; episodes: EpisodeData[] }
  | { type: 'flush'; id: number; writer: number }
  | { type: 'close'; id: number; writer: number };

/** Answers: the writer's totals after the request, or the error it threw (an `add`'s error answers the next request). */
export type WriterReply =
  | { id: number; ok: true; totalEpisodes: number; totalFrames: number; features?: DatasetWriter['features']; fileBytes?: number }
  | { id: number; ok: false; error: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('record-worker: expected to run in a worker thread');
const writers = new Map<number, DatasetWriter>();
/** The first error of a writer's `add`s, reported by its next request. */
const failed = new Map<number, unknown>();

const errorOf = (err: unknown): { name: string; message: string } => ({ name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) });

port.on('message', (msg: WriterRequest) => {
  if (msg.type === 'add') {
    const w = writers.get(msg.writer);
    if (!w || failed.has(msg.writer)) return;
    try {
      for (const episode of msg.episodes) w.addEpisode(episode);
    } catch (err) {
      failed.set(msg.writer, err);
    }
    return;
  }
  void handle(msg).then(
    (reply) => port.postMessage(reply),
    (err) => port.postMessage({ id: msg.id, ok: false, error: errorOf(err) } satisfies WriterReply),
  );
});

async function handle(msg: Exclude<WriterRequest, { type: 'add' }>): Promise<WriterReply> {
  if (msg.type === 'open') {
    const w = await DatasetWriter.open(msg.root, msg.spec, msg.options);
    w.detachJournal();
    writers.set(msg.writer, w);
    return { id: msg.id, ok: true, totalEpisodes: w.totalEpisodes, totalFrames: w.totalFrames, features: w.features, fileBytes: w.fileBytes };
  }
  const w = writers.get(msg.writer);
  if (!w) throw new Error(`record-worker: no writer ${msg.writer}`);
  const err = failed.get(msg.writer);
  if (msg.type === 'close') {
    writers.delete(msg.writer);
    failed.delete(msg.writer);
    // A failed add: close without committing (the journal keeps every episode; opening the dataset recovers them).
    if (err !== undefined) {
      w.abandon();
      throw err;
    }
    await w.closeAsync();
  } else {
    if (err !== undefined) throw err;
    w.flush();
  }
  return { id: msg.id, ok: true, totalEpisodes: w.totalEpisodes, totalFrames: w.totalFrames };
}
