import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import type { Env, AsyncEnv } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import type { Space } from '../../core/spaces/space.js';
import { parseIntFlag, parseNumberFlag, parseConfigFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { DEFAULT_CHECKPOINT_MINUTES } from './train.js';

/** Flags of `lamkit imitate` as commander hands them over. */
export interface ImitateFlags {
  algo: string;
  env?: string;
  data?: string;
  expert?: string;
  out?: string;
  force?: boolean;
  /** gail/airl: continue the run in this directory from its last checkpoint (with the same --data and --episodes). */
  resume?: string;
  /** gail/airl: save a checkpoint every this many minutes (default 5, as lamkit train; 0: off). */
  checkpointMinutes?: string;
  seed?: string;
  totalSteps?: string;
  numEnvs?: string;
  episodes?: string;
  policyKind?: string;
  from?: string;
  config?: string;
  progress: boolean;
}

/** What a finished `lamkit imitate` left in `--out`. */
export interface ImitateOutcome {
  algo: string;
  outDir: string;
  checkpointDir: string;
  globalStep: number;
  summary: Record<string, unknown>;
  interrupted: boolean;
  /** The command that continues this run (gail/airl), else null. */
  resumeCommand: string | null;
}

/** The algorithms `lamkit imitate` runs: the registered 'demonstrations' trainers and bc (lamkit finetune's code). */
export const IMITATE_ALGOS = ['bc', 'dagger', 'gail', 'airl'] as const;

/**
 * `lamkit imitate --algo bc|dagger|gail|airl --env <id> --data <dataset>`:
 * learns a policy from demonstrations recorded with `lamkit record`.
 *
 * - `bc` is `lamkit finetune --mode full` (the same code: early stopping on
 *   the dataset's validation split, a test report), with an `mlp` network
 *   unless `--policy-kind` says otherwise.
 * - `gail` / `airl` run the registered adversarial trainers: PPO on
 *   `--env` with a learned reward (config: PPO's fields plus a `reward`
 *   object, agents/rewards/discriminator.ts); the env's own reward is only
 *   reported (`charts/episodic_return`), never trained on.
 * - `dagger` needs `--expert expert|<checkpoint>` to label the states its
 *   mixture policy visits; the aggregated dataset goes to `<out>/aggregated`.
 *
 * The dataset must hold the task's spaces (errors name the mismatch).
 * Outputs as `lamkit train`: `checkpoint/` (for `lamkit eval`/`bench`),
 * `metrics.jsonl`, `summary.json`, `learning-curve.svg`; a taken `--out` is
 * refused unless `--force` replaces it or `--resume` continues it. gail and
 * airl save every `--checkpoint-minutes`, after Ctrl-C (which stops after
 * the current update and prints the resume command) and at the end;
 * `--resume <run dir> --data <same dataset>` continues from the last
 * checkpoint (policy, optimizers, statistics, discriminator and RNGs; bit
 * for bit from a `checkpointEvery` boundary). bc and dagger do not resume.
 */
export async function runImitate(flags: ImitateFlags, log: (line: string) => void = () => {}): Promise<ImitateOutcome> {
  if (!(IMITATE_ALGOS as readonly string[]).includes(flags.algo)) {
    throw new InvalidArgument(formatError('lamkit imitate --algo', `one of ${IMITATE_ALGOS.join(', ')}`, describeValue(flags.algo), 'Pass e.g. --algo gail (lamkit train runs ppo)'));
  }
  if (flags.data === undefined) throw new InvalidArgument(formatError('lamkit imitate --data', 'a dataset recorded with lamkit record', 'nothing', 'Pass e.g. --data data/cartpole'));
  if (flags.resume !== undefined && flags.algo !== 'gail' && flags.algo !== 'airl') {
    throw new InvalidArgument(formatError('lamkit imitate --resume', 'a gail or airl run (bc and dagger runs do not resume)', `--algo ${flags.algo}`, 'Start a new run, or --force to replace it'));
  }
  if (flags.force && flags.resume !== undefined) {
    throw new InvalidArgument(formatError('lamkit imitate --force', 'no --force with --resume (--force starts the run in --out afresh)', describeValue(flags.resume), 'Drop --force to continue the run, or --resume to replace it'));
  }
  const checkpointMinutes = parseNumberFlag('lamkit imitate --checkpoint-minutes', flags.checkpointMinutes, 0, '5') ?? DEFAULT_CHECKPOINT_MINUTES;
  const lib = await import('../../index.js');
  const resumed = flags.resume !== undefined ? lib.readCheckpoint(flags.resume) : null;
  if (resumed && flags.env !== undefined && flags.env !== resumed.data.meta.envId) {
    throw new InvalidArgument(formatError('lamkit imitate --env', `${describeValue(resumed.data.meta.envId)} (the task of the run being resumed) or no flag`, describeValue(flags.env), 'Drop --env'));
  }
  const envId = resumed?.data.meta.envId ?? flags.env;
  if (envId === undefined) throw new InvalidArgument(formatError('lamkit imitate --env', 'a registered task id', 'nothing', 'Pass e.g. --env CartPole-v1 (see `lamkit envs`)'));
  const seed = parseIntFlag('lamkit imitate --seed', flags.seed, 0, '1') ?? 1;
  const episodesFlag = parseIntFlag('lamkit imitate --episodes', flags.episodes, 1, '10');
  const probe = await lib.makeAsync(envId);
  const obsSpace = probe.observationSpace as Space<unknown>;
  const actSpace = probe.actionSpace as Space<unknown>;
  probe.close();
  const ds = await lib.openDataset(flags.data);
  checkDatasetSpaces(ds, flags.data, envId, obsSpace, actSpace);

  if (flags.algo === 'bc') {
    for (const [flag, v] of [['--expert', flags.expert], ['--total-steps', flags.totalSteps], ['--num-envs', flags.numEnvs], ['--episodes', flags.episodes], ['--checkpoint-minutes', flags.checkpointMinutes]] as const) {
      if (v !== undefined) throw new InvalidArgument(formatError(`lamkit imitate ${flag}`, 'no such flag with --algo bc (behaviour cloning reads the dataset\'s splits)', describeValue(v), `Drop ${flag}`));
    }
    const { runFinetune } = await import('./finetune.js');
    const o = await runFinetune({ data: flags.data, from: flags.from, policyKind: flags.from ? undefined : (flags.policyKind ?? 'mlp'), mode: 'full', out: flags.out ?? lib.autoRunDir(envId, 'bc', seed), force: flags.force, seed: String(seed), config: flags.config, progress: flags.progress }, log);
    log(o.reportText);
    return { algo: 'bc', outDir: o.outDir, checkpointDir: o.checkpointDir, globalStep: o.steps, summary: { bestValLoss: o.bestValLoss, bestStep: o.bestStep }, interrupted: o.interrupted, resumeCommand: null };
  }

  const algo = lib.trainer(flags.algo, 'demonstrations', 'lamkit imitate --algo');
  const userConfig = parseConfigFlag(flags.config, 'lamkit imitate --config');
  const { policy: policyConfig, ...algoConfig } = userConfig;
  if (policyConfig !== undefined && (policyConfig === null || typeof policyConfig !== 'object' || Array.isArray(policyConfig))) {
    throw new InvalidArgument(formatError('lamkit imitate --config.policy', 'an object such as {"kind": "mlp", "hidden": [64, 64]}', describeValue(policyConfig), 'Fix the policy config'));
  }
  const policy = flags.policyKind !== undefined ? { ...(policyConfig as object | undefined), kind: flags.policyKind } : (policyConfig as Record<string, unknown> | undefined);
  const from = flags.from !== undefined ? lib.readCheckpoint(flags.from).data : null;
  if (flags.algo === 'dagger' && flags.expert === undefined) {
    throw new InvalidArgument(formatError('lamkit imitate --expert', 'a labeller for DAgger: expert (the task\'s scripted expert) or a checkpoint', 'nothing', 'Pass --expert expert or --expert runs/<expert run>/checkpoint'));
  }
  if (flags.algo !== 'dagger' && flags.expert !== undefined) {
    throw new InvalidArgument(formatError('lamkit imitate --expert', `no --expert with --algo ${flags.algo} (it learns from --data alone)`, describeValue(flags.expert), 'Drop --expert'));
  }
  const discrete = !(actSpace instanceof lib.Box);
  let resumeDir: string | null = null;
  if (resumed) {
    resumeDir = lib.runDirOfCheckpoint(resumed.dir, flags.resume as string, 'lamkit imitate --resume', 'lamkit imitate');
    if (flags.out !== undefined && resolve(flags.out) !== resumeDir) {
      throw new InvalidArgument(formatError('lamkit imitate --out', `no --out with --resume, or the run's own directory (${resumeDir})`, describeValue(flags.out), 'A run continues in its own directory; to branch it, copy the directory and resume the copy'));
    }
    if (resumed.data.algo.name !== algo.name) {
      throw new InvalidArgument(formatError('lamkit imitate --algo', `${describeValue(resumed.data.algo.name)} (the trainer of the run being resumed)`, describeValue(flags.algo), `Resume with --algo ${resumed.data.algo.name}`));
    }
    for (const [flag, v] of [['--seed', flags.seed], ['--num-envs', flags.numEnvs], ['--config', flags.config], ['--policy-kind', flags.policyKind], ['--from', flags.from]] as const) {
      if (v !== undefined) throw new InvalidArgument(formatError(`lamkit imitate ${flag}`, 'no such flag with --resume (a resumed run keeps its settings; only --total-steps may change)', describeValue(v), `Drop ${flag}`));
    }
  }
  const totalFlag = flags.totalSteps !== undefined ? parseIntFlag('lamkit imitate --total-steps', flags.totalSteps, 1, '100000') : undefined;
  const config = resumed ? algo.resumeConfig(resumed.data, totalFlag, 'lamkit imitate --resume') : algo.resolveConfig(
    {
      ...algo.defaults(envId, discrete),
      ...algoConfig,
      seed,
      ...(totalFlag !== undefined ? { totalSteps: totalFlag } : algo.name === 'dagger' ? {} : { totalSteps: (algoConfig.totalSteps as number | undefined) ?? 100_000 }),
      ...(flags.numEnvs !== undefined ? { numEnvs: parseIntFlag('lamkit imitate --num-envs', flags.numEnvs, 1, '8') } : {}),
    },
    'lamkit imitate --config',
  );
  const outDir = resumeDir ?? resolve(flags.out ?? lib.autoRunDir(envId, algo.name, seed));
  const mode = resumed ? 'resume' : flags.force ? 'replace' : 'new';
  if (!resumed) lib.checkRunDir(outDir, mode, 'lamkit imitate --out');
  const startStep = typeof resumed?.data.algo.state.globalStep === 'number' ? resumed.data.algo.state.globalStep : 0;
  const resumable = algo.name === 'gail' || algo.name === 'airl';
  const resumeCommand = resumable ? `lamkit imitate --algo ${algo.name} --resume ${flags.resume !== undefined ? flags.resume.replace(/[/\\](checkpoint|checkpoint\.prev)[/\\]?$/, '') : (flags.out ?? outDir)} --data ${flags.data}${episodesFlag !== undefined ? ` --episodes ${episodesFlag}` : ''}` : null;

  // Demonstrations: the first --episodes episodes, else all of them.
  const all = ds.episodes.map((_, i) => i);
  const episodes = episodesFlag !== undefined ? all.slice(0, episodesFlag) : all;
  const { transitions, demonstrations } = await lib.datasetTransitions(ds, episodes, obsSpace, actSpace, `lamkit imitate --data ${flags.data}`);
  log(`lamkit imitate: ${envId} ${algo.name} from ${episodes.length} demonstration episode(s) (${demonstrations.rows} steps); ${resumed ? `resuming ${outDir} from step ${startStep}` : `writing to ${outDir}`}`);
  const expert = flags.expert !== undefined ? await expertSource(lib, flags.expert, envId, seed) : null;

  const backend = await lib.initBackend();
  const metrics = new lib.MetricStream();
  const endStep = algo.endStep(config);
  const outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: endStep, startStep, mode, where: 'lamkit imitate --out', label: `${envId} ${algo.name}`, progress: flags.progress });
  const checkpointDir = join(outDir, 'checkpoint');
  const interrupt = onInterrupt({ command: 'lamkit imitate', stopping: 'stopping after this update; the checkpoint follows', resumeHint: () => resumeCommand ?? undefined });
  let lastSaveMs = performance.now();
  const save = (data: Parameters<typeof lib.saveCheckpoint>[1]): void => {
    lib.saveCheckpoint(checkpointDir, data);
    lastSaveMs = performance.now();
  };
  const periodMs = checkpointMinutes * 60_000;
  const vec = await lib.makeVec(envId, { numEnvs: config.numEnvs });
  try {
    const result = await algo.run({
      vec,
      config,
      policy,
      from,
      resume: resumed?.data ?? null,
      metrics,
      meta: { envId, observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: backend.name },
      save,
      stop: () => interrupt.requested,
      // A timed save: the state after this update (the final save follows the last update anyway).
      async afterUpdate(at: { last: boolean; checkpoint(): Parameters<typeof lib.saveCheckpoint>[1] }) {
        if (periodMs > 0 && !at.last && !interrupt.requested && performance.now() - lastSaveMs >= periodMs) save(at.checkpoint());
      },
      recoverable: () => false,
      log,
      imitation: { transitions, demonstrations, expert: expert?.factory ?? null, makeEnv: () => lib.makeAsync(envId), aggregateDir: join(outDir, 'aggregated'), envId },
    } as Parameters<typeof algo.run>[0]);
    metrics.complete();
    const summary = await outputs.finish({ envId, algo: algo.name, config, backend: backend.name, result, resumedFrom: resumed ? outDir : null });
    return { algo: algo.name, outDir, checkpointDir, globalStep: result.globalStep, summary, interrupted: interrupt.requested, resumeCommand };
  } catch (err) {
    if (existsSync(checkpointDir)) outputs.close();
    else outputs.discardIfUnused();
    metrics.error(err);
    throw err;
  } finally {
    interrupt.dispose();
    outputs.close();
    expert?.dispose();
    await vec.close();
  }
}

