import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { checkRunDir, autoRunDir, runDirOfCheckpoint, type RunDirMode } from '../../run/run-directory.js';
import { parseIntFlag, parseNumberFlag, parseConfigFlag, parseEnvKwargsFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { EvalDuringTraining, EVAL_SELECT_BY, type EvalSelectBy, type TrainEvalRecord } from '../eval-during-training.js';
import { trainRewardSource, type TrainRewardSource } from './train-reward.js';
import { ppoFinetuneConfig, type PpoFinetuneFlags } from './ppo-finetune-flags.js';
import { parseRobotFlags, connectRobotFleet, robotTaskName, DEFAULT_ROBOT_WAIT_MS, type RobotFleet, type TrainRobotFlags } from './train-robots.js';
import { parseTrainBrokerFlags, connectBrokerLearner, checkRolloutsPerUpdate, DEFAULT_MAX_POLICY_LAG, DEFAULT_MAX_QUEUED, DEFAULT_ROLLOUTS_PER_UPDATE, type BrokerLearnerLink, type TrainBrokerFlags } from './train-broker.js';
import { registerBrokerFlags } from './broker-flags.js';

/** Flags of `lamkit train` as commander hands them over. */
export interface TrainFlags extends TrainRobotFlags, PpoFinetuneFlags, TrainBrokerFlags {
  env?: string;
  algo: string;
  policyKind?: string;
  from?: string;
  seed?: string;
  totalSteps?: string;
  numEnvs?: string;
  out?: string;
  config?: string;
  /** `--env-kwargs <json>`: task options for the training envs (`make(id, { kwargs })`); evaluations run the task as registered. */
  envKwargs?: string;
  resume?: string;
  /** `--reward <gail|airl run>`: train on that run's frozen learned reward instead of the env's (src/cli/commands/train-reward.ts). */
  reward?: string;
  /** `--reward-support-penalty <k>`: pessimism beyond the demonstrations' range (`learnedRewardHook`'s supportPenalty; default 1, 0 for rewards without the range). */
  rewardSupportPenalty?: string;
  /** Replace the run already in `--out` (its checkpoint, best/, metrics and report). */
  force?: boolean;
  /** Save a checkpoint when this many minutes passed since the last one (default {@link DEFAULT_CHECKPOINT_MINUTES}; 0: off). */
  checkpointMinutes?: string;
  /** Evaluate the deterministic policy every this many env steps (default: never). */
  evalEvery?: string;
  /** Episodes per evaluation (default 10). */
  evalEpisodes?: string;
  /** With `--eval-every`: what keeps an evaluation's policy in `best/`: `return` (default) or `success`. */
  selectBy?: string;
  vectorization: string;
  progress: boolean;
}

/**
 * Default period of timed checkpoints: a run killed outright (`kill -9`, a
 * crash, power loss) loses at most this much training. A save takes
 * milliseconds for an MLP and does not touch the envs, so it does not
 * change the run (unlike `checkpointEvery`, see README "Resume").
 */
export const DEFAULT_CHECKPOINT_MINUTES = 5;

/** Episodes per evaluation without `--eval-episodes` (SB3's EvalCallback: 5; lamkit eval: 10). */
export const DEFAULT_EVAL_EPISODES = 10;

/**
 * Seeds of the evaluation episodes: episode k of every evaluation resets
 * with `seed + EVAL_SEED_OFFSET + k`, the same each time (evaluations are
 * comparable across steps) and apart from the training envs' seeds.
 */
export const EVAL_SEED_OFFSET = 1_000_000;

export type { TrainEvalRecord };


/** What a finished `lamkit train` leaves in `--out`. */
export interface TrainOutcome {
  outDir: string;
  checkpointDir: string;
  globalStep: number;
  summary: Record<string, unknown>;
  /** With `--robots`: the robots trained on, in sub-env order. */
  robotIds?: string[];
  /** Stopped early by Ctrl-C (the checkpoint holds the state after the last update). */
  interrupted: boolean;
  /** The command that continues the run. */
  resumeCommand: string;
  /** With `--eval-every`: the best evaluation so far (its policy is in `best/`), else null. */
  bestEval: TrainEvalRecord | null;
}

/** Optional callbacks of {@link runTrain} (the CLI prints `log` lines to stdout). */
export interface TrainHooks {
  /** Status lines (robots: the URL to connect to, each robot's arrival). */
  log?: (line: string) => void;
  /** With `--robots`: called with the URL once the bridge server listens. */
  onListening?: (url: string) => void;
  /** With `--broker`: called with the learner's broker link once connected (tests inspect its rollout source). */
  onBroker?: (link: BrokerLearnerLink) => void;
}

/**
 * `lamkit train --algo <name>`: runs a registered trainer that learns from
 * the env's reward (`trainerNames('reward')`: ppo today) on a registered
 * task; the network is `--policy-kind` (or `--config '{"policy": {...}}'`),
 * or starts from the network of `--from <checkpoint>`.
 *
 * It writes to `--out` (default `runs/<env>__<algo>__<seed>__<unix time>`,
 * CleanRL's run name): `checkpoint/` (see agents/checkpoint),
 * `metrics.jsonl`, `summary.json`, `learning-curve.svg`, `config.json`, and
 * with `--eval-every` also `best/`. A directory that already holds
 * something is refused unless `--resume` continues the run in it or
 * `--force` replaces it.
 *
 * Checkpoints: every `--checkpoint-minutes` (default 5; the save leaves the
 * run unchanged), at every `checkpointEvery` env steps when the config sets
 * it (each such save starts fresh episodes, which makes it a point the run
 * resumes from bit for bit), after Ctrl-C, and at the end. `--resume <dir>`
 * continues from the last one: `metrics.jsonl` is cut back to its step and
 * the report covers the whole run. From a `checkpointEvery` boundary the
 * resumed run is bit for bit the uninterrupted one; from any other
 * checkpoint it continues from the same weights, optimizer, statistics and
 * RNG with fresh episodes.
 *
 * Ctrl-C (see src/cli/interrupt.ts) stops after the current update, saves
 * and says how to resume; a second Ctrl-C exits at once.
 *
 * `--eval-every <steps>`: after the update that crosses each multiple,
 * the deterministic policy runs `--eval-episodes` episodes on a separate
 * env of the task (episode k seeded `seed + 1e6 + k`, the same each time);
 * `eval/mean_return`, `eval/std_return`, `eval/mean_length` (and
 * `eval/success_rate`) go to the metrics, and the best mean so far keeps
 * its checkpoint in `best/` with `best/eval.json` (SB3's EvalCallback);
 * `--select-by success`: the best success rate (ties: the mean return).
 *
 * With `--robots <n>` it trains on robots instead of a simulated task: it
 * starts a bridge server (`--port`, `--host`, `--token`,
 * `--step-timeout-ms`), waits up to `--wait-ms` for n robots, checks that
 * they announced identical spaces and vectorizes them (`AsyncEnvVector`, one
 * sub-env per robot, so n replaces `--num-envs`). `--env <id>` is then an
 * optional label: a registered task whose spaces the robots must match (so
 * `lamkit eval` and `--eval-every` can run the policy in simulation);
 * without it the checkpoint's task name is the robots' common id prefix.
 */
export async function runTrain(flags: TrainFlags, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  const log = hooks.log ?? (() => {});
  const seedFlag = parseIntFlag('lamkit train --seed', flags.seed, 0, '1');
  const totalFlag = parseIntFlag('lamkit train --total-steps', flags.totalSteps, 1, '100000');
  const numEnvsFlag = parseIntFlag('lamkit train --num-envs', flags.numEnvs, 1, '8');
  const checkpointMinutes = parseNumberFlag('lamkit train --checkpoint-minutes', flags.checkpointMinutes, 0, '5') ?? DEFAULT_CHECKPOINT_MINUTES;
  const evalEvery = parseIntFlag('lamkit train --eval-every', flags.evalEvery, 1, '10000');
  const evalEpisodes = parseIntFlag('lamkit train --eval-episodes', flags.evalEpisodes, 1, '10');
  if (evalEpisodes !== undefined && evalEvery === undefined) {
    throw new InvalidArgument(formatError('lamkit train --eval-episodes', 'it together with --eval-every', describeValue(flags.evalEpisodes), 'Add e.g. --eval-every 10000'));
  }
  const selectBy = parseSelectBy(flags.selectBy, evalEvery !== undefined);
  if (flags.vectorization !== 'sync' && flags.vectorization !== 'async') {
    throw new InvalidArgument(formatError('lamkit train --vectorization', "one of sync, async", describeValue(flags.vectorization), 'Pass --vectorization async for MuJoCo tasks on several cores'));
  }
  if (flags.force && flags.resume !== undefined) {
    throw new InvalidArgument(formatError('lamkit train --force', 'no --force with --resume (--force starts the run in --out afresh)', describeValue(flags.resume), 'Drop --force to continue the run, or --resume to replace it'));
  }
  const userConfig = { ...parseConfigFlag(flags.config), ...ppoFinetuneConfig(flags, flags.algo) };
  const envKwargsFlag = parseEnvKwargsFlag(flags.envKwargs, 'lamkit train --env-kwargs');
  const fleetOpts = parseRobotFlags(flags);
  const brokerOpts = parseTrainBrokerFlags(flags);
  if (brokerOpts && fleetOpts) throw new InvalidArgument(formatError('lamkit train --broker', 'no --broker with --robots (robots connect to the learner directly)', describeValue(flags.broker), 'Drop one of them'));
  if (flags.rewardSupportPenalty !== undefined && flags.reward === undefined) throw new InvalidArgument(formatError('lamkit train --reward-support-penalty', 'a --reward <gail|airl run> beside it', 'no --reward', 'Add --reward <run>, or drop --reward-support-penalty'));
  if (brokerOpts && flags.reward !== undefined) throw new InvalidArgument(formatError('lamkit train --reward', 'no --reward with --broker (workers collect the rewards)', describeValue(flags.reward), 'Train on the learned reward without --broker'));
  if (envKwargsFlag !== undefined && (fleetOpts || brokerOpts)) {
    throw new InvalidArgument(formatError('lamkit train --env-kwargs', 'no --env-kwargs with --robots or --broker (the robots or the workers make the envs)', describeValue(flags.envKwargs), 'Drop --env-kwargs, or train on a simulated task in this process'));
  }
  if (fleetOpts) {
    const n = fleetOpts.count;
    if (numEnvsFlag !== undefined) throw new InvalidArgument(formatError('lamkit train --num-envs', 'no --num-envs with --robots (each robot is one sub-env)', describeValue(flags.numEnvs), `Drop --num-envs; --robots ${n} trains on ${n} sub-envs`));
    if (flags.vectorization !== 'sync') throw new InvalidArgument(formatError('lamkit train --vectorization', 'no --vectorization with --robots (robots step concurrently over the bridge)', describeValue(flags.vectorization), 'Drop --vectorization'));
    if (userConfig.numEnvs !== undefined && userConfig.numEnvs !== n) throw new InvalidArgument(formatError('lamkit train --config', `numEnvs ${n} (the --robots count) or no numEnvs`, describeValue(userConfig.numEnvs), 'Drop numEnvs from the config'));
    // Group-relative advantages need members that start from the same state; robots do not reset to a seed's state.
    if (userConfig.groupSize !== undefined && userConfig.groupSize !== 1) throw new InvalidArgument(formatError('lamkit train --config groupSize', '1 (off) with --robots (a group must start from one state, which a robot cannot be reset to from a seed)', describeValue(userConfig.groupSize), 'Drop groupSize, or train the group mode in simulation'));
  }

  const lib = await import('../../index.js');
  const { readCheckpoint } = lib;
  const algo = lib.trainer(flags.algo, 'reward', 'lamkit train --algo');
  const { policy: policyConfig, ...algoConfig } = userConfig;
  const policy = resolvePolicyFlags(flags, policyConfig);
  if (flags.from !== undefined && (flags.resume !== undefined || policy !== undefined)) {
    throw new InvalidArgument(formatError('lamkit train --from', 'no --resume, --policy-kind or config policy with --from (the network comes from the checkpoint)', describeValue(flags.from), 'Drop one of them'));
  }
  const from = flags.from !== undefined ? readCheckpoint(flags.from).data : null;

  let resumed: ReturnType<typeof readCheckpoint> | null = null;
  let resumeDir: string | null = null;
  if (flags.resume !== undefined) {
    resumed = readCheckpoint(flags.resume);
    resumeDir = runDirOfCheckpoint(resumed.dir, flags.resume, 'lamkit train --resume', 'lamkit train');
    if (flags.out !== undefined && resolve(flags.out) !== resumeDir) {
      throw new InvalidArgument(formatError('lamkit train --out', `no --out with --resume, or the run's own directory (${resumeDir})`, describeValue(flags.out), `A run continues in its own directory; to branch it, copy the directory and resume the copy`));
    }
    if (resumed.data.algo.name !== algo.name) {
      throw new InvalidArgument(formatError('lamkit train --algo', `${describeValue(resumed.data.algo.name)} (the trainer of the run being resumed)`, describeValue(flags.algo), `Resume with --algo ${resumed.data.algo.name}`));
    }
    const st = algo.resumeConfig(resumed.data, undefined, `loadCheckpoint(${resumed.dir})`);
    const clash = (flag: string, given: unknown, saved: unknown): void => {
      if (given !== undefined && given !== saved) {
        throw new InvalidArgument(formatError(`lamkit train ${flag}`, `${describeValue(saved)} (the value of the run being resumed) or no flag`, describeValue(given), 'A resumed run keeps its settings; only --total-steps may change'));
      }
    };
    clash('--env', flags.env, resumed.data.meta.envId);
    clash('--seed', seedFlag, st.seed);
    clash('--num-envs', numEnvsFlag, st.numEnvs);
    if (flags.config !== undefined) clash('--config', flags.config, '(none)');
    if (envKwargsFlag !== undefined && JSON.stringify(envKwargsFlag) !== JSON.stringify(resumed.data.meta.envKwargs ?? {})) clash('--env-kwargs', flags.envKwargs, JSON.stringify(resumed.data.meta.envKwargs ?? {}));
    for (const [flag, given] of [['--value-warmup', flags.valueWarmup], ['--kl-ref-coef', flags.klRefCoef], ['--kl-ref-target', flags.klRefTarget], ['--train-params', flags.trainParams]] as const) if (given !== undefined) clash(flag, given, '(none)');
    if (flags.policyKind !== undefined) clash('--policy-kind', flags.policyKind, resumed.data.policy.kind);
    if (fleetOpts && st.numEnvs !== fleetOpts.count) {
      throw new InvalidArgument(formatError('lamkit train --robots', `${st.numEnvs} (the sub-envs of the run being resumed)`, describeValue(flags.robots), `Resume with --robots ${st.numEnvs}`));
    }
    if (!fleetOpts && !lib.registeredIds().includes(resumed.data.meta.envId)) {
      throw new InvalidArgument(formatError('lamkit train --resume', 'a run of a registered task', `a run of ${describeValue(resumed.data.meta.envId)}`, `A run trained on robots resumes with --robots ${st.numEnvs}`));
    }
  }
  const label = resumed?.data.meta.envId ?? flags.env;
  const envKwargs = resumed ? resumed.data.meta.envKwargs : envKwargsFlag;
  if (label === undefined && !fleetOpts) throw new InvalidArgument(formatError('lamkit train --env', 'a registered task id', 'nothing', 'Pass e.g. --env CartPole-v1 (see `lamkit envs`)'));
  const mode: RunDirMode = resumed ? 'resume' : flags.force ? 'replace' : 'new';
  // Refuse a taken --out before connecting robots or building envs (after an unknown task id).
  const checkOut = (): void => {
    if (flags.out !== undefined && !resumed) checkRunDir(resolve(flags.out), mode, 'lamkit train --out');
  };
  if (evalEvery !== undefined && fleetOpts && label === undefined) {
    throw new InvalidArgument(formatError('lamkit train --eval-every', 'a task to evaluate in: --env <id> with --robots', 'no --env', 'Label the robot run with the registered task they run, e.g. --env CartPole-v1'));
  }

  // Robots: connect them first (their spaces decide the network); a task: probe it.
  let fleet: RobotFleet | null = null;
  let envId: string;
  let discrete: boolean;
  if (fleetOpts) {
    checkOut();
    let expected = null;
    if (resumed) expected = { label: `--resume ${flags.resume}`, observationSpace: resumed.data.meta.observationSpace, actionSpace: resumed.data.meta.actionSpace };
    else if (flags.env !== undefined) {
      const probe = await lib.makeAsync(flags.env);
      expected = { label: `--env ${flags.env}`, observationSpace: probe.observationSpace, actionSpace: probe.actionSpace };
      probe.close();
    }
    fleet = await connectRobotFleet(lib, fleetOpts, expected, log, hooks.onListening);
    envId = label ?? robotTaskName(fleet.robotIds);
    discrete = !(fleet.vec.singleActionSpace instanceof lib.Box);
  } else {
    envId = label as string;
    // Discrete or continuous actions pick the default table row; a bad --env-kwargs fails here, before --out is touched.
    const probe = await lib.makeAsync(envId, makeOptionsOf(envKwargs));
    discrete = !(probe.actionSpace instanceof lib.Box);
    probe.close();
    checkOut();
  }
  const seed = seedFlag ?? (typeof userConfig.seed === 'number' ? userConfig.seed : 1);
  // The directory as the user would type it (relative stays relative) for the lines we print.
  const shownOut = resumeDir !== null ? (flags.resume as string).replace(/[/\\](checkpoint|checkpoint\.prev)[/\\]?$/, '') : flags.out ?? autoRunDir(envId, algo.name, seed);
  const outDir = resumeDir ?? resolve(shownOut);
  let broker: BrokerLearnerLink | null = null;
  try {
    if (flags.out === undefined && !resumed) checkRunDir(outDir, mode, 'lamkit train --out');
    // Connect before anything is written: wrong credentials fail fast.
    if (brokerOpts) {
      broker = await connectBrokerLearner(brokerOpts);
      hooks.onBroker?.(broker);
    }
    const plan: TrainPlan = {
      algo, envId, envKwargs, discrete, fleet, broker, resumed, from, policy, userConfig: algoConfig, seedFlag, totalFlag, numEnvsFlag: fleetOpts?.count ?? numEnvsFlag, outDir, shownOut, mode,
      checkpointMinutes, evalEvery: evalEvery ?? null, evalEpisodes: evalEpisodes ?? DEFAULT_EVAL_EPISODES, selectBy,
    };
    return await trainOn(lib, flags, plan, log);
  } finally {
    await fleet?.close();
    await broker?.close();
  }
}

/** `--select-by`: `return` (default) or `success`, only with `--eval-every`. */
function parseSelectBy(text: string | undefined, evaluating: boolean): EvalSelectBy {
  if (text === undefined) return 'return';
  if (!(EVAL_SELECT_BY as readonly string[]).includes(text)) {
    throw new InvalidArgument(formatError('lamkit train --select-by', `one of ${EVAL_SELECT_BY.join(', ')}`, describeValue(text), 'Pass --select-by success (or return, the default)'));
  }
  if (!evaluating) throw new InvalidArgument(formatError('lamkit train --select-by', 'it together with --eval-every (it picks among the evaluations)', describeValue(text), 'Add e.g. --eval-every 10000'));
  return text as EvalSelectBy;
}

interface TrainPlan {
  algo: Trainer;
  envId: string;
  /** Task options of the training envs (`--env-kwargs`, or the resumed run's); undefined: the registration's. */
  envKwargs: Record<string, unknown> | undefined;
  discrete: boolean;
  fleet: RobotFleet | null;
  /** With `--broker`: the learner's link to its workers (rollouts come from it, not from the local vector env). */
  broker: BrokerLearnerLink | null;
  resumed: ReturnType<Lib['readCheckpoint']> | null;
  from: CheckpointData | null;
  policy: Record<string, unknown> | undefined;
  userConfig: Record<string, unknown>;
  seedFlag: number | undefined;
  totalFlag: number | undefined;
  numEnvsFlag: number | undefined;
  outDir: string;
  /** `outDir` as printed (relative when the user gave it so). */
  shownOut: string;
  mode: RunDirMode;
  checkpointMinutes: number;
  evalEvery: number | null;
  evalEpisodes: number;
  selectBy: EvalSelectBy;
}

type Lib = typeof import('../../index.js');
type Trainer = import('../../../agents/algos/trainer.js').Trainer;
type CheckpointData = import('../../../agents/checkpoint/save-checkpoint.js').CheckpointData;
type UpdateBoundary = import('../../../agents/algos/trainer.js').UpdateBoundary;

/** Resolves the config, builds the vector env (unless robots give it) and runs the trainer with the run outputs listening. */
async function trainOn(lib: Lib, flags: TrainFlags, plan: TrainPlan, log: (line: string) => void): Promise<TrainOutcome> {
  const { algo, envId, discrete, fleet, resumed, userConfig, seedFlag, totalFlag, numEnvsFlag, outDir, shownOut } = plan;
  const config = resumed
    ? algo.resumeConfig(resumed.data, totalFlag, 'lamkit train --resume')
    : algo.resolveConfig(
        {
          ...algo.defaults(envId, discrete),
          // The learned reward is normalized by its hook; PPO's return scaling would scale it again.
          ...(flags.reward !== undefined ? { normalizeReward: false } : {}),
          ...userConfig,
          seed: seedFlag ?? (userConfig.seed as number | undefined) ?? 1,
          totalSteps: totalFlag ?? (userConfig.totalSteps as number | undefined) ?? 100_000,
          ...(numEnvsFlag !== undefined ? { numEnvs: numEnvsFlag } : {}),
        },
        'lamkit train --config',
      );
  if (plan.broker) checkRolloutsPerUpdate(config.numEnvs, (config as { numSteps?: number }).numSteps ?? 1, plan.broker.rolloutsPerUpdate);
  const endStep = algo.endStep(config);
  if (endStep !== config.totalSteps) {
    log(`lamkit train: training ${endStep} of the ${config.totalSteps} steps asked: ${algo.name} trains in whole updates, and the last ${config.totalSteps - endStep} steps would not fill one`);
  }
  const startStep = typeof resumed?.data.algo.state.globalStep === 'number' ? resumed.data.algo.state.globalStep : 0;
  const resumeCommand = [
    `lamkit train --resume ${shownOut}`,
    fleet ? ` --robots ${fleet.vec.numEnvs}` : '',
    plan.broker ? plan.broker.resumeFlags : '',
    plan.evalEvery !== null ? ` --eval-every ${plan.evalEvery} --eval-episodes ${plan.evalEpisodes}${plan.selectBy !== 'return' ? ` --select-by ${plan.selectBy}` : ''}` : '',
    plan.checkpointMinutes !== DEFAULT_CHECKPOINT_MINUTES ? ` --checkpoint-minutes ${plan.checkpointMinutes}` : '',
    flags.reward !== undefined ? ` --reward ${flags.reward}` : '',
  ].join('');
  if (resumed) log(`lamkit train: resuming ${shownOut} from step ${startStep} (its last checkpoint); training to step ${endStep}`);
  else log(`lamkit train: ${envId} ${algo.name}, ${endStep} steps; writing to ${shownOut}`);
  if (plan.envKwargs !== undefined) log(`lamkit train: training envs made with ${JSON.stringify(plan.envKwargs)}${plan.evalEvery !== null ? '; evaluations run the task as registered' : ''}`);

  const checkpointDir = join(outDir, 'checkpoint');
  const backend = await lib.initBackend();
  const metrics = new lib.MetricStream();
  // Refuses a taken directory (unless resumed or --force), cuts metrics.jsonl back to the checkpoint on resume.
  const outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: endStep, startStep, mode: plan.mode, where: 'lamkit train --out', label: `${envId} ${algo.name}`, progress: flags.progress });
  let vec: import('../../core/vector-env.js').VectorEnv | null = fleet ? fleet.vec : null;
  let evalEnv: import('../../core/env.js').AsyncEnv<unknown, unknown> | import('../../core/env.js').Env<unknown, unknown> | null = null;
  const interrupt = onInterrupt({ command: 'lamkit train', stopping: 'stopping after this update; the checkpoint follows', resumeHint: () => resumeCommand });
  let failure = '';
  let learned: TrainRewardSource | null = null;
  try {
    vec ??= await lib.makeVec(envId, { numEnvs: config.numEnvs, vectorizationMode: flags.vectorization as 'sync' | 'async', makeOptions: makeOptionsOf(plan.envKwargs) });
    learned = trainRewardSource(lib, flags.reward, resumed?.data ?? null, { envId, observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace }, config.seed, flags.rewardSupportPenalty);
    if (learned) {
      const support = learned.supportPenalty > 0 ? `support penalty ${learned.supportPenalty} per std beyond the demonstrations' range` : 'no support penalty';
      log(`lamkit train: training on the learned reward of ${learned.run} (${learned.kind === 'airl' ? "AIRL's g" : "GAIL's logit"}; ${support}); the env's reward is only reported`);
    }
    if (plan.evalEvery !== null) evalEnv = await lib.makeAsync(envId);
    let lastSaveMs = performance.now();
    const save = (data: CheckpointData): void => {
      lib.saveCheckpoint(checkpointDir, learned ? learned.mark(data) : data);
      lastSaveMs = performance.now();
    };
    const evaluator = evalEnv
      ? new EvalDuringTraining({ env: evalEnv, evaluate: lib.evaluatePolicy, saveCheckpoint: lib.saveCheckpoint, outDir, everySteps: plan.evalEvery as number, episodes: plan.evalEpisodes, seed: config.seed + EVAL_SEED_OFFSET, startStep, metrics, log, selectBy: plan.selectBy })
      : null;
    const periodMs = plan.checkpointMinutes * 60_000;
    const theVec = vec;
    const rolloutSource = plan.broker ? await plan.broker.source({ envId, metrics, stop: () => interrupt.requested, log }) : undefined;
    if (plan.broker) log(`lamkit train: waiting for rollouts from lamkit worker processes on ${plan.broker.broker.shownServers} (run ${plan.broker.broker.run}); start each with: lamkit worker --broker ${plan.broker.broker.shownServers}${plan.broker.broker.run !== 'lamkit' ? ` --broker-run ${plan.broker.broker.run}` : ''} --env ${envId}${plan.broker.rolloutsPerUpdate > 1 ? ` (at least ${plan.broker.rolloutsPerUpdate} of them: each update takes ${plan.broker.rolloutsPerUpdate} rollouts of ${config.numEnvs / plan.broker.rolloutsPerUpdate} sub-envs x ${(config as { numSteps?: number }).numSteps} steps)` : ''}`);
    const result = await algo.run({
      ...(rolloutSource ? { rolloutSource } : {}),
      ...(learned ? { rewardHook: learned.hook } : {}),
      vec: theVec,
      config,
      policy: plan.policy,
      from: plan.from,
      resume: resumed?.data ?? null,
      metrics,
      meta: { envId, observationSpace: theVec.singleObservationSpace, actionSpace: theVec.singleActionSpace, backend: backend.name, ...(plan.envKwargs !== undefined ? { envKwargs: plan.envKwargs } : {}) },
      save,
      stop: () => interrupt.requested,
      async afterUpdate(at: UpdateBoundary) {
        await evaluator?.afterUpdate(at);
        // A timed save: the state after this update, envs untouched (the final save follows the last update anyway).
        if (periodMs > 0 && !at.last && !interrupt.requested && performance.now() - lastSaveMs >= periodMs) save(at.checkpoint());
      },
      recoverable: (err) => {
        if (!(fleet !== null && err instanceof lib.BridgeProtocolError)) return false;
        failure = err.name;
        return true;
      },
      log: (line) => log(`lamkit train: a robot failed (${failure}); ${line} to ${checkpointDir}; continue with ${resumeCommand}`),
    });
    metrics.complete();
    const summary = await outputs.finish({ envId, algo: algo.name, config, backend: backend.name, result, resumedFrom: resumed ? outDir : null });
    return { outDir, checkpointDir, globalStep: result.globalStep, summary, ...(fleet ? { robotIds: fleet.robotIds } : {}), interrupted: interrupt.requested, resumeCommand, bestEval: evaluator?.best ?? null };
  } catch (err) {
    // A run that failed before its first row (a bad policy setting, an env that does not start) leaves no directory behind.
    if (existsSync(checkpointDir)) outputs.close();
    else outputs.discardIfUnused();
    metrics.error(err);
    throw err;
  } finally {
    interrupt.dispose();
    outputs.close();
    evalEnv?.close();
    // Robots' vector env belongs to the fleet (closed by runTrain).
    if (vec && !fleet) await vec.close();
    learned?.dispose();
  }
}

