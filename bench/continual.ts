// npm run bench:continual -- [--data d1 d2 ...] [--strategies naive,rehearsal,ewc,adapters] [--seeds 1,2,3]
//   [--max-steps 300] [--eval-episodes 0] [--ewc-lambda 1000] [--rehearsal-size 2000] [--policy '{"dModel":64,...}'] [--ppo-speed] [--skip-continual] [--out bench/results/continual.json]
//
// Continual learning (issue 13): for each strategy and seed, `lamkit finetune --continual` over the
// datasets in order; prints the retention matrix (test NLL; success where rollouts run), average final
// performance and average forgetting per strategy, and writes a JSON plus a heat-map SVG
// (bench/results/continual-heatmap.svg). With --ppo-speed it also measures PPO env steps/s on
// ArmPush-v0 with the transformer (T=20, d=128, 2 layers) beside the MLP's (target >= 300 overall);
// --ppo-updates n (default 2), --ppo-seq-len L (chunk length, default 16; 64 = one chunk per sub-env and rollout).
// Every figure is printed with its target and the 1-minute load average.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import '../envs/index.js';
import { runContinual, type ContinualOutcome } from '../src/cli/commands/finetune-continual.js';
import { runRecord, type RecordFlags } from '../src/cli/commands/record.js';
import { renderVegaLiteSvg, loadVega, type VegaLiteSpec } from '../src/bench/vega-svg.js';
import { makeVec } from '../src/registry/make-vec.js';
import { PPO } from '../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../agents/algos/ppo/task-defaults.js';
import { initBackend } from '../agents/backend.js';

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
const skipContinual = process.argv.includes('--skip-continual');
const data = argList('--data').length > 0 ? argList('--data') : skipContinual ? [] : await defaultData();
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

/** PPO env steps/s on ArmPush-v0 (rollout + update), transformer vs MLP, a few updates each. */
async function ppoSpeed(): Promise<Record<string, unknown>> {
  await initBackend({ report: null });
  const out: Record<string, unknown> = {};
  const updates = Number(arg('--ppo-updates') ?? '2');
  for (const [name, pol] of [['mlp', { kind: 'mlp' }], ['transformer T=20 d=128 L=2', { kind: 'transformer', dModel: 128, layers: 2, heads: 4, window: 20 }]] as const) {
    const numEnvs = 8;
    const numSteps = 64;
    const seqLen = Number(arg('--ppo-seq-len') ?? '16');
    const config = resolvePpoConfig({ ...ppoDefaultsFor('ArmPush-v0', false), seed: 1, numEnvs, numSteps, seqLen, numMinibatches: 4, updateEpochs: 4, totalSteps: numEnvs * numSteps * updates });
    const vec = await makeVec('ArmPush-v0', { numEnvs });
    const ppo = await PPO.create(vec, config, { policy: pol });
    const l0 = load();
    let collectS = 0;
    let updateS = 0;
    try {
      for (let u = 0; u < updates; u++) {
        const t0 = performance.now();
        await ppo.collect();
        const t1 = performance.now();
        ppo.update();
        collectS += (t1 - t0) / 1000;
        updateS += (performance.now() - t1) / 1000;
      }
    } finally {
      ppo.dispose();
      await vec.close();
    }
    const steps = numEnvs * numSteps * updates;
    const sps = steps / (collectS + updateS);
    out[name] = { steps, rolloutSps: steps / collectS, overallSps: sps, collectS, updateS, config: { numEnvs, numSteps, numMinibatches: 4, updateEpochs: 4, seqLen }, load: [l0, load()] };
    console.log(`PPO ArmPush-v0 ${name}: ${sps.toFixed(0)} env steps/s overall (rollout ${(steps / collectS).toFixed(0)}/s, update ${updateS.toFixed(1)} s for ${steps} steps x 4 epochs); target >= 300 (transformer); load ${l0} -> ${load()}`);
  }
  return out;
}

const results: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, data, strategies, seeds, maxSteps: Number(maxSteps), evalEpisodes: Number(evalEpisodes), policy };
if (process.argv.includes('--ppo-speed')) results.ppoSpeed = await ppoSpeed();
if (!skipContinual) {
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
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(results, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
console.log(`results: ${outFile}`);
