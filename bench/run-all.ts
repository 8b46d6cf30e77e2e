/**
 * `npm run bench`: runs every performance benchmark of bench/ one after
 * another (each in its own process), collects the figures from the JSON
 * each writes to bench/results/, and rewrites the generated table of
 * docs/benchmarks.md: each figure beside its reference (docs/references.md)
 * and the ratio, with the machine load while that benchmark ran. Only the
 * block between the BEGIN/END GENERATED markers is rewritten; the rest of
 * the file (hand-written sections, other people's) is left as it is.
 *
 *   npm run bench [-- --quick] [--only env,sim] [--no-write]
 *
 * `--quick` runs each benchmark's short mode (about 2-3 minutes in all on
 * the 2-core reference machine; the full run takes about 6-10). Each
 * benchmark's figures are also in bench/results/<name>.json.
 * To add a benchmark: an entry in BENCHES with its command and a
 * `figures` function reading its JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { benchArgs } from './ppo-goal-run.js';
import { reference, referenceText, ratioToReference } from './references.js';

/** One row of the generated table. */
export interface BenchFigure {
  figure: string;
  value: number;
  unit: string;
  /** A docs/references.md id, or a target written as text (no ratio). */
  reference?: { id: string } | { target: string };
}

interface Bench {
  name: string;
  /** Arguments after `node --import tsx`. */
  command: (quick: boolean) => string[];
  json: string | null;
  figures: (json: any, stdout: string) => BenchFigure[];
}