/** `make`'s options for task options `kwargs` (none: the task as registered). */
function makeOptionsOf(kwargs: Record<string, unknown> | undefined): { kwargs?: Record<string, unknown> } {
  return kwargs !== undefined ? { kwargs } : {};
}

/** The network config from `--policy-kind` and the config's `policy` object (undefined: the trainer's default). */
function resolvePolicyFlags(flags: TrainFlags, fromConfig: unknown): Record<string, unknown> | undefined {
  if (fromConfig !== undefined && (fromConfig === null || typeof fromConfig !== 'object' || Array.isArray(fromConfig))) {
    throw new InvalidArgument(formatError('lamkit train --config.policy', 'an object such as {"kind": "mlp", "hidden": [64, 64]}', describeValue(fromConfig), 'Fix the policy config'));
  }
  const cfg = fromConfig as Record<string, unknown> | undefined;
  if (flags.policyKind === undefined) return cfg;
  if (cfg?.kind !== undefined && cfg.kind !== flags.policyKind) {
    throw new InvalidArgument(formatError('lamkit train --policy-kind', `the config's policy kind ${describeValue(cfg.kind)} or no flag`, describeValue(flags.policyKind), 'Give the kind once'));
  }
  return { ...cfg, kind: flags.policyKind };
}

/** Registers `lamkit train`. */
export function register(program: Command): void {
  const trainCommand = program
    .command('train')
    .description('Train a policy from the env reward (PPO) on a registered task, or on robots that connect over WebSocket (--robots)')
    .option('--env <id>', 'task id, e.g. CartPole-v1 (see `lamkit envs`); with --robots, an optional label: the task the robots run')
    .option('--algo <name>', 'a registered trainer that learns from the reward (ppo)', 'ppo')
    .option('--policy-kind <kind>', 'the network to build: mlp (default), window-mlp (see docs/extending.md)')
    .option('--from <checkpoint>', 'start from the network (and observation statistics) of this checkpoint')
    .option('--seed <n>', 'seed of the run (default 1)')
    .option('--total-steps <n>', 'env steps to train for (default 100000)')
    .option('--num-envs <n>', "parallel sub-envs (default: the task's tuned value)")
    .option('--out <dir>', 'run directory: checkpoint/, metrics.jsonl, summary.json, learning-curve.svg (default runs/<env>__<algo>__<seed>__<unix time>); never overwritten without --resume or --force')
    .option('--config <json>', 'algorithm config overrides, plus an optional "policy" object: inline JSON or a JSON file (PPO fields: agents/algos/ppo/ppo-config.ts)')
    .option('--value-warmup <updates>', 'PPO fine-tuning: train only the value head for this many updates before the actor moves (default 0)')
    .option('--kl-ref-coef <c>', 'PPO fine-tuning: penalty c x KL(policy || the --from network) (default 0: off; transformer)')
    .option('--kl-ref-target <kl>', 'with --kl-ref-coef: adapt the coefficient to keep each update\'s KL near this (halve below kl/1.5, double above 1.5 kl)')
    .option('--train-params <which>', 'PPO: all (default) or lora (transformer: LoRA adapters and heads on a frozen trunk)')
    .option('--env-kwargs <json>', "task options for the training envs, inline JSON or a JSON file (e.g. '{\"rewardSuccessWeight\":1}' on ArmPush-v0); kept in the checkpoint for --resume; --eval-every and lamkit eval run the task as registered (lamkit eval --env-kwargs: the variant)")
    .option('--resume <dir>', 'continue the run saved in this directory from its last checkpoint')
    .option('--reward <run>', "train on the frozen learned reward of a lamkit imitate --algo gail|airl run (AIRL's g: reward transfer to a task variant) instead of the env's")
    .option('--reward-support-penalty <k>', "with --reward: states beyond the demonstrations' range score as the nearest state inside minus k per std beyond (default 1; 0: off)")
    .option('--force', 'replace the run already in --out')
    .option('--checkpoint-minutes <m>', `save a checkpoint every m minutes of training (0: off; a kill loses at most this much)`, String(DEFAULT_CHECKPOINT_MINUTES))
    .option('--eval-every <steps>', 'evaluate the deterministic policy every this many env steps on a separate env; keep the best in best/')
    .option('--eval-episodes <n>', `episodes per evaluation (default ${DEFAULT_EVAL_EPISODES})`)
    .option('--select-by <what>', 'with --eval-every: what keeps an evaluation\'s policy in best/: return (the mean return, default) or success (the success rate, ties by return; tasks that report info.isSuccess)')
    .option('--vectorization <mode>', 'sync (one thread) or async (worker threads)', 'sync')
    .option('--no-progress', 'do not draw the progress bar')
    .option('--robots <n>', 'train on n robots that connect over WebSocket (lamkit sim-robot or RobotClient) instead of a simulated task')
    .option('--port <p>', 'with --robots: port of the bridge server (default 8765)')
    .option('--host <addr>', 'with --robots: interface to bind (default 127.0.0.1; 0.0.0.0 for the network)')
    .option('--token <t>', 'with --robots: shared secret robots must present (default: $LAMKIT_TOKEN)')
    .option('--step-timeout-ms <ms>', 'with --robots: a step fails when a robot does not answer within this (default 1000)')
    .option('--wait-ms <ms>', `with --robots: how long to wait for all robots to connect (default ${DEFAULT_ROBOT_WAIT_MS})`)
    .option('--max-policy-lag <n>', `with --broker: drop rollouts collected with weights more than n updates old (default ${DEFAULT_MAX_POLICY_LAG})`)
    .option('--max-queued <n>', `with --broker: workers wait while n rollouts are stored and not yet trained on (default ${DEFAULT_MAX_QUEUED})`)
    .option('--rollouts-per-update <k>', `with --broker: assemble each update from k rollouts of the same weights, each of numEnvs/k sub-envs x numSteps, collected by k workers in parallel (default ${DEFAULT_ROLLOUTS_PER_UPDATE})`);
  registerBrokerFlags(trainCommand, false)
    .action(async (flags: TrainFlags) => {
      const outcome = await runTrain(flags, { log: (line) => process.stdout.write(line + '\n') });
      const s = outcome.summary as { finalMeanReturn20?: number | null; wallSeconds?: number };
      const b = outcome.bestEval;
      const best = b ? `; best eval ${b.meanReturn.toFixed(2)}${b.successRate !== null ? ` (success ${(100 * b.successRate).toFixed(0)}%)` : ''} at step ${b.globalStep} (best/)` : '';
      process.stdout.write(`lamkit train: ${outcome.globalStep} steps in ${s.wallSeconds?.toFixed(1)} s; mean return (last 20 episodes) ${s.finalMeanReturn20?.toFixed(2) ?? '-'}${best}; outputs in ${outcome.outDir}\n`);
      if (outcome.interrupted) {
        process.stdout.write(`lamkit train: stopped by Ctrl-C at step ${outcome.globalStep}, checkpoint saved; continue with: ${outcome.resumeCommand}\n`);
        process.exitCode = INTERRUPTED_EXIT_CODE;
      }
    });
}

