import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, LamkitError, formatError, describeValue } from '../../core/errors.js';
import type { BenchFailure, BenchPolicy, BenchResults } from '../../bench/bench-results.js';
import type { CurveSeries } from '../../bench/charts/learning-curve-chart.js';
import { parseIntFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { LAMKIT_BENCH_SOURCES } from './bench-sources.js';

/** Flags of `lamkit bench` (evaluation and `--compare`). */
export interface BenchFlags {
  policies?: string[];
  envs?: string[];
  /** Run seeds (`0-9`, `1,2,3`); the CLI's default is 0-9. */
  seeds: string;
  episodes: string;
  out?: string;
  workers?: string;
  stochastic?: boolean;
  references: boolean;
  bootstrapReps: string;
  confidence: string;
  latencyCalls: string;
  png?: boolean;
  quick?: boolean;
  compare?: string[];
  threshold: string;
  force?: boolean;
}

/** What {@link runBenchCommand} produced. */
export interface BenchOutcome {
  results: BenchResults;
  outDir: string;
  /** Printed summary (tables). */
  summary: string;
  /** The first failure as an error (the CLI exits 2 with it after writing everything), or null. */
  failure: LamkitError | null;
}

/** Parses `--seeds`: `0-9`, `1,2,3` or a mix (`0-4,10`). */
export function parseSeeds(flag: string, text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo || hi - lo > 100_000) {
      throw new InvalidArgument(formatError(flag, 'seeds as a range or list of non-negative integers (0-9, 1,2,3)', describeValue(text), `Pass e.g. ${flag.split(' ').pop()} 0-9`));
    }
    for (let s = lo; s <= hi; s++) if (!seeds.includes(s)) seeds.push(s);
  }
  return seeds;
}

/** A policy argument: `random`, `expert`, `<checkpoint>` or `<label>=<checkpoint>`. */
function splitLabel(arg: string): { label: string; path: string } {
  const eq = arg.indexOf('=');
  if (eq > 0 && !existsSync(arg)) return { label: arg.slice(0, eq), path: arg.slice(eq + 1) };
  return { label: arg.replace(/\/+$/, ''), path: arg };
}

/** Run directories (holding a checkpoint) at or below `dir`, up to 3 levels down, sorted. */
function findCheckpoints(dir: string, depth = 0): string[] {
  const isCheckpoint = (d: string): boolean => ['checkpoint.json', 'model.json', 'checkpoint/checkpoint.json', 'checkpoint/model.json'].some((f) => existsSync(join(d, f)));
  if (isCheckpoint(dir)) return [dir];
  if (depth >= 3 || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? findCheckpoints(join(dir, name), depth + 1) : []));
}

/**
 * Resolves `--policies` into bench policies: each checkpoint's task comes
 * from its file; a directory of runs (e.g. `lamkit bench train`'s) gives one
 * source per run; arguments with the same label form one policy (one
 * checkpoint per task, or several training seeds). Unreadable checkpoints
 * become failures (naming the file) and the rest goes on.
 */
async function resolvePolicies(items: readonly string[], envsFlag: readonly string[] | undefined): Promise<{ policies: BenchPolicy[]; envs: string[]; failures: BenchFailure[]; errors: LamkitError[]; curves: CurveSeries[] }> {
  const { readCheckpoint } = await import('../../../agents/checkpoint/read-checkpoint.js');
  const policies: BenchPolicy[] = [];
  const failures: BenchFailure[] = [];
  const errors: LamkitError[] = [];
  const curves: CurveSeries[] = [];
  const envs: string[] = [...(envsFlag ?? [])];
  const policyOf = (label: string, role: BenchPolicy['role']): BenchPolicy => {
    let p = policies.find((x) => x.label === label);
    if (!p) policies.push((p = { label, role, listed: true, sources: [] }));
    return p;
  };
  for (const arg of items) {
    if (arg === 'random' || arg === 'expert') {
      policyOf(arg, arg);
      continue;
    }
    const { label, path } = splitLabel(arg);
    const found = findCheckpoints(path);
    for (const dir of found.length > 0 ? found : [path]) {
      try {
        const ckpt = readCheckpoint(dir);
        const envId = ckpt.data.meta.envId;
        if (envsFlag && !envsFlag.includes(envId)) {
          process.stderr.write(`lamkit bench: ${dir} was trained on ${envId}, not in --envs; skipped\n`);
          continue;
        }
        if (!envs.includes(envId)) envs.push(envId);
        policyOf(label, 'policy').sources.push({ source: resolve(dir), envId });
        const curve = readCurve(dir, label, envId);
        if (curve) curves.push(curve);
      } catch (err) {
        if (!(err instanceof LamkitError)) throw err;
        failures.push({ policy: label, source: dir, envId: null, error: { name: err.name, message: err.message } });
        errors.push(err);
      }
    }
  }
  for (const p of policies) if (p.role !== 'policy') p.sources = envs.map((envId) => ({ source: p.role, envId }));
  return { policies: policies.filter((p) => p.role !== 'policy' || p.sources.length > 0), envs, failures, errors, curves };
}

