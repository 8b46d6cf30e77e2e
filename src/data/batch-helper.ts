import { Worker } from 'node:worker_threads';

/**
 * The reading side's helper thread (one per batch iteration, PyTorch
 * DataLoader-worker style, but one thread and no copies of the data): a
 * plain-JS eval worker (no imports: it starts in milliseconds) over the
 * iteration's SharedArrayBuffer columns. Two jobs:
 *
 * - **first touch** ({@link BatchHelper.pretouch}): while the decoder fills
 *   the first files of a block, the helper writes one zero per 4 KiB page
 *   of the last files' rows (fresh memory's first write costs ~5 ms a MiB
 *   on lamkit's VMs, 3x the decoding itself);
 * - **gathering** ({@link BatchHelper.gather}): the helper assembles the
 *   odd-numbered full batches of a pass into a ring of shared slots while
 *   the iterating thread assembles the even ones and copies the helper's out
 *   in order (one sequential copy of a batch, ~10x cheaper than its random
 *   gather).
 *
 * Every file and every batch is claimed atomically by exactly one thread,
 * and the same code (the functions passed to {@link startBatchHelper}, as
 * source) gathers on both: the batches are the same, in the same order, as
 * without the helper (tested). A helper that cannot start, is late, or
 * fails leaves the work to the iterating thread.
 */
export interface BatchHelper {
  /**
   * Starts the first touch of `ranges[f][c]` (byte ranges of file f in
   * buffer c), from the last file backwards; the decoder calls `claim(f)`
   * before writing file f (the helper then leaves it alone: it stops at the
   * first file the decoder claimed) and `close()` after the last. The touch
   * is an atomic compare-exchange of 0 with 0 per page, so it never changes
   * a byte: the decoder never waits for it, even on a file the helper is
   * still touching.
   */
  pretouch(buffers: readonly SharedArrayBuffer[], ranges: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, order: PretouchOrder): { claim(f: number): void; close(): void };
  /** Starts gathering the odd batches of one pass; see {@link GatherJob}. */
  gather(job: GatherJobSpec): GatherJob;
  /** Batches the helper assembled so far (statistics, for tests and benches). */
  readonly helperBatches: number;
  /** Stops the thread. Idempotent. */
  close(): void;
}

/** When the helper's first touch runs relative to the decoding: `'race'` (default, both at once); `'helper-first'` (it takes every file, then the decoder writes); `'helper-last'` (after the decoding it touches every page once more: it must change no byte). */
export type PretouchOrder = 'race' | 'helper-first' | 'helper-last';

/** One pass of full batches: batch j takes `order[from + j*batchSize + b]` for b < batchSize, each an index into `rows`/`episode`/`frame`. */
export interface GatherJobSpec {
  order: Int32Array;
  from: number;
  count: number;
  batchSize: number;
  rows: Int32Array;
  episode: Int32Array;
  frame: Int32Array;
  /** Source columns (over SharedArrayBuffers) with their widths, element kinds and byte offsets in a batch's buffer, and normalizers. */
  columns: ReadonlyArray<{ values: Float32Array | Float64Array | Uint8Array; width: number; offset: number; norm: { mean: Float64Array; invStd: Float64Array } | null }>;
  /** Byte offsets of the batch's episode and frame indices, and its buffer's size. */
  episodeOffset: number;
  frameOffset: number;
  batchBytes: number;
  /** Tests: wait for the helper to assemble every odd batch instead of taking those it has not claimed yet. */
  waitForHelper?: boolean;
}

export interface GatherJob {
  /**
   * Batch j (in order, each once): a new ArrayBuffer holding it laid out
   * as the job says when the helper assembled it, or null when the caller
   * must assemble it itself (it is then claimed for the caller).
   */
  take(j: number): ArrayBuffer | null;
  /** Ends the pass (early or not). Idempotent. */
  close(): void;
}

/** How long the iterating thread waits for a batch the helper is assembling before assembling it itself. */
const PATIENCE_MS = 0.25;
/** Ring slots per pass: how far (in batches) the helper may run ahead of the consumer. */
const SLOTS = 8;
// ctl: [0] stop, [1] batches consumed, [2] helper batches (count).
const STOP = 0;
const CONSUMED = 1;
const HELPED = 2;
// Batch claims: free, the caller's, the helper's (in progress), done, failed.
const FREE = 0;
const MINE = 1;
const HELPER_WORKING = 2;
const HELPER_DONE = 3;
const HELPER_FAILED = 4;

