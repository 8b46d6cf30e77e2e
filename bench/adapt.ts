// Adaptation benchmark (issue 12): how well does a policy imitate ArmPush-v0 from
// 10, 50 or 200 expert demonstrations?
//
//   npm run bench:adapt -- [--demos 10,50,200] [--seeds 0,1,2] [--variants a,b,c,d,mlp]
//        [--episodes 50] [--max-steps 600] [--base lamkit-base] [--resume] [--out bench/results/adapt.json]
//        [--lora-lr <lr>]   (variant c's learning rate; default the shared 1e-3)
//        [--base-config '<json>']   (merged into the fine-tuning config of b, c and d, e.g. '{"learningRate": 3e-4}', '{"lora": {"rank": 4}}' or '{"lora": {"kind": "dora"}}')
//        [--select-by nll|success] [--select-episodes 20]   (every fine-tuning variant's kept weights: the best validation
//        NLL (default), or `lamkit finetune --select-by success`: rollouts at each validation, seeds 1,000,000+, never the eval's)
//        [--keep <dir>]   (copy every trained checkpoint to <dir>/<variant>-<demos>-<seed>; the temp dir is deleted)
//        [--ppo-steps 500000] [--ppo-config '{...}'] [--ppo-env-kwargs '{...}' (the training envs' ArmPush-v0 options, e.g.
//        '{"rewardSuccessWeight": 1}'; default '{"rewardSuccessWeight": 5}', '{}' for none; every evaluation runs the task as
//        registered)] [--ppo-eval-every 38400] [--ppo-eval-episodes 20]
//        [--ppo-parts first,long]   (variant e; one part per process runs them side by side)
//        [--ppo-select-by return|success]   (variant e: the long run keeps its best periodic evaluation in best/,
//        `lamkit train --select-by`; best/ is also evaluated on the --episodes episodes, beside the end policy)
//        [--action-noise <std>]   (DART: lamkit record --action-noise; the expert's clean action is the label)
//        [--references-from <results.json>]   (reuse its random / expert returns: same --episodes, nothing re-run)
//   npm run bench:adapt -- --merge a.json,b.json [--out merged.json]   (partial grids run side by side:
//        their rows into one file, then the table and plot; nothing is trained)
//
// Variants (every one trained by `lamkit finetune` on the same demonstrations):
//   a    the default transformer (TRANSFORMER below) from scratch
//   b    lamkit-base + full fine-tuning      c  lamkit-base + LoRA      d  lamkit-base + head only
//   mlp  an MLP 256x256 (`--policy-kind mlp`), the plain behaviour-cloning baseline
// b-d need the pretrained base (`--base`, default lamkit-base; a base of another chunk length gets its heads
// widened to TRANSFORMER.chunk, `lamkit finetune --config '{"chunk": k}'`); while it cannot be found
// they are skipped with a message, and picked up as soon as it resolves.
//   e    (b) followed by PPO (issue 13, column (e)): `lamkit train --algo ppo --from <(b) checkpoint>`
//        for at most --ppo-steps env steps (PPO_FT below, over it --ppo-config). Needs the (b) checkpoint
//        of the same demos and seed: trained in this run (put b before e in --variants) or kept by an
//        earlier run in --keep <dir>/b-<demos>-<seed>. Success over --episodes at the start and at the end;
//        the no-collapse check: a short run of the same seed and config (bit-identical to the long run's
//        first updates) evaluated over --episodes after each of its first value-warm-up + 5 updates,
//        against the start on the same episodes (train's eval seeds); the long run evaluates
//        --ppo-eval-episodes every --ppo-eval-every steps (metrics.jsonl, the log). With --keep both PPO
//        runs stay in <dir>/e-<demos>-<seed>{,-first}. Ctrl-C stops PPO after its update and still
//        evaluates the end policy (a second Ctrl-C exits at once). --ppo-parts first / long runs only the
//        no-collapse check / only the long run (two processes side by side; `--merge` joins their rows).
//
// Demonstrations: per (demos N, seed s) `lamkit record --policy expert` records N training
// episodes plus max(2, N/10) validation episodes (early stopping), seeds 1000 + 100000 s + k.
// Evaluation: `--episodes` deterministic episodes (seeds 10000+, never seen in the demos);
// success rate (info.isSuccess at the end) and normalized return ((R - random) / (expert -
// random), random = uniform actions, expert = the scripted expert on the same episodes).
// Every finished run is appended to --out at once (atomic write); --resume skips runs it holds,
// so a long grid on a loaded machine can be stopped (Ctrl-C) and continued.
// Writes a markdown table to stdout and a plot next to --out (adapt-armpush.svg).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runRecord } from '../src/cli/commands/record.js';
import { runFinetune } from '../src/cli/commands/finetune.js';
import { runTrain, EVAL_SEED_OFFSET } from '../src/cli/commands/train.js';
import { EVAL_SELECT_BY } from '../src/cli/eval-during-training.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../src/cli/interrupt.js';
import { parseEnvKwargsFlag } from '../src/cli/flags.js';
import { writeFileAtomic } from '../src/data/atomic-write.js';
import { loadVega, renderVegaLiteSvg } from '../src/bench/vega-svg.js';
import * as lib from '../src/index.js';

