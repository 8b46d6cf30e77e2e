/**
 * Waits until `condition()` holds, checking every 5 ms; fails after
 * `timeoutMs` naming `what`. For tests that wait for something to arrive
 * over a socket or a timer: a fixed sleep (`await sleep(20)`) holds on a
 * quiet machine and fails on a loaded one (two busy processes on two cores
 * delay delivery by tens of ms), while this returns as soon as it arrived.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!condition()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
