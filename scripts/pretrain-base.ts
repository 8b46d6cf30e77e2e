/**
 * `npm run pretrain:base`: rebuilds `lamkit-base`, the pretrained checkpoint
 * shipped in assets/lamkit-base, with lamkit's own commands, in one process:
 *
 * 1. `lamkit train` PPO on CartPole-v1 (the only classic task whose expert
 *    is quick to train here; the arm tasks have scripted experts);
 * 2. `lamkit record` of expert, noisy-expert and random play on CartPole-v1,
 *    Pendulum-v1, Reacher-v5, InvertedPendulum-v5, ArmReach-v0 and
 *    ArmPushDisc-v0 (ArmPush-v0 is held out: it is the adaptation target);
 * 3. `lamkit pretrain` on all of it (T=20, d=128, 4 heads, 2 layers, action
 *    chunks of 8 steps);
 * 4. copies the run's checkpoint to assets/lamkit-base and writes
 *    assets/lamkit-base/recipe.json (the recipe, seeds, wall times, losses).
 *
 * Flags: `--work <dir>` (default runs/lamkit-base; replaced), `--max-steps <n>`
 * (default 4000), `--dest <dir>` (default assets/lamkit-base; replaced),
 * `--quick` (a tiny version for checking the script).
 * The recipe and figures are in docs/lamkit-base.md.
 */
import { renameSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTrain } from '../src/cli/commands/train.js';
import { runRecord } from '../src/cli/commands/record.js';
import { runPretrain } from '../src/cli/commands/pretrain.js';
import { readCheckpoint } from '../agents/checkpoint/read-checkpoint.js';
import { saveCheckpoint } from '../agents/checkpoint/save-checkpoint.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = resolve(flag('--work') ?? join(root, 'runs', 'lamkit-base'));
const maxSteps = flag('--max-steps') ?? (quick ? '20' : '4000');
const q = (n: number): string => String(quick ? Math.max(1, Math.ceil(n / 10)) : n);

/** Every source of data: `lamkit record --env <env> --policy <policy> --episodes <n> --seed <seed> [--action-noise s] [--epsilon p] [--stochastic] --out <work>/data/<env>`. */
const RECIPE = [
  { env: 'CartPole-v1', policy: 'ppo', episodes: q(6), seed: '100', epsilon: '0.1', stochastic: true },
  { env: 'CartPole-v1', policy: 'random', episodes: q(60), seed: '200' },
  { env: 'Pendulum-v1', policy: 'random', episodes: q(10), seed: '300' },
  { env: 'Reacher-v5', policy: 'random', episodes: q(40), seed: '400' },
  { env: 'InvertedPendulum-v5', policy: 'random', episodes: q(150), seed: '500' },
  // Perturbed play first: a dataset with an action.executed column takes clean episodes after it, not the other way round.
  { env: 'ArmReach-v0', policy: 'expert', episodes: q(30), seed: '700', actionNoise: '0.3' },
  { env: 'ArmReach-v0', policy: 'expert', episodes: q(60), seed: '600' },
  { env: 'ArmReach-v0', policy: 'random', episodes: q(10), seed: '800' },
  // The related pushing task (a larger, heavier disc in another part of the table); ArmPush-v0 itself stays held out.
  { env: 'ArmPushDisc-v0', policy: 'expert', episodes: q(80), seed: '1100', actionNoise: '0.3' },
  { env: 'ArmPushDisc-v0', policy: 'expert', episodes: q(240), seed: '1000' },
] as const;

/** Architecture over `lamkit pretrain`'s default (T=20, d=128, 4 heads, 2 layers): action chunking of 8 steps, as bench:adapt's transformer, and its initial log-std. */
const ARCH = { chunk: 8, logStdInit: -1 };
/** Tasks drawn in proportion to sqrt(training steps): the long arm recordings get more batches than the short classic ones. */
const TASK_SAMPLING_POWER = 0.5;

