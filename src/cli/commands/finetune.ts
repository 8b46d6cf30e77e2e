import type { LoraTarget } from '../../../agents/policies/transformer/transformer-spec.js';
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseConfigFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { writeFileAtomic } from '../../data/atomic-write.js';
import { runContinual, type ContinualFlags } from './finetune-continual.js';
import { readSnapshot, writeSnapshot, removeSnapshot } from './finetune-resume.js';
import { EVAL_SEED_OFFSET } from './train.js';
import { makePolicyEnv } from '../policy-env.js';

/** Flags of `lamkit finetune` as commander hands them over. */
export interface FinetuneFlags {
  /** The dataset (required unless `resume`). */
  data?: string;
  from?: string;
  policyKind?: string;
  /** full (default), lora or head. */
  mode?: string;
  merge?: boolean;
  out?: string;
  force?: boolean;
  seed?: string;
  maxSteps?: string;
  config?: string;
  /** What picks the kept weights: `nll` (validation NLL, default), `success` or `return` (rollouts in the task). */
  selectBy?: string;
  /** With `selectBy` success or return: episodes per validation (default 20). */
  evalEpisodes?: string;
  /** Continue the run stopped in this directory (its own flags; `progress` and `out`, its own directory, only). */
  resume?: string;
  progress: boolean;
}

/** What `lamkit finetune` leaves in `--out`. */
export interface FinetuneOutcome {
  outDir: string;
  checkpointDir: string;
  steps: number;
  bestStep: number;
  bestValLoss: number;
  /** With `--select-by success|return`: what the kept step's validation rollouts measured; else null. */
  keptValidation: { successRate: number | null; meanReturn: number } | null;
  initialValLoss: number;
  trainableParams: number;
  totalParams: number;
  report: unknown;
  reportText: string;
  /** True when Ctrl-C (SIGINT or SIGTERM) stopped the training early; the best weights so far were still saved. */
  interrupted: boolean;
}

const MODES = ['full', 'lora', 'head'] as const;
const SELECT_BY = ['nll', 'success', 'return'] as const;
/** Observation clip when the observation has text: far above any normalized feature, so charset indices pass unchanged. */
const TEXT_CLIP_OBS = 1e6;

/**
 * `lamkit finetune --data <dataset> [--from <checkpoint>] [--mode full|lora|head]`:
 * behaviour cloning (supervised fine-tuning on the dataset's action labels)
 * of a network, with AdamW, warm-up + cosine decay and early stopping on the
 * dataset's validation split (the best weights are kept), then a report on
 * the test split (`report.json`: a classification report for discrete
 * actions, the MSE of the mean action for continuous ones).
 *
 * - Without `--from`: a fresh network of `--policy-kind` (default
 *   `transformer`; `text-transformer` when the observation has an
 *   instruction, with pretrained word vectors unless the config says
 *   `"embeddings": "learned"`, its vocabulary from the training split) for
 *   the dataset's spaces — behaviour cloning from scratch.
 * - With `--from`: that checkpoint's network; a transformer trained on other
 *   spaces keeps its trunk and gets new tokenizers and heads (trainable in
 *   every mode). `--mode head` trains tokenizers and heads on a frozen trunk;
 *   `--mode lora` adds LoRA adapters (query and value by default; rank and
 *   alpha in `--config '{"lora": {...}}'`) on a frozen trunk and trains them
 *   with the heads (and the tokenizers of a space the checkpoint already
 *   holds with `"trainTokenizers": true`); `--merge` folds the adapters in
 *   before saving.
 *
 * Observations are normalized with the training split's statistics, saved
 * with the checkpoint, so `lamkit eval`/`serve`/`view` use the policy as is.
 *
 * `--select-by success|return`: closed-loop validation. At every validation
 * (and before the first step) the deterministic policy runs
 * `--eval-episodes` episodes (default 20) of the dataset's task (with its
 * camera when the data has images), episode k reset with seed `--seed +
 * 1,000,000 + k` (as `lamkit train`'s evaluations: the same episodes each
 * time, none of `lamkit eval`'s defaults), and the weights of the best
 * success rate (ties: the better mean return) or mean return are kept, with
 * the patience counted on it. `eval/success_rate` and `eval/mean_return` go
 * to metrics.jsonl.
 */