/** The learning curve of a training run directory (its metrics.jsonl), or null. */
export function readCurve(runDir: string, label: string, envId: string): CurveSeries | null {
  const dir = existsSync(join(runDir, 'metrics.jsonl')) ? runDir : join(runDir, '..');
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return null;
  const points: Array<{ step: number; value: number }> = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('charts/episodic_return')) continue;
    try {
      const row = JSON.parse(line) as Record<string, number>;
      if (typeof row['charts/episodic_return'] === 'number') points.push({ step: row.global_step, value: row['charts/episodic_return'] });
    } catch {
      // A line cut by a crash mid-write: the rest of the curve is still good.
    }
  }
  let seed: number | string = runDir;
  try {
    seed = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { seed: number }).seed;
  } catch {
    // No summary (run still going or stopped hard): label the line by its directory.
  }
  return points.length > 0 ? { label, envId, seed, points } : null;
}

/** Bench settings shared by `lamkit bench` and `lamkit bench train`, from flags (`--quick` shrinks the defaults). */
function benchSettings(flags: BenchFlags): { seeds: number[]; episodes: number; reps: number; confidence: number; latencyCalls: number; workers: number | undefined } {
  const confidence = Number(flags.confidence);
  if (!(confidence > 0 && confidence < 1)) throw new InvalidArgument(formatError('lamkit bench --confidence', 'a number in (0, 1)', describeValue(flags.confidence), 'Pass e.g. --confidence 0.95'));
  return {
    seeds: parseSeeds('lamkit bench --seeds', flags.seeds),
    episodes: parseIntFlag('lamkit bench --episodes', flags.quick && flags.episodes === '20' ? '5' : flags.episodes, 1, '20') as number,
    reps: parseIntFlag('lamkit bench --bootstrap-reps', flags.quick && flags.bootstrapReps === '50000' ? '2000' : flags.bootstrapReps, 1, '50000') as number,
    confidence,
    latencyCalls: parseIntFlag('lamkit bench --latency-calls', flags.quick && flags.latencyCalls === '1000' ? '200' : flags.latencyCalls, 0, '1000') as number,
    workers: parseIntFlag('lamkit bench --workers', flags.workers, 0, '2'),
  };
}

/**
 * `lamkit bench --policies <...> --envs <...> --seeds 0-9 --episodes 20 --out <dir>`:
 * evaluates every policy on every task it fits with every seed in worker
 * threads, times `policy.act` alone, and writes results.json, results.csv,
 * figures/ and report.html to `--out`. Ctrl-C stops within one episode and
 * writes what finished. A checkpoint that cannot be read is reported (the
 * other results are written) and returned as `failure`.
 */