const ENV_ID = 'ArmPush-v0';
/** Variant (a) and the transformer defaults found by the one-seed sweep at 50 demos (docs/benchmarks.md, "Adaptation"). */
const TRANSFORMER = { kind: 'transformer', chunk: 8, logStdInit: -1 };
const MLP = { hidden: [256, 256], activation: 'relu' };
/** Behaviour-cloning settings shared by every variant (agents/algos/bc/behavior-cloning.ts). */
const BC = { learningRate: 1e-3, evalEvery: 100, patience: 5 };
/**
 * PPO fine-tuning of the (b) policy (variant e): the best configuration measured (session 45,
 * docs/benchmarks.md "Column (e)"): 64 sub-envs x 150 steps (one whole episode each) in groups of 4
 * that share a reset seed, each step's advantage against the other members' reward-to-go
 * (`groupSize`), a small learning rate for full fine-tuning, no value warm-up and no KL penalty, the
 * (b) network's observation statistics frozen, its log-std set to -3.5 (std 0.030: ArmPush-v0's
 * velocity servos turn wider per-step noise into flung pucks), and that noise correlated in time
 * within each episode (`noiseCorrelation` 0.9), so an episode explores a smooth deviation of the
 * motion. The training envs add a success reward (--ppo-env-kwargs, default rewardSuccessWeight 5).
 */
const PPO_FT = { numEnvs: 64, numSteps: 150, numMinibatches: 4, updateEpochs: 4, learningRate: 2e-5, annealLr: false, entCoef: 0, valueWarmupUpdates: 0, klRefCoef: 0, actorLogStd: -3.5, freezeObsStats: true, groupSize: 4, noiseCorrelation: 0.9 };
/** The training envs' ArmPush-v0 options of variant e (evaluations run the task as registered). */
const PPO_ENV_KWARGS = '{"rewardSuccessWeight": 5}';
const VARIANTS = ['a', 'b', 'c', 'd', 'mlp', 'e'] as const;
type Variant = (typeof VARIANTS)[number];
const LABEL: Record<Variant, string> = { a: '(a) transformer, scratch', b: '(b) base + full', c: '(c) base + LoRA', d: '(d) base + head', mlp: 'MLP 256x256', e: '(e) (b) + PPO' };

