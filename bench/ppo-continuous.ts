/**
 * PPO on the continuous-control tasks against the targets:
 *   Pendulum-v1 mean return > -200 by 200k steps;
 *   InvertedPendulum-v5 >= 990 at 1M;
 *   Reacher-v5 >= -4.5 at 1M.
 * The reference figures printed beside them come from docs/references.md
 * (each with its source and task version).
 * "Mean return" = mean of the last 20 training episodes (stochastic policy).
 *
 *   node --import tsx bench/ppo-continuous.ts --env Pendulum-v1 [--seeds 1] [--total-steps N] [--full] [--vectorization async]
 *     [--policy '{"kind":"window-mlp","window":2}'] [--gradient autodiff]
 *
 * Stops at the goal unless `--full`. Writes bench/results/ppo-<env>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { goalRun, goalRunOptions, benchArgs, type GoalRun } from './ppo-goal-run.js';
import { reference, referenceText } from './references.js';

/** Per task: the goal, the budget and the reference ids of docs/references.md. */
const TARGETS: Record<string, { goal: number; steps: number; references: string[] }> = {
  'Pendulum-v1': { goal: -200, steps: 200_000, references: ['rl-zoo.ppo.pendulum.return-100k'] },
  'InvertedPendulum-v5': { goal: 990, steps: 1_000_000, references: ['cleanrl.ppo-continuous.inverted-pendulum.return-1m'] },
  'Reacher-v5': { goal: -4.5, steps: 1_000_000, references: ['tianshou.ppo.reacher.return-1m'] },
};

const args = benchArgs(process.argv.slice(2));
const envId = args.get('env') ?? 'Pendulum-v1';
const target = TARGETS[envId];
if (!target) throw new Error(`bench/ppo-continuous: --env must be one of ${Object.keys(TARGETS).join(', ')}, got ${envId}`);
const seeds = (args.get('seeds') ?? '1').split(',').map(Number);
const totalSteps = Number(args.get('total-steps') ?? target.steps);
const options = goalRunOptions(args);
const referenceLine = target.references.map((id) => { const r = reference(id); return `${r.figure}: ${referenceText(r)}`; }).join('; ');
const overrides = args.has('config') ? (JSON.parse(args.get('config') as string) as Record<string, unknown>) : {};

const runs: GoalRun[] = [];
for (const seed of seeds) {
  const r = await goalRun(envId, seed, totalSteps, target.goal, !args.has('full'), overrides, options);
  runs.push(r);
  const reached = r.stepsToGoal === null ? `not reached in ${r.stepsRun} steps` : `reached at ${r.stepsToGoal} steps (${r.wallSecondsToGoal?.toFixed(0)} s wall, ${r.cpuSecondsToGoal?.toFixed(0)} s CPU)`;
  console.log(`${envId} seed ${seed}: goal mean20 >= ${target.goal} ${reached}; final mean20 ${r.finalMean20.toFixed(2)}, best ${r.bestMean20.toFixed(2)} after ${r.stepsRun} steps in ${r.wallSeconds.toFixed(0)} s | reference (docs/references.md): ${referenceLine} | load ${r.loadAvg1mStart.toFixed(1)}->${r.loadAvg1mEnd.toFixed(1)}`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/ppo-${envId}.json`, JSON.stringify({ target, references: target.references.map(reference), runs }, null, 2));
