/**
 * What `tuneAllocator()` (src/core/tune-allocator.ts) changes: the time and
 * the minor page faults of making, filling and dropping a buffer of 110 KiB
 * (a 96 x 96 camera observation as float32), 256 KiB (a flood-size bridge
 * message) and 1 MiB, in a fresh process with the allocator tuned and in one
 * with `LAMKIT_TUNE_ALLOCATOR=0`, alternating, three rounds.
 *
 * Run: `npm run bench:allocator` (~20 s).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

const SIZES_KB = [110, 256, 1024];

const CHILD = `
import { readFileSync } from 'node:fs';
const { tuneAllocator } = await import(${JSON.stringify(new URL('../src/core/tune-allocator.ts', import.meta.url).href)});
const ran = await tuneAllocator();
const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const out = { ran, sizes: [] };
for (const kb of ${JSON.stringify(SIZES_KB)}) {
  let keep = 0;
  const make = () => { const a = new Float32Array(kb * 256); a.fill(1); keep += a[3]; };
  for (let i = 0; i < 100; i++) make();
  const n = Math.max(100, Math.floor(2000 * 110 / kb));
  const f0 = minflt();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) make();
  out.sizes.push({ kb, us: ((performance.now() - t0) * 1000) / n, faults: (minflt() - f0) / n, keep });
}
console.log(JSON.stringify(out));
`;

interface Row {
  ran: boolean;
  sizes: { kb: number; us: number; faults: number }[];
}

function run(tuned: boolean): Row {
  const env = { ...process.env, LAMKIT_TUNE_ALLOCATOR: tuned ? '1' : '0' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Row;
}

if (process.platform !== 'linux') {
  console.log('bench:allocator: Linux only (tuneAllocator does nothing elsewhere)');
  process.exit(0);
}
const load0 = loadavg()[0];
console.log('make + fill + drop one Float32Array, per buffer: microseconds and minor page faults (4 KiB pages), fresh process each');
for (let round = 1; round <= 3; round++) {
  for (const tuned of [false, true]) {
    const r = run(tuned);
    const cells = r.sizes.map((s) => `${s.kb} KiB ${s.us.toFixed(0)} us, ${s.faults.toFixed(1)} faults`).join(' | ');
    console.log(`round ${round}, ${tuned ? 'tuned  ' : 'default'}${r.ran !== tuned ? ' (tuneAllocator did not run as asked)' : ''}: ${cells}`);
  }
}
console.log(`load average (1 min) before/after: ${load0.toFixed(2)} / ${loadavg()[0].toFixed(2)} on 2 cores`);
