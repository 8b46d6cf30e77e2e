/**
 * Like-for-like PPO against CleanRL: `npm run bench:ppo -- --preset cleanrl`
 * trains lamkit's PPO with exactly the hyperparameters of CleanRL's
 * `ppo.py` (CartPole-v1) and `ppo_continuous_action.py` (InvertedPendulum,
 * Reacher), so steps-to-goal and SPS compare implementation against
 * implementation; the tuned per-task defaults run beside them (`--no-tuned`
 * skips them). References come from docs/references.md.
 *
 *   npm run bench:ppo -- --preset cleanrl [--envs CartPole-v1,InvertedPendulum-v5,Reacher-v5] [--seeds 1] [--quick] [--no-tuned] [--full]
 *
 * CartPole stops at the goal (mean20 >= 475) unless `--full`; the
 * continuous tasks train their whole budget (CleanRL's figures are returns
 * at 1M steps). `--quick`: 100k-step budgets. Writes
 * bench/results/ppo-preset-cleanrl.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { PPO_BASE_DEFAULTS, PPO_DISCRETE_DEFAULTS } from '../agents/algos/ppo/task-defaults.js';
import { goalRun, goalRunOptions, type GoalRun } from './ppo-goal-run.js';
import { reference, referenceText, ratioToReference, type Reference } from './references.js';

/** A task of the like-for-like comparison. */
interface PresetTask {
  /** CleanRL's script whose defaults are used. */
  script: 'ppo.py' | 'ppo_continuous_action.py';
  discrete: boolean;
  /** CleanRL's `total_timesteps` default. */
  totalSteps: number;
  /** Budget of the tuned run beside it (the one `bench:ppo` / `bench:ppo-continuous` use: LR annealing depends on it). */
  tunedSteps: number;
  /** Mean of the last 20 training returns that counts as solved. */
  goal: number;
  /** Train the whole budget (the reference is a return at the end) or stop at the goal. */
  full: boolean;
  /** docs/references.md ids printed beside the results. */
  references: string[];
}

export const CLEANRL_TASKS: Record<string, PresetTask> = {
  'CartPole-v1': { script: 'ppo.py', discrete: true, totalSteps: 500_000, tunedSteps: 100_000, goal: 475, full: false, references: ['cleanrl.ppo.cartpole.steps-to-475', 'cleanrl.ppo.cartpole.wall-to-475', 'cleanrl.ppo.cartpole.sps'] },
  'InvertedPendulum-v5': { script: 'ppo_continuous_action.py', discrete: false, totalSteps: 1_000_000, tunedSteps: 1_000_000, goal: 990, full: true, references: ['cleanrl.ppo-continuous.inverted-pendulum.return-1m'] },
  'Reacher-v5': { script: 'ppo_continuous_action.py', discrete: false, totalSteps: 1_000_000, tunedSteps: 1_000_000, goal: -4.5, full: true, references: ['tianshou.ppo.reacher.return-1m'] },
};

/**
 * CleanRL's defaults as a full lamkit PPO config (every field, so no tuned
 * value leaks in): `ppo_continuous_action.py`'s (PPO_BASE_DEFAULTS), plus
 * `ppo.py`'s overrides for discrete actions (PPO_DISCRETE_DEFAULTS). The
 * network is lamkit's default mlp: 64x64 tanh, separate actor and critic,
 * orthogonal init, log-std 0, as CleanRL's `Agent`.
 */
export function cleanrlConfig(discrete: boolean): Record<string, unknown> {
  return { ...PPO_BASE_DEFAULTS, ...(discrete ? PPO_DISCRETE_DEFAULTS : {}) };
}

/** One preset run as written to JSON. */
interface PresetRun extends GoalRun {
  preset: 'cleanrl' | 'tuned';
  stepsPerSecond: number;
}

/** Runs the like-for-like comparison (see the module note). */
export async function presetBench(args: Map<string, string>): Promise<void> {
  if (args.get('preset') !== 'cleanrl') throw new Error(`bench/ppo-presets: --preset must be cleanrl, got ${args.get('preset')}`);
  const envs = (args.get('envs') ?? Object.keys(CLEANRL_TASKS).join(',')).split(',');
  const seeds = (args.get('seeds') ?? '1').split(',').map(Number);
  const quick = args.has('quick');
  const runs: PresetRun[] = [];
  for (const envId of envs) {
    const task = CLEANRL_TASKS[envId];
    if (!task) throw new Error(`bench/ppo-presets: --envs must be among ${Object.keys(CLEANRL_TASKS).join(', ')}, got ${envId}`);
    const stopAtGoal = !(task.full || args.has('full'));
    for (const preset of args.has('no-tuned') ? (['cleanrl'] as const) : (['cleanrl', 'tuned'] as const)) {
      for (const seed of seeds) {
        const overrides = preset === 'cleanrl' ? cleanrlConfig(task.discrete) : {};
        const totalSteps = Number(args.get('total-steps') ?? (quick ? 100_000 : preset === 'cleanrl' ? task.totalSteps : task.tunedSteps));
        const r = await goalRun(envId, seed, totalSteps, task.goal, stopAtGoal, overrides, goalRunOptions(args));
        const run: PresetRun = { ...r, preset, stepsPerSecond: r.stepsRun / r.wallSeconds };
        runs.push(run);
        const reached = r.stepsToGoal === null ? `not reached in ${r.stepsRun} steps` : `at ${r.stepsToGoal} steps, ${r.wallSecondsToGoal?.toFixed(1)} s`;
        console.log(`${envId} ${preset === 'cleanrl' ? `CleanRL ${task.script} hyperparameters` : 'lamkit tuned defaults'} seed ${seed}: mean20 >= ${task.goal} ${reached}; final mean20 ${r.finalMean20.toFixed(2)} after ${r.stepsRun} steps; ${run.stepsPerSecond.toFixed(0)} SPS | load ${r.loadAvg1mStart.toFixed(1)}->${r.loadAvg1mEnd.toFixed(1)}`);
      }
    }
    for (const id of task.references) printReference(reference(id), runs.filter((r) => r.envId === envId && r.preset === 'cleanrl'));
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/ppo-preset-cleanrl.json', JSON.stringify({ preset: 'cleanrl', quick, references: Object.fromEntries(envs.flatMap((e) => CLEANRL_TASKS[e].references.map((id) => [id, reference(id)]))), runs }, null, 2));
}

/** One line: the reference (with its source) beside lamkit's figure under the same hyperparameters. */
function printReference(ref: Reference, runs: PresetRun[]): void {
  const mean = (xs: Array<number | null>): number | null => (xs.every((x) => x !== null) && xs.length ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : null);
  const measured = ref.id.endsWith('steps-to-475') ? mean(runs.map((r) => r.stepsToGoal)) : ref.id.endsWith('wall-to-475') ? mean(runs.map((r) => r.wallSecondsToGoal)) : ref.id.endsWith('.sps') ? mean(runs.map((r) => r.stepsPerSecond)) : mean(runs.map((r) => r.finalMean20));
  const ratio = measured === null ? null : ratioToReference(measured, ref);
  console.log(`  reference ${ref.id}: ${referenceText(ref)} (${ref.source}) | lamkit, same hyperparameters: ${measured === null ? 'not reached' : measured.toFixed(measured > 100 ? 0 : 2)}${ratio === null ? '' : ` (ratio ${ratio.toFixed(2)}; above 1: better than the reference)`}`);
}
