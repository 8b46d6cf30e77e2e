import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseNumberFlag, parseConfigFlag } from '../flags.js';
import { onInterrupt } from '../interrupt.js';
import { writeFileAtomic } from '../../data/atomic-write.js';

/** Flags of `lamkit finetune --continual` as commander hands them over. */
export interface ContinualFlags {
  data: string[];
  from?: string;
  policyKind?: string;
  strategy?: string;
  rehearsalSize?: string;
  ewcLambda?: string;
  evalEpisodes?: string;
  out?: string;
  force?: boolean;
  seed?: string;
  maxSteps?: string;
  config?: string;
  progress: boolean;
}

/** One evaluation of a task after a stage. */
export interface TaskEvaluation {
  task: string;
  /** Mean NLL of the task's test split (its validation split when it has no test episodes). */
  nll: number;
  /** Rollouts in the task's env (null when the dataset's task is not registered or `--eval-episodes 0`). */
  successRate: number | null;
  meanReturn: number | null;
}

/** What `lamkit finetune --continual` leaves in `--out` (`retention.json`). */
export interface ContinualOutcome {
  outDir: string;
  strategy: string;
  tasks: string[];
  /** `[stage][task]`, NaN for tasks not trained yet. */
  matrix: { nll: number[][]; success: number[][]; return: number[][] };
  summary: Record<string, { averageFinal: number; averageForgetting: number; forgetting: number[] }>;
  /** Parameters trained in each stage and the model's total (adapters: what each task adds). */
  params: Array<{ task: string; trainable: number; total: number }>;
  reportText: string;
  /** True when Ctrl-C stopped it: the stage under way ended early and later stages did not run; what ran is saved. */
  interrupted: boolean;
}

/**
 * `lamkit finetune --continual --data <d1> <d2> ... [--from <ckpt>] --strategy naive|rehearsal|ewc|adapters`:
 * behaviour cloning of one transformer over the datasets in order (one task
 * each, its own tokenizers and heads on the shared trunk; see
 * agents/algos/continual). After each stage every task learned so far is
 * evaluated: the NLL of its test split and, when its task is registered,
 * `--eval-episodes` rollouts (success rate, mean return). Writes
 * `retention.json` (the retention matrices, average final performance and
 * forgetting), `metrics.jsonl`, and one checkpoint per task
 * (`tasks/<k>-<task>/checkpoint`, usable by `lamkit eval`).
 */
