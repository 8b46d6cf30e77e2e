import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { AsyncEnv, Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import { Rng } from '../../core/rng.js';
import { allocateActions } from '../../core/vector-env.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag, parseConfigFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { formatRate } from '../../run/progress-reporter.js';

/** Flags of `lamkit record`. */
export interface RecordFlags {
  env: string;
  policy: string;
  episodes: string;
  seed: string;
  out: string;
  task?: string;
  actionNoise?: string;
  epsilon?: string;
  fps?: string;
  stochastic?: boolean;
  progress?: boolean;
  /** `false` (`--no-images`): no camera images even when the task has a camera (LangReach-v0). */
  images?: boolean;
  imageSize?: string;
  /** With `--policy expert`: options of the task's scripted expert (JSON), e.g. `{"lookFirst": true}` for LangReach's. */
  expertOptions?: string;
}

/** What `lamkit record` did. */
export interface RecordOutcome {
  envId: string;
  out: string;
  episodes: number;
  frames: number;
  totalEpisodes: number;
  totalFrames: number;
  meanReturn: number;
  stdReturn: number;
  successRate: number | null;
  interrupted: boolean;
}

/**
 * Records `--episodes` episodes of `--env` acted by `--policy` (`expert`:
 * the task's scripted expert; `random`: uniform actions from a seeded Rng;
 * else a checkpoint directory) into the LeRobot v3.0 dataset `--out`
 * (appended to when it exists with the same spaces). Ctrl-C stops after
 * the current step; finished episodes are committed.
 */
export async function runRecord(flags: RecordFlags): Promise<RecordOutcome> {
  const episodes = parseIntFlag('lamkit record --episodes', flags.episodes, 1, '10') as number;
  const seed = parseIntFlag('lamkit record --seed', flags.seed, 0, '0') as number;
  const fps = parseIntFlag('lamkit record --fps', flags.fps, 1, '25');
  const actionNoiseStd = parseFraction('lamkit record --action-noise', flags.actionNoise, Infinity, '0.1');
  const epsilon = parseFraction('lamkit record --epsilon', flags.epsilon, 1, '0.1');
  const imageSize = parseIntFlag('lamkit record --image-size', flags.imageSize, 8, '64') ?? 64;
  const expertOptions = parseConfigFlag(flags.expertOptions, 'lamkit record --expert-options', `--expert-options '{"lookFirst":true}'`);
  if (flags.expertOptions !== undefined && flags.policy !== 'expert') {
    throw new InvalidArgument(formatError('lamkit record --expert-options', 'options of the scripted expert, with --policy expert', `--policy ${describeValue(flags.policy)}`, 'Pass --policy expert, or drop --expert-options'));
  }
  const lib = await import('../../index.js');
  let env: Env<unknown, unknown> | AsyncEnv<unknown, unknown> = await lib.makeAsync(flags.env);
  // A task with a camera (LangReach-v0: imageCamera) records its images: rendered after every step by the batched renderer.
  if (flags.images !== false && (env.unwrapped as { imageCamera?: unknown }).imageCamera !== undefined) {
    env.close();
    env = await lib.makeImageEnv(flags.env, { width: imageSize, height: imageSize });
  }
  let policy: Policy | undefined;
  const interrupt = onInterrupt({ command: 'lamkit record', stopping: 'stopping after this step; finished episodes are committed', resumeHint: () => `lamkit record --env ${flags.env} --out ${flags.out} ... (appends)` });
  let bar: cliProgress.SingleBar | null = null;
  try {
    policy = await resolvePolicy(flags.policy, flags.env, env as Env<unknown, unknown>, seed, expertOptions);
    const returns: number[] = [];
    let successes = 0;
    let reported = 0;
    if (flags.progress !== false) {
      bar = new cliProgress.SingleBar({ stream: process.stderr, format: `lamkit record ${flags.env} [{bar}] {value}/{total} episodes | return {ret} | success {succ} | {fps} steps/s`, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: false }, cliProgress.Presets.shades_classic);
      bar.start(episodes, 0, { ret: '-', succ: '-', fps: '-' });
    }
    const started = performance.now();
    const result = await lib.recordEpisodes(policy, env, {
      out: flags.out,
      episodes,
      seed,
      envId: flags.env,
      task: flags.task,
      fps,
      deterministic: !flags.stochastic,
      actionNoiseStd,
      epsilon,
      // A task may name its discrete actions (CommandAvatar-v0: none, left, ...): the dataset's class names.
      actionNames: (env as { unwrapped?: { actionNames?: readonly string[] } }).unwrapped?.actionNames,
      signal: interrupt.signal,
      onEpisode: (o, _index, steps) => {
        returns.push(o.return);
        if (o.success !== null) (reported++, (successes += o.success ? 1 : 0));
        bar?.update(returns.length, {
          ret: (returns.reduce((a, b) => a + b, 0) / returns.length).toFixed(2),
          succ: reported > 0 ? `${((100 * successes) / reported).toFixed(0)}%` : '-',
          fps: formatRate(steps / ((performance.now() - started) / 1000)),
        });
      },
    });
    bar?.stop();
    bar = null;
    const n = returns.length;
    const mean = n > 0 ? returns.reduce((a, b) => a + b, 0) / n : NaN;
    const std = n > 0 ? Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : NaN;
    return {
      envId: flags.env,
      out: flags.out,
      episodes: n,
      frames: result.episodes.reduce((s, e) => s + e.length, 0),
      totalEpisodes: result.totalEpisodes,
      totalFrames: result.totalFrames,
      meanReturn: mean,
      stdReturn: std,
      successRate: reported > 0 ? successes / reported : null,
      interrupted: interrupt.requested,
    };
  } finally {
    bar?.stop();
    interrupt.dispose();
    policy?.dispose?.();
    await env.close();
  }
}

function parseFraction(flag: string, text: string | undefined, max: number, example: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > max) {
    throw new InvalidArgument(formatError(flag, `a number in [0, ${max === Infinity ? 'inf' : max}]`, describeValue(text), `Pass e.g. ${flag.split(' ').pop()} ${example}`));
  }
  return v;
}

