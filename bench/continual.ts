// npm run bench:continual -- [--data d1 d2 ...] [--from lamkit-base|<ckpt>|scratch] [--strategies naive,rehearsal,ewc,adapters]
//   [--seeds 1,2,3] [--max-steps 300] [--eval-episodes 20] [--no-single] [--compare-episodes 100] [--compare-only]
//   [--ewc-lambda 1000000] [--rehearsal-size 2000]
//   [--policy '{"dModel":64,...}' (with --from scratch)] [--out bench/results/continual.json] [--merge a.json b.json ...]
//
// Continual learning (issue 13): for each strategy and seed, `lamkit finetune --continual` over a task
// sequence, by default the issue's ArmReach-v0 -> ArmPush-v0 -> Reacher-v5 -> InvertedPendulum-v5 from
// lamkit-base (ArmReach / ArmPush: 20 scripted-expert episodes; Reacher / InvertedPendulum: 50 / 20 episodes
// of a PPO demonstrator, trained on first use as bench:imitate's; recorded once into
// bench/results/continual/data). After every stage every task learned so far is scored by rollouts
// (`--eval-episodes`, deterministic, seeds seed + 1,000,000 + k): its score is the success rate where the task
// reports one, else the normalized return (random policy 0, demonstrator 1, on the same episodes; with --data
// the dataset's mean episode return is the 1). Prints the retention matrices (score; normalized return; test
// NLL in the JSON), average final score and average forgetting per strategy with issue 13's targets
// beside them, and, unless --no-single, each task's full fine-tune alone from the same start with the
// same settings (the reference of the adapters target: within 5 points), the two compared again over
// --compare-episodes episodes (20 give a success rate +-11 points; --compare-only re-runs just that
// comparison on the checkpoints an earlier run left in the temp directory). Writes a JSON and a heat-map SVG
// (continual-heatmap.svg beside --out). --merge only reports: it merges the JSONs of runs made with
// different --seeds (e.g. two processes side by side) into --out.
// Every figure is printed with its target and the 1-minute load average.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import '../envs/index.js';
import * as lib from '../src/index.js';
import { runContinual, taskCheckpointDir, type ContinualOutcome } from '../src/cli/commands/finetune-continual.js';
import { runFinetune } from '../src/cli/commands/finetune.js';
import { runRecord } from '../src/cli/commands/record.js';
import { retentionSummary } from '../agents/algos/continual/index.js';
import { renderVegaLiteSvg, loadVega, type VegaLiteSpec } from '../src/bench/vega-svg.js';
import { DEMONSTRATORS, demonstratorSource, evaluateSource, type DemonstratorSpec } from './demonstrators.js';

