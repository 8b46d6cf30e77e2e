// Imitation benchmark (issue 14): normalized score (random policy 0, demonstrator 1) of BC,
// DAgger, GAIL and AIRL learning from the same demonstrations, and reward transfer.
//
//   npm run bench:imitate -- [--envs CartPole-v1,Pendulum-v1,InvertedPendulum-v5,Reacher-v5,ArmReach-v0]
//        [--seeds 1,2,3] [--algos bc,dagger,gail,airl] [--demos <n>] [--steps <n>] [--quick]
//        [--gail-config <json>] [--airl-config <json>] [--dagger-config <json>] [--transfer-to <env id>] [--transfer-steps <n>]
//        [--transfer-support-penalty <k>] [--report]
//        [--results bench/results/imitate] [--keep-runs <dir>]
//
// The whole grid (5 tasks x 4 algos x 3 seeds) takes ~30 min of runs on 2 cores (session 32: 1,616 s, plus the
// demonstrators on first use): shrink it with --envs,
// --algos, --seeds. Each (task, algo, seed) writes bench/results/imitate/<task>__<algo>__<seed>.json,
// so the grid runs in pieces; after a run (or with --report, which only reports) every result there goes into
// the markdown table printed and the plot written to docs/img/imitate.svg (tuning runs: point
// --results elsewhere so they stay out of the table). --keep-runs <dir> (new) keeps the demonstrations and
// every run's directory (checkpoints, metrics.jsonl) there instead of in a temporary directory.
//
// Demonstrator per task (TASKS): a PPO checkpoint (the CartPole fixture, or one this script
// trains with lamkit train on first use and keeps in bench/results/imitate/demonstrators/), or
// the task's scripted expert. Demonstrations: lamkit record, seed 0, the first --demos episodes (default: the
// task's, TASKS: 4; Reacher-v5 and ArmReach-v0 50)
// (BC: lamkit finetune's 80/10/10 split of max(10, --demos)). Evaluation: 20 deterministic
// episodes, seeds 10000+, for the learner, the demonstrator and the random policy alike.
//
// --transfer-to <variant>: after each gail/airl run, a fresh PPO agent trains on the frozen
// learned reward (AIRL's g(s), GAIL's logit) on the variant for the same env steps (or --transfer-steps); scored there
// against the random policy (0) and a PPO agent trained on the variant's true reward with the
// same budget and seed (1). The demonstrator's own return on the variant is printed beside it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runRecord } from '../src/cli/commands/record.js';
import { runImitate } from '../src/cli/commands/imitate.js';
import { lamkitBenchSources } from '../src/cli/commands/bench-sources.js';
import * as lib from '../src/index.js';
import { loadVega } from '../src/bench/vega-svg.js';
import { imitationReport, type ImitationRow } from './imitate-report.js';
import { DEMONSTRATORS, demonstratorSource, evaluateSource, type DemonstratorSpec } from './demonstrators.js';

/**
 * Per task: the demonstrator, the env steps of GAIL / AIRL (and of a transfer run), the demonstration
 * episodes (default 4; --demos overrides), and config the task's GAIL and AIRL runs start from
 * (`adversarial`: both; `gail` / `airl`: one), under --gail-config / --airl-config.
 */
