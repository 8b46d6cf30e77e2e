import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseConfigFlag } from '../flags.js';
import { onInterrupt, yieldToEventLoop } from '../interrupt.js';
import { writeFileAtomic } from '../../data/atomic-write.js';
import type { Space } from '../../core/spaces/space.js';
import type { RunOutputs } from '../../run/run-outputs.js';
import type { TransformerActorCritic } from '../../../agents/policies/transformer/transformer-actor-critic.js';

/** Flags of `lamkit pretrain` as commander hands them over. */
export interface PretrainFlags {
  /** Dataset directories (with --resume: default the run's own). */
  data?: string[];
  out?: string;
  resume?: string;
  force?: boolean;
  seed?: string;
  maxSteps?: string;
  checkpointEvery?: string;
  config?: string;
  progress: boolean;
}

/** What `lamkit pretrain` leaves in its run directory. */
export interface PretrainOutcome {
  outDir: string;
  checkpointDir: string;
  steps: number;
  /** The spaces trained, `obs:Box[4]|act:Discrete(2)` each, with their datasets. */
  tasks: Array<{ signature: string; data: string[]; trainSteps: number }>;
  first: { total: number; action: number; masked: number; nextObs: number } | null;
  last: { total: number; action: number; masked: number; nextObs: number } | null;
  validation: { total: number; action: number; masked: number; nextObs: number } | null;
  interrupted: boolean;
  wallSeconds: number;
  totalParams: number;
}

/** Default architecture of a pretrained model (the issue's T=20, d=128, 4 heads, 2 layers). */
export const PRETRAIN_ARCH = { dModel: 128, layers: 2, heads: 4, mlpRatio: 4, window: 20 };
const ARCH_KEYS = ['dModel', 'layers', 'heads', 'mlpRatio', 'window'] as const;

/**
 * `lamkit pretrain --data <dir>... --out <run>`: self-supervised multi-task
 * pretraining of one transformer on trajectories recorded with `lamkit
 * record` (agents/algos/pretrain): one tokenizer/head set per observation/action
 * space (datasets of the same spaces share one), a task-embedding row each,
 * one shared trunk. Observations are normalized per space with the training
 * episodes' statistics (90 / 10 train / validation split by episode, seeded).
 *
 * The run directory holds `checkpoint/` (every tokenizer and head, the
 * optimizer moments and sampling state: `--resume <run>` continues bit for
 * bit, also after Ctrl-C, which saves), `metrics.jsonl`, `summary.json`,
 * `config.json` and `learning-curve.svg` (the training loss). The
 * checkpoint is a normal `transformer` checkpoint acting on the first
 * dataset's task; `lamkit finetune --from <run>` adapts it to any task.
 */