const t0 = performance.now();
const secs = (t: number): number => Math.round((performance.now() - t) / 100) / 10;
const say = (line: string): void => void process.stdout.write(`pretrain:base [${secs(t0)} s] ${line}\n`);
rmSync(work, { recursive: true, force: true });

const tPpo = performance.now();
const ppoOut = join(work, 'ppo-cartpole');
await runTrain({ env: 'CartPole-v1', algo: 'ppo', seed: '1', totalSteps: quick ? '4000' : '40000', out: ppoOut, vectorization: 'sync', progress: false } as Parameters<typeof runTrain>[0]);
const ppoSeconds = secs(tPpo);
say(`PPO CartPole-v1 (seed 1) in ${ppoSeconds} s`);

const tRec = performance.now();
const recorded: Array<Record<string, unknown>> = [];
for (const r of RECIPE) {
  const out = join(work, 'data', r.env);
  const o = await runRecord({
    env: r.env,
    policy: r.policy === 'ppo' ? ppoOut : r.policy,
    episodes: r.episodes,
    seed: r.seed,
    out,
    progress: false,
    ...('epsilon' in r ? { epsilon: r.epsilon } : {}),
    ...('actionNoise' in r ? { actionNoise: r.actionNoise } : {}),
    ...('stochastic' in r ? { stochastic: r.stochastic } : {}),
  });
  recorded.push({ ...r, frames: o.frames, meanReturn: o.meanReturn, successRate: o.successRate });
  say(`recorded ${r.episodes} episodes of ${r.env} (${r.policy}${'actionNoise' in r ? `, action noise ${r.actionNoise}` : ''}${'epsilon' in r ? `, epsilon ${r.epsilon}` : ''})`);
}
const recordSeconds = secs(tRec);

const tPre = performance.now();
const envs = [...new Set(RECIPE.map((r) => r.env))];
const run = join(work, 'run');
const o = await runPretrain({ data: envs.map((e) => join(work, 'data', e)), out: run, seed: '1', maxSteps, checkpointEvery: '100', progress: process.stderr.isTTY, config: JSON.stringify({ evalEvery: 100, warmupSteps: quick ? 5 : 100, taskSamplingPower: TASK_SAMPLING_POWER, policy: ARCH }) }, say);
const pretrainSeconds = secs(tPre);
say(`pretrained ${o.steps} steps in ${pretrainSeconds} s: loss ${o.first?.total.toFixed(4)} -> ${o.last?.total.toFixed(4)}; validation ${o.validation?.total.toFixed(4)}`);

const dest = resolve(flag('--dest') ?? join(root, 'assets', 'lamkit-base'));
const tmp = `${dest}.tmp`;
rmSync(tmp, { recursive: true, force: true });
// The shipped copy leaves the optimizer moments out (2x the weights; only --resume needs them, and the run keeps them).
const full = readCheckpoint(o.checkpointDir).data;
saveCheckpoint(tmp, { ...full, algo: { ...full.algo, optimizer: null } });
const recipe = {
  command: 'npm run pretrain:base',
  heldOut: 'ArmPush-v0',
  ppo: { env: 'CartPole-v1', seed: 1, totalSteps: quick ? 4000 : 40000, wallSeconds: ppoSeconds },
  record: recorded,
  recordWallSeconds: recordSeconds,
  pretrain: { seed: 1, steps: o.steps, policy: ARCH, taskSamplingPower: TASK_SAMPLING_POWER, wallSeconds: pretrainSeconds, tasks: o.tasks.map((t) => ({ signature: t.signature, trainSteps: t.trainSteps })), params: o.totalParams, firstLoss: o.first, lastLoss: o.last, validation: o.validation },
  totalWallSeconds: secs(t0),
  loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10),
};
writeFileSync(join(tmp, 'recipe.json'), JSON.stringify(recipe, null, 2) + '\n');
rmSync(dest, { recursive: true, force: true });
renameSync(tmp, dest);
const bytes = readdirSync(dest).reduce((a, f) => a + statSync(join(dest, f)).size, 0);
say(`assets/lamkit-base: ${(bytes / 1e6).toFixed(2)} MB; total ${secs(t0)} s`);