const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export const BENCHES: Bench[] = [
  {
    name: 'env',
    command: (q) => ['bench/env-throughput.ts', ...(q ? ['--quick'] : [])],
    json: 'bench/results/env-throughput.json',
    figures: (j) =>
      (j.figures as Array<{ task: string; setup: string; stepsPerSecond: number }>)
        .filter((f) => !f.task.startsWith('Busy'))
        .map((f) => ({
          figure: `${f.task}, ${f.setup}`,
          value: f.stepsPerSecond,
          unit: 'steps/s',
          ...(f.setup === 'one env, make()' && f.task === 'CartPole-v1' ? { reference: { id: 'gymnasium.cartpole.sps' } } : {}),
          ...(f.setup === 'one env, make()' && f.task === 'Pendulum-v1' ? { reference: { id: 'gymnasium.pendulum.sps' } } : {}),
        }))
        .concat(j.breakEvenUs === null ? [] : [{ figure: 'AsyncVectorEnv break-even step cost (8 sub-envs, 2 workers)', value: j.breakEvenUs, unit: 'us' }]),
  },
  {
    name: 'sim',
    command: (q) => ['bench/sim-throughput.ts', ...(q ? ['--quick'] : [])],
    json: 'bench/results/sim-throughput.json',
    figures: (j) => [
      ...(j.throughput as Array<{ id: string; taskStepsPerCpuSecond: number; costRatio: number }>).flatMap((t) => [
        {
          figure: `${t.id} task step, CPU time`,
          value: t.taskStepsPerCpuSecond,
          unit: 'steps/s CPU',
          ...(t.id === 'Reacher-v5' ? { reference: { id: 'mujoco-wasm.reacher.cpu-sps' } } : t.id === 'InvertedPendulum-v5' ? { reference: { id: 'mujoco-wasm.inverted-pendulum.cpu-sps' } } : {}),
        },
        { figure: `${t.id} task / raw physics cost`, value: t.costRatio, unit: 'x', reference: { target: 'goal <= 1.10' } },
      ]),
      ...(j.experts as Array<{ id: string; successRate: number; episodes: number }>).map((e) => ({ figure: `${e.id} scripted expert success (${e.episodes} episodes)`, value: 100 * e.successRate, unit: '%', reference: { target: 'goal >= 95%' } })),
    ],
  },
  {
    name: 'render',
    command: (q) => ['bench/render-cost.ts', ...(q ? ['--quick'] : [])],
    json: 'bench/results/render-cost.json',
    figures: (j) =>
      (j.figures as Array<{ name: string; value: number; unit: string }>).map((f) => ({
        figure: f.name,
        value: f.unit === 'ms' && f.name === 'chromium start-up' ? f.value / 1000 : f.value,
        unit: f.name === 'chromium start-up' ? 's' : f.unit,
        ...(f.name === 'chromium start-up' ? { reference: { id: 'chromium.startup.s' } } : f.name === '84x84 render' ? { reference: { id: 'chromium.render-84.ms' } } : {}),
      })),
  },
  {
    name: 'ppo',
    command: (q) => ['bench/ppo-cartpole.ts', '--seeds', q ? '1' : '1,2,3'],
    json: 'bench/results/ppo-cartpole.json',
    figures: (j) => {
      const runs = j.runs as Array<{ stepsToGoal: number | null; wallSecondsToGoal: number | null; seed: number }>;
      const hit = runs.filter((r) => r.stepsToGoal !== null);
      const seeds = runs.map((r) => r.seed).join(',');
      if (hit.length < runs.length) return [{ figure: `PPO CartPole-v1 tuned, seeds ${seeds}: runs reaching mean20 475`, value: hit.length, unit: `of ${runs.length}` }];
      return [
        { figure: `PPO CartPole-v1 tuned, seeds ${seeds}: steps to mean20 475 (mean)`, value: avg(hit.map((r) => r.stepsToGoal as number)), unit: 'env steps', reference: { id: 'cleanrl.ppo.cartpole.steps-to-475' } },
        { figure: `PPO CartPole-v1 tuned, seeds ${seeds}: wall to mean20 475 (mean)`, value: avg(hit.map((r) => r.wallSecondsToGoal as number)), unit: 's', reference: { id: 'cleanrl.ppo.cartpole.wall-to-475' } },
      ];
    },
  },
  {
    name: 'ppo-inference',
    command: () => ['bench/ppo-inference.ts'],
    json: 'bench/results/ppo-inference.json',
    figures: (j) =>
      (j.rows as Array<{ obsDim: number; batch: number; jsUs: number; tfUs: number }>).flatMap((r) => [
        { figure: `policy forward, obs ${r.obsDim}, batch ${r.batch}: plain JS`, value: r.jsUs, unit: 'us/step' },
        { figure: `policy forward, obs ${r.obsDim}, batch ${r.batch}: tfjs ${j.backend} batched`, value: r.tfUs, unit: 'us/step' },
      ]),
  },
  {
    name: 'ppo-grad-step',
    command: (q) => ['bench/ppo-grad-step.ts', '--rows', q ? '256' : '256,1024'],
    json: 'bench/results/ppo-grad-step.json',
    figures: (j) =>
      (j.results as Array<{ rows: number; explicitUs: number; autodiffUs: number }>).flatMap((r) => [
        { figure: `PPO gradient step, minibatch ${r.rows}: explicit`, value: r.explicitUs, unit: 'us' },
        { figure: `PPO gradient step, minibatch ${r.rows}: autodiff`, value: r.autodiffUs, unit: 'us' },
      ]),
  },
  {
    name: 'bridge',
    command: (q) => ['bench/bridge-latency.ts', ...(q ? ['--quick'] : [])],
    json: 'bench/results/bridge-latency.json',
    figures: (j) => [
      { figure: 'bridge, one robot lockstep', value: j.oneRobot.hz, unit: 'Hz', reference: { target: 'goal >= 1000 Hz' } },
      { figure: 'bridge, one robot round trip p99', value: j.oneRobot.p99Ms, unit: 'ms', reference: { target: 'goal < 2 ms' } },
      { figure: 'bridge, 100 robots x 50 Hz round trip p99', value: j.fleet.p99Ms, unit: 'ms', reference: { target: 'goal < 10 ms' } },
      // Issue 10: a 100 Hz robot beside an authenticated connection flooding expensive messages (default budgets).
      { figure: 'bridge, noisy neighbour: 100 Hz robot step gap p99', value: j.noisyNeighbour.flooded.p99Ms, unit: 'ms', reference: { target: 'goal < 20 ms on a quiet 2-core machine' } },
      { figure: 'bridge, noisy neighbour: 100 Hz robot step gap max', value: j.noisyNeighbour.flooded.maxMs, unit: 'ms', reference: { target: 'goal < 250 ms on a quiet 2-core machine' } },
    ],
  },
  {
    name: 'worker-roundtrip',
    command: () => ['bench/worker-roundtrip.ts'],
    json: null,
    figures: (_j, stdout) => {
      const us = (label: string): number => Number(new RegExp(`${label}\\s+([\\d.]+) us`).exec(stdout)?.[1] ?? NaN);
      return [
        { figure: 'worker round trip (2 workers), Atomics', value: us('Atomics.wait / Atomics.waitAsync'), unit: 'us' },
        { figure: 'worker round trip (2 workers), postMessage', value: us('postMessage pair per worker'), unit: 'us' },
      ];
    },
  },
];