export async function runFinetune(given: FinetuneFlags, log: (line: string) => void = () => {}): Promise<FinetuneOutcome> {
  const resumed = given.resume !== undefined ? await readSnapshot(given) : null;
  const flags: FinetuneFlags & { data: string; mode: string } = resumed ? { ...resumed.flags, data: resumed.flags.data as string, mode: resumed.flags.mode as string, progress: given.progress } : { ...given, data: given.data as string, mode: given.mode ?? 'full' };
  if (flags.data === undefined) throw new InvalidArgument(formatError('lamkit finetune --data', 'a dataset directory (or --resume <run>)', 'none', 'Pass --data <dir>'));
  if (!(MODES as readonly string[]).includes(flags.mode)) throw new InvalidArgument(formatError('lamkit finetune --mode', `one of ${MODES.join(', ')}`, describeValue(flags.mode), 'Pass --mode full, lora or head'));
  if (flags.merge === true && flags.mode !== 'lora') throw new InvalidArgument(formatError('lamkit finetune --merge', 'it with --mode lora (it folds the adapters that run trains into the weights)', `--mode ${flags.mode}`, 'Add --mode lora, or drop --merge (full and head runs have no adapters to fold)'));
  const seed = parseIntFlag('lamkit finetune --seed', flags.seed, 0, '1') ?? 1;
  const selectBy = flags.selectBy ?? 'nll';
  if (!(SELECT_BY as readonly string[]).includes(selectBy)) throw new InvalidArgument(formatError('lamkit finetune --select-by', `one of ${SELECT_BY.join(', ')}`, describeValue(flags.selectBy), 'Pass --select-by nll, success or return'));
  if (selectBy === 'nll' && flags.evalEpisodes !== undefined) throw new InvalidArgument(formatError('lamkit finetune --eval-episodes', 'it together with --select-by success or return (or --continual)', describeValue(flags.evalEpisodes), 'Add --select-by success, or drop it'));
  const evalEpisodes = parseIntFlag('lamkit finetune --eval-episodes', flags.evalEpisodes, 1, '20') ?? 20;
  const maxSteps = parseIntFlag('lamkit finetune --max-steps', flags.maxSteps, 1, '2000');
  const { policy: policyConfig, lora: loraConfig, chunk: chunkConfig, trainTokenizers, ...bcFields } = parseConfigFlag(flags.config, 'lamkit finetune --config');
  if (trainTokenizers !== undefined && typeof trainTokenizers !== 'boolean') throw new InvalidArgument(formatError('lamkit finetune --config trainTokenizers', 'true or false (with --mode lora: train the tokenizers of a space the checkpoint already holds too)', describeValue(trainTokenizers), 'Pass e.g. {"trainTokenizers": true}'));
  if (trainTokenizers === true && flags.mode !== 'lora') throw new InvalidArgument(formatError('lamkit finetune --config trainTokenizers', 'it with --mode lora (full and head train the tokenizers anyway)', describeValue(trainTokenizers), 'Drop it, or pass --mode lora'));
  if (chunkConfig !== undefined && !(Number.isInteger(chunkConfig) && (chunkConfig as number) >= 1)) throw new InvalidArgument(formatError('lamkit finetune --config chunk', 'a positive integer (steps each token predicts; 1: no action chunking)', describeValue(chunkConfig), 'Pass e.g. {"chunk": 8}'));
  if (flags.from !== undefined && (flags.policyKind !== undefined || policyConfig !== undefined)) {
    throw new InvalidArgument(formatError('lamkit finetune --from', 'no --policy-kind or config policy with --from (the network comes from the checkpoint)', describeValue(flags.from), 'Drop one of them'));
  }
  const lib = await import('../../index.js');
  const bc = lib.resolveBcConfig({ ...bcFields, seed, ...(maxSteps !== undefined ? { maxSteps } : {}) }, 'lamkit finetune --config');
  const { ds, spaces, splits } = await openFinetuneData(lib, flags.data, seed);
  const envId = ds.info.lamkit?.envId ?? 'dataset';
  const outDir = resumed ? resumed.outDir : resolve(flags.out ?? lib.autoRunDir(envId, `finetune-${flags.mode}`, seed));
  if (!resumed) lib.prepareRunDir(outDir, flags.force ? 'replace' : 'new', 'lamkit finetune --out');

  const backend = await lib.initBackend();
  const codec = new lib.ActionCodec(spaces.action);
  const io = { obsDim: spaces.observation.flatDim, head: codec.head, ...(codec.bounds ? { actionBounds: codec.bounds } : {}) };
  const { train, val, test, stats, clipObs, textParts } = await readFinetuneSplits(lib, ds, spaces, splits, `lamkit finetune --data ${flags.data}`);
  if (resumed && (resumed.rows.train !== train.rows || resumed.rows.val !== val.rows)) {
    throw new InvalidArgument(formatError(`lamkit finetune --resume ${given.resume}`, `its dataset as the run started on it (${resumed.rows.train} training and ${resumed.rows.val} validation steps)`, `${flags.data} with ${train.rows} and ${val.rows}`, 'The dataset changed since: start a new run on it'));
  }
  let net = resumed
    ? lib.restorePolicy(resumed.policy, `lamkit finetune --resume ${given.resume}`)
    : await finetuneNetwork(lib, flags, { ds, spaces, train, textParts, io, bc, seed, policyConfig: policyConfig as Record<string, unknown> | undefined, loraConfig, chunkConfig, trainTokenizers });
  const groups = net.paramGroups();
  const trainableParams = groups.filter((g) => g.trainable).reduce((a, g) => a + g.size, 0);
  const totalParams = groups.reduce((a, g) => a + g.size, 0);
  log(`lamkit finetune: ${net.kind} network, mode ${flags.mode}: ${trainableParams} of ${totalParams} parameters trainable (${((100 * trainableParams) / totalParams).toFixed(2)}%); ${train.rows} training steps, ${val.rows} validation steps`);
  if (bc.keypointLabelLoss > 0 && train.keypointLabels) {
    const labelled = splits.train.filter((e) => ds.info.lamkit?.keypointLabels?.[e]).length;
    log(`lamkit finetune: keypoint labels (keypointLabelLoss ${bc.keypointLabelLoss}) on ${labelled} of ${splits.train.length} training episodes`);
  }

  const metrics = new lib.MetricStream();
  const startStep = resumed?.state.step ?? 0;
  const outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: bc.maxSteps, startStep, mode: resumed ? 'resume' : 'new', label: `${envId} finetune ${flags.mode}`, progress: flags.progress });
  const resumeHint = `lamkit finetune --resume ${outDir}`;
  const interrupt = onInterrupt({ command: 'lamkit finetune', stopping: 'stopping after this step; the best weights so far are saved, and the state to continue from', resumeHint: () => resumeHint });
  const selection = selectBy === 'nll' ? null : await rolloutValidation(lib, { envId, spaces, net, stats, clipObs, seed, episodes: evalEpisodes, selectBy: selectBy as 'success' | 'return', metrics });
  for (const [k, v] of resumed?.measured ?? []) selection?.measured.set(k, v);
  const meta = { envId, observationSpace: spaces.observation, actionSpace: spaces.action, backend: backend.name };
  const normalization = { obs: stats, ret: null, clipObs };
  const { progress: _p, resume: _r, out: _o, force: _f, ...saved } = flags;
  const savedFlags = { ...saved, data: resolve(flags.data) };
  try {
    if (resumed) log(`lamkit finetune: resuming ${outDir} at step ${startStep} of ${bc.maxSteps}`);
    const snapshot = (state: import('../../../agents/algos/bc/behavior-cloning.js').BcState): void => writeSnapshot(lib, outDir, { meta, normalization, flags: savedFlags, net, state, measured: selection?.measured, rows: { train: train.rows, val: val.rows } });
    const result = await new lib.BehaviorCloning(net, { train, val }, bc, metrics).fit({ stop: () => interrupt.requested, snapshot, ...(resumed ? { resume: resumed.state } : {}), ...(selection ? { validate: selection.validate } : {}) });
    metrics.complete();
    const classNames = ds.info.features.action?.class_names;
    const report = lib.actionReport(net, test, { seqLen: bc.seqLen, batchSize: bc.batchSize, ...(classNames ? { classNames: [classNames] } : {}) });
    const reportText = lib.formatActionReport(report);
    if (flags.merge && net instanceof lib.TransformerActorCritic && net.spec.lora) {
      const merged = net.merged();
      net.dispose();
      net = merged;
    }
    const checkpointDir = join(outDir, 'checkpoint');
    lib.saveCheckpoint(checkpointDir, {
      meta,
      policy: lib.capturePolicy(net),
      normalization,
      algo: { name: 'bc', config: { ...bc, mode: flags.mode, from: flags.from ?? null, data: resolve(flags.data), classNames: ds.info.features.action?.class_names ?? null }, state: { globalStep: result.steps, bestStep: result.bestStep, bestValLoss: result.bestValLoss }, optimizer: null },
    });
    writeFileAtomic(join(outDir, 'report.json'), JSON.stringify({ split: splits.test.length > 0 ? 'test' : 'val', mode: flags.mode, trainableParams, totalParams, ...result, report }, null, 2) + '\n');
    await outputs.finish({ envId, algo: 'bc', config: { seed, totalSteps: bc.maxSteps }, backend: backend.name, result: { globalStep: result.steps, updates: result.steps, wallSeconds: result.wallSeconds }, resumedFrom: resumed ? outDir : null });
    // A run that reached its last step or stopped early has nothing left to continue; a stopped one keeps its snapshot.
    const stopped = interrupt.requested && result.steps < bc.maxSteps && !result.stoppedEarly;
    if (stopped) log(`lamkit finetune: stopped at step ${result.steps}; continue with ${resumeHint}`);
    else removeSnapshot(outDir);
    return { outDir, checkpointDir, steps: result.steps, bestStep: result.bestStep, bestValLoss: result.bestValLoss, keptValidation: selection?.measured.get(result.bestStep) ?? null, initialValLoss: result.initialValLoss, trainableParams, totalParams, report, reportText, interrupted: interrupt.requested };
  } catch (err) {
    outputs.close();
    metrics.error(err);
    throw err;
  } finally {
    interrupt.dispose();
    outputs.close();
    await selection?.close();
    net.dispose();
  }
}