export async function runBenchCommand(flags: BenchFlags, extra: { training?: BenchResults['training']; curves?: CurveSeries[]; policies?: BenchPolicy[]; envs?: string[]; command?: string; skipEvaluation?: boolean } = {}): Promise<BenchOutcome> {
  const settings = benchSettings(flags);
  if (!extra.policies && (!flags.policies || flags.policies.length === 0)) {
    throw new InvalidArgument(formatError('lamkit bench --policies', 'one or more of <checkpoint>, <label>=<checkpoint>, random, expert', 'nothing', 'Pass e.g. --policies runs/a runs/b random'));
  }
  if (flags.out === undefined) throw new InvalidArgument(formatError('lamkit bench --out', 'an output directory', 'nothing', 'Pass e.g. --out bench-out'));
  const outDir = resolve(flags.out);
  if (existsSync(join(outDir, 'results.json')) && !flags.force) {
    throw new InvalidArgument(formatError('lamkit bench --out', 'a directory without results.json', `${describeValue(flags.out)} (it holds results.json)`, 'Pick another --out, or pass --force to replace it'));
  }
  let planned: Awaited<ReturnType<typeof resolvePolicies>>;
  if (extra.policies) planned = { policies: extra.policies, envs: extra.envs ?? [], failures: [], errors: [], curves: [] };
  else {
    planned = await resolvePolicies(flags.policies as string[], flags.envs);
  }
  if (planned.envs.length === 0 && planned.errors.length === 0) {
    throw new InvalidArgument(formatError('lamkit bench --envs', 'task ids (random and expert need them; checkpoints bring their own)', 'none', 'Pass e.g. --envs ArmReach-v0 CartPole-v1'));
  }
  const lib = await import('../../index.js');
  const report = await import('../../bench/bench-table.js');
  for (const envId of planned.envs) {
    if (!lib.registeredIds().includes(envId)) throw new InvalidArgument(formatError('lamkit bench --envs', 'registered task ids (see `lamkit envs`)', describeValue(envId), 'Fix the id'));
  }
  const interrupt = onInterrupt({ command: 'lamkit bench', stopping: 'stopping within this episode; the report of what finished follows' });
  let results: BenchResults;
  try {
    results =
      planned.envs.length === 0 || extra.skipEvaluation
        ? { ...emptyResults(planned, settings), command: extra.command ?? null, training: extra.training ?? [], curves: [...(extra.curves ?? []), ...planned.curves], interrupted: extra.skipEvaluation ?? false }
        : await lib.runBench({
            policies: planned.policies,
            envs: planned.envs,
            seeds: settings.seeds,
            episodes: settings.episodes,
            deterministic: !flags.stochastic,
            sources: LAMKIT_BENCH_SOURCES,
            workers: settings.workers,
            references: flags.references,
            bootstrap: { reps: settings.reps, confidence: settings.confidence },
            latencyCalls: settings.latencyCalls,
            signal: interrupt.signal,
            onRun: (run, done, total) => {
              const what = run.error ? `FAILED: ${run.error.name}` : `${run.returns.length} episodes, mean return ${(run.returns.reduce((a, b) => a + b, 0) / Math.max(1, run.returns.length)).toFixed(2)}${run.aborted ? ' (interrupted)' : ''}`;
              process.stderr.write(`lamkit bench: [${done}/${total}] ${run.policy} on ${run.envId} seed ${run.seed}: ${what}\n`);
            },
            command: extra.command ?? null,
            failures: planned.failures,
            training: extra.training,
            curves: [...(extra.curves ?? []), ...planned.curves],
          });
  } finally {
    interrupt.dispose();
  }
  await lib.loadVega();
  lib.writeBenchReport(outDir, results);
  if (flags.png) await writePngFigures(outDir);
  if (interrupt.requested) process.exitCode = INTERRUPTED_EXIT_CODE;
  const firstRunFailure = results.failures.find((f) => f.envId !== null);
  const failure = planned.errors[0] ?? (firstRunFailure ? Object.assign(new LamkitError(firstRunFailure.error.message), { name: firstRunFailure.error.name }) : null);
  return { results, outDir, summary: report.formatBenchSummary(results), failure };
}

/** Results with no task (every checkpoint failed to load): still written, so the failures are on record. */
function emptyResults(planned: { policies: BenchPolicy[]; failures: BenchFailure[] }, settings: ReturnType<typeof benchSettings>): BenchResults {
  return {
    format: 'lamkit-bench-results', version: 1, createdAt: new Date().toISOString(), command: null,
    machine: { cpuModel: '', cpus: 0, node: process.version, platform: `${process.platform}-${process.arch}`, loadAvg1m: [0, 0] },
    settings: { episodes: settings.episodes, seeds: settings.seeds, episodeSeedStride: 10_000, deterministic: true, workers: 0, bootstrap: { reps: settings.reps, profileReps: 2000, confidence: settings.confidence, seed: 0 }, latencyCalls: settings.latencyCalls },
    interrupted: false, tasks: [], policies: planned.policies, runs: [], results: [], aggregates: [], profiles: [], improvement: [], training: [], curves: [], failures: planned.failures,
  };
}