interface TaskSetup {
  demonstrator: DemonstratorSpec;
  steps: number;
  demos?: number;
  adversarial?: Record<string, unknown>;
  gail?: Record<string, unknown>;
  airl?: Record<string, unknown>;
}
/** ArmReach-v0's target - end effector (ARM_REACH_OBS.targetMinusEe). */
const ARM_REACH_TARGET_MINUS_EE = [18, 19, 20];
const TASKS: Record<string, TaskSetup> = {
  'CartPole-v1': { demonstrator: { checkpoint: 'test/fixtures/imitation/cartpole-ppo' }, steps: 30_000 },
  // Steps: GAIL on Pendulum-v1 0.945 / 0.619 / 0.864 at 100k, 0.995 / 0.944 / 0.914 at 300k; AIRL on
  // InvertedPendulum-v5 1.000 / 0.119 / 0.573 at 100k, 1.000 x 3 at 200k (docs/benchmarks.md, Imitation).
  'Pendulum-v1': { demonstrator: DEMONSTRATORS['Pendulum-v1'], steps: 300_000 },
  'InvertedPendulum-v5': { demonstrator: DEMONSTRATORS['InvertedPendulum-v5'], steps: 200_000 },
  // Goal-conditioned as ArmReach-v0 below: the reward reads cos/sin of the joints, their speeds and fingertip - target.
  'Reacher-v5': {
    demonstrator: DEMONSTRATORS['Reacher-v5'],
    steps: 300_000,
    demos: 50,
    adversarial: { reward: { inputStats: 'mixture', observations: [0, 1, 2, 3, 6, 7, 8, 9] }, policy: { logStdInit: -1 } },
  },
  // A goal-conditioned task (docs/benchmarks.md, Imitation, session 32): 50 demonstrations (4 cover 4 goals),
  // the reward networks read target - end effector only (the goal's position would tell the expert's 50 goals
  // from the generator's; the joint speeds made g judge motion more than distance, which did not transfer),
  // a gradient penalty (without it g is a spike at the target and flat elsewhere: no use to PPO from
  // scratch on ArmReach-reversed-v0; with it one seed of three transferred), input statistics of expert
  // and policy states, a narrower initial
  // policy, 500k steps. (AIRL's generator reward is f without -log pi on continuous actions by default.)
  'ArmReach-v0': {
    demonstrator: 'expert',
    steps: 500_000,
    demos: 50,
    adversarial: { reward: { inputStats: 'mixture', observations: ARM_REACH_TARGET_MINUS_EE, gradientPenalty: 10 }, policy: { logStdInit: -1 } },
    // AIRL (session 33): every rollout kept for the discriminator (replayCapacity over the whole run) and a
    // lighter penalty; g then falls with the distance to the target along most directions, and the
    // transfer's support penalty handles the rest (docs/benchmarks.md, Imitation, reward transfer).
    airl: { reward: { gradientPenalty: 1, replayCapacity: 600_000 } },
  },
};
const EVAL = { episodes: 20, seed: 10_000, deterministic: true };

const { values } = parseArgs({
  options: {
    envs: { type: 'string', default: Object.keys(TASKS).join(',') },
    seeds: { type: 'string', default: '1,2,3' },
    algos: { type: 'string', default: 'bc,dagger,gail,airl' },
    demos: { type: 'string' },
    steps: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'gail-config': { type: 'string', default: '{}' },
    'airl-config': { type: 'string', default: '{}' },
    'dagger-config': { type: 'string', default: '{}' },
    'transfer-to': { type: 'string' },
    'transfer-steps': { type: 'string' },
    'transfer-support-penalty': { type: 'string' },
    report: { type: 'boolean', default: false },
    results: { type: 'string', default: 'bench/results/imitate' },
    'keep-runs': { type: 'string' },
  },
});
const RESULTS = values.results!;
// Default: learnedRewardHook's (lib.DEFAULT_SUPPORT_PENALTY for rewards that store the demonstrations' range).
const SUPPORT_PENALTY = values['transfer-support-penalty'] === undefined ? lib.DEFAULT_SUPPORT_PENALTY : Number(values['transfer-support-penalty']);
if (!(SUPPORT_PENALTY >= 0)) throw new Error(`bench/imitate --transfer-support-penalty: expected a number >= 0, got ${values['transfer-support-penalty']}. Pass e.g. 1 (0: off).`);
const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
/** `b` over `a`, one level deep for the objects `reward` and `policy`. */
function mergeConfig(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a, ...b };
  for (const k of ['reward', 'policy']) if (a[k] !== undefined || b[k] !== undefined) out[k] = { ...(a[k] as object | undefined), ...(b[k] as object | undefined) };
  return out;
}
const sources = await lamkitBenchSources();

/** Mean return of `source` (random | expert | checkpoint of `sourceEnvId`) on `envId` over the EVAL episodes. */
async function meanReturn(source: string, envId: string, sourceEnvId = envId): Promise<number> {
  return (await evaluateSource(source, envId, EVAL, sourceEnvId)).meanReturn;
}

/** The demonstrator of a task as a policy source: a checkpoint (trained here on first use) or `expert`. */
const demonstrator = (envId: string): Promise<string> => demonstratorSource(envId, TASKS[envId].demonstrator, (line) => console.log(`imitate ${line}`));