type Lib = typeof import('../../index.js');
type Dataset = Awaited<ReturnType<Lib['openDataset']>>;
type Spaces = NonNullable<Dataset['spaces']>;
type Demos = Awaited<ReturnType<Lib['datasetDemonstrations']>>;

/**
 * The network a fresh `lamkit finetune` run trains: a new one of `--policy-kind` (a text-transformer's vocabulary and
 * goal heads from the data), or `--from`'s (new tokenizers and heads for a space it lacks; action chunking; LoRA
 * adapters), with the groups `--mode` trains marked trainable. Seeded by `seed`.
 */
async function finetuneNetwork(
  lib: Lib,
  flags: FinetuneFlags & { mode: string },
  o: { ds: Dataset; spaces: Spaces; train: Demos; textParts: ReturnType<Lib['textRanges']>; io: import('../../../agents/policies/policy-kinds.js').PolicyIo; bc: { goalLoss: number; startGoalLoss: number }; seed: number; policyConfig: Record<string, unknown> | undefined; loraConfig: unknown; chunkConfig: unknown; trainTokenizers: unknown },
): Promise<import('../../../agents/policies/actor-critic.js').ActorCritic> {
  let policy = o.policyConfig;
  const { ds, spaces, train, textParts, io, bc, loraConfig, chunkConfig, trainTokenizers } = o;
  const rng = new lib.Rng(o.seed);
  const kind = flags.policyKind ?? (policy?.kind as string | undefined) ?? (textParts.length > 0 ? lib.TEXT_TRANSFORMER_KIND : 'transformer');
  if (flags.from === undefined && kind === lib.TEXT_TRANSFORMER_KIND) policy = freshTextPolicy(lib, ds, spaces.observation, train, { ...policy, kind }, bc);
  let net = await buildNetwork(lib, flags, policy, io, rng);
  let newHeads = true;
  if (flags.from !== undefined) {
    const from = lib.readCheckpoint(flags.from).data;
    net.dispose();
    net = lib.restorePolicy(from.policy, 'lamkit finetune --from policy');
    const fits = net.obsDim === io.obsDim && JSON.stringify(net.head) === JSON.stringify(io.head);
    // A multi-task transformer (lamkit-base) may hold this space's tokenizers and heads already: adaptedTo selects them.
    newHeads = net instanceof lib.TransformerActorCritic ? !net.hasSpace(io) : !fits;
    if (!fits) {
      if (!(net instanceof lib.TransformerActorCritic)) {
        net.dispose();
        throw new InvalidArgument(formatError('lamkit finetune --from', `a network for obs ${io.obsDim} and head ${JSON.stringify(io.head)} (or a transformer, which gets new tokenizers and heads)`, `a '${from.policy.kind}' network for obs ${net.obsDim} and head ${JSON.stringify(net.head)}`, 'Fine-tune a checkpoint of the same task, or a transformer'));
      }
      // Named observation columns (the env's observationFields, through the dataset) let a new tokenizer start from the base's columns of the same names.
      const adapted = net.adaptedTo({ ...io, obsNames: lib.featureNames(ds.info.features['observation.state'], io.obsDim) }, rng.spawn());
      net.dispose();
      net = adapted;
    }
  }
  // Action chunking on a checkpoint's transformer (its heads get the new positions): --config '{"chunk": k}'.
  if (chunkConfig !== undefined) {
    if (!(net instanceof lib.TransformerActorCritic)) {
      net.dispose();
      throw new InvalidArgument(formatError('lamkit finetune --config chunk', 'a transformer network (action chunking is a transformer head option)', `a '${net.kind}' network`, 'Drop chunk, or fine-tune a transformer'));
    }
    if (chunkConfig !== (net.spec.chunk ?? 1)) {
      const chunked = net.withChunk(chunkConfig as number);
      net.dispose();
      net = chunked;
    }
  }
  // Every group trains in full mode (a checkpoint may carry frozen flags from an earlier fine-tuning).
  for (const g of net.paramGroups()) net.setTrainable(g.name, true);
  if (flags.mode !== 'full') {
    if (!(net instanceof lib.TransformerActorCritic)) {
      net.dispose();
      throw new InvalidArgument(formatError('lamkit finetune --mode', `full for a '${net.kind}' network (lora and head need a transformer's trunk)`, describeValue(flags.mode), 'Pass --mode full, or fine-tune a transformer'));
    }
    if (flags.mode === 'lora') {
      const lora = { rank: 8, alpha: 16, targets: ['wq', 'wv'] as LoraTarget[], ...((loraConfig ?? {}) as object) };
      const withLora = net.withLora(lora, rng.spawn());
      net.dispose();
      net = withLora;
    }
    net.setTrainable('trunk', false);
    // head: tokenizers and heads. lora: a new space's tokenizers, a held space's only when asked (~1% of the base).
    net.setTrainable('tokenizers', newHeads || flags.mode === 'head' || trainTokenizers === true);
  }
  return net;
}