const { values } = parseArgs({
  options: {
    demos: { type: 'string', default: '10,50,200' },
    seeds: { type: 'string', default: '0,1,2' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    episodes: { type: 'string', default: '50' },
    'max-steps': { type: 'string', default: '600' },
    'lora-lr': { type: 'string' },
    'base-config': { type: 'string' },
    'select-by': { type: 'string', default: 'nll' },
    'select-episodes': { type: 'string', default: '20' },
    base: { type: 'string', default: 'lamkit-base' },
    out: { type: 'string', default: 'bench/results/adapt.json' },
    resume: { type: 'boolean', default: false },
    merge: { type: 'string' },
    keep: { type: 'string' },
    'ppo-steps': { type: 'string', default: '500000' },
    'ppo-config': { type: 'string', default: '{}' },
    'ppo-env-kwargs': { type: 'string', default: PPO_ENV_KWARGS },
    'ppo-eval-every': { type: 'string', default: '38400' },
    'ppo-eval-episodes': { type: 'string', default: '20' },
    'ppo-parts': { type: 'string', default: 'first,long' },
    'ppo-select-by': { type: 'string' },
    'references-from': { type: 'string' },
    'action-noise': { type: 'string' },
  },
});

function intList(flag: string, text: string, min: number): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= min)) {
    throw new lib.InvalidArgument(lib.formatError(`bench:adapt --${flag}`, `a comma-separated list of integers >= ${min}`, lib.describeValue(text), `Pass e.g. --${flag} ${flag === 'seeds' ? '0' : '50'}`));
  }
  return xs;
}
const demoCounts = intList('demos', values.demos!, 1);
const seeds = intList('seeds', values.seeds!, 0);
const [episodes] = intList('episodes', values.episodes!, 1);
const [maxSteps] = intList('max-steps', values['max-steps']!, 1);
const variants = values.variants!.split(',').map((v) => v.trim()) as Variant[];
const baseConfig = ((): Record<string, unknown> => {
  const text = values['base-config'];
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new lib.InvalidArgument(lib.formatError('bench:adapt --base-config', 'a JSON object (lamkit finetune --config fields)', lib.describeValue(text), 'Pass e.g. --base-config \'{"learningRate": 3e-4}\''));
  return v as Record<string, unknown>;
})();
const selectBy = values['select-by']!;
if (selectBy !== 'nll' && selectBy !== 'success') throw new lib.InvalidArgument(lib.formatError('bench:adapt --select-by', 'nll or success', lib.describeValue(selectBy), 'Pass --select-by success, or leave it out'));
const [selectEpisodes] = intList('select-episodes', values['select-episodes']!, 1);
const [ppoSteps] = intList('ppo-steps', values['ppo-steps']!, 1);
const ppoSelectBy = values['ppo-select-by'];
if (ppoSelectBy !== undefined && !(EVAL_SELECT_BY as readonly string[]).includes(ppoSelectBy)) throw new lib.InvalidArgument(lib.formatError('bench:adapt --ppo-select-by', `one of ${EVAL_SELECT_BY.join(', ')}`, lib.describeValue(ppoSelectBy), 'Pass --ppo-select-by success, or leave it out (the end policy only)'));
const [ppoEvalEvery] = intList('ppo-eval-every', values['ppo-eval-every']!, 1);
const [ppoEvalEpisodes] = intList('ppo-eval-episodes', values['ppo-eval-episodes']!, 1);
const ppoParts = new Set(values['ppo-parts']!.split(',').map((p) => p.trim()));
if (ppoParts.size === 0 || ![...ppoParts].every((p) => p === 'first' || p === 'long')) {
  throw new lib.InvalidArgument(lib.formatError('bench:adapt --ppo-parts', 'a comma-separated list of first, long', lib.describeValue(values['ppo-parts']), 'Pass e.g. --ppo-parts first,long'));
}
const ppoEnvKwargs = parseEnvKwargsFlag(values['ppo-env-kwargs'], 'bench:adapt --ppo-env-kwargs');
const ppoConfig: Record<string, unknown> = { ...PPO_FT, ...(JSON.parse(values['ppo-config']!) as Record<string, unknown>) };
for (const v of variants) {
  if (!VARIANTS.includes(v)) throw new lib.InvalidArgument(lib.formatError('bench:adapt --variants', `a comma-separated list of ${VARIANTS.join(', ')}`, lib.describeValue(v), 'Pass e.g. --variants a,mlp'));
}