type Lib = typeof import('../../index.js');

/** The dataset must hold this task's spaces: a different observation size, or discrete labels for a continuous task, is named. */
export function checkDatasetSpaces(ds: { spaces: { observation: Space<unknown>; action: Space<unknown> } | null; episodes: readonly unknown[] }, data: string, envId: string, obs: Space<unknown>, act: Space<unknown>): void {
  const where = `lamkit imitate --data ${data}`;
  if (!ds.spaces) throw new InvalidArgument(formatError(where, 'a dataset recorded by lamkit (its spaces in meta/info.json)', 'no spaces', 'Record it with lamkit record'));
  if (ds.episodes.length === 0) throw new InvalidArgument(formatError(where, 'at least one episode', 'an empty dataset', `Record demonstrations: lamkit record --env ${envId} --policy <expert|checkpoint> --out ${data}`));
  if (ds.spaces.observation.flatDim !== obs.flatDim) {
    throw new InvalidArgument(formatError(`${where} observation`, `${obs.flatDim} values (the observation of ${envId})`, `${ds.spaces.observation.flatDim} values (${ds.spaces.observation.toString()})`, `Record the dataset on ${envId}, or pass the --env it was recorded on`));
  }
  if (ds.spaces.action.kind !== act.kind || ds.spaces.action.flatDim !== act.flatDim) {
    throw new InvalidArgument(formatError(`${where} action`, `${act.toString()} actions (${envId})`, `${ds.spaces.action.toString()} labels`, `Record the dataset on ${envId}, or pass the --env it was recorded on`));
  }
}