/**
 * A dataset for `lamkit finetune --data` (`data`): opened, with its spaces and its stored train / val / test split
 * (else a split by episode seeded with `seed`, 80 / 10 / 10). No spaces, or no training or validation episode, is
 * an error naming the dataset.
 */
export async function openFinetuneData(lib: Lib, data: string, seed: number): Promise<{ ds: Dataset; spaces: Spaces; splits: { train: number[]; val: number[]; test: number[] } }> {
  const ds = await lib.openDataset(data);
  const spaces = ds.spaces;
  if (!spaces) throw new InvalidArgument(formatError(`lamkit finetune --data ${data}`, 'a dataset recorded by lamkit (its spaces in meta/info.json)', 'no spaces', 'Record it with lamkit record'));
  const splits = ds.splits ?? lib.splitEpisodes(ds.episodes.length, { val: 0.1, test: 0.1, seed });
  if (splits.train.length === 0 || splits.val.length === 0) {
    throw new InvalidArgument(formatError(`lamkit finetune --data ${data}`, 'at least one training and one validation episode', `${ds.episodes.length} episode(s) (train ${splits.train.length}, val ${splits.val.length})`, 'Record more episodes'));
  }
  return { ds, spaces, splits: { train: [...splits.train], val: [...splits.val], test: [...splits.test] } };
}

