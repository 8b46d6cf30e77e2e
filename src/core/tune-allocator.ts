/**
 * Keeps freed memory in the process instead of handing it back to the
 * kernel after every large buffer (Linux with glibc; elsewhere a no-op).
 *
 * Why: glibc's malloc serves blocks over `M_MMAP_THRESHOLD` (128 KiB at
 * start) with a fresh `mmap` and returns the free top of its heap to the
 * kernel once it exceeds `M_TRIM_THRESHOLD` (also ~128 KiB). Buffers of a
 * few hundred KiB allocated and freed in a loop (a WebSocket message, a
 * camera observation, a Parquet page, a batch) then get fresh pages each
 * time, and the first touch of a fresh page is a page fault. On the
 * project's reference VM (Firecracker, free pages reported to the host) that
 * costs ~5-7 ms per MiB: a 110 KiB `Float32Array` took 0.5-1.2 ms to
 * allocate, 0.01-0.04 ms once tuned; a 256 KiB `Buffer` 1.5-2.3 ms filled,
 * 0.09-0.13 ms tuned (`docs/benchmarks.md`, "Allocator").
 *
 * How: glibc raises both thresholds by itself ("dynamic mmap threshold",
 * mallopt(3)): when a block that was allocated by `mmap` and is at most
 * 32 MiB is freed, `M_MMAP_THRESHOLD` becomes its size and `M_TRIM_THRESHOLD`
 * twice that. So one 31 MiB `ArrayBuffer`, allocated and freed once
 * (transferred into a message that a closed channel drops: freed within
 * a turn of the event loop, no garbage collection needed, ~3 ms), makes every later block under 31 MiB come from the
 * heap and keeps up to ~62 MiB of free heap mapped. The cost: up to that
 * much memory stays resident after a peak; blocks over 31 MiB still use
 * `mmap`. Runs once per process; `LAMKIT_TUNE_ALLOCATOR=0` turns it off.
 *
 * Called by the `lamkit` command at start, `BridgeServer.listen`, and the
 * dataset recorder and reader; a program using lamkit as a library may call
 * it itself.
 */
let once: Promise<boolean> | null = null;

/** Size of the block whose release raises glibc's thresholds: under its 32 MiB cap (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit). */
export const TUNE_BLOCK_BYTES = 31 * 1024 * 1024;

/**
 * Tunes the allocator once per process (see the module comment). Resolves
 * true when it ran (Linux; with another C library than glibc it does no
 * harm), false when it did not apply or was turned off. Never rejects: a
 * failure leaves the defaults.
 */
export function tuneAllocator(): Promise<boolean> {
  once ??= run();
  return once;
}

async function run(): Promise<boolean> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return false;
  if (process.env.LAMKIT_TUNE_ALLOCATOR === '0') return false;
  try {
    const block = new ArrayBuffer(TUNE_BLOCK_BYTES); // calloc: a fresh mmap of its own, one page touched below
    new Uint8Array(block)[0] = 1;
    await freeNow(block);
    return true;
  } catch {
    return false;
  }
}

/**
 * Frees an `ArrayBuffer`'s memory now instead of at a later garbage
 * collection: it is transferred into a message on a channel that is closed
 * before anyone receives it, and the undelivered message is dropped with the
 * channel. Resolves once that has happened (~1 ms). The buffer is detached
 * (length 0) from the call on.
 */
export async function freeNow(buffer: ArrayBuffer): Promise<void> {
  const { MessageChannel } = await import('node:worker_threads');
  await new Promise<void>((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(buffer, [buffer]); // the memory now belongs to the message, which is never received
    port2.once('close', () => setImmediate(resolve));
    port1.close();
    port2.close(); // the undelivered message is dropped with the channel, and its memory freed (no GC needed)
  });
}