/** `expert`, `random`, or a checkpoint trained on `envId`. */
async function resolvePolicy(source: string, envId: string, env: Env<unknown, unknown>, seed: number, expertOptions: Record<string, unknown>): Promise<Policy> {
  if (source === 'random') return randomPolicy(env, new Rng(seed));
  if (source === 'expert') {
    const { expertFactory } = await import('./experts.js');
    return (await expertFactory(envId, 'lamkit record --policy expert', 'Pass --policy random or a checkpoint', expertOptions, 'lamkit record --expert-options'))(env);
  }
  const { loadPolicy } = await import('../../index.js');
  const policy = await loadPolicy(source, { seed });
  if (policy.envId !== envId) {
    policy.dispose?.();
    throw new InvalidArgument(formatError('lamkit record --policy', `a checkpoint trained on ${envId}`, `one trained on ${policy.envId} (${policy.checkpointDir})`, `Pass --env ${policy.envId}, or a checkpoint of ${envId}`));
  }
  return policy;
}

/** Uniform random actions with a seeded Rng, as a Policy. */
function randomPolicy(env: Env<unknown, unknown>, rng: Rng): Policy {
  const batch = allocateActions(env.actionSpace, 1);
  return {
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    act: () => {
      const a = env.actionSpace.sample(rng);
      if (typeof a === 'number') batch[0] = a;
      else batch.set(a as ArrayLike<number>);
      return batch;
    },
  };
}

/** Registers `lamkit record`. */
export function register(program: Command): void {
  program
    .command('record')
    .description('Record episodes of a policy into a LeRobot v3.0 dataset (appends to an existing one of the same spaces)')
    .requiredOption('--env <id>', 'registered task id, e.g. ArmReach-v0')
    .requiredOption('--out <dir>', 'dataset directory (created, or appended to)')
    .option('--policy <expert|random|checkpoint>', "who acts: the task's scripted expert, uniform random actions, or a checkpoint directory", 'expert')
    .option('--episodes <n>', 'episodes to record', '10')
    .option('--seed <n>', 'seed of the first episode (episode k uses seed + k) and of the noise', '0')
    .option('--task <text>', 'the task in words (meta/tasks.parquet); default: the env id')
    .option('--action-noise <std>', 'Gaussian noise std added to executed Box actions; the recorded action stays clean (action.executed holds the executed one)')
    .option('--epsilon <p>', 'probability of executing a random action instead (recorded as action.executed)')
    .option('--fps <n>', 'frames per second (default: 1 / the env dt)')
    .option('--stochastic', "sample the policy's actions instead of taking the mode")
    .option('--no-images', 'no camera images, even for a task with a camera (LangReach-v0 records image, instruction and state by default)')
    .option('--image-size <px>', 'camera image width and height in pixels, for tasks with a camera', '64')
    .option('--expert-options <json>', 'with --policy expert: options of the scripted expert, inline JSON or a file, e.g. \'{"lookFirst": true}\' (LangReach: move clear of the camera first; lookIfHidden: only while the target is hidden)')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: RecordFlags) => {
      const r = await runRecord(flags);
      const success = r.successRate === null ? '' : `; success rate ${(100 * r.successRate).toFixed(1)}%`;
      const stopped = r.interrupted ? ' (stopped by Ctrl-C)' : '';
      process.stdout.write(`lamkit record: ${r.envId}, ${r.episodes} episodes (${r.frames} frames)${stopped}: return ${r.meanReturn.toFixed(2)} ± ${r.stdReturn.toFixed(2)}${success}; ${r.out} now has ${r.totalEpisodes} episodes, ${r.totalFrames} frames\n`);
      if (r.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
    });
}