/**
 * The splits' demonstrations, normalized with the training split's observation statistics (saved with the
 * checkpoint): an instruction's columns (charset indices) and a camera's pixels (0-255) are left as they are
 * (mean 0, variance 1; with text, clipped nowhere). An empty test split is the validation one. `where` names the
 * dataset in errors.
 */
export async function readFinetuneSplits(lib: Lib, ds: Dataset, spaces: Spaces, splits: { train: readonly number[]; val: readonly number[]; test: readonly number[] }, where: string) {
  const read = (list: readonly number[], split: string) => lib.datasetDemonstrations(ds, list, spaces.observation, spaces.action, `${where} (${split} split)`);
  const train = await read(splits.train, 'train');
  // Per-episode keypoint labels (behaviour cloning's keypointLabelLoss), where the dataset has them.
  const labels = ds.info.lamkit?.keypointLabels;
  if (labels !== undefined) {
    lib.checkKeypointLabels(labels, ds.episodes.length, `${where} meta/info.json lamkit`);
    train.keypointLabels = lib.keypointLabelRows(labels, splits.train, train.episodeStart);
  }
  const val = await read(splits.val, 'val');
  const test = splits.test.length > 0 ? await read(splits.test, 'test') : val;
  const stats = lib.observationStats(train);
  const textParts = lib.textRanges(spaces.observation);
  for (const r of textParts) for (let j = r.offset; j < r.offset + r.space.maxLength; j++) (stats.mean[j] = 0), (stats.var[j] = 1);
  // The text-transformer's image tokenizer scales a camera's pixels itself.
  for (const p of lib.imageParts(spaces.observation)) for (let j = p.offset; j < p.offset + p.shape[0] * p.shape[1] * 3; j++) (stats.mean[j] = 0), (stats.var[j] = 1);
  const clipObs = textParts.length > 0 ? TEXT_CLIP_OBS : 10;
  // In place, once each: with no test episodes the test split is the validation one.
  for (const d of new Set([train, val, test])) lib.normalizeDemonstrations(d, stats, clipObs);
  return { train, val, test, stats, clipObs, textParts };
}