/** One finished (variant, demos, seed) run. */
interface Row {
  variant: Variant;
  demos: number;
  seed: number;
  successRate: number;
  meanReturn: number;
  normalizedReturn: number;
  trainableShare: number;
  steps: number;
  bestValNll: number;
  trainSeconds: number;
  /** How the kept weights were chosen (absent: the best validation NLL). */
  selectBy?: 'success';
  /** Variant e: the PPO part. */
  ppo?: PpoPart;
}
/** Variant e: what PPO did on top of the (b) checkpoint. */
interface PpoPart {
  config: Record<string, unknown>;
  /** --ppo-env-kwargs: the training envs' task options (absent: ArmPush-v0 as registered). */
  envKwargs?: unknown;
  /** Env steps PPO trained (at most --ppo-steps; fewer after Ctrl-C). */
  envSteps: number;
  interrupted: boolean;
  /** Success of the (b) policy over the bench's eval episodes (seeds 10000+), as successRate is for the end. */
  startSuccess: number;
  startNormalizedReturn: number;
  /** The no-collapse check: the start and after each of the short run's updates, over the same episodes (train's eval seeds); null without --ppo-parts first. */
  firstUpdates: null | { startSuccess: number; afterUpdate: { update: number; globalStep: number; successRate: number; meanReturn: number }[]; warmupUpdates: number };
  /** The long run's periodic evaluations (--ppo-eval-episodes each). */
  curve: { globalStep: number; successRate: number; meanReturn: number }[];
  /**
   * --ppo-select-by: the long run's best/ (picked by its periodic evaluations on train's eval seeds, 1,000,000+),
   * evaluated like the end policy on the bench's episodes (seeds 10000+, never used to pick it).
   */
  selected?: { selectBy: string; globalStep: number; validationSuccess: number | null; validationReturn: number; successRate: number; normalizedReturn: number };
}
interface Results {
  envId: string;
  episodes: number;
  maxSteps: number;
  transformer: typeof TRANSFORMER;
  bc: typeof BC;
  randomReturn: number;
  expertReturn: number;
  expertSuccess: number;
  rows: Row[];
  load: number[];
  date: string;
}

/** The base checkpoint's directory, or null (variants b-d are then skipped). */
function findBase(): string | null {
  try {
    return lib.resolveCheckpointDir(values.base!);
  } catch {
    return null;
  }
}

async function evaluate(policy: lib.Policy | ((env: lib.Env<unknown, unknown>) => lib.Policy), signal: AbortSignal, seed = 10_000): Promise<lib.PolicyEvaluation> {
  const env = await lib.makeAsync(ENV_ID);
  const p = typeof policy === 'function' ? policy(env as lib.Env<unknown, unknown>) : policy;
  try {
    return await lib.evaluatePolicy(p, env, { episodes, seed, deterministic: true, signal, yieldEvery: 500 });
  } finally {
    await env.close();
  }
}