/** Issue 13's task sequence: each task's demonstrator and demonstration episodes. */
const SEQUENCE: Array<{ env: string; demonstrator: DemonstratorSpec; episodes: number }> = [
  { env: 'ArmReach-v0', demonstrator: 'expert', episodes: 20 },
  { env: 'ArmPush-v0', demonstrator: 'expert', episodes: 20 },
  { env: 'Reacher-v5', demonstrator: DEMONSTRATORS['Reacher-v5'], episodes: 50 },
  { env: 'InvertedPendulum-v5', demonstrator: DEMONSTRATORS['InvertedPendulum-v5'], episodes: 20 },
];
/** Behaviour-cloning settings of every stage and of the single-task reference (bench:adapt's, with its 600 steps cut to --max-steps). */
const BC = { learningRate: 1e-3, evalEvery: 100, patience: 5 };
/** Where the issue's targets are judged: adapters within this many points of the task's full fine-tune alone. */
const ADAPTER_POINTS = 5;

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', multiple: true },
    from: { type: 'string', default: 'lamkit-base' },
    strategies: { type: 'string', default: 'naive,rehearsal,ewc,adapters' },
    seeds: { type: 'string', default: '1,2,3' },
    'max-steps': { type: 'string', default: '300' },
    'eval-episodes': { type: 'string', default: '20' },
    'no-single': { type: 'boolean', default: false },
    'compare-episodes': { type: 'string', default: '100' },
    'compare-only': { type: 'boolean', default: false },
    'ewc-lambda': { type: 'string' },
    'rehearsal-size': { type: 'string' },
    policy: { type: 'string' },
    out: { type: 'string', default: 'bench/results/continual.json' },
    merge: { type: 'string', multiple: true },
  },
});
// --data d1 d2 ... and --merge a b ...: the words after the flag (parseArgs keeps the first; the rest are positionals).
function listAfter(flag: string): string[] {
  const i = process.argv.indexOf(flag);
  if (i < 0) return [];
  const out: string[] = [];
  for (let k = i + 1; k < process.argv.length && !process.argv[k].startsWith('--'); k++) out.push(process.argv[k]);
  return out;
}
const fail = (flag: string, expected: string, got: unknown, fix: string): never => {
  throw new Error(`bench/continual ${flag}: expected ${expected}, got ${JSON.stringify(got)}. ${fix}`);
};
const strategies = values.strategies!.split(',');
const seeds = values.seeds!.split(',').map(Number);
if (!seeds.every((s) => Number.isInteger(s) && s >= 0)) fail('--seeds', 'non-negative integers', values.seeds, 'Pass e.g. --seeds 1,2,3');
const maxSteps = values['max-steps']!;
const evalEpisodes = Number(values['eval-episodes']);
if (!(Number.isInteger(evalEpisodes) && evalEpisodes >= 1)) fail('--eval-episodes', 'a positive integer (the scores come from rollouts)', values['eval-episodes'], 'Pass e.g. 20');
const scratch = values.from === 'scratch';
if (!scratch && values.policy !== undefined) fail('--policy', 'it with --from scratch only (the network comes from the checkpoint)', values.policy, 'Add --from scratch, or drop --policy');
const policy = scratch ? JSON.parse(values.policy ?? '{"dModel":64,"layers":2,"heads":4,"window":8}') : null;
const single = !values['no-single'];
const compareEpisodes = Number(values['compare-episodes']);
if (!(Number.isInteger(compareEpisodes) && compareEpisodes >= 0)) fail('--compare-episodes', 'an integer >= 0', values['compare-episodes'], 'Pass e.g. 100 (0: off)');
/** Where runs leave their output (the temp directory, one per strategy / task and seed). */
const runDir = (kind: string, seed: number): string => join(tmpdir(), `lamkit-bench-continual-${kind}-${seed}`);
const outFile = values.out!;
const load = (): number => +loadavg()[0].toFixed(2);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const pts = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/** A task of the sequence: its dataset, env and reference returns (random 0, demonstrator 1). */
interface TaskRef { env: string; data: string; demonstrator: string; random: number; expert: number }
interface Run { strategy: string; seed: number; outcome: Omit<ContinualOutcome, 'reportText'>; score: number[][]; normalizedReturn: number[][]; wallSeconds: number; load: [number, number] }
interface Single { task: string; seed: number; score: number; normalizedReturn: number; success: number | null; meanReturn: number; wallSeconds: number }
/** The adapters' network of a task and its full fine-tune alone, over --compare-episodes episodes. */
interface Compare { task: string; seed: number; episodes: number; adapters: number; single: number }
interface Results { date: string; cpus: number; cpuModel?: string; from: string; policy: unknown; strategies: string[]; seeds: number[]; maxSteps: number; evalEpisodes: number; bc: typeof BC; tasks: Array<Omit<TaskRef, 'random' | 'expert'> & { random: Record<string, number>; expert: Record<string, number> }>; runs: Run[]; singles: Single[]; compare: Compare[]; table?: string }

/** The default sequence's datasets, recorded once (seed 0). */
async function defaultData(): Promise<Array<{ env: string; data: string; demonstrator: string }>> {
  const out: Array<{ env: string; data: string; demonstrator: string }> = [];
  for (const t of SEQUENCE) {
    const demonstrator = await demonstratorSource(t.env, t.demonstrator, (line) => console.log(`bench:continual ${line}`));
    const dir = join('bench/results/continual/data', t.env);
    if (!existsSync(join(dir, 'meta', 'info.json'))) {
      console.log(`bench:continual: recording ${t.episodes} episodes of ${t.env} (${demonstrator}) into ${dir}`);
      await runRecord({ env: t.env, policy: demonstrator, episodes: String(t.episodes), seed: '0', out: dir, progress: false });
    }
    out.push({ env: t.env, data: dir, demonstrator });
  }
  return out;
}