/** `--expert expert` (the task's scripted expert, built for each env) or a checkpoint of the task. */
async function expertSource(lib: Lib, source: string, envId: string, seed: number): Promise<{ factory: (env: Env<unknown, unknown> | AsyncEnv<unknown, unknown>) => Policy; dispose(): void }> {
  if (source === 'expert') {
    const { expertFactory } = await import('./experts.js');
    const make = await expertFactory(envId, 'lamkit imitate --expert expert', 'Pass --expert <checkpoint> (e.g. a PPO run of the task)');
    return { factory: (env) => make(env as Env<unknown, unknown>), dispose: () => {} };
  }
  const policy = await lib.loadPolicy(source, { seed });
  if (policy.envId !== envId) {
    policy.dispose?.();
    throw new InvalidArgument(formatError('lamkit imitate --expert', `a checkpoint trained on ${envId}`, `one trained on ${policy.envId} (${policy.checkpointDir})`, `Pass a checkpoint of ${envId}`));
  }
  // DAgger disposes the policy it is handed at the end; the loaded one is disposed here.
  return { factory: () => ({ observationSpace: policy.observationSpace, actionSpace: policy.actionSpace, act: (o, opt) => policy.act(o, opt), resetEpisode: (i) => policy.resetEpisode?.(i) }), dispose: () => policy.dispose?.() };
}