/**
 * The config of a fresh text-transformer (`policy`, its kind included) for `train` of `ds`: the vocabulary from the
 * training split's instructions only (the dev and test words stay unseen); with class names (a Discrete action),
 * each class's words for the prototype path (its name and the training words only it uses); the goal heads that
 * `bc`'s goal losses need, unless `policy` says otherwise.
 */
export function freshTextPolicy(lib: Lib, ds: Dataset, space: Spaces['observation'], train: Demos, policy: Record<string, unknown>, bc: { goalLoss: number; startGoalLoss: number }): Record<string, unknown> {
  const textParts = lib.textRanges(space);
  const instructions = new Set<string>();
  const classNames = ds.info.features.action?.class_names;
  const labelled: Array<[string, number]> = [];
  for (let r = 0; r < train.rows; r++) {
    const text = (space.unflatten(train.obs, r * train.obsDim) as Record<string, string>)[textParts[0]?.key] ?? '';
    instructions.add(text);
    if (classNames && train.actDim === 1) labelled.push([text, Math.round(train.actions[r])]);
  }
  const classWords = classNames && train.actDim === 1 ? { classWords: lib.classPrototypeWords(classNames, labelled) } : {};
  const goalHead = { ...(bc.goalLoss > 0 && policy.goalHead === undefined ? { goalHead: true } : {}), ...(bc.startGoalLoss > 0 && policy.keypointGoal === undefined ? { keypointGoal: true } : {}) };
  return { ...policy, ...lib.textPolicyInputs(space, instructions), ...classWords, ...goalHead };
}

/**
 * `--select-by success|return`: a validation score from rollouts of the network (deterministic, `episodes`
 * episodes from seed `seed + EVAL_SEED_OFFSET`) in the dataset's task, its camera env when the observation has an
 * image. `close()` closes the env (the network stays the caller's).
 */