export async function runPretrain(flags: PretrainFlags, log: (line: string) => void = () => {}): Promise<PretrainOutcome> {
  const cmd = 'lamkit pretrain';
  if (flags.force && flags.resume !== undefined) throw new InvalidArgument(formatError(`${cmd} --force`, 'no --force with --resume (--force starts the run in --out afresh)', describeValue(flags.resume), 'Drop --force to continue the run, or --resume to replace it'));
  const seedFlag = parseIntFlag(`${cmd} --seed`, flags.seed, 0, '1');
  const maxStepsFlag = parseIntFlag(`${cmd} --max-steps`, flags.maxSteps, 1, '3000');
  const checkpointEvery = parseIntFlag(`${cmd} --checkpoint-every`, flags.checkpointEvery, 1, '500') ?? 500;
  const lib = await import('../../index.js');
  const { policy: policyConfig, ...fields } = parseConfigFlag(flags.config, `${cmd} --config`);

  let resumed: ReturnType<typeof lib.readCheckpoint> | null = null;
  let outDir: string;
  if (flags.resume !== undefined) {
    resumed = lib.readCheckpoint(flags.resume);
    outDir = lib.runDirOfCheckpoint(resumed.dir, flags.resume, `${cmd} --resume`, cmd);
    if (flags.out !== undefined && resolve(flags.out) !== outDir) throw new InvalidArgument(formatError(`${cmd} --out`, `no --out with --resume, or the run's own directory (${outDir})`, describeValue(flags.out), 'A run continues in its own directory'));
    if (resumed.data.algo.name !== 'pretrain') throw new InvalidArgument(formatError(`${cmd} --resume`, 'a run of lamkit pretrain', `a run of ${describeValue(resumed.data.algo.name)}`, 'To train further from these weights, use lamkit finetune --from'));
    if (flags.config !== undefined || seedFlag !== undefined) throw new InvalidArgument(formatError(`${cmd} --resume`, 'no --config or --seed (a resumed run keeps its settings; only --max-steps may change)', describeValue(flags.config ?? flags.seed), 'Drop them'));
  } else {
    if (flags.out === undefined) throw new InvalidArgument(formatError(`${cmd} --out`, 'a run directory', 'nothing', 'Pass e.g. --out runs/pretrain'));
    outDir = resolve(flags.out);
    lib.checkRunDir(outDir, flags.force ? 'replace' : 'new', `${cmd} --out`);
  }
  const dataDirs = flags.data ?? (resumed && Array.isArray(resumed.data.algo.config.data) ? (resumed.data.algo.config.data as string[]) : []);
  if (!Array.isArray(dataDirs) || dataDirs.length === 0) throw new InvalidArgument(formatError(`${cmd} --data`, 'one or more dataset directories', describeValue(flags.data), 'Record data with lamkit record, then pass --data <dir> [<dir>...]'));
  const saved = resumed?.data.algo.config ?? {};
  const { data: _data, policy: _policy, ...savedFields } = saved as Record<string, unknown>;
  const cfg = lib.resolvePretrainConfig({ ...(resumed ? savedFields : fields), ...(seedFlag !== undefined ? { seed: seedFlag } : {}), ...(maxStepsFlag !== undefined ? { maxSteps: maxStepsFlag } : {}) }, `${cmd} --config`);

  // The datasets, grouped by space (same observation and action spaces: one tokenizer/head set).
  type Group = { signature: string; observation: Space<unknown>; action: Space<unknown>; head: import('../../../agents/policies/param-layout.js').HeadSpec; envIds: string[]; data: string[]; obsNames: string[] | null; parts: { train: Demos[]; val: Demos[] } };
  const groups: Group[] = [];
  for (const dir of dataDirs) {
    const ds = await lib.openDataset(dir);
    const spaces = ds.spaces;
    if (!spaces) throw new InvalidArgument(formatError(`${cmd} --data ${dir}`, 'a dataset recorded by lamkit (its spaces in meta/info.json)', 'no spaces', 'Record it with lamkit record'));
    const head = new lib.ActionCodec(spaces.action).head;
    const signature = lib.spaceSignature({ obsDim: spaces.observation.flatDim, head });
    const n = ds.episodes.length;
    const splits = n >= 2 ? lib.splitEpisodes(n, { val: 0.1, seed: cfg.seed }) : { train: [0], val: [], test: [] };
    const train = splits.train.length > 0 ? splits.train : [...splits.val];
    const where = `${cmd} --data ${dir}`;
    let g = groups.find((x) => x.signature === signature);
    if (!g) {
      g = { signature, observation: spaces.observation, action: spaces.action, head, envIds: [], data: [], obsNames: lib.featureNames(ds.info.features['observation.state'], spaces.observation.flatDim), parts: { train: [], val: [] } };
      groups.push(g);
    } else if (JSON.stringify(g.obsNames) !== JSON.stringify(lib.featureNames(ds.info.features['observation.state'], spaces.observation.flatDim))) {
      g.obsNames = null; // datasets of one space that name their observations differently: no names
    }
    const envId = ds.info.lamkit?.envId ?? dir;
    if (!g.envIds.includes(envId)) g.envIds.push(envId);
    g.data.push(resolve(dir));
    g.parts.train.push(await lib.datasetDemonstrations(ds, train, spaces.observation, spaces.action, `${where} (train)`));
    if (splits.val.length > 0 && splits.train.length > 0) g.parts.val.push(await lib.datasetDemonstrations(ds, splits.val, spaces.observation, spaces.action, `${where} (val)`));
  }
  const tasks = groups.map((g) => {
    const train = concatDemos(g.parts.train);
    const val = g.parts.val.length > 0 ? concatDemos(g.parts.val) : null;
    const stats = lib.observationStats(train);
    lib.normalizeDemonstrations(train, stats, 10);
    if (val) lib.normalizeDemonstrations(val, stats, 10);
    return { name: g.envIds.join('+'), head: g.head, train, val, stats, group: g };
  });

  const backend = await lib.initBackend();
  const rng = new lib.Rng(cfg.seed);
  let net: TransformerActorCritic;
  if (resumed) {
    const restored = lib.restorePolicy(resumed.data.policy, `loadCheckpoint(${resumed.dir}).policy`);
    if (!(restored instanceof lib.TransformerActorCritic) || !restored.spec.pretrainHeads) {
      restored.dispose();
      throw new InvalidArgument(formatError(`${cmd} --resume`, 'a pretraining checkpoint (a transformer with pretraining heads)', `a '${resumed.data.policy.kind}' network`, 'Resume a run of lamkit pretrain'));
    }
    net = restored;
  } else {
    const arch = lib.resolvePolicyConfig({ kind: 'transformer', ...PRETRAIN_ARCH, ...((policyConfig ?? {}) as Record<string, unknown>) }, `${cmd} --config policy`);
    const a: Parameters<typeof lib.pretrainNetwork>[1] = Object.fromEntries(ARCH_KEYS.map((k) => [k, arch[k]])) as typeof PRETRAIN_ARCH;
    // Action chunking ("policy": {"chunk": k}): every actor head predicts k steps, and the action loss scores all of them.
    const { chunk, ensembleCoef } = arch as typeof arch & { chunk: number; ensembleCoef: number }; // the transformer kind's resolved defaults: 1, 0.01
    if (chunk > 1) Object.assign(a, { chunk, ensembleCoef });
    net = lib.pretrainNetwork((spec) => lib.TransformerActorCritic.create(spec, rng.spawn(), { logStdInit: typeof arch.logStdInit === 'number' ? arch.logStdInit : 0 }), a, groups.map((g) => ({ obsDim: g.observation.flatDim, head: g.head, obsNames: g.obsNames })));
  }
  const metrics = new lib.MetricStream();
  let trainer: InstanceType<typeof lib.Pretrainer>;
  try {
    trainer = new lib.Pretrainer(net, tasks, cfg, metrics);
  } catch (err) {
    net.dispose();
    throw err;
  }
  if (resumed) {
    const st = resumed.data.algo.state as { globalStep: number; rng: import('../../core/rng.js').RngState };
    trainer.setState({ step: st.globalStep, rng: st.rng, optimizer: resumed.data.algo.optimizer });
  }
  const startStep = trainer.step;
  const totalParams = [...net.variables(), ...net.carriedVariables()].reduce((a, v) => a + v.variable.size, 0);
  log(`${cmd}: ${tasks.length} space(s) (${tasks.map((t) => `${t.name} ${t.group.signature}: ${t.train.rows} steps`).join('; ')}); ${totalParams} parameters (dModel ${net.spec.dModel}, ${net.spec.layers} layers, ${net.spec.heads} heads, window ${net.spec.window}); steps ${startStep} -> ${cfg.maxSteps}`);

  const first = tasks[0].group;
  const label = `pretrain ${tasks.map((t) => t.name).join(', ')}`;
  let outputs: RunOutputs;
  try {
    outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: cfg.maxSteps, startStep, mode: resumed ? 'resume' : flags.force ? 'replace' : 'new', where: `${cmd} --out`, label, progress: flags.progress });
  } catch (err) {
    trainer.dispose();
    net.dispose();
    throw err;
  }
  const checkpointDir = join(outDir, 'checkpoint');
  const save = (): void => {
    lib.saveCheckpoint(checkpointDir, {
      meta: { envId: first.envIds[0], observationSpace: first.observation, actionSpace: first.action, backend: backend.name },
      policy: lib.capturePolicy(net),
      normalization: { obs: tasks[0].stats, ret: null, clipObs: 10 },
      algo: {
        name: 'pretrain',
        config: { ...cfg, data: dataDirs.map((d) => resolve(d)) },
        state: { globalStep: trainer.step, rng: trainer.getState().rng, spaces: tasks.map((t) => ({ signature: t.group.signature, envIds: t.group.envIds, obsStats: t.stats })) },
        optimizer: trainer.getState().optimizer,
      },
    });
  };
  const interrupt = onInterrupt({ command: cmd, stopping: 'stopping after this step; the checkpoint follows', resumeHint: () => `${cmd} --resume ${outDir}` });
  const t0 = performance.now();
  let firstLosses: PretrainOutcome['first'] = null;
  let lastLosses: PretrainOutcome['last'] = null;
  let validation: PretrainOutcome['validation'] = null;
  try {
    if (startStep === 0) validation = trainer.validate(8, t0);
    while (trainer.step < cfg.maxSteps && !interrupt.requested) {
      lastLosses = trainer.trainStep(t0);
      firstLosses ??= lastLosses;
      const s = trainer.step;
      if (s % cfg.evalEvery === 0 || s === cfg.maxSteps) validation = trainer.validate(8, t0) ?? validation;
      if (s % checkpointEvery === 0 && s < cfg.maxSteps) save();
      if (s % 5 === 0) await yieldToEventLoop();
    }
    net.paramsChanged();
    save();
    metrics.complete();
    const wallSeconds = (performance.now() - t0) / 1000;
    await outputs.finish({ envId: label, algo: 'pretrain', config: { seed: cfg.seed, totalSteps: cfg.maxSteps }, backend: backend.name, result: { globalStep: trainer.step, updates: trainer.step, wallSeconds }, resumedFrom: resumed ? outDir : null });
    // The learning curve of a pretraining run is its training loss (there are no episodes).
    writeFileAtomic(join(outDir, 'learning-curve.svg'), lib.learningCurveSvg(lossCurve(join(outDir, 'metrics.jsonl')), { title: `${label} (seed ${cfg.seed})`, yLabel: 'pretraining loss (sum of the three terms)', window: 50 }));
    if (interrupt.requested) log(`${cmd}: stopped at step ${trainer.step}; continue with ${cmd} --resume ${outDir}`);
    return { outDir, checkpointDir, steps: trainer.step, tasks: tasks.map((t) => ({ signature: t.group.signature, data: t.group.data, trainSteps: t.train.rows })), first: firstLosses, last: lastLosses, validation, interrupted: interrupt.requested, wallSeconds, totalParams };
  } catch (err) {
    metrics.error(err);
    throw err;
  } finally {
    interrupt.dispose();
    outputs.close();
    trainer.dispose();
    net.dispose();
  }
}