/** A fresh PPO agent trained on `target` for `steps`, on the frozen learned reward of `checkpointDir` (or on the true reward when null); its mean return there. */
async function ppoOn(target: string, checkpointDir: string | null, seed: number, steps: number): Promise<number> {
  const probe = await lib.makeAsync(target);
  const discrete = !(probe.actionSpace instanceof lib.Box);
  await probe.close();
  const defaults = lib.ppoDefaultsFor(target, discrete);
  const config = lib.resolvePpoConfig({ ...defaults, ...(checkpointDir ? { normalizeReward: false } : {}), seed, totalSteps: steps }, 'bench transfer');
  const reward = checkpointDir ? lib.LearnedReward.restore((lib.readCheckpoint(checkpointDir).data.algo.state as { reward: lib.LearnedRewardState }).reward, new lib.Rng(seed), 'bench transfer') : null;
  const vec = await lib.makeVec(target, { numEnvs: config.numEnvs });
  const ppo = await lib.PPO.create(vec, config, reward ? { rewardHook: lib.learnedRewardHook(reward, { supportPenalty: SUPPORT_PENALTY }) } : {});
  try {
    await ppo.learn();
    const policy = ppo.policy();
    const env = await lib.makeAsync(target);
    try {
      return (await lib.evaluatePolicy(policy, env, EVAL)).meanReturn;
    } finally {
      policy.dispose?.();
      await env.close();
    }
  } finally {
    ppo.dispose();
    reward?.dispose();
    await vec.close();
  }
}

/** Env steps DAgger's mixture policy took: the aggregated dataset's frames (it holds the labelled episodes only; the demonstrations stay where they are). */
async function daggerSteps(outDir: string): Promise<number> {
  const ds = await lib.openDataset(join(outDir, 'aggregated'));
  return ds.totalFrames;
}