/** With --data: the env of each dataset from its metadata; its demonstrator is unknown, so the mean return of its episodes stands for it. */
async function givenData(dirs: string[]): Promise<Array<{ env: string; data: string; demonstrator: string; datasetReturn: number }>> {
  const out: Array<{ env: string; data: string; demonstrator: string; datasetReturn: number }> = [];
  for (const data of dirs) {
    const ds = await lib.openDataset(data);
    const env = ds.info.lamkit?.envId;
    const returns = ds.episodes.map((e) => e.return).filter((r): r is number => typeof r === 'number');
    if (env === undefined || returns.length === 0) fail('--data', 'datasets recorded by lamkit record (the env and episode returns in their metadata)', data, 'Record it with lamkit record');
    out.push({ env: env as string, data, demonstrator: 'dataset', datasetReturn: mean(returns) });
  }
  return out;
}

/** A task's reference returns over `episodes` deterministic episodes from `seed`: the random policy's and the demonstrator's (with --data, the dataset's mean return). */
async function referenceReturns(t: { env: string; demonstrator: string; datasetReturn?: number }, episodes: number, seed: number): Promise<{ random: number; expert: number }> {
  return {
    random: (await evaluateSource('random', t.env, { episodes, seed })).meanReturn,
    expert: t.datasetReturn ?? (await evaluateSource(t.demonstrator, t.env, { episodes, seed })).meanReturn,
  };
}

/** Normalized return: random policy 0, demonstrator 1. */
const normalize = (ret: number, random: number, expert: number): number => (ret - random) / (expert - random);
/**
 * A task's score: its success rate where it reports one (the arm tasks: a dense reward's normalized return
 * says little there, e.g. ArmPush-v0 policies that never succeed reach 0.9), else the normalized return.
 */
const scoreOf = (success: number | null | undefined, ret: number, ref: { random: number; expert: number }): number => (typeof success === 'number' && Number.isFinite(success) ? success : normalize(ret, ref.random, ref.expert));

async function runSeed(seed: number, tasks: Array<{ env: string; data: string; demonstrator: string; datasetReturn?: number }>, results: Results): Promise<void> {
  const evalSeed = seed + 1_000_000; // runContinual's evaluation episodes: seed + 1,000,000 + k
  const refs: TaskRef[] = [];
  for (const [j, t] of tasks.entries()) {
    const { random, expert } = await referenceReturns(t, evalEpisodes, evalSeed);
    refs.push({ env: t.env, data: t.data, demonstrator: t.demonstrator, random, expert });
    results.tasks[j].random[seed] = random;
    results.tasks[j].expert[seed] = expert;
    console.log(`bench:continual seed ${seed}: ${t.env} random ${random.toFixed(2)}, demonstrator ${expert.toFixed(2)} (${t.demonstrator}; ${evalEpisodes} episodes)`);
  }
  const config = JSON.stringify({ ...BC, ...(scratch ? { policy, batchSize: 16, seqLen: 16, warmupSteps: 20 } : {}) });
  const from = scratch ? {} : { from: values.from };
  for (const strategy of strategies) {
    const l0 = load();
    const t0 = performance.now();
    const o = await runContinual({ data: tasks.map((t) => t.data), ...from, strategy, seed: String(seed), maxSteps, evalEpisodes: String(evalEpisodes), ewcLambda: values['ewc-lambda'], rehearsalSize: values['rehearsal-size'], out: runDir(strategy, seed), force: true, progress: false, config });
    const wall = (performance.now() - t0) / 1000;
    const { reportText: _r, ...outcome } = o;
    const score = o.matrix.return.map((row, k) => row.map((r, j) => scoreOf(o.matrix.success[k][j], r, refs[j])));
    const normalizedReturn = o.matrix.return.map((row) => row.map((r, j) => normalize(r, refs[j].random, refs[j].expert)));
    results.runs.push({ strategy, seed, outcome, score, normalizedReturn, wallSeconds: wall, load: [l0, load()] });
    const s = retentionSummary(score, true);
    console.log(`bench:continual ${strategy} seed ${seed}: final scores ${score[score.length - 1].map(pts).join(' / ')}; average final ${pts(s.averageFinal)}, average forgetting ${pts(s.averageForgetting)} points (${wall.toFixed(0)} s, load ${l0} -> ${load()})`);
    save(results);
  }
  if (!single) return;
  for (const t of refs) {
    const t0 = performance.now();
    const out = runDir(`single-${t.env}`, seed);
    const o = await runFinetune({ data: t.data, ...from, ...(scratch ? { policyKind: 'transformer' } : {}), mode: 'full', seed: String(seed), maxSteps, out, force: true, progress: false, config });
    const ev = await evaluateSource(o.checkpointDir, t.env, { episodes: evalEpisodes, seed: evalSeed });
    const row: Single = { task: t.env, seed, score: scoreOf(ev.successRate, ev.meanReturn, t), normalizedReturn: normalize(ev.meanReturn, t.random, t.expert), success: ev.successRate, meanReturn: ev.meanReturn, wallSeconds: (performance.now() - t0) / 1000 };
    results.singles.push(row);
    console.log(`bench:continual single ${t.env} seed ${seed}: full fine-tune alone ${pts(row.score)} points${row.success !== null ? `, success ${pts(row.success)}%` : ''} (${row.wallSeconds.toFixed(0)} s, load ${load()})`);
    save(results);
  }
  if (compareEpisodes > 0 && strategies.includes('adapters')) await compareAdapters(seed, tasks, results);
}