async function rolloutValidation(
  lib: Lib,
  o: { envId: string; spaces: { observation: import('../../core/spaces/space.js').Space<unknown>; action: import('../../core/spaces/space.js').Space<unknown> }; net: import('../../../agents/policies/actor-critic.js').ActorCritic; stats: { mean: number[]; var: number[]; count: number }; clipObs: number; seed: number; episodes: number; selectBy: 'success' | 'return'; metrics: import('../../streams/metrics.js').MetricStream },
): Promise<{ validate: (step: number) => Promise<number>; measured: Map<number, { successRate: number | null; meanReturn: number }>; close: () => Promise<void> }> {
  if (!lib.registeredIds().includes(o.envId)) {
    throw new InvalidArgument(formatError(`lamkit finetune --select-by ${o.selectBy}`, 'a dataset of a registered task (rollouts need its env)', describeValue(o.envId), 'Use --select-by nll, or register the task'));
  }
  const env = await makePolicyEnv(lib, o.envId, o.spaces.observation);
  // Not disposed: a NetworkPolicy owns its network, which stays the fine-tuning's.
  const policy = new lib.NetworkPolicy(o.net, { observationSpace: o.spaces.observation, actionSpace: o.spaces.action, obsStats: o.stats, clipObs: o.clipObs, seed: o.seed } as ConstructorParameters<Lib['NetworkPolicy']>[1]);
  const t0 = performance.now();
  const measured = new Map<number, { successRate: number | null; meanReturn: number }>();
  const validate = async (step: number): Promise<number> => {
    const ev = await lib.evaluatePolicy(policy, env, { episodes: o.episodes, seed: o.seed + EVAL_SEED_OFFSET, deterministic: true });
    measured.set(step, { successRate: ev.successRate, meanReturn: ev.meanReturn });
    o.metrics.emit({ global_step: step, wall_s: (performance.now() - t0) / 1000, 'eval/mean_return': ev.meanReturn, ...(ev.successRate !== null ? { 'eval/success_rate': ev.successRate } : {}) });
    if (o.selectBy === 'return') return ev.meanReturn;
    if (ev.successRate === null) throw new InvalidArgument(formatError('lamkit finetune --select-by success', `a task that reports success (info.isSuccess)`, `${o.envId}, which does not`, 'Use --select-by return'));
    // Ties in success go to the better mean return: atan squashes it below half the success rate's 1/episodes spacing.
    return ev.successRate + Math.atan(ev.meanReturn) / Math.PI / (o.episodes + 1);
  };
  return { validate, measured, close: async () => void (await env.close()) };
}

async function buildNetwork(lib: Lib, flags: FinetuneFlags, policyConfig: Record<string, unknown> | undefined, io: import('../../../agents/policies/policy-kinds.js').PolicyIo, rng: import('../../core/rng.js').Rng) {
  const config = lib.resolvePolicyConfig({ kind: flags.policyKind ?? 'transformer', ...(policyConfig ?? {}), ...(flags.policyKind ? { kind: flags.policyKind } : {}) }, 'lamkit finetune --policy-kind/--config policy');
  return lib.policyKind(config.kind).create(config, io, rng.spawn());
}