function save(row: ImitationRow): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${row.env}__${row.algo}__${row.seed}.json`), JSON.stringify(row, null, 2) + '\n');
}

// --report only reports (what --results holds); without it the grid runs, then everything saved is reported.
const runGrid = !values.report;
if (runGrid) {
  const keep = values['keep-runs'];
  if (keep && existsSync(keep) && readdirSync(keep).length > 0) throw new Error(`bench/imitate --keep-runs: expected a new or empty directory, got ${keep} (not empty). Pass a new directory.`);
  if (keep) mkdirSync(keep, { recursive: true });
  const root = keep ?? mkdtempSync(join(tmpdir(), 'lamkit-bench-imitate-'));
  try {
    for (const envId of list(values.envs!)) {
      if (!(envId in TASKS)) throw new Error(`bench/imitate --envs: expected some of ${Object.keys(TASKS).join(', ')}, got ${envId}. Fix the list.`);
      const task = TASKS[envId];
      const steps = values.quick ? 5000 : values.steps !== undefined ? Number(values.steps) : task.steps;
      const demos = values.demos !== undefined ? Number(values.demos) : task.demos ?? 4;
      if (!(Number.isInteger(demos) && demos > 0)) throw new Error(`bench/imitate --demos: expected a positive integer, got ${values.demos}. Pass e.g. 4.`);
      const expert = await demonstrator(envId);
      const data = join(root, `${envId}-demos`);
      await runRecord({ env: envId, policy: expert, episodes: String(Math.max(10, demos)), seed: '0', out: data, progress: false });
      const ds = await lib.openDataset(data);
      const demoFrames = ds.episodes.slice(0, demos).reduce((n, e) => n + e.length, 0);
      const randomReturn = await meanReturn('random', envId);
      const expertReturn = await meanReturn(expert, envId);
      console.log(`imitate ${envId}: random ${randomReturn.toFixed(2)}, demonstrator ${expertReturn.toFixed(2)} (${expert}; ${EVAL.episodes} deterministic episodes); ${demos} demonstration episodes (${demoFrames} steps); gail/airl ${steps} env steps; load ${loadavg()[0].toFixed(1)}`);
      for (const algo of list(values.algos!)) {
        for (const seed of list(values.seeds!).map(Number)) {
          const out = join(root, `${envId}-${algo}-${seed}`);
          const t0 = performance.now();
          const load0 = loadavg()[0];
          const extra = JSON.parse(algo === 'gail' ? values['gail-config']! : algo === 'airl' ? values['airl-config']! : algo === 'dagger' ? values['dagger-config']! : '{}') as Record<string, unknown>;
          // Label smoothing: 0.1 for GAIL (its CartPole tuning); none for AIRL, whose g must keep the absorbing
          // state below the states off the demonstrations (smoothing floors both at the same logit log(0.1/0.9),
          // so the transferred g gave no reason to stay alive: docs/benchmarks.md, reward transfer).
          const taskConfig = algo === 'gail' || algo === 'airl' ? mergeConfig(task.adversarial ?? {}, task[algo] ?? {}) : {};
          const config = algo === 'dagger' ? { rounds: 4, episodesPerRound: 2, bc: { maxSteps: 500 }, ...extra } : algo === 'bc' ? { maxSteps: 1000 } : mergeConfig({ reward: { updatesPerRollout: 8, labelSmoothing: algo === 'gail' ? 0.1 : 0 } }, mergeConfig(taskConfig, extra));
          const adversarial = algo === 'gail' || algo === 'airl';
          const o = await runImitate({ algo, env: envId, data, seed: String(seed), out, progress: false, config: JSON.stringify(config), ...(algo === 'bc' ? {} : { episodes: String(demos) }), ...(adversarial ? { totalSteps: String(steps), checkpointMinutes: '0' } : {}), ...(algo === 'dagger' ? { expert } : {}) });
          const wallSeconds = (performance.now() - t0) / 1000;
          const ret = await meanReturn(o.checkpointDir, envId);
          const row: ImitationRow = {
            env: envId, algo, seed, return: ret, normalizedScore: (ret - randomReturn) / (expertReturn - randomReturn), randomReturn, expertReturn, demonstrator: expert,
            demoEpisodes: algo === 'bc' ? Math.round(0.8 * Math.max(10, demos)) : demos, envSteps: adversarial ? o.globalStep : algo === 'dagger' ? await daggerSteps(out) : 0,
            config, wallSeconds, load: [load0, loadavg()[0]], date: new Date().toISOString(),
          };
          console.log(`imitate ${envId} ${algo} seed ${seed}: return ${ret.toFixed(2)}, normalized score ${row.normalizedScore.toFixed(3)}, ${row.envSteps} env steps (${wallSeconds.toFixed(0)} s, load ${load0.toFixed(1)}-${loadavg()[0].toFixed(1)})`);
          const target = values['transfer-to'];
          if (target && adversarial) {
            // The demonstrator's policy as it is on the variant (policy transfer, for comparison).
            const demonstratorOnTarget = await meanReturn(expert, target, envId);
            const randomTarget = await meanReturn('random', target);
            const transferSteps = values['transfer-steps'] !== undefined ? Number(values['transfer-steps']) : o.globalStep;
            if (!(Number.isInteger(transferSteps) && transferSteps > 0)) throw new Error(`bench/imitate --transfer-steps: expected a positive integer, got ${values['transfer-steps']}. Pass e.g. 60000.`);
            // The variant's own scripted expert (the demonstrator's controller told of the change), where one exists.
            const variantExpert = expert === 'expert' && sources.hasExpert(target) ? await meanReturn('expert', target) : null;
            const tr = await ppoOn(target, o.checkpointDir, seed, transferSteps);
            const trueReward = await ppoOn(target, null, seed, transferSteps);
            row.transfer = {
              target, steps: transferSteps, supportPenalty: SUPPORT_PENALTY, return: tr, trueRewardReturn: trueReward, randomReturn: randomTarget, demonstratorReturn: demonstratorOnTarget,
              normalizedScore: (tr - randomTarget) / (trueReward - randomTarget),
              ...(variantExpert !== null ? { variantExpertReturn: variantExpert, expertScore: (tr - randomTarget) / (variantExpert - randomTarget) } : {}),
            };
            const vs = variantExpert !== null ? `, the variant's expert ${variantExpert.toFixed(2)}; of expert ${row.transfer.expertScore!.toFixed(3)}` : '';
            console.log(`imitate ${envId} -> ${target}, PPO on ${algo}'s frozen reward (support penalty ${SUPPORT_PENALTY}), seed ${seed}, ${transferSteps} steps: return ${tr.toFixed(2)}; PPO on the true reward ${trueReward.toFixed(2)}, random ${randomTarget.toFixed(2)}, the demonstrator ${demonstratorOnTarget.toFixed(2)}${vs}; of PPO on the true reward ${row.transfer.normalizedScore.toFixed(3)} (target >= 0.8 of expert for AIRL)`);
          }
          save(row);
        }
      }
    }
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

{
  const rows = existsSync(RESULTS) ? readdirSync(RESULTS).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as ImitationRow) : [];
  await loadVega();
  const { markdown, svg } = imitationReport(rows);
  console.log(markdown);
  const plot = RESULTS === 'bench/results/imitate' ? 'docs/img/imitate.svg' : join(RESULTS, 'imitate.svg');
  mkdirSync(join(plot, '..'), { recursive: true });
  writeFileSync(plot, svg);
  console.log(`imitate: ${rows.length} results from ${RESULTS}; plot in ${plot}`);
}
