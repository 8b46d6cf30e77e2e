import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseConfigFlag } from '../flags.js';
import { parseRobotFlags, connectRobotFleet, robotTaskName, DEFAULT_ROBOT_WAIT_MS, type RobotFleet, type TrainRobotFlags } from './train-robots.js';

/** Flags of `lamkit train` as commander hands them over. */
export interface TrainFlags extends TrainRobotFlags {
  env?: string;
  algo: string;
  policyKind?: string;
  from?: string;
  seed?: string;
  totalSteps?: string;
  numEnvs?: string;
  out?: string;
  config?: string;
  resume?: string;
  vectorization: string;
  progress: boolean;
}

/** What a finished `lamkit train` leaves in `--out`. */
export interface TrainOutcome {
  outDir: string;
  checkpointDir: string;
  globalStep: number;
  summary: Record<string, unknown>;
  /** With `--robots`: the robots trained on, in sub-env order. */
  robotIds?: string[];
}

/** Optional callbacks of {@link runTrain} (the CLI prints `log` lines to stdout). */
export interface TrainHooks {
  /** Status lines (robots: the URL to connect to, each robot's arrival). */
  log?: (line: string) => void;
  /** With `--robots`: called with the URL once the bridge server listens. */
  onListening?: (url: string) => void;
}

/**
 * `lamkit train --algo <name>`: runs a registered trainer that learns from
 * the env's reward (`trainerNames('reward')`: ppo today) on a registered
 * task; the network is `--policy-kind` (or `--config '{"policy": {...}}'`),
 * or starts from the network of `--from <checkpoint>`. It leaves, in `--out`:
 * `checkpoint/` (see agents/checkpoint), `metrics.jsonl`, `summary.json`,
 * `learning-curve.svg`, `config.json`. With `--resume <dir>` it continues a
 * run from its checkpoint: from a `checkpointEvery` boundary, bit for bit
 * like the uninterrupted run; after Ctrl-C (which saves at the end of the
 * current update), from there with fresh episodes.
 *
 * With `--robots <n>` it trains on robots instead of a simulated task: it
 * starts a bridge server (`--port`, `--host`, `--token`,
 * `--step-timeout-ms`), waits up to `--wait-ms` for n robots, checks that
 * they announced identical spaces and vectorizes them (`AsyncEnvVector`, one
 * sub-env per robot, so n replaces `--num-envs`). `--env <id>` is then an
 * optional label: a registered task whose spaces the robots must match (so
 * `lamkit eval` can run the checkpoint in simulation); without it the
 * checkpoint's task name is the robots' common id prefix.
 */