/** The adapters' network of each task against its full fine-tune alone, over --compare-episodes episodes (from the checkpoints the runs left). */
async function compareAdapters(seed: number, tasks: Array<{ env: string; demonstrator: string; datasetReturn?: number }>, results: Results): Promise<void> {
  const evalSeed = seed + 1_000_000;
  for (const [j, t] of tasks.entries()) {
    const adaptersCk = taskCheckpointDir(runDir('adapters', seed), j, t.env);
    const singleCk = join(runDir(`single-${t.env}`, seed), 'checkpoint');
    if (!existsSync(adaptersCk) || !existsSync(singleCk)) {
      console.log(`bench:continual compare seed ${seed} ${t.env}: ${existsSync(adaptersCk) ? singleCk : adaptersCk} is missing (run the adapters strategy and the single fine-tunes first); skipped`);
      continue;
    }
    const episodes = { episodes: compareEpisodes, seed: evalSeed };
    const ref = await referenceReturns(t, compareEpisodes, evalSeed);
    const a = await evaluateSource(adaptersCk, t.env, episodes);
    const f = await evaluateSource(singleCk, t.env, episodes);
    const row: Compare = { task: t.env, seed, episodes: compareEpisodes, adapters: scoreOf(a.successRate, a.meanReturn, ref), single: scoreOf(f.successRate, f.meanReturn, ref) };
    results.compare.push(row);
    console.log(`bench:continual compare seed ${seed} ${t.env} over ${compareEpisodes} episodes: adapters ${pts(row.adapters)}, full fine-tune alone ${pts(row.single)} points (gap ${pts(row.adapters - row.single)}; load ${load()})`);
    save(results);
  }
}