/**
 * The worker's own code. `prefetchRows` and `copyColumn` are the iterating
 * thread's, inserted as source (function expressions, whatever a bundler
 * named them) so that both threads run the same arithmetic; they must refer
 * to nothing outside themselves.
 */
const helperSource = (prefetchRows: string, copyColumn: string): string => `
const { parentPort } = require('node:worker_threads');
const prefetchRows = (${prefetchRows});
const copyColumn = (${copyColumn});
let prefetchSink = 0;
const view = (kind, buffer) => kind === 'f32' ? new Float32Array(buffer) : kind === 'f64' ? new Float64Array(buffer) : new Uint8Array(buffer);
function pretouch({ claims, buffers, ranges, waitGo }) {
  const files = ranges.length;
  if (waitGo) Atomics.wait(claims, files + 1, 0);
  const views = buffers.map((b) => new Uint8Array(b));
  for (let f = files - 1; f >= 0; f--) {
    // After the decoding (waitGo, a test mode) it touches every file again, claimed or not: it must change no byte.
    if (Atomics.compareExchange(claims, f, 0, 2) !== 0 && !waitGo) break;
    for (let c = 0; c < views.length; c++) {
      const v = views[c];
      const to = ranges[f][c][1];
      // An atomic "0 -> 0": faults the page in for writing, and cannot undo a value the decoder wrote meanwhile.
      for (let i = ranges[f][c][0]; i < to; i += 4096) Atomics.compareExchange(v, i, 0, 0);
    }
  }
  Atomics.store(claims, files, 1);
  Atomics.notify(claims, files);
}
function gather(m) {
  const { ctl, claims, slots, order, from, count, batchSize: B, rows, episode, frame, columns, episodeOffset, frameOffset, batchBytes } = m;
  const S = ${SLOTS};
  const src = columns.map((c) => view(c.kind, c.buffer));
  const srcRow = new Int32Array(B);
  for (let j = 1; j < count; j += 2) {
    for (;;) {
      const consumed = Atomics.load(ctl, ${CONSUMED});
      if (Atomics.load(ctl, ${STOP}) !== 0 || j < consumed + S) break;
      Atomics.wait(ctl, ${CONSUMED}, consumed, 200);
    }
    if (Atomics.load(ctl, ${STOP}) !== 0) return;
    if (Atomics.compareExchange(claims, j, ${FREE}, ${HELPER_WORKING}) !== ${FREE}) continue;
    try {
      const base = (j % S) * batchBytes;
      const ep = new Int32Array(slots, base + episodeOffset, B);
      const fr = new Int32Array(slots, base + frameOffset, B);
      const at = from + j * B;
      for (let b = 0; b < B; b++) {
        const p = order[at + b];
        ep[b] = episode[p];
        fr[b] = frame[p];
        srcRow[b] = rows[p];
      }
      for (let c = 0; c < src.length; c++) prefetchSink += prefetchRows(src[c], srcRow, columns[c].width);
      for (let c = 0; c < src.length; c++) {
        const col = columns[c];
        const n = B * col.width;
        const to = col.kind === 'f32' ? new Float32Array(slots, base + col.offset, n) : col.kind === 'f64' ? new Float64Array(slots, base + col.offset, n) : new Uint8Array(slots, base + col.offset, n);
        copyColumn(src[c], to, srcRow, col.width, col.norm);
      }
      Atomics.store(claims, j, ${HELPER_DONE});
      Atomics.add(ctl, ${HELPED}, 1);
    } catch {
      Atomics.store(claims, j, ${HELPER_FAILED});
      Atomics.notify(claims, j);
      return;
    }
    Atomics.notify(claims, j);
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'pretouch') pretouch(m);
  else if (m.type === 'gather') gather(m);
});
`;

const kindOf = (a: Float32Array | Float64Array | Uint8Array): 'f32' | 'f64' | 'u8' => (a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'u8');

/**
 * Starts the helper thread, or returns null when it cannot start (the
 * caller then does everything itself). The iterating thread's
 * `prefetchRows(from, srcRow, w)` (returns the sum of what it loaded) and
 * `copyColumn(from, to, srcRow, w, nz)`: self-contained functions whose
 * source the helper runs.
 */
