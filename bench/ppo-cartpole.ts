/**
 * PPO on CartPole-v1 beside CleanRL `ppo.py` (references from
 * docs/references.md: measured on this machine kind, torch CPU, 1 thread).
 * Per seed: env steps and wall-clock (and CPU) seconds until the mean of
 * the last 20 episode returns first reaches 475.
 *
 *   npm run bench:ppo -- [--seeds 1,2,3] [--total-steps 100000] [--full] [--config '{"updateEpochs":8}']
 *     [--policy '{"kind":"window-mlp","window":1}'] [--gradient autodiff] [--json out.json]
 *   npm run bench:ppo -- --preset cleanrl [...]   (like-for-like: see bench/ppo-presets.ts)
 *
 * `--policy` trains another network kind (window-mlp: no fast path, autodiff only).
 *
 * `--full` trains the whole budget instead of stopping at the goal.
 * Writes bench/results/ppo-cartpole.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { goalRun, goalRunOptions, benchArgs, type GoalRun } from './ppo-goal-run.js';
import { presetBench } from './ppo-presets.js';
import { reference, referenceText } from './references.js';

const args = benchArgs(process.argv.slice(2));
const GOAL = 475;

async function tunedBench(): Promise<void> {
  const seeds = (args.get('seeds') ?? '1,2,3').split(',').map(Number);
  const totalSteps = Number(args.get('total-steps') ?? 100_000);
  const steps = reference('cleanrl.ppo.cartpole.steps-to-475');
  const wall = reference('cleanrl.ppo.cartpole.wall-to-475');
  const [wallLo, wallHi] = wall.value as [number, number];
  const runs: GoalRun[] = [];
  for (const seed of seeds) {
    const overrides = args.has('config') ? (JSON.parse(args.get('config') as string) as Record<string, unknown>) : {};
    const r = await goalRun('CartPole-v1', seed, totalSteps, GOAL, !args.has('full'), overrides, goalRunOptions(args));
    runs.push(r);
    const reached = r.stepsToGoal === null ? `not reached in ${r.stepsRun} steps (best mean20 ${r.bestMean20.toFixed(1)})` : `${r.stepsToGoal} steps, ${r.wallSecondsToGoal?.toFixed(1)} s wall, ${r.cpuSecondsToGoal?.toFixed(1)} s CPU`;
    console.log(`CartPole-v1 ${JSON.stringify(r.config.policy)} ${r.config.gradient} seed ${seed}: mean20 >= ${GOAL} at ${reached} | CleanRL ppo.py: ${referenceText(steps)}, ${referenceText(wall)} (docs/references.md) | load ${r.loadAvg1mStart.toFixed(1)}->${r.loadAvg1mEnd.toFixed(1)} | backend ${r.backend}`);
  }
  const hits = runs.filter((r) => r.wallSecondsToGoal !== null);
  if (hits.length > 0) {
    const worst = Math.max(...hits.map((r) => r.wallSecondsToGoal as number));
    const worstCpu = Math.max(...hits.map((r) => r.cpuSecondsToGoal as number));
    console.log(`CartPole-v1 worst seed: ${worst.toFixed(1)} s wall, ${worstCpu.toFixed(1)} s CPU to 475 | target: <= 1/4 of CleanRL = ${wallLo / 4}-${wallHi / 4} s`);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(args.get('json') ?? 'bench/results/ppo-cartpole.json', JSON.stringify({ goal: GOAL, reference: { steps, wall }, runs }, null, 2));
}

if (args.has('preset')) await presetBench(args);
else await tunedBench();