/** d3-like number formatting for the table (3 significant digits, k/M). */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return String(+x.toPrecision(3));
}

const BEGIN = '<!-- BEGIN GENERATED BY `npm run bench` (bench/run-all.ts): edits inside this block are overwritten -->';
const END = '<!-- END GENERATED BY `npm run bench` -->';

/** Replaces the generated block of `text` (appends one at the end when absent). */
export function replaceGeneratedBlock(text: string, block: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const fresh = `${BEGIN}\n${block.trimEnd()}\n${END}`;
  if (start < 0 || end < start) return `${text.trimEnd()}\n\n${fresh}\n`;
  return text.slice(0, start) + fresh + text.slice(end + END.length);
}

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2));
  const quick = args.has('quick');
  const only = args.get('only')?.split(',');
  const rows: string[] = [];
  const failures: string[] = [];
  const started = new Date();
  for (const bench of BENCHES) {
    if (only && !only.includes(bench.name)) continue;
    const argv = ['--import', 'tsx', ...bench.command(quick)];
    const load0 = loadavg()[0];
    const t0 = performance.now();
    process.stdout.write(`# npm run bench: ${bench.name}: node ${argv.slice(2).join(' ')}\n`);
    const before = bench.json && existsSync(bench.json) ? readFileSync(bench.json, 'utf8') : null;
    const run = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
    process.stdout.write(run.stdout ?? '');
    const seconds = (performance.now() - t0) / 1000;
    const load = `${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`;
    const fresh = bench.json ? existsSync(bench.json) && readFileSync(bench.json, 'utf8') !== before : true;
    if (run.status !== 0 || !fresh) {
      failures.push(`${bench.name} (exit ${run.status}${run.error ? `, ${run.error.message}` : ''})`);
      rows.push(`| ${bench.name} | failed: exit ${run.status}; see the command's output | - | - | - | ${load} |`);
      continue;
    }
    const json = bench.json ? JSON.parse(readFileSync(bench.json, 'utf8')) : null;
    for (const f of bench.figures(json, run.stdout ?? '')) {
      let refCell = '-';
      let ratioCell = '-';
      if (f.reference && 'id' in f.reference) {
        const r = reference(f.reference.id);
        refCell = `${referenceText(r)} (\`${r.id}\`)`;
        const ratio = ratioToReference(f.value, r);
        ratioCell = ratio === null ? '-' : `${ratio.toFixed(2)}x`;
      } else if (f.reference) refCell = f.reference.target;
      rows.push(`| ${bench.name} | ${f.figure} | ${fmt(f.value)} ${f.unit} | ${refCell} | ${ratioCell} | ${load} |`);
    }
    process.stdout.write(`# ${bench.name}: ${seconds.toFixed(0)} s\n`);
  }
  const block = [
    `### Generated figures (${quick ? '`npm run bench -- --quick`' : '`npm run bench`'}, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}. Ratio: times better than the reference (above 1: lamkit is better; against the end of a reference range that flatters lamkit least). References and their sources: docs/references.md. Load: 1-minute load average before-after each benchmark (2 cores: figures above ~1 are disturbed by other work).`,
    '',
    '| bench | figure | measured | reference | ratio | load |',
    '| --- | --- | ---: | --- | ---: | --- |',
    ...rows,
  ].join('\n');
  if (!args.has('no-write')) {
    // Re-read right before writing: other sections of the file change while benchmarks run.
    const path = 'docs/benchmarks.md';
    const next = replaceGeneratedBlock(readFileSync(path, 'utf8'), block);
    writeFileSync(`${path}.tmp`, next);
    renameSync(`${path}.tmp`, path);
    process.stdout.write(`# npm run bench: wrote the generated table of ${path}\n`);
  } else process.stdout.write(block + '\n');
  if (failures.length > 0) {
    process.stderr.write(`npm run bench: ${failures.length} benchmark(s) failed: ${failures.join(', ')}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