/** Registers `lamkit imitate`. */
export function register(program: Command): void {
  program
    .command('imitate')
    .description('Learn a policy from demonstrations: behaviour cloning, DAgger, GAIL or AIRL')
    .requiredOption('--algo <name>', `one of ${IMITATE_ALGOS.join(', ')}`)
    .option('--env <id>', 'the task, e.g. CartPole-v1 (the dataset must hold its spaces)')
    .option('--data <dir>', 'demonstrations recorded with lamkit record')
    .option('--expert <expert|checkpoint>', "DAgger's labeller: the task's scripted expert, or a checkpoint")
    .option('--episodes <n>', 'use the first n demonstration episodes (default: all; bc uses the dataset\'s splits)')
    .option('--policy-kind <kind>', 'the network to train (mlp by default; transformer, window-mlp)')
    .option('--from <checkpoint>', 'start from this network (e.g. a BC checkpoint for GAIL)')
    .option('--seed <n>', 'seed of the run (default 1)')
    .option('--total-steps <n>', 'gail/airl: env steps of PPO (default 100000)')
    .option('--num-envs <n>', "gail/airl: parallel sub-envs (default: the task's tuned PPO value)")
    .option('--out <dir>', 'run directory (default runs/<env>__<algo>__<seed>__<unix time>)')
    .option('--force', 'replace the run already in --out')
    .option('--resume <dir>', 'gail/airl: continue the run saved in this directory from its last checkpoint (pass the same --data and --episodes)')
    .option('--checkpoint-minutes <m>', `gail/airl: save a checkpoint every m minutes of training (0: off; default ${DEFAULT_CHECKPOINT_MINUTES})`)
    .option('--config <json>', 'algorithm config overrides, plus an optional "policy" object (gail/airl: PPO fields + "reward"; dagger: rounds, episodesPerRound, betaSchedule, bc; bc: lamkit finetune\'s)')
    .option('--no-progress', 'do not draw the progress bar')
    .action(async (flags: ImitateFlags) => {
      const o = await runImitate(flags, (line) => process.stdout.write(line + '\n'));
      const s = o.summary as { finalMeanReturn20?: number | null; wallSeconds?: number };
      process.stdout.write(`lamkit imitate: ${o.algo} done at step ${o.globalStep}${s.finalMeanReturn20 != null ? `; env return (last 20 episodes) ${s.finalMeanReturn20.toFixed(2)}` : ''}; checkpoint in ${o.checkpointDir}\n`);
      if (o.interrupted) {
        if (o.resumeCommand) process.stdout.write(`lamkit imitate: stopped by Ctrl-C at step ${o.globalStep}, checkpoint saved; continue with: ${o.resumeCommand}\n`);
        process.exitCode = INTERRUPTED_EXIT_CODE;
      }
    });
}