export async function runContinual(flags: ContinualFlags, log: (line: string) => void = () => {}): Promise<ContinualOutcome> {
  if (flags.data.length < 2) throw new InvalidArgument(formatError('lamkit finetune --continual --data', 'at least two datasets (the task sequence)', describeValue(flags.data), 'Pass e.g. --data d1 d2'));
  const seed = parseIntFlag('lamkit finetune --seed', flags.seed, 0, '1') ?? 1;
  const maxSteps = parseIntFlag('lamkit finetune --max-steps', flags.maxSteps, 1, '2000');
  const rehearsalSize = parseIntFlag('lamkit finetune --rehearsal-size', flags.rehearsalSize, 1, '2000');
  const ewcLambda = parseNumberFlag('lamkit finetune --ewc-lambda', flags.ewcLambda, 0, '100000');
  const evalEpisodes = parseIntFlag('lamkit finetune --eval-episodes', flags.evalEpisodes, 0, '20') ?? 20;
  const { policy: policyConfig, continual: continualConfig, ...bcFields } = parseConfigFlag(flags.config, 'lamkit finetune --config');
  if (flags.from !== undefined && (flags.policyKind !== undefined || policyConfig !== undefined)) {
    throw new InvalidArgument(formatError('lamkit finetune --from', 'no --policy-kind or config policy with --from (the network comes from the checkpoint)', describeValue(flags.from), 'Drop one of them'));
  }
  if (flags.policyKind !== undefined && flags.policyKind !== 'transformer') {
    throw new InvalidArgument(formatError('lamkit finetune --continual --policy-kind', 'transformer (tasks share its trunk)', describeValue(flags.policyKind), 'Drop --policy-kind'));
  }
  const lib = await import('../../index.js');
  const { ContinualLearner, resolveContinualConfig, retentionSummary } = await import('../../../agents/algos/continual/index.js');
  const cl = resolveContinualConfig({ ...((continualConfig ?? {}) as object), ...(flags.strategy !== undefined ? { strategy: flags.strategy } : {}), ...(rehearsalSize !== undefined ? { rehearsalSize } : {}), ...(ewcLambda !== undefined ? { ewcLambda } : {}) }, 'lamkit finetune --strategy/--config continual');
  const bc = lib.resolveBcConfig({ ...bcFields, seed, ...(maxSteps !== undefined ? { maxSteps } : {}) }, 'lamkit finetune --config');

  // Every dataset first: a bad one fails before any training.
  type Task = { id: string; envId: string; io: { obsDim: number; head: import('../../../agents/policies/param-layout.js').HeadSpec }; spaces: NonNullable<Awaited<ReturnType<Lib['openDataset']>>['spaces']>; stats: ReturnType<Lib['observationStats']>; train: Demos; val: Demos; test: Demos };
  const tasks: Task[] = [];
  for (const dir of flags.data) {
    const where = `lamkit finetune --data ${dir}`;
    const ds = await lib.openDataset(dir);
    const spaces = ds.spaces;
    if (!spaces) throw new InvalidArgument(formatError(where, 'a dataset recorded by lamkit (its spaces in meta/info.json)', 'no spaces', 'Record it with lamkit record'));
    const splits = ds.splits ?? lib.splitEpisodes(ds.episodes.length, { val: 0.1, test: 0.1, seed });
    if (splits.train.length === 0 || splits.val.length === 0) throw new InvalidArgument(formatError(where, 'at least one training and one validation episode', `${ds.episodes.length} episode(s)`, 'Record more episodes'));
    const read = (list: readonly number[], split: string) => lib.datasetDemonstrations(ds, list, spaces.observation, spaces.action, `${where} (${split} split)`);
    const train = await read(splits.train, 'train');
    const val = await read(splits.val, 'val');
    const test = splits.test.length > 0 ? await read(splits.test, 'test') : val;
    const stats = lib.observationStats(train);
    for (const d of [train, val, test]) lib.normalizeDemonstrations(d, stats, 10);
    const envId = ds.info.lamkit?.envId ?? 'dataset';
    const n = tasks.filter((t) => t.envId === envId).length;
    tasks.push({ id: n === 0 ? envId : `${envId}#${n + 1}`, envId, io: { obsDim: spaces.observation.flatDim, head: new lib.ActionCodec(spaces.action).head }, spaces, stats, train, val, test });
  }
  const outDir = resolve(flags.out ?? lib.autoRunDir(tasks[0].envId, `continual-${cl.strategy}`, seed));
  lib.prepareRunDir(outDir, flags.force ? 'replace' : 'new', 'lamkit finetune --out');
  const backend = await lib.initBackend();
  const rng = new lib.Rng(seed);
  let start: TransformerNet;
  if (flags.from !== undefined) {
    const net = lib.restorePolicy(lib.readCheckpoint(flags.from).data.policy, 'lamkit finetune --from policy');
    if (!(net instanceof lib.TransformerActorCritic)) {
      net.dispose();
      throw new InvalidArgument(formatError('lamkit finetune --continual --from', 'a transformer checkpoint (tasks share its trunk)', `a '${net.kind}' network`, 'Start from a transformer (or lamkit-base)'));
    }
    start = net;
  } else {
    const config = lib.resolvePolicyConfig({ kind: 'transformer', ...((policyConfig ?? {}) as object) }, 'lamkit finetune --config policy');
    start = lib.policyKind(config.kind).create(config, tasks[0].io, rng.spawn()) as TransformerNet;
  }
  const learner = new ContinualLearner(start, cl, bc);
  const metrics = new lib.MetricStream();
  const outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: bc.maxSteps * tasks.length, label: `continual ${cl.strategy} (${tasks.length} tasks)`, progress: flags.progress });
  const interrupt = onInterrupt({ command: 'lamkit finetune --continual', stopping: 'stopping after this step; the tasks done so far are saved' });
  const K = tasks.length;
  const blank = (): number[][] => Array.from({ length: K }, () => new Array<number>(K).fill(NaN));
  const matrix = { nll: blank(), success: blank(), return: blank() };
  const params: ContinualOutcome['params'] = [];
  let offset = 0;
  let wall = 0;
  try {
    for (let k = 0; k < K && !interrupt.requested; k++) {
      const t = tasks[k];
      log(`lamkit finetune --continual: stage ${k + 1}/${K}: ${t.id} (${cl.strategy}; ${t.train.rows} training steps)`);
      const stage = new lib.MetricStream();
      const sub = stage.subscribe({ next: (row) => metrics.emit({ ...row, global_step: offset + row.global_step, wall_s: wall + row.wall_s }) });
      const result = await learner.learn({ id: t.id, io: t.io, train: t.train, val: t.val }, { stop: () => interrupt.requested, metrics: stage });
      sub.unsubscribe();
      offset += result.steps;
      wall += result.wallSeconds;
      params.push({ task: t.id, trainable: result.trainableParams, total: result.totalParams });
      for (let j = 0; j <= k; j++) {
        const e = await evaluateTask(lib, learner, tasks[j], evalEpisodes, seed);
        matrix.nll[k][j] = e.nll;
        matrix.success[k][j] = e.successRate ?? NaN;
        matrix.return[k][j] = e.meanReturn ?? NaN;
        const row: import('../../streams/metrics.js').MetricRow = { global_step: offset, wall_s: wall, [`continual/${tasks[j].id}/nll`]: e.nll };
        if (e.successRate !== null) row[`continual/${tasks[j].id}/success`] = e.successRate;
        if (e.meanReturn !== null) row[`continual/${tasks[j].id}/return`] = e.meanReturn;
        metrics.emit(row);
        log(`  after ${t.id}: ${tasks[j].id} NLL ${e.nll.toFixed(3)}${e.successRate !== null ? `, success ${(100 * e.successRate).toFixed(0)}%` : ''}${e.meanReturn !== null ? `, return ${e.meanReturn.toFixed(2)}` : ''}`);
      }
      const net = learner.netFor(t.id);
      try {
        lib.saveCheckpoint(taskCheckpointDir(outDir, k, t.id), {
          meta: { envId: t.envId, observationSpace: t.spaces.observation, actionSpace: t.spaces.action, backend: backend.name },
          policy: lib.capturePolicy(net),
          normalization: { obs: t.stats, ret: null, clipObs: 10 },
          algo: { name: 'bc', config: { ...bc, continual: cl, stage: k + 1, data: resolve(flags.data[k]) }, state: { globalStep: result.steps, bestStep: result.bestStep, bestValLoss: result.bestValLoss }, optimizer: null },
        });
      } finally {
        net.dispose();
      }
    }
    metrics.complete();
    const done = params.length;
    const cut = (m: number[][]): number[][] => m.slice(0, done).map((r) => r.slice(0, done));
    const summary: ContinualOutcome['summary'] = { nll: retentionSummary(cut(matrix.nll), false) };
    if (cut(matrix.success).every((r, k) => Number.isFinite(r[k]))) summary.success = retentionSummary(cut(matrix.success), true);
    else if (cut(matrix.return).every((r, k) => Number.isFinite(r[k]))) summary.return = retentionSummary(cut(matrix.return), true);
    const ids = tasks.slice(0, done).map((t) => t.id);
    const out: ContinualOutcome = { outDir, strategy: cl.strategy, tasks: ids, matrix: { nll: cut(matrix.nll), success: cut(matrix.success), return: cut(matrix.return) }, summary, params, reportText: '', interrupted: interrupt.requested };
    out.reportText = formatRetention(out);
    writeFileAtomic(join(outDir, 'retention.json'), JSON.stringify({ ...out, reportText: undefined, interrupted: undefined, config: { continual: cl, bc, from: flags.from ?? null, data: flags.data.map((d) => resolve(d)), evalEpisodes } }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    await outputs.finish({ envId: ids.join('->'), algo: `continual-${cl.strategy}`, config: { seed, totalSteps: bc.maxSteps * K }, backend: backend.name, result: { globalStep: offset, updates: offset, wallSeconds: wall }, resumedFrom: null });
    return out;
  } catch (err) {
    outputs.close();
    metrics.error(err);
    throw err;
  } finally {
    interrupt.dispose();
    outputs.close();
    learner.dispose();
  }
}

/** Where `lamkit finetune --continual` saves the checkpoint of stage `k` (0-based) and its task: `tasks/<k + 1>-<task>/checkpoint` in `--out`. */
export function taskCheckpointDir(outDir: string, k: number, taskId: string): string {
  return join(outDir, 'tasks', `${k + 1}-${taskId.replace(/[^A-Za-z0-9_.-]/g, '_')}`, 'checkpoint');
}

type Lib = typeof import('../../index.js');
type TransformerNet = import('../../../agents/policies/transformer/transformer-actor-critic.js').TransformerActorCritic;
type Demos = import('../../../agents/algos/bc/demonstrations.js').Demonstrations;
type Learner = import('../../../agents/algos/continual/continual-learner.js').ContinualLearner;

/** NLL of a task's test split, and rollouts in its env when it is registered. */
async function evaluateTask(lib: Lib, learner: Learner, t: { id: string; envId: string; spaces: { observation: unknown; action: unknown }; stats: unknown; test: Demos }, episodes: number, seed: number): Promise<TaskEvaluation> {
  const nll = learner.nll(t.id, t.test);
  if (episodes === 0 || !lib.registeredIds().includes(t.envId)) return { task: t.id, nll, successRate: null, meanReturn: null };
  const env = await lib.makeAsync(t.envId);
  const policy = new lib.NetworkPolicy(learner.netFor(t.id), { observationSpace: t.spaces.observation, actionSpace: t.spaces.action, obsStats: t.stats, clipObs: 10, seed } as ConstructorParameters<Lib['NetworkPolicy']>[1]);
  try {
    const ev = await lib.evaluatePolicy(policy, env, { episodes, seed: seed + 1_000_000 });
    return { task: t.id, nll, successRate: ev.successRate, meanReturn: ev.meanReturn };
  } finally {
    policy.dispose();
    await env.close();
  }
}

/** The retention matrices as text. */
export function formatRetention(o: Pick<ContinualOutcome, 'strategy' | 'tasks' | 'matrix' | 'summary' | 'params'>): string {
  const lines = [`continual (${o.strategy}): rows = after stage, columns = task`];
  const fmt = (x: number, pct: boolean): string => (Number.isFinite(x) ? (pct ? `${(100 * x).toFixed(0)}%` : x.toFixed(3)) : '-').padStart(13);
  for (const [name, m, pct] of [['test NLL', o.matrix.nll, false], ['success', o.matrix.success, true], ['return', o.matrix.return, false]] as const) {
    if (!m.some((r) => r.some((x) => Number.isFinite(x)))) continue;
    lines.push(`${name}:`, ''.padEnd(14) + o.tasks.map((t) => t.slice(0, 12).padStart(13)).join(''));
    m.forEach((r, k) => lines.push(`  ${o.tasks[k].slice(0, 12).padEnd(12)}${r.map((x) => fmt(x, pct)).join('')}`));
  }
  for (const [metric, s] of Object.entries(o.summary)) lines.push(`${metric}: average final ${s.averageFinal.toFixed(3)}, average forgetting ${s.averageForgetting.toFixed(3)}`);
  for (const p of o.params) lines.push(`${p.task}: ${p.trainable} of ${p.total} parameters trained (${((100 * p.trainable) / p.total).toFixed(1)}%)`);
  return lines.join('\n');
}