export async function runTrain(flags: TrainFlags, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  const log = hooks.log ?? (() => {});
  const seedFlag = parseIntFlag('lamkit train --seed', flags.seed, 0, '1');
  const totalFlag = parseIntFlag('lamkit train --total-steps', flags.totalSteps, 1, '100000');
  const numEnvsFlag = parseIntFlag('lamkit train --num-envs', flags.numEnvs, 1, '8');
  if (flags.vectorization !== 'sync' && flags.vectorization !== 'async') {
    throw new InvalidArgument(formatError('lamkit train --vectorization', "one of sync, async", describeValue(flags.vectorization), 'Pass --vectorization async for MuJoCo tasks on several cores'));
  }
  const userConfig = parseConfigFlag(flags.config);
  const fleetOpts = parseRobotFlags(flags);
  if (fleetOpts) {
    const n = fleetOpts.count;
    if (numEnvsFlag !== undefined) throw new InvalidArgument(formatError('lamkit train --num-envs', 'no --num-envs with --robots (each robot is one sub-env)', describeValue(flags.numEnvs), `Drop --num-envs; --robots ${n} trains on ${n} sub-envs`));
    if (flags.vectorization !== 'sync') throw new InvalidArgument(formatError('lamkit train --vectorization', 'no --vectorization with --robots (robots step concurrently over the bridge)', describeValue(flags.vectorization), 'Drop --vectorization'));
    if (userConfig.numEnvs !== undefined && userConfig.numEnvs !== n) throw new InvalidArgument(formatError('lamkit train --config', `numEnvs ${n} (the --robots count) or no numEnvs`, describeValue(userConfig.numEnvs), 'Drop numEnvs from the config'));
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
  if (flags.resume !== undefined) {
    resumed = readCheckpoint(flags.resume);
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
    if (flags.policyKind !== undefined) clash('--policy-kind', flags.policyKind, resumed.data.policy.kind);
    if (fleetOpts && st.numEnvs !== fleetOpts.count) {
      throw new InvalidArgument(formatError('lamkit train --robots', `${st.numEnvs} (the sub-envs of the run being resumed)`, describeValue(flags.robots), `Resume with --robots ${st.numEnvs}`));
    }
    if (!fleetOpts && !lib.registeredIds().includes(resumed.data.meta.envId)) {
      throw new InvalidArgument(formatError('lamkit train --resume', 'a run of a registered task', `a run of ${describeValue(resumed.data.meta.envId)}`, `A run trained on robots resumes with --robots ${st.numEnvs}`));
    }
  }
  const label = resumed?.data.meta.envId ?? flags.env;
  if (label === undefined && !fleetOpts) throw new InvalidArgument(formatError('lamkit train --env', 'a registered task id', 'nothing', 'Pass e.g. --env CartPole-v1 (see `lamkit envs`)'));
  const outDir = resolve(flags.out ?? (flags.resume !== undefined ? flags.resume : ''));
  if (flags.out === undefined && flags.resume === undefined) {
    throw new InvalidArgument(formatError('lamkit train --out', 'an output directory', 'nothing', 'Pass e.g. --out runs/cartpole'));
  }

  // Robots: connect them first (their spaces decide the network); a task: probe it.
  let fleet: RobotFleet | null = null;
  let envId: string;
  let discrete: boolean;
  if (fleetOpts) {
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
    // Discrete or continuous actions pick the default table row.
    const probe = await lib.makeAsync(envId);
    discrete = !(probe.actionSpace instanceof lib.Box);
    probe.close();
  }
  try {
    return await trainOn(lib, flags, { algo, envId, discrete, fleet, resumed, from, policy, userConfig: algoConfig, seedFlag, totalFlag, numEnvsFlag: fleetOpts?.count ?? numEnvsFlag, outDir }, log);
  } finally {
    await fleet?.close();
  }
}

interface TrainPlan {
  algo: Trainer;
  envId: string;
  discrete: boolean;
  fleet: RobotFleet | null;
  resumed: ReturnType<Lib['readCheckpoint']> | null;
  from: CheckpointData | null;
  policy: Record<string, unknown> | undefined;
  userConfig: Record<string, unknown>;
  seedFlag: number | undefined;
  totalFlag: number | undefined;
  numEnvsFlag: number | undefined;
  outDir: string;
}

type Lib = typeof import('../../index.js');
type Trainer = import('../../../agents/algos/trainer.js').Trainer;
type CheckpointData = import('../../../agents/checkpoint/save-checkpoint.js').CheckpointData;

/** Resolves the config, builds the vector env (unless robots give it) and runs the trainer with the run outputs listening. */
async function trainOn(lib: Lib, flags: TrainFlags, plan: TrainPlan, log: (line: string) => void): Promise<TrainOutcome> {
  const { algo, envId, discrete, fleet, resumed, userConfig, seedFlag, totalFlag, numEnvsFlag, outDir } = plan;
  const config = resumed
    ? algo.resumeConfig(resumed.data, totalFlag, 'lamkit train --resume')
    : algo.resolveConfig(
        {
          ...algo.defaults(envId, discrete),
          ...userConfig,
          seed: seedFlag ?? (userConfig.seed as number | undefined) ?? 1,
          totalSteps: totalFlag ?? (userConfig.totalSteps as number | undefined) ?? 100_000,
          ...(numEnvsFlag !== undefined ? { numEnvs: numEnvsFlag } : {}),
        },
        'lamkit train --config',
      );

  mkdirSync(outDir, { recursive: true });
  const checkpointDir = join(outDir, 'checkpoint');
  const backend = await lib.initBackend();
  const vec = fleet ? fleet.vec : await lib.makeVec(envId, { numEnvs: config.numEnvs, vectorizationMode: flags.vectorization as 'sync' | 'async' });
  const metrics = new lib.MetricStream();
  const startStep = typeof resumed?.data.algo.state.globalStep === 'number' ? resumed.data.algo.state.globalStep : 0;
  // metrics.jsonl, the progress bar and (at the end) summary.json, config.json, learning-curve.svg.
  const outputs = lib.RunOutputs.open(outDir, { metrics, totalSteps: algo.endStep(config), startStep, label: `${envId} ${algo.name}`, progress: flags.progress });
  // Ctrl-C: finish the current update, save the checkpoint, write the report.
  let interrupted = false;
  let failure = '';
  const onSignal = (): void => {
    interrupted = true;
    process.stderr.write('\nlamkit train: stopping after this update (checkpoint follows)\n');
  };
  process.once('SIGINT', onSignal);
  try {
    const result = await algo.run({
      vec,
      config,
      policy: plan.policy,
      from: plan.from,
      resume: resumed?.data ?? null,
      metrics,
      meta: { envId, observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: backend.name },
      save: (data) => lib.saveCheckpoint(checkpointDir, data),
      stop: () => interrupted,
      recoverable: (err) => {
        if (!(fleet !== null && err instanceof lib.BridgeProtocolError)) return false;
        failure = err.name;
        return true;
      },
      log: (line) => log(`lamkit train: a robot failed (${failure}); ${line} to ${checkpointDir}; continue with --resume ${outDir} --robots ${vec.numEnvs}`),
    });
    metrics.complete();
    const summary = outputs.finish({ envId, algo: algo.name, config, backend: backend.name, result, resumedFrom: resumed?.dir ?? null });
    return { outDir, checkpointDir, globalStep: result.globalStep, summary, ...(fleet ? { robotIds: fleet.robotIds } : {}) };
  } catch (err) {
    outputs.close();
    metrics.error(err);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    outputs.close();
    await vec.close();
  }
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
  program
    .command('train')
    .description('Train a policy from the env reward (PPO) on a registered task, or on robots that connect over WebSocket (--robots)')
    .option('--env <id>', 'task id, e.g. CartPole-v1 (see `lamkit envs`); with --robots, an optional label: the task the robots run')
    .option('--algo <name>', 'a registered trainer that learns from the reward (ppo)', 'ppo')
    .option('--policy-kind <kind>', 'the network to build: mlp (default), window-mlp (see docs/extending.md)')
    .option('--from <checkpoint>', 'start from the network (and observation statistics) of this checkpoint')
    .option('--seed <n>', 'seed of the run (default 1)')
    .option('--total-steps <n>', 'env steps to train for (default 100000)')
    .option('--num-envs <n>', "parallel sub-envs (default: the task's tuned value)")
    .option('--out <dir>', 'output directory (checkpoint/, metrics.jsonl, summary.json, learning-curve.svg)')
    .option('--config <json>', 'algorithm config overrides, plus an optional "policy" object: inline JSON or a JSON file (PPO fields: agents/algos/ppo/ppo-config.ts)')
    .option('--resume <dir>', 'continue the run saved in this directory')
    .option('--vectorization <mode>', 'sync (one thread) or async (worker threads)', 'sync')
    .option('--no-progress', 'do not draw the progress bar')
    .option('--robots <n>', 'train on n robots that connect over WebSocket (lamkit sim-robot or RobotClient) instead of a simulated task')
    .option('--port <p>', 'with --robots: port of the bridge server (default 8765)')
    .option('--host <addr>', 'with --robots: interface to bind (default 127.0.0.1; 0.0.0.0 for the network)')
    .option('--token <t>', 'with --robots: shared secret robots must present (default: $LAMKIT_TOKEN)')
    .option('--step-timeout-ms <ms>', 'with --robots: a step fails when a robot does not answer within this (default 1000)')
    .option('--wait-ms <ms>', `with --robots: how long to wait for all robots to connect (default ${DEFAULT_ROBOT_WAIT_MS})`)
    .action(async (flags: TrainFlags) => {
      const outcome = await runTrain(flags, { log: (line) => process.stdout.write(line + '\n') });
      const s = outcome.summary as { finalMeanReturn20?: number | null; wallSeconds?: number };
      process.stdout.write(`lamkit train: ${outcome.globalStep} steps in ${s.wallSeconds?.toFixed(1)} s; mean return (last 20 episodes) ${s.finalMeanReturn20?.toFixed(2) ?? '-'}; outputs in ${outcome.outDir}\n`);
    });
}

