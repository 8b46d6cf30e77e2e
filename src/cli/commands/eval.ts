import { basename } from 'node:path';
import type { Command } from 'commander';
import { parseIntFlag, parseEnvKwargsFlag } from '../flags.js';
import { makePolicyEnv } from '../policy-env.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';

/** Flags of `lamkit eval`. */
export interface EvalFlags {
  checkpoint: string;
  episodes: string;
  seed: string;
  stochastic?: boolean;
  /** Folder to write one video per evaluated episode to. */
  video?: string;
  /** `<width>x<height>` of the videos, even pixels. Default 480x480. */
  videoSize?: string;
  /** Task options (`make`'s kwargs), inline JSON or a file; default: the task as registered. */
  envKwargs?: string;
}

/** What `lamkit eval` measured. */
export interface EvalOutcome {
  envId: string;
  episodes: number;
  returns: number[];
  lengths: number[];
  meanReturn: number;
  stdReturn: number;
  /** Fraction of episodes whose last step reported `info.isSuccess`, or null when the task never reports it. */
  successRate: number | null;
  /** Paths of the videos written (`--video`), one per episode; empty without `--video`. */
  videos: string[];
}

/**
 * Runs a checkpoint's policy for `--episodes` episodes of its task (episode
 * k reset with seed `--seed + k`), deterministic actions unless
 * `--stochastic`, and reports mean +- std return (population std, as SB3's
 * `evaluate_policy`) and the success rate when the task reports `isSuccess`.
 */
export async function runEval(flags: EvalFlags): Promise<EvalOutcome> {
  const episodes = parseIntFlag('lamkit eval --episodes', flags.episodes, 1, '10') as number;
  const seed = parseIntFlag('lamkit eval --seed', flags.seed, 0, '0') as number;
  const videoSize = flags.video === undefined ? null : parseVideoSize(flags.videoSize);
  const kwargs = parseEnvKwargsFlag(flags.envKwargs, 'lamkit eval --env-kwargs');
  const lib = await import('../../index.js');
  const policy = await lib.loadPolicy(flags.checkpoint, { seed });
  try {
    // A policy that sees a camera image (trained on a LangReach-v0 recording with images) is evaluated with the image env.
    const env = await makePolicyEnv(lib, policy.envId, policy.observationSpace, kwargs);
    // --video: every evaluated episode is filmed (RecordVideo at the async layer; frames drawn and encoded in Chromium).
    let recorder: InstanceType<typeof lib.RecordVideo> | null = null;
    try {
      if (flags.video !== undefined && videoSize) {
        const unwrapped = (env as { unwrapped?: unknown }).unwrapped;
        if (!(unwrapped instanceof lib.MujocoEnv)) {
          throw new InvalidArgument(formatError('lamkit eval --video', 'a task with a MuJoCo scene to film (e.g. ArmReach-v0, Reacher-v5)', `${policy.envId}, which has none`, 'Evaluate it without --video'));
        }
        const capture = new lib.SceneVideoCapture(unwrapped.world, videoSize);
        recorder = new lib.RecordVideo(env, { videoFolder: flags.video, capture, episodeTrigger: () => true, namePrefix: policy.envId });
      }
      const ev = await lib.evaluatePolicy(policy, recorder ?? env, { episodes, seed, deterministic: !flags.stochastic });
      if (recorder) await recorder.close();
      const videos = recorder ? [...recorder.videos] : [];
      return { envId: policy.envId, episodes, returns: ev.returns, lengths: ev.lengths, meanReturn: ev.meanReturn, stdReturn: ev.stdReturn, successRate: ev.successRate, videos };
    } finally {
      if (recorder) await recorder.close();
      else await env.close();
    }
  } finally {
    policy.dispose?.();
  }
}

/** `--video-size` as `{ width, height }`: two even integers `<w>x<h>` in [2, 4096]. */
function parseVideoSize(text: string | undefined): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text ?? '480x480');
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (![width, height].every((v) => Number.isInteger(v) && v >= 2 && v <= 4096 && v % 2 === 0)) {
    throw new InvalidArgument(formatError('lamkit eval --video-size', '<width>x<height> in even pixels from 2 to 4096', describeValue(text), 'Pass e.g. --video-size 480x480'));
  }
  return { width, height };
}

/** Registers `lamkit eval`. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('Evaluate a trained checkpoint on its task')
    .requiredOption('--checkpoint <dir>', 'a `lamkit train --out` directory or its checkpoint/ subdirectory')
    .option('--episodes <n>', 'episodes to run', '10')
    .option('--seed <n>', 'seed of the first episode (episode k uses seed + k)', '0')
    .option('--stochastic', 'sample actions instead of taking the distribution mode')
    .option('--video <dir>', 'write a video of every episode to <dir> (<env>-episode-<k>.mp4, or .webm; drawn with three.js in headless Chromium)')
    .option('--video-size <WxH>', 'video frame size in even pixels', '480x480')
    .option('--env-kwargs <json>', "task options, inline JSON or a JSON file (e.g. the training run's lamkit train --env-kwargs; default: the task as registered)")
    .action(async (flags: EvalFlags) => {
      const r = await runEval(flags);
      const success = r.successRate === null ? '' : `; success rate ${(100 * r.successRate).toFixed(1)}%`;
      process.stdout.write(`lamkit eval: ${r.envId}, ${r.episodes} episodes: return ${r.meanReturn.toFixed(2)} ± ${r.stdReturn.toFixed(2)}${success}\n`);
      if (r.videos.length > 0) process.stdout.write(`lamkit eval: ${r.videos.length} video${r.videos.length === 1 ? '' : 's'} in ${flags.video}: ${r.videos.map((v) => basename(v)).join(', ')}\n`);
    });
}