/** Registers `lamkit finetune`. */
export function register(program: Command): void {
  program
    .command('finetune')
    .description('Behaviour cloning: fine-tune a network (or train one from scratch) on a dataset\'s action labels, with early stopping and a test report')
    .option('--data <dirs...>', 'a dataset recorded with lamkit record (its train/val/test splits are used); with --continual, the task sequence')
    .option('--continual', 'continual learning: fine-tune on each --data in turn, evaluating every earlier task after each stage (retention.json)')
    .option('--strategy <s>', 'with --continual: naive, rehearsal, ewc or adapters (default naive)')
    .option('--rehearsal-size <steps>', 'with --strategy rehearsal: steps of earlier tasks kept for replay (default 2000)')
    .option('--ewc-lambda <x>', 'with --strategy ewc: weight of the EWC penalty (default 1000000)')
    .option('--eval-episodes <n>', 'with --continual: rollouts per task and stage where the task is registered (default 20; 0: NLL only); with --select-by success|return: episodes per validation (default 20)')
    .option('--select-by <what>', 'what picks the kept weights at each validation: nll (validation NLL, default), success or return (rollouts of the deterministic policy in the task, seeds --seed + 1000000 + k)')
    .option('--from <checkpoint>', 'start from this checkpoint\'s network (a transformer on other spaces gets new tokenizers and heads)')
    .option('--policy-kind <kind>', 'without --from: the network to train from scratch (transformer, mlp, window-mlp, text-transformer; default transformer, text-transformer when observations have an instruction)')
    .option('--mode <mode>', 'full, lora (adapters on a frozen trunk) or head (tokenizers and heads only) (default: "full")')
    .option('--merge', 'with --mode lora: fold the adapters into the weights before saving')
    .option('--out <dir>', 'output directory (default runs/<env>__finetune-<mode>__<seed>__<time>)')
    .option('--force', 'replace an existing run in --out')
    .option('--resume <dir>', 'continue the run stopped (Ctrl-C, a crash, a kill) in this --out directory from its last validation, bit for bit, with its own flags')
    .option('--seed <n>', 'seed of the network init and minibatch sampling (default 1)')
    .option('--max-steps <n>', 'gradient steps at most (default 2000)')
    .option('--config <json>', 'behaviour-cloning config overrides (agents/algos/bc/behavior-cloning.ts), plus optional "policy" and "lora" objects and "chunk" (action chunking of a --from transformer)')
    .option('--no-progress', 'do not draw the progress bar')
    .action(async (all: Omit<FinetuneFlags, 'data'> & Omit<ContinualFlags, 'data'> & { data?: string[]; continual?: boolean }) => {
      const print = (line: string): void => void process.stdout.write(line + '\n');
      if (all.continual) {
        if (all.resume !== undefined) throw new InvalidArgument(formatError('lamkit finetune --resume', 'it without --continual (a continual run is not resumable; each stage is short)', describeValue(all.resume), 'Drop --resume, or run the stages again'));
        if (all.data === undefined) throw new InvalidArgument(formatError('lamkit finetune --data', 'the task sequence (one dataset directory per task)', 'none', 'Pass --data <dir1> <dir2> ...'));
        if (all.selectBy !== undefined) throw new InvalidArgument(formatError('lamkit finetune --select-by', 'it without --continual (continual stages keep their best validation NLL)', describeValue(all.selectBy), 'Drop --select-by'));
        const c = await runContinual({ ...all, data: all.data }, print);
        print(`${c.reportText}\nlamkit finetune --continual: ${c.tasks.length} tasks${c.interrupted ? ' (stopped by Ctrl-C)' : ''}; retention report in ${join(c.outDir, 'retention.json')}`);
        if (c.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
        return;
      }
      const stray = (['strategy', 'rehearsalSize', 'ewcLambda'] as const).find((k) => all[k] !== undefined);
      if (stray) throw new InvalidArgument(formatError(`lamkit finetune --${stray.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())}`, 'it together with --continual', describeValue(all[stray]), 'Add --continual, or drop it'));
      if (all.data !== undefined && all.data.length !== 1) throw new InvalidArgument(formatError('lamkit finetune --data', 'one dataset (several need --continual)', describeValue(all.data), 'Pass one --data, or add --continual'));
      if (all.data === undefined && all.resume === undefined) throw new InvalidArgument(formatError('lamkit finetune --data', 'a dataset directory (or --resume <run> to continue a stopped run)', 'none', 'Pass --data <dir>'));
      const flags: FinetuneFlags = { ...all, data: all.data?.[0] };
      const o = await runFinetune(flags, print);
      const kept = o.keptValidation === null ? `best validation NLL ${o.bestValLoss.toFixed(4)} (from ${o.initialValLoss.toFixed(4)}) at step ${o.bestStep}` : `kept step ${o.bestStep} (validation rollouts: ${o.keptValidation.successRate !== null ? `success ${(100 * o.keptValidation.successRate).toFixed(0)}%, ` : ''}return ${o.keptValidation.meanReturn.toFixed(2)}; NLL ${o.bestValLoss.toFixed(4)}, from ${o.initialValLoss.toFixed(4)})`;
      process.stdout.write(`${o.reportText}\nlamkit finetune: ${o.steps} steps${o.interrupted ? ' (stopped by Ctrl-C)' : ''}; ${kept}; checkpoint in ${o.checkpointDir}, report in ${join(o.outDir, 'report.json')}\n`);
      if (o.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
    });
}
