import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tuneAllocator } from '../../src/core/tune-allocator.js';

/**
 * Minor page faults per buffer of a fresh Node process that makes and drops
 * buffers of 256 KiB and 1 MiB (each filled, as a received WebSocket message
 * or a decoded page is), with or without `tuneAllocator()` first. Page faults, not time; the untuned count still
 * moves with the load (see the test).
 */
function faultsPerBuffer(tuned: boolean): number {
  const script = `
    import { readFileSync } from 'node:fs';
    const { tuneAllocator } = await import(${JSON.stringify(new URL('../../src/core/tune-allocator.ts', import.meta.url).href)});
    const ran = await tuneAllocator();
    const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
    let keep = 0;
    const make = (kb) => { const a = new Float32Array(kb * 256); a.fill(1); keep += a[3]; };
    for (let i = 0; i < 100; i++) make(256);
    const f0 = minflt();
    for (let i = 0; i < 400; i++) make(256);
    for (let i = 0; i < 100; i++) make(1024);
    console.log(JSON.stringify({ ran, faults: (minflt() - f0) / 500, keep }));
  `;
  const env = { ...process.env, LAMKIT_TUNE_ALLOCATOR: tuned ? '1' : '0' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { ran: boolean; faults: number };
  assert.equal(r.ran, tuned, 'tuneAllocator() runs unless LAMKIT_TUNE_ALLOCATOR=0');
  return r.faults;
}

test('tuneAllocator: buffers of 256 KiB and 1 MiB made and freed in a loop stop faulting in fresh pages (Linux)', { skip: process.platform !== 'linux' ? 'Linux only' : false, timeout: 60_000 }, () => {
  const untuned = faultsPerBuffer(false);
  const tuned = faultsPerBuffer(true);
  // Pages a buffer spans, on average (4 KiB pages): what each would fault in if all of its memory were fresh.
  const pages = (400 * 64 + 100 * 256) / 500;
  console.log(`minor page faults per buffer (400 of 256 KiB, 100 of 1 MiB, ${pages} pages each on average): ${untuned.toFixed(1)} by default, ${tuned.toFixed(1)} tuned`);
  // Measured here: 38-86 per buffer by default on a quiet machine, 21.6 with two CPU hogs running (glibc's own dynamic
  // threshold takes over sooner or later depending on when V8's GC frees the buffers, which the load changes); 4-5 tuned.
  assert.ok(tuned < pages / 10, `tuned: ${tuned.toFixed(1)} faults per buffer, expected under a tenth of the ${pages} pages a buffer spans (at least 90% of its memory reused)`);
  assert.ok(untuned > 2 * tuned, `without tuning, fresh buffers fault more of their pages in (got ${untuned.toFixed(1)} per buffer against ${tuned.toFixed(1)} tuned): if not, this C library keeps freed memory anyway and the test says nothing`);
});

test('tuneAllocator: runs once per process and resolves the same answer', async () => {
  const a = tuneAllocator();
  const b = tuneAllocator();
  assert.equal(a, b, 'the same promise');
  assert.equal(typeof (await a), 'boolean');
});