type Lib = typeof import('../../index.js');
type Demos = Awaited<ReturnType<Lib['datasetDemonstrations']>>;

/** Datasets of one space back to back. */
function concatDemos(parts: readonly Demos[]): Demos {
  if (parts.length === 1) return parts[0];
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const { obsDim, actDim } = parts[0];
  const out: Demos = { obsDim, actDim, rows, obs: new Float32Array(rows * obsDim), actions: new Float32Array(rows * actDim), episodeStart: new Uint8Array(rows) };
  let r = 0;
  for (const p of parts) {
    out.obs.set(p.obs, r * obsDim);
    out.actions.set(p.actions, r * actDim);
    out.episodeStart.set(p.episodeStart, r);
    r += p.rows;
  }
  return out;
}

/** The training-loss points of a run's `metrics.jsonl` (a resumed run's earlier part included). */
function lossCurve(path: string): Array<{ step: number; value: number }> {
  const out: Array<{ step: number; value: number }> = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as Record<string, number>;
    if (typeof row['losses/pretrain_total'] === 'number') out.push({ step: row.global_step, value: row['losses/pretrain_total'] });
  }
  return out;
}

/** Registers `lamkit pretrain`. */
export function register(program: Command): void {
  program
    .command('pretrain')
    .description('Self-supervised multi-task pretraining of one transformer (masked action + next observation + next action) on datasets recorded with lamkit record')
    .option('--data <dir...>', 'datasets recorded with lamkit record (any tasks; one tokenizer/head set per observation/action space); with --resume, default the run\'s own')
    .option('--out <dir>', 'run directory: checkpoint/, metrics.jsonl, summary.json, learning-curve.svg; never overwritten without --resume or --force')
    .option('--resume <dir>', 'continue the pretraining run saved in this directory (same --data)')
    .option('--force', 'replace the run already in --out')
    .option('--seed <n>', 'seed of the network init, the split, chunk sampling and masking (default 1)')
    .option('--max-steps <n>', 'gradient steps (default 3000)')
    .option('--checkpoint-every <n>', 'save a checkpoint every n steps (default 500; Ctrl-C and the end always save)')
    .option('--config <json>', 'pretraining config overrides (agents/algos/pretrain/pretrain.ts), plus an optional "policy" object (dModel, layers, heads, mlpRatio, window)')
    .option('--no-progress', 'do not draw the progress bar')
    .action(async (flags: PretrainFlags) => {
      const o = await runPretrain(flags, (line) => process.stdout.write(line + '\n'));
      const f = (l: PretrainOutcome['last']): string => (l ? `total ${l.total.toFixed(4)} (action ${l.action.toFixed(4)}, masked action ${l.masked.toFixed(4)}, next obs ${l.nextObs.toFixed(4)})` : '-');
      process.stdout.write(`lamkit pretrain: ${o.steps} steps in ${o.wallSeconds.toFixed(0)} s; training loss ${f(o.first)} -> ${f(o.last)}; validation ${f(o.validation)}; checkpoint in ${o.checkpointDir}\n`);
      if (o.interrupted) process.exitCode = 130;
    });
}