/** `figures/*.png` beside each SVG, rasterized by headless Chromium (`--png`). */
async function writePngFigures(outDir: string): Promise<void> {
  const { acquireBrowser, releaseBrowser } = await import('../../../sim/render/shared-browser.js');
  const browser = await acquireBrowser();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    for (const name of readdirSync(join(outDir, 'figures')).filter((f) => f.endsWith('.svg'))) {
      await page.setContent(`<body style="margin:0">${readFileSync(join(outDir, 'figures', name), 'utf8')}</body>`);
      await page.locator('svg').first().screenshot({ path: join(outDir, 'figures', name.replace(/\.svg$/, '.png')) });
    }
    await page.close();
  } finally {
    await releaseBrowser();
  }
}

/** `lamkit bench --compare old.json new.json`: the comparison, its table, and whether to fail. */
export async function runCompare(flags: BenchFlags): Promise<{ text: string; regressions: number; result: import('../../bench/compare-bench-results.js').CompareResult }> {
  const files = flags.compare ?? [];
  if (files.length !== 2) throw new InvalidArgument(formatError('lamkit bench --compare', 'two results.json files (old, then new)', describeValue(files), 'Pass e.g. --compare main/results.json pr/results.json'));
  const threshold = Number(flags.threshold);
  const confidence = Number(flags.confidence);
  if (!(threshold >= 0 && threshold < 1)) throw new InvalidArgument(formatError('lamkit bench --threshold', 'a fraction in [0, 1) (0.05 = 5%)', describeValue(flags.threshold), 'Pass e.g. --threshold 0.05'));
  if (!(confidence > 0 && confidence < 1)) throw new InvalidArgument(formatError('lamkit bench --confidence', 'a number in (0, 1)', describeValue(flags.confidence), 'Pass e.g. --confidence 0.95'));
  const read = (file: string): BenchResults => {
    const path = existsSync(file) && statSync(file).isDirectory() ? join(file, 'results.json') : file;
    if (!existsSync(path)) throw new InvalidArgument(formatError('lamkit bench --compare', 'a results.json written by lamkit bench (or its directory)', `${describeValue(file)} (no such file)`, 'Check the path'));
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
    } catch (err) {
      throw new InvalidArgument(formatError('lamkit bench --compare', 'a results.json written by lamkit bench', `${describeValue(path)} (${(err as Error).message})`, 'Re-run lamkit bench to write it'));
    }
  };
  const lib = { ...(await import('../../index.js')), ...(await import('../../bench/bench-table.js')) };
  const result = lib.compareBenchResults(read(files[0]), read(files[1]), { threshold, confidence, reps: parseIntFlag('lamkit bench --bootstrap-reps', flags.bootstrapReps === '50000' ? '10000' : flags.bootstrapReps, 1, '10000') as number });
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  const rows = result.rows.map((r) => [
    r.envId === 'normalized' ? 'all tasks (normalized)' : r.envId,
    r.policy,
    `${lib.fmt(r.oldIqm)} (${r.oldRuns})`,
    `${lib.fmt(r.newIqm)} (${r.newRuns})`,
    r.relative ? `${pct(r.relative.estimate)} [${pct(r.relative.lower)}, ${pct(r.relative.upper)}]` : `${lib.fmt(r.difference.estimate)} [${lib.fmt(r.difference.lower)}, ${lib.fmt(r.difference.upper)}]`,
    lib.fmtInterval(r.probabilityOfImprovement, 2),
    r.verdict === 'regression' ? 'REGRESSION' : r.verdict,
  ]);
  const conf = `${Math.round(confidence * 100)}% CI`;
  const lines = [
    lib.textTable(['task', 'policy', 'old IQM (runs)', 'new IQM (runs)', `change [${conf}]`, `P(new > old) [${conf}]`, 'verdict'], rows),
    ...result.unmatched.map((u) => `not compared: ${u}`),
    result.regressions > 0
      ? `${result.regressions} significant regression(s) beyond ${(100 * threshold).toFixed(0)}% (the IQM dropped by more and the ${conf} of the difference is below 0)`
      : `no significant regression beyond ${(100 * threshold).toFixed(0)}%`,
  ];
  return { text: lines.join('\n') + '\n', regressions: result.regressions, result };
}

/** Exit code of `lamkit bench --compare` when a significant regression was found (usage errors exit 2). */
export const REGRESSION_EXIT_CODE = 1;