function save(results: Results): void {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(results, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

/** Tables per strategy (mean ± sd over seeds), the targets beside them, and the heat map of mean scores. */
function report(results: Results): { markdown: string; svg: string } {
  const { runs, singles } = results;
  const tasks = results.tasks.map((t) => t.env);
  const K = tasks.length;
  const lines: string[] = [];
  const summaryOf = (r: Run) => retentionSummary(r.score, true);
  const naive = runs.filter((r) => r.strategy === 'naive').map((r) => summaryOf(r).averageForgetting);
  lines.push(
    `| strategy | avg final score (points) | avg forgetting (points) | per seed (final / forgetting) | target (issue 13) | params trained per task | wall per run | seeds |`,
    '|---|---|---|---|---|---|---|---|',
  );
  const heat: Array<{ strategy: string; stage: string; task: string; score: number }> = [];
  const order = [...new Set(runs.map((r) => r.strategy))];
  for (const s of order) {
    const rs = runs.filter((r) => r.strategy === s);
    const sums = rs.map(summaryOf);
    const fin = sums.map((x) => x.averageFinal);
    const fgt = sums.map((x) => x.averageForgetting);
    let target = '-';
    if (s === 'rehearsal' || s === 'ewc') {
      const bound = mean(naive) / 2;
      target = naive.length ? `forgetting <= ${pts(bound)} (half of naive's ${pts(mean(naive))}): ${mean(fgt) <= bound ? '**met**' : 'not met'}` : 'half of naive (naive not run)';
    } else if (s === 'adapters') {
      const share = rs[0].outcome.params.map((p) => p.trainable / p.total);
      // Over --compare-episodes where they were compared, else over the retention matrix's episodes.
      const compare = results.compare ?? [];
      const gaps = tasks.map((task, j) => {
        const cmp = compare.filter((x) => x.task === task);
        if (cmp.length) return mean(cmp.map((x) => x.adapters - x.single));
        const ref = singles.filter((x) => x.task === task);
        const own = rs.map((r) => r.score[K - 1][j]);
        return ref.length ? mean(own) - mean(ref.map((x) => x.score)) : NaN;
      });
      const over = compare.length ? `${compare[0].episodes} episodes, ${new Set(compare.map((x) => x.seed)).size} seed(s)` : `${results.evalEpisodes} episodes`;
      const sizeOk = share.every((x) => x <= 0.05);
      const gapOk = gaps.every((g) => Number.isFinite(g) && g >= -ADAPTER_POINTS / 100);
      target = `<= 5% params per task: ${sizeOk ? 'met' : 'not met'}; within ${ADAPTER_POINTS} points of the task's full fine-tune alone (gap over ${over}: ${gaps.map((g) => (Number.isFinite(g) ? (100 * g).toFixed(1) : '-')).join(' / ')}): ${gaps.some((g) => !Number.isFinite(g)) ? 'not measured' : gapOk ? '**met**' : 'not met'}`;
    }
    const share = rs[0].outcome.params.map((x) => `${((100 * x.trainable) / x.total).toFixed(1)}%`).join(' / ');
    const perSeed = rs.map((r, i) => `${r.seed}: ${pts(fin[i])} / ${pts(fgt[i])}`).join('; ');
    const walls = rs.map((r) => r.wallSeconds);
    lines.push(`| ${s} | ${pts(mean(fin))} ± ${pts(sd(fin))} | ${pts(mean(fgt))} ± ${pts(sd(fgt))} | ${perSeed} | ${target} | ${share} | ${Math.min(...walls).toFixed(0)}-${Math.max(...walls).toFixed(0)} s | ${rs.map((r) => r.seed).join(', ')} |`);
    for (let k = 0; k < K; k++) for (let j = 0; j <= k; j++) heat.push({ strategy: s, stage: `after ${k + 1}: ${tasks[k]}`, task: tasks[j], score: 100 * mean(rs.map((r) => r.score[k][j])) });
  }
  // Mean retention matrices: the score (success % or normalized return), and the normalized return beside a success.
  lines.push('', `Mean retention matrices, score in points (success % on the tasks that report one, in brackets their normalized return; else the normalized return, random 0 / demonstrator 100): rows = after stage, columns = ${tasks.join(' / ')}`, '');
  lines.push(`| after stage | ${order.join(' | ')} |`, `|---|${order.map(() => '---|').join('')}`);
  for (let k = 0; k < K; k++) {
    const cells = order.map((s) => {
      const rs = runs.filter((r) => r.strategy === s);
      return tasks.map((_, j) => {
        if (j > k) return '-';
        const sc = pts(mean(rs.map((r) => r.score[k][j])));
        const success = rs.every((r) => Number.isFinite(r.outcome.matrix.success[k]?.[j] ?? NaN));
        return success ? `${sc} (${pts(mean(rs.map((r) => r.normalizedReturn[k][j])))})` : sc;
      }).join(' / ');
    });
    lines.push(`| ${k + 1} ${tasks[k]} | ${cells.join(' | ')} |`);
  }
  if (singles.length) {
    lines.push('', `Each task's full fine-tune alone (same start, settings and evaluation episodes), mean over seeds: ${tasks.map((t) => {
      const xs = singles.filter((x) => x.task === t);
      const su = xs.map((x) => x.success).filter((x): x is number => x !== null);
      return `${t} ${pts(mean(xs.map((x) => x.score)))}${su.length === xs.length && su.length ? ` (${pts(mean(xs.map((x) => x.normalizedReturn)))})` : ''}`;
    }).join(', ')}`);
  }
  if ((results.compare ?? []).length) {
    lines.push('', `Adapters against each task's full fine-tune alone over ${results.compare[0].episodes} episodes (points; per seed adapters / alone):`, '', '| task | adapters | alone | gap | per seed |', '|---|---|---|---|---|');
    for (const t of tasks) {
      const xs = results.compare.filter((x) => x.task === t);
      if (!xs.length) continue;
      const a = mean(xs.map((x) => x.adapters));
      const f = mean(xs.map((x) => x.single));
      lines.push(`| ${t} | ${pts(a)} | ${pts(f)} | ${pts(a - f)} | ${xs.map((x) => `${x.seed}: ${pts(x.adapters)} / ${pts(x.single)}`).join('; ')} |`);
    }
  }
  const refLine = results.tasks.map((t) => `${t.env} random ${mean(Object.values(t.random)).toFixed(2)} / demonstrator ${mean(Object.values(t.expert)).toFixed(2)}`).join('; ');
  lines.push('', `Reference returns (mean over seeds' evaluation episodes): ${refLine}`);
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: heat },
    facet: { column: { field: 'strategy', type: 'nominal', sort: order } },
    spec: {
      width: 170,
      height: 150,
      layer: [
        { mark: 'rect', encoding: { x: { field: 'task', type: 'nominal', sort: tasks }, y: { field: 'stage', type: 'nominal' }, color: { field: 'score', type: 'quantitative', title: 'score', scale: { scheme: 'viridis', domain: [0, 100] } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { x: { field: 'task', type: 'nominal', sort: tasks }, y: { field: 'stage', type: 'nominal' }, text: { field: 'score', type: 'quantitative', format: '.0f' }, color: { condition: { test: 'datum.score > 60', value: 'black' }, value: 'white' } } },
      ],
    },
    title: `Retention matrix: score (success %, else normalized return) of each task after each stage, mean of ${new Set(runs.map((r) => r.seed)).size} seed(s)`,
  } as VegaLiteSpec;
  return { markdown: lines.join('\n'), svg: renderVegaLiteSvg(spec) };
}

await loadVega();
let results: Results;
const merge = listAfter('--merge');
if (merge.length > 0) {
  const parts = merge.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results);
  results = { ...parts[0], seeds: [...new Set(parts.flatMap((p) => p.seeds))], runs: parts.flatMap((p) => p.runs), singles: parts.flatMap((p) => p.singles), compare: parts.flatMap((p) => p.compare ?? []) };
  results.tasks = parts[0].tasks.map((t, j) => ({ ...t, random: Object.assign({}, ...parts.map((p) => p.tasks[j].random)), expert: Object.assign({}, ...parts.map((p) => p.tasks[j].expert)) }));
} else {
  const dataDirs = listAfter('--data');
  const tasks = dataDirs.length > 0 ? await givenData(dataDirs) : await defaultData();
  results = { date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, from: values.from!, policy, strategies, seeds, maxSteps: Number(maxSteps), evalEpisodes, bc: BC, tasks: tasks.map((t) => ({ env: t.env, data: t.data, demonstrator: t.demonstrator, random: {}, expert: {} })), runs: [], singles: [], compare: [] };
  console.log(`bench:continual: ${tasks.map((t) => t.env).join(' -> ')} from ${values.from}; strategies ${strategies.join(', ')}; seeds ${seeds.join(', ')}; ${maxSteps} BC steps per task; ${evalEpisodes} evaluation episodes; load ${load()} on ${cpus().length} cores`);
  for (const seed of seeds) await (values['compare-only'] ? compareAdapters(seed, tasks, results) : runSeed(seed, tasks, results));
}
const { markdown, svg } = report(results);
console.log(markdown);
results.table = markdown;
save(results);
const svgFile = join(dirname(outFile), 'continual-heatmap.svg');
writeFileSync(svgFile, svg);
console.log(`heat map: ${svgFile}\nresults: ${outFile}`);
