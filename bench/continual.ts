// npm run bench:continual -- [--data d1 d2 ...] [--strategies naive,rehearsal,ewc,adapters] [--seeds 1,2,3]
//   [--max-steps 300] [--eval-episodes 0] [--ewc-lambda 1000] [--rehearsal-size 2000] [--policy '{"dModel":64,...}'] [--out bench/results/continual.json]
//
// Continual learning (issue 13): for each strategy and seed, `lamkit finetune --continual` over the
// datasets in order; prints the retention matrix (test NLL; success where rollouts run), average final
// performance and average forgetting per strategy, and writes a JSON plus a heat-map SVG
// (bench/results/continual-heatmap.svg). PPO's throughput with the transformer (issue 13's other
// target) is bench/ppo-transformer.ts (`npm run bench:ppo-transformer`).
// Every figure is printed with its target and the 1-minute load average.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import '../envs/index.js';
import { runContinual, type ContinualOutcome } from '../src/cli/commands/finetune-continual.js';
import { runRecord, type RecordFlags } from '../src/cli/commands/record.js';
import { renderVegaLiteSvg, loadVega, type VegaLiteSpec } from '../src/bench/vega-svg.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function argList(name: string): string[] {
  const i = process.argv.indexOf(name);
  if (i < 0) return [];
  const out: string[] = [];
  for (let k = i + 1; k < process.argv.length && !process.argv[k].startsWith('--'); k++) out.push(process.argv[k]);
  return out;
}

/** Without --data: ArmReach-v0 -> ArmPush-v0, 20 scripted-expert episodes each, recorded once into the temp directory. */
async function defaultData(): Promise<string[]> {
  const dirs: string[] = [];
  for (const env of ['ArmReach-v0', 'ArmPush-v0']) {
    const dir = join(tmpdir(), 'lamkit-bench-continual-data', env);
    if (!existsSync(join(dir, 'meta', 'info.json'))) await runRecord({ env, policy: 'expert', episodes: '20', seed: '0', out: dir, progress: false } as RecordFlags);
    dirs.push(dir);
  }
  return dirs;
}
const data = argList('--data').length > 0 ? argList('--data') : await defaultData();
const strategies = (arg('--strategies') ?? 'naive,rehearsal,ewc,adapters').split(',');
const seeds = (arg('--seeds') ?? '1,2,3').split(',').map(Number);
const maxSteps = arg('--max-steps') ?? '300';
const evalEpisodes = arg('--eval-episodes') ?? '0';
const policy = JSON.parse(arg('--policy') ?? '{"dModel":64,"layers":2,"heads":4,"window":8}');
const outFile = arg('--out') ?? 'bench/results/continual.json';
const load = (): number => +loadavg()[0].toFixed(2);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

interface Run { strategy: string; seed: number; outcome: Omit<ContinualOutcome, 'reportText'>; wallSeconds: number; load: [number, number] }

async function continual(): Promise<Run[]> {
  const runs: Run[] = [];
  for (const strategy of strategies) {
    for (const seed of seeds) {
      const l0 = load();
      const t0 = performance.now();
      const o = await runContinual({ data, strategy, seed: String(seed), maxSteps, evalEpisodes, ewcLambda: arg('--ewc-lambda'), rehearsalSize: arg('--rehearsal-size'), out: join(tmpdir(), `lamkit-bench-continual-${strategy}-${seed}`), force: true, progress: false, config: JSON.stringify({ policy, batchSize: 16, seqLen: 16, evalEvery: 50, warmupSteps: 20 }) });
      const wall = (performance.now() - t0) / 1000;
      const { reportText: _r, ...outcome } = o;
      runs.push({ strategy, seed, outcome, wallSeconds: wall, load: [l0, load()] });
      console.log(`${strategy} seed ${seed}: NLL average final ${o.summary.nll.averageFinal.toFixed(3)}, average forgetting ${o.summary.nll.averageForgetting.toFixed(3)} (${wall.toFixed(0)} s, load ${l0} -> ${load()})`);
    }
  }
  return runs;
}

/** Table per strategy: mean +- sd over seeds of average final NLL and forgetting, the targets beside them. */
function report(runs: Run[]): { markdown: string; svg: string } {
  const tasks = runs[0].outcome.tasks;
  const naive = runs.filter((r) => r.strategy === 'naive').map((r) => r.outcome.summary.nll.averageForgetting);
  const lines = [
    `| strategy | avg final test NLL (lower better) | avg forgetting (NLL rise) | target | params trained per task | seeds |`,
    '|---|---|---|---|---|---|',
  ];
  const heat: Array<{ strategy: string; stage: string; task: string; nll: number }> = [];
  for (const s of strategies) {
    const rs = runs.filter((r) => r.strategy === s);
    if (rs.length === 0) continue;
    const fin = rs.map((r) => r.outcome.summary.nll.averageFinal);
    const fgt = rs.map((r) => r.outcome.summary.nll.averageForgetting);
    const target = s === 'rehearsal' || s === 'ewc' ? (naive.length ? `<= ${(mean(naive) / 2).toFixed(3)} (half of naive)` : 'half of naive') : s === 'adapters' ? '<= 5% params per task' : '-';
    const p = rs[0].outcome.params.map((x) => `${((100 * x.trainable) / x.total).toFixed(1)}%`).join(' / ');
    lines.push(`| ${s} | ${mean(fin).toFixed(3)} ± ${sd(fin).toFixed(3)} | ${mean(fgt).toFixed(3)} ± ${sd(fgt).toFixed(3)} | ${target} | ${p} | ${rs.map((r) => r.seed).join(', ')} |`);
    tasks.forEach((_, k) => tasks.forEach((t, j) => {
      if (j > k) return;
      heat.push({ strategy: s, stage: `after ${k + 1}: ${tasks[k]}`, task: t, nll: mean(rs.map((r) => r.outcome.matrix.nll[k][j])) });
    }));
  }
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: heat },
    facet: { column: { field: 'strategy', type: 'nominal', sort: strategies } },
    spec: {
      width: 150,
      height: 150,
      layer: [
        { mark: 'rect', encoding: { x: { field: 'task', type: 'nominal', sort: tasks }, y: { field: 'stage', type: 'nominal' }, color: { field: 'nll', type: 'quantitative', title: 'test NLL', scale: { scheme: 'viridis', reverse: true } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { x: { field: 'task', type: 'nominal', sort: tasks }, y: { field: 'stage', type: 'nominal' }, text: { field: 'nll', type: 'quantitative', format: '.2f' }, color: { value: 'white' } } },
      ],
    },
    title: `Retention matrix: test NLL of each task after each stage (mean of ${seeds.length} seed(s))`,
  } as VegaLiteSpec;
  return { markdown: lines.join('\n'), svg: renderVegaLiteSvg(spec) };
}

const results: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, data, strategies, seeds, maxSteps: Number(maxSteps), evalEpisodes: Number(evalEpisodes), policy };
await loadVega();
const runs = await continual();
const { markdown, svg } = report(runs);
console.log(markdown);
results.runs = runs;
results.table = markdown;
const svgFile = join(dirname(outFile), 'continual-heatmap.svg');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(svgFile, svg);
console.log(`heat map: ${svgFile}`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(results, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
console.log(`results: ${outFile}`);