/** Registers `lamkit bench` (and its `train` mode). */
export function register(program: Command): void {
  program
    .command('bench')
    .description('Evaluate and compare policies across tasks and seeds (IQM with bootstrap intervals, HTML report); --compare two results; `bench train` for a training benchmark')
    .argument('[mode]', "'train': train --algo on each task x seed, then evaluate the checkpoints into the same report")
    .option('--policies <policy...>', 'checkpoints (a run directory, a directory of runs, or <label>=<checkpoint>; the same label groups checkpoints), random, expert')
    .option('--envs <id...>', 'tasks (default: those the checkpoints were trained on)')
    .option('--seeds <seeds>', 'run seeds, e.g. 0-9 or 1,2,3 (one score per seed: the mean return of its episodes); with train: training seeds (default 0-9; train: 1,2,3)')
    .option('--episodes <n>', 'episodes per run', '20')
    .option('--out <dir>', 'where to write results.json, results.csv, figures/ and report.html (train: also runs/<task>/seed-<s>)')
    .option('--workers <n>', 'worker threads for the evaluation (default: one per core; 0: in this thread)')
    .option('--stochastic', 'sample actions instead of taking the distribution mode')
    .option('--no-references', 'do not add the random and expert references on tasks with a scripted expert (no normalized scores)')
    .option('--bootstrap-reps <n>', 'bootstrap replications of the IQM intervals', '50000')
    .option('--confidence <p>', 'confidence level of the intervals', '0.95')
    .option('--latency-calls <n>', 'policy.act calls timed per policy and task (0: skip)', '1000')
    .option('--png', 'also write figures/*.png (needs Chromium)')
    .option('--quick', 'small defaults: seeds 0-2, 5 episodes, 2,000 bootstrap replications, 200 latency calls')
    .option('--force', 'replace the results in --out (train: also retrain finished runs)')
    .option('--compare <file...>', 'compare two results.json files (old new); exits 1 on a significant regression')
    .option('--threshold <fraction>', 'with --compare: relative IQM drop that counts as a regression', '0.05')
    .option('--algo <name>', 'train: a registered trainer that learns from the reward', 'ppo')
    .option('--total-steps <n>', 'train: env steps per training run', '100000')
    .option('--config <json>', 'train: algorithm config overrides (as lamkit train --config)')
    .option('--eval-seeds <seeds>', 'train: evaluation run seeds per checkpoint (one score each)', '0')
    .action(async (mode: string | undefined, flags: BenchFlags & { algo: string; totalSteps: string; config?: string; evalSeeds: string }) => {
      const command = ['lamkit', ...process.argv.slice(2)].join(' ');
      if (mode !== undefined && mode !== 'train') {
        throw new InvalidArgument(formatError('lamkit bench [mode]', "nothing, or 'train'", describeValue(mode), 'Pass checkpoints with --policies, or run `lamkit bench train`'));
      }
      if (mode === 'train') {
        if (flags.policies || flags.compare) throw new InvalidArgument(formatError('lamkit bench train', 'no --policies or --compare (it benchmarks the runs it trains)', describeValue(flags.policies ?? flags.compare), 'Drop them, or run `lamkit bench` without train'));
        if (!flags.envs) throw new InvalidArgument(formatError('lamkit bench train --envs', 'tasks to train on', 'nothing', 'Pass e.g. --envs CartPole-v1 Pendulum-v1'));
        const { runBenchTrain } = await import('./bench-train.js');
        const outcome = await runBenchTrain({ ...flags, envs: flags.envs, seeds: flags.seeds ?? '1,2,3' }, { command });
        process.stdout.write(outcome.summary + `lamkit bench train: report in ${join(outcome.outDir, 'report.html')}\n`);
        if (outcome.failure) throw outcome.failure;
        return;
      }
      if (flags.compare) {
        const c = await runCompare(flags);
        process.stdout.write(c.text);
        if (c.regressions > 0) process.exitCode = REGRESSION_EXIT_CODE;
        return;
      }
      const outcome = await runBenchCommand({ ...flags, seeds: flags.seeds ?? (flags.quick ? '0-2' : '0-9') }, { command });
      process.stdout.write(outcome.summary + `lamkit bench: report in ${join(outcome.outDir, 'report.html')}\n`);
      if (outcome.failure) throw outcome.failure;
    });
}