const outFile = values.out!;
if (values.merge !== undefined) {
  const parts = values.merge.split(',').map((f) => JSON.parse(readFileSync(f.trim(), 'utf8')) as Results);
  const merged: Results = { ...parts[0], rows: parts.flatMap((p) => p.rows), load: parts.flatMap((p) => p.load) };
  writeFileAtomic(outFile, JSON.stringify(merged, null, 2) + '\n');
  console.log(table(merged));
  await loadVega();
  writeFileAtomic(join(dirname(outFile), 'adapt-armpush.svg'), renderVegaLiteSvg(plotSpec(merged)));
  console.log(`bench:adapt: merged ${parts.length} result files (${merged.rows.length} runs) into ${outFile} and adapt-armpush.svg beside it`);
  process.exit(0);
}
const previous: Results | null = values.resume && existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as Results) : null;
const base = findBase();
const interrupt = onInterrupt({ command: 'bench:adapt', stopping: 'stopping after this run; finished runs are saved', resumeHint: () => `npm run bench:adapt -- --resume (same flags)` });
const root = mkdtempSync(join(tmpdir(), 'lamkit-bench-adapt-'));
/** Checkpoints trained in this run, by `<variant>-<demos>-<seed>`. */
const trained = new Map<string, string>();
const t0 = performance.now();
try {
  console.log(`bench:adapt ${ENV_ID}: demos ${demoCounts.join(',')} x seeds ${seeds.join(',')} x variants ${variants.join(',')}; ${episodes} eval episodes; at most ${maxSteps} BC steps; kept weights by ${selectBy === 'success' ? `validation success (${selectEpisodes} episodes)` : 'validation NLL'}; machine load ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
  if (!base && variants.some((v) => v === 'b' || v === 'c' || v === 'd')) console.log(`bench:adapt: the base checkpoint '${values.base}' is not available: variants b, c, d skipped until it is`);
  const refs = values['references-from'] !== undefined ? (JSON.parse(readFileSync(values['references-from'], 'utf8')) as Results) : null;
  if (refs !== null && refs.episodes !== episodes) {
    throw new lib.InvalidArgument(lib.formatError('bench:adapt --references-from', `a results file over ${episodes} episodes (--episodes)`, `one over ${refs.episodes}`, 'Pass a file of the same --episodes, or drop the flag'));
  }
  const random = refs !== null ? { meanReturn: refs.randomReturn, successRate: null } : await evaluate((env) => new lib.RandomPolicy(env, 0), interrupt.signal);
  const expert = refs !== null ? { meanReturn: refs.expertReturn, successRate: refs.expertSuccess } : await evaluate((env) => new lib.ArmPushExpert(env), interrupt.signal);
  console.log(`bench:adapt references over the ${episodes} eval episodes: random return ${random.meanReturn.toFixed(2)} (success ${random.successRate}), expert ${expert.meanReturn.toFixed(2)} (success ${expert.successRate})`);
  const results: Results = { envId: ENV_ID, episodes, maxSteps, transformer: TRANSFORMER, bc: BC, randomReturn: random.meanReturn, expertReturn: expert.meanReturn, expertSuccess: expert.successRate ?? NaN, rows: previous?.rows ?? [], load: [loadavg()[0]], date: new Date().toISOString() };
  const jobs = demoCounts.flatMap((n) => seeds.flatMap((s) => variants.filter((v) => v === 'a' || v === 'mlp' || base).map((v) => ({ n, s, v }))));
  let done = 0;
  for (const n of demoCounts) {
    for (const s of seeds) {
      const todo = jobs.filter((j) => j.n === n && j.s === s && !results.rows.some((r) => r.variant === j.v && r.demos === n && r.seed === s));
      done += jobs.filter((j) => j.n === n && j.s === s).length - todo.length;
      if (todo.length === 0 || interrupt.requested) continue;
      const data = join(root, `demos-${n}-${s}`);
      const val = Math.max(2, Math.round(n / 10));
      await runRecord({ env: ENV_ID, policy: 'expert', episodes: String(n + val), seed: String(1000 + 100_000 * s), out: data, progress: false, ...(values['action-noise'] !== undefined ? { actionNoise: values['action-noise'] } : {}) });
      lib.writeSplits(data, lib.splitEpisodes(n + val, { valEpisodes: Array.from({ length: val }, (_, i) => n + i) }));
      for (const { v } of todo) {
        if (interrupt.requested) break;
        if (v === 'e') {
          const row = await ppoVariant(n, s, root, random.meanReturn, expert.meanReturn, interrupt.signal);
          if (row === null) continue;
          results.rows.push(row);
          results.load.push(loadavg()[0]);
          mkdirSync(dirname(outFile), { recursive: true });
          writeFileAtomic(outFile, JSON.stringify(results, null, 2) + '\n');
          done += 1;
          const p = row.ppo as PpoPart;
          const f = p.firstUpdates;
          console.log(`[${done}/${jobs.length}] ${LABEL[v]}, ${n} demos, seed ${s}: success ${(100 * p.startSuccess).toFixed(0)}% -> ${(100 * row.successRate).toFixed(0)}% after ${p.envSteps} PPO env steps${p.interrupted ? ' (stopped early)' : ''}${f ? `; first updates ${f.afterUpdate.map((u) => `${(100 * u.successRate).toFixed(0)}%`).join(', ')} (start ${(100 * f.startSuccess).toFixed(0)}%, ${f.warmupUpdates} value warm-up)` : ''}; PPO ${(row.trainSeconds / 60).toFixed(1)} min, load ${loadavg()[0].toFixed(1)}`);
          continue;
        }
        const t1 = performance.now();
        const fromBase = v === 'b' || v === 'c' || v === 'd';
        const o = await runFinetune({
          data,
          out: join(root, `${v}-${n}-${s}`),
          mode: v === 'c' ? 'lora' : v === 'd' ? 'head' : 'full',
          seed: String(s + 1),
          maxSteps: String(maxSteps),
          progress: false,
          ...(selectBy === 'success' ? { selectBy, evalEpisodes: String(selectEpisodes) } : {}),
          ...(fromBase ? { from: base as string, config: JSON.stringify({ ...BC, chunk: TRANSFORMER.chunk, ...baseConfig, ...(v === 'c' && values['lora-lr'] !== undefined ? { learningRate: Number(values['lora-lr']) } : {}) }) } : { policyKind: v === 'mlp' ? 'mlp' : 'transformer', config: JSON.stringify({ ...BC, policy: v === 'mlp' ? MLP : (({ kind: _k, ...rest }) => rest)(TRANSFORMER) }) }),
        });
        const trainSeconds = (performance.now() - t1) / 1000;
        if (values.keep !== undefined) cpSync(o.checkpointDir, join(values.keep, `${v}-${n}-${s}`), { recursive: true });
        trained.set(`${v}-${n}-${s}`, o.checkpointDir);
        const policy = await lib.loadPolicy(o.checkpointDir, { seed: s });
        let ev: lib.PolicyEvaluation;
        try {
          ev = await evaluate(policy, interrupt.signal);
        } finally {
          policy.dispose?.();
        }
        if (ev.aborted) break;
        const row: Row = { variant: v, demos: n, seed: s, successRate: ev.successRate ?? NaN, meanReturn: ev.meanReturn, normalizedReturn: (ev.meanReturn - random.meanReturn) / (expert.meanReturn - random.meanReturn), trainableShare: o.trainableParams / o.totalParams, steps: o.steps, bestValNll: o.bestValLoss, trainSeconds, ...(selectBy === 'success' ? { selectBy: 'success' as const } : {}) };
        results.rows.push(row);
        results.load.push(loadavg()[0]);
        mkdirSync(dirname(outFile), { recursive: true });
        writeFileAtomic(outFile, JSON.stringify(results, null, 2) + '\n');
        done += 1;
        const elapsed = (performance.now() - t0) / 1000;
        console.log(`[${done}/${jobs.length}] ${LABEL[v]}, ${n} demos, seed ${s}: success ${(100 * row.successRate).toFixed(0)}%, normalized return ${row.normalizedReturn.toFixed(3)} (${o.steps} steps, best val NLL ${o.bestValLoss.toFixed(3)}, ${(100 * row.trainableShare).toFixed(1)}% trainable; train ${trainSeconds.toFixed(0)} s; ${(elapsed / 60).toFixed(1)} min so far, load ${loadavg()[0].toFixed(1)})`);
      }
      rmSync(data, { recursive: true, force: true });
    }
  }
  console.log(table(results));
  await loadVega();
  const svg = join(dirname(outFile), 'adapt-armpush.svg');
  writeFileAtomic(svg, renderVegaLiteSvg(plotSpec(results)));
  console.log(`bench:adapt: wrote ${outFile} and ${svg} (${((performance.now() - t0) / 60_000).toFixed(1)} min, load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
} finally {
  interrupt.dispose();
  rmSync(root, { recursive: true, force: true });
}
if (interrupt.requested) process.exitCode = INTERRUPTED_EXIT_CODE;

/** The `eval/*` rows of a train run's metrics.jsonl. */
function evalRows(outDir: string): { globalStep: number; successRate: number; meanReturn: number }[] {
  return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((r) => r['eval/mean_return'] !== undefined)
    .map((r) => ({ globalStep: r.global_step, successRate: r['eval/success_rate'] ?? NaN, meanReturn: r['eval/mean_return'] }));
}

async function evaluateCheckpoint(dir: string, seed: number, signal: AbortSignal, evalSeed?: number): Promise<lib.PolicyEvaluation> {
  const policy = await lib.loadPolicy(dir, { seed });
  try {
    return await evaluate(policy, signal, evalSeed);
  } finally {
    policy.dispose?.();
  }
}

function trainLog(line: string): void {
  console.log(`  ${line} (load ${loadavg()[0].toFixed(1)})`);
}

/** Variant e: PPO on the (b) checkpoint of (n, s); null when that checkpoint is not there. */
async function ppoVariant(n: number, s: number, root: string, randomReturn: number, expertReturn: number, signal: AbortSignal): Promise<Row | null> {
  const from = trained.get(`b-${n}-${s}`) ?? (values.keep !== undefined && existsSync(join(values.keep, `b-${n}-${s}`)) ? join(values.keep, `b-${n}-${s}`) : null);
  if (from === null) {
    console.log(`bench:adapt: (e) for ${n} demos, seed ${s} needs the (b) checkpoint: run --variants b,e, or keep it with --keep <dir> first; skipped`);
    return null;
  }
  const norm = (r: number): number => (r - randomReturn) / (expertReturn - randomReturn);
  const trainSeed = s + 1;
  const dir = values.keep ?? root;
  const flags = { env: ENV_ID, algo: 'ppo', from, seed: String(trainSeed), config: JSON.stringify(ppoConfig), vectorization: 'sync', progress: false, force: true, ...(ppoEnvKwargs !== undefined ? { envKwargs: JSON.stringify(ppoEnvKwargs) } : {}) };
  const batch = (ppoConfig.numEnvs as number) * (ppoConfig.numSteps as number);
  const warmup = (ppoConfig.valueWarmupUpdates as number | undefined) ?? 0;
  const t1 = performance.now();
  const start = await evaluateCheckpoint(from, s, signal);
  console.log(`bench:adapt (e) ${n} demos, seed ${s}: start success ${(100 * (start.successRate ?? NaN)).toFixed(0)}% (norm. return ${norm(start.meanReturn).toFixed(3)}); PPO config ${JSON.stringify(ppoConfig)}${ppoEnvKwargs !== undefined ? `, training envs ${JSON.stringify(ppoEnvKwargs)}` : ''}; load ${loadavg()[0].toFixed(1)}`);
  let firstUpdates: PpoPart['firstUpdates'] = null;
  let envSteps = 0;
  let interrupted = false;
  let out = '';
  let curve: PpoPart['curve'] = [];
  let selected: PpoPart['selected'];
  if (ppoParts.has('first')) {
    // The no-collapse check on train's own eval episodes (seed + EVAL_SEED_OFFSET + k).
    const startTrainSeeds = await evaluateCheckpoint(from, s, signal, trainSeed + EVAL_SEED_OFFSET);
    out = join(dir, `e-${n}-${s}-first`);
    const first = await runTrain({ ...flags, out, totalSteps: String((warmup + 5) * batch), evalEvery: String(batch), evalEpisodes: String(episodes) }, { log: trainLog });
    const afterUpdate = evalRows(out).map((r) => ({ update: Math.round(r.globalStep / batch), ...r }));
    firstUpdates = { startSuccess: startTrainSeeds.successRate ?? NaN, afterUpdate, warmupUpdates: warmup };
    console.log(`bench:adapt (e): success after updates 1..${afterUpdate.length}: ${afterUpdate.map((u) => `${(100 * u.successRate).toFixed(0)}%`).join(', ')} (${warmup} value warm-up; start on the same episodes ${(100 * firstUpdates.startSuccess).toFixed(0)}%, 80% of it ${(80 * firstUpdates.startSuccess).toFixed(0)}%); load ${loadavg()[0].toFixed(1)}`);
    envSteps = first.globalStep;
    interrupted = first.interrupted;
  }
  if (ppoParts.has('long') && !interrupted && ppoSteps > envSteps) {
    out = join(dir, `e-${n}-${s}`);
    const long = await runTrain({ ...flags, out, totalSteps: String(ppoSteps), evalEvery: String(ppoEvalEvery), evalEpisodes: String(ppoEvalEpisodes), ...(ppoSelectBy !== undefined ? { selectBy: ppoSelectBy } : {}) }, { log: trainLog });
    envSteps = long.globalStep;
    interrupted = long.interrupted;
    curve = evalRows(out);
    if (ppoSelectBy !== undefined && long.bestEval !== null) {
      const b = long.bestEval;
      const ev = await evaluateCheckpoint(join(out, 'best'), s, new AbortController().signal);
      selected = { selectBy: ppoSelectBy, globalStep: b.globalStep, validationSuccess: b.successRate, validationReturn: b.meanReturn, successRate: ev.successRate ?? NaN, normalizedReturn: norm(ev.meanReturn) };
      console.log(`bench:adapt (e) ${n} demos, seed ${s}: best/ by ${ppoSelectBy} (step ${b.globalStep}, validation success ${(100 * (b.successRate ?? NaN)).toFixed(0)}%): success ${(100 * selected.successRate).toFixed(0)}% (norm. return ${selected.normalizedReturn.toFixed(3)}) on the eval episodes`);
    }
  }
  const trainSeconds = (performance.now() - t1) / 1000;
  // The end policy is evaluated even after Ctrl-C (its own signal; a second Ctrl-C exits).
  const end = await evaluateCheckpoint(join(out, 'checkpoint'), s, new AbortController().signal);
  return {
    variant: 'e', demos: n, seed: s, successRate: end.successRate ?? NaN, meanReturn: end.meanReturn, normalizedReturn: norm(end.meanReturn),
    trainableShare: ppoConfig.trainParams === 'lora' ? NaN : 1, steps: envSteps, bestValNll: NaN, trainSeconds,
    ppo: { config: ppoConfig, ...(ppoEnvKwargs !== undefined ? { envKwargs: ppoEnvKwargs } : {}), envSteps, interrupted, startSuccess: start.successRate ?? NaN, startNormalizedReturn: norm(start.meanReturn), firstUpdates, curve, ...(selected ? { selected } : {}) },
  };
}

function meanStd(xs: number[], digits: number): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  return xs.length > 1 ? `${m.toFixed(digits)} ± ${sd.toFixed(digits)}` : m.toFixed(digits);
}

/** Markdown: one row per variant, per demo count the success rate (%) and normalized return, mean ± std over seeds. */
function table(r: Results): string {
  const ns = [...new Set(r.rows.map((x) => x.demos))].sort((a, b) => a - b);
  const head = `| variant | trainable | ${ns.map((n) => `${n} demos: success % | norm. return`).join(' | ')} |`;
  const lines = [head, `|---|---|${ns.map(() => '---|---').join('|')}|`];
  for (const v of VARIANTS) {
    const rows = r.rows.filter((x) => x.variant === v);
    if (rows.length === 0) continue;
    const cells = ns.map((n) => {
      const xs = rows.filter((x) => x.demos === n);
      return xs.length === 0 ? '— | —' : `${meanStd(xs.map((x) => 100 * x.successRate), 0)} (n=${xs.length}) | ${meanStd(xs.map((x) => x.normalizedReturn), 2)}`;
    });
    lines.push(`| ${LABEL[v]} | ${(100 * rows[0].trainableShare).toFixed(1)}% | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Success rate against demonstrations (log scale): one point per run, the mean over seeds as a line, one colour per variant. */
function plotSpec(r: Results): lib.VegaLiteSpec {
  const points = r.rows.map((x) => ({ variant: LABEL[x.variant], demos: x.demos, success: 100 * x.successRate, kind: 'run' }));
  const means = [...new Set(r.rows.map((x) => `${x.variant}|${x.demos}`))].map((key) => {
    const [v, n] = key.split('|');
    const xs = r.rows.filter((x) => x.variant === v && x.demos === Number(n));
    return { variant: LABEL[v as Variant], demos: Number(n), success: (100 * xs.reduce((a, b) => a + b.successRate, 0)) / xs.length };
  });
  const x = { field: 'demos', type: 'quantitative', scale: { type: 'log' }, title: 'expert demonstrations' } as const;
  const y = { field: 'success', type: 'quantitative' as const, title: `success rate, % (${r.episodes} episodes)`, scale: { domain: [0, 100] } };
  const color = { field: 'variant', type: 'nominal', title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.envId}: imitation from expert demonstrations`,
    background: 'white',
    width: 420,
    height: 260,
    layer: [
      { data: { values: means }, mark: { type: 'line', point: true }, encoding: { x, y, color } },
      { data: { values: points }, mark: { type: 'point', opacity: 0.4 }, encoding: { x, y, color } },
    ],
  };
}