export function startBatchHelper(prefetchRows: Function, copyColumn: Function): BatchHelper | null {
  let worker: Worker;
  try {
    worker = new Worker(helperSource(prefetchRows.toString(), copyColumn.toString()), { eval: true, execArgv: [] });
  } catch {
    return null;
  }
  worker.on('error', () => {}); // claims nothing more: the iterating thread does the rest itself
  worker.unref();
  let closed = false;
  let helped = 0;
  // The ring of slots, reused from pass to pass (a pass's batches are all consumed before the next starts; the thread would hold on to a new buffer per pass until its own GC runs).
  let slots = new SharedArrayBuffer(0);
  const jobs = new Set<{ close(): void }>();
  return {
    get helperBatches() {
      return helped;
    },
    pretouch(buffers, ranges, order) {
      const files = ranges.length;
      // claims[f]: 0 free, 1 the decoder's, 2 the helper's; [files]: helper done; [files + 1]: go (helper-last).
      const claims = new Int32Array(new SharedArrayBuffer(4 * (files + 2)));
      const done = files;
      worker.postMessage({ type: 'pretouch', claims, buffers, ranges, waitGo: order === 'helper-last' });
      if (order === 'helper-first') Atomics.wait(claims, done, 0, 30_000);
      let ended = false;
      return {
        claim(f) {
          Atomics.compareExchange(claims, f, 0, 1);
        },
        close() {
          if (ended) return;
          ended = true;
          if (order === 'helper-last') {
            Atomics.store(claims, done + 1, 1);
            Atomics.notify(claims, done + 1);
            Atomics.wait(claims, done, 0, 30_000);
          }
        },
      };
    },
    gather(spec) {
      const ctl = new Int32Array(new SharedArrayBuffer(12));
      const claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, spec.count)));
      if (slots.byteLength < SLOTS * spec.batchBytes) slots = new SharedArrayBuffer(SLOTS * spec.batchBytes);
      const ring = slots;
      worker.postMessage({
        type: 'gather',
        ctl,
        claims,
        slots: ring,
        order: spec.order,
        from: spec.from,
        count: spec.count,
        batchSize: spec.batchSize,
        rows: spec.rows,
        episode: spec.episode,
        frame: spec.frame,
        columns: spec.columns.map((c) => ({ kind: kindOf(c.values), buffer: c.values.buffer, width: c.width, offset: c.offset, norm: c.norm })),
        episodeOffset: spec.episodeOffset,
        frameOffset: spec.frameOffset,
        batchBytes: spec.batchBytes,
      });
      let ended = false;
      const job = {
        take(j: number): ArrayBuffer | null {
          if (spec.waitForHelper && j % 2 === 1) Atomics.wait(claims, j, FREE, 30_000); // then it is the helper's (or the helper is gone: taken here)
          let state = Atomics.compareExchange(claims, j, FREE, MINE);
          let out: ArrayBuffer | null = null;
          if (state !== FREE) {
            // The helper is on it: wait a little (a batch takes it ~40 us on a free core), then, when it is not
            // done (descheduled on a loaded machine), assemble the batch here as well: the helper's copy, the
            // same bytes, is ignored, and its slot is only rewritten once the helper has finished with it.
            if (Atomics.load(claims, j) === HELPER_WORKING) Atomics.wait(claims, j, HELPER_WORKING, PATIENCE_MS);
            if (spec.waitForHelper && Atomics.load(claims, j) === HELPER_WORKING) Atomics.wait(claims, j, HELPER_WORKING, 30_000);
            state = Atomics.load(claims, j);
            if (state === HELPER_DONE) {
              out = new ArrayBuffer(spec.batchBytes);
              new Uint8Array(out).set(new Uint8Array(ring, (j % SLOTS) * spec.batchBytes, spec.batchBytes));
            }
          }
          Atomics.store(ctl, CONSUMED, j + 1);
          Atomics.notify(ctl, CONSUMED);
          return out;
        },
        close() {
          if (ended) return;
          ended = true;
          helped += Atomics.load(ctl, HELPED);
          Atomics.store(ctl, STOP, 1);
          Atomics.notify(ctl, CONSUMED);
          jobs.delete(job);
        },
      };
      jobs.add(job);
      return job;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const j of [...jobs]) j.close();
      void worker.terminate();
    },
  };
}
