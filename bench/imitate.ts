// Imitation benchmark: normalized score (random policy 0, demonstrator 1) of
// BC, DAgger, GAIL and AIRL learning from the same demonstrations.
//
//   node --import tsx bench/imitate.ts [--env CartPole-v1] [--expert <checkpoint>] [--seeds 1,2,3]
//        [--demos 4] [--steps 30000] [--algos bc,dagger,gail,airl] [--quick] [--transfer-to <env id>]
//
// --transfer-to: after each gail/airl run, a fresh PPO agent trains on the frozen learned
// reward (AIRL's g, GAIL's logit; learnedRewardHook) on that task for the same env steps and
// is scored there (same normalization: random and demonstrator on the target task).
//
// The demonstrator is a checkpoint (default: test/fixtures/imitation/cartpole-ppo, a PPO
// CartPole expert) or `expert` (the task's scripted expert). Demonstrations are recorded
// fresh with lamkit record (seed 0), evaluation is 20 deterministic episodes (seeds 10000+).
// Prints one line per (algo, seed) and writes bench/results/imitate-<env>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runRecord } from '../src/cli/commands/record.js';
import { runImitate } from '../src/cli/commands/imitate.js';
import * as lib from '../src/index.js';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'CartPole-v1' },
    expert: { type: 'string', default: 'test/fixtures/imitation/cartpole-ppo' },
    seeds: { type: 'string', default: '1' },
    demos: { type: 'string', default: '4' },
    steps: { type: 'string', default: '30000' },
    algos: { type: 'string', default: 'bc,dagger,gail,airl' },
    quick: { type: 'boolean', default: false },
    'transfer-to': { type: 'string' },
  },
});
const envId = values.env!;
const seeds = values.seeds!.split(',').map(Number);
const algos = values.algos!.split(',');
const demos = Number(values.demos);
const steps = values.quick ? 5000 : Number(values.steps);
const EVAL = { episodes: 20, seed: 10_000, deterministic: true };

async function evalPolicy(policy: lib.Policy): Promise<number> {
  const env = await lib.makeAsync(envId);
  try {
    return (await lib.evaluatePolicy(policy, env, EVAL)).meanReturn;
  } finally {
    await env.close();
  }
}

async function evalCheckpoint(dir: string): Promise<number> {
  const p = await lib.loadPolicy(dir, { seed: 0 });
  try {
    return await evalPolicy(p);
  } finally {
    p.dispose?.();
  }
}

/** A fresh PPO agent trained on `target` with the frozen learned reward of `checkpointDir`; its mean return there. */
async function transfer(checkpointDir: string, target: string, seed: number): Promise<number> {
  const ck = lib.readCheckpoint(checkpointDir).data;
  const reward = lib.LearnedReward.restore((ck.algo.state as { reward: lib.LearnedRewardState }).reward, new lib.Rng(seed), 'bench transfer');
  const probe = await lib.makeAsync(target);
  const discrete = !(probe.actionSpace instanceof lib.Box);
  await probe.close();
  const config = lib.resolvePpoConfig({ ...lib.ppoDefaultsFor(target, discrete), normalizeReward: false, seed, totalSteps: steps }, 'bench transfer');
  const vec = await lib.makeVec(target, { numEnvs: config.numEnvs });
  const ppo = await lib.PPO.create(vec, config, { rewardHook: lib.learnedRewardHook(reward, { gamma: config.gamma }) });
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
    reward.dispose();
    await vec.close();
  }
}

const root = mkdtempSync(join(tmpdir(), 'lamkit-bench-imitate-'));
try {
  const data = join(root, 'demos');
  // 10 episodes: bc needs a train/val split; the others use the first --demos.
  await runRecord({ env: envId, policy: values.expert!, episodes: String(Math.max(10, demos)), seed: '0', out: data, progress: false });
  const probe = await lib.makeAsync(envId);
  const rng = new lib.Rng(0);
  const randomPolicy: lib.Policy = { observationSpace: probe.observationSpace, actionSpace: probe.actionSpace, act: () => { const a = probe.actionSpace.sample(rng); return typeof a === 'number' ? Int32Array.of(a) : Float32Array.from(a as ArrayLike<number>); } };
  const randomReturn = await evalPolicy(randomPolicy);
  await probe.close();
  const expertReturn = values.expert === 'expert' ? NaN : await evalCheckpoint(values.expert!);
  console.log(`imitate ${envId}: random ${randomReturn.toFixed(1)}, demonstrator ${expertReturn.toFixed(1)} (${EVAL.episodes} deterministic episodes); ${demos} demonstration episodes, ${steps} env steps for gail/airl`);
  const rows: Array<Record<string, unknown>> = [];
  for (const algo of algos) {
    for (const seed of seeds) {
      const out = join(root, `${algo}-${seed}`);
      const t0 = performance.now();
      const config = algo === 'dagger' ? { rounds: 4, episodesPerRound: 2, bc: { maxSteps: 500 } } : algo === 'bc' ? { maxSteps: 1000 } : { reward: { updatesPerRollout: 8, labelSmoothing: 0.1 } };
      const o = await runImitate({ algo, env: envId, data, seed: String(seed), out, progress: false, config: JSON.stringify(config), ...(algo === 'bc' ? {} : { episodes: String(demos) }), ...(algo === 'gail' || algo === 'airl' ? { totalSteps: String(steps) } : {}), ...(algo === 'dagger' ? { expert: values.expert } : {}) });
      const wall = (performance.now() - t0) / 1000;
      const ret = await evalCheckpoint(o.checkpointDir);
      const score = (ret - randomReturn) / (expertReturn - randomReturn);
      const envSteps = algo === 'gail' || algo === 'airl' ? o.globalStep : algo === 'dagger' ? 'labelled: see metrics' : 0;
      rows.push({ algo, seed, return: ret, normalizedScore: score, envSteps, wallSeconds: wall });
      console.log(`imitate ${envId} ${algo} seed ${seed}: return ${ret.toFixed(1)}, normalized score ${score.toFixed(3)} (${wall.toFixed(0)} s)`);
      const target = values['transfer-to'];
      if (target && (algo === 'gail' || algo === 'airl')) {
        // Normalized with this task's random and demonstrator returns: meaningful when the target shares them (the same task, or a variant whose scale is alike).
        const tr = await transfer(o.checkpointDir, target, seed);
        const tscore = (tr - randomReturn) / (expertReturn - randomReturn);
        rows.push({ algo: `${algo}-reward-transfer`, target, seed, return: tr, normalizedScore: tscore, envSteps: steps });
        console.log(`imitate ${envId} -> ${target} PPO on ${algo}'s frozen reward, seed ${seed}: return ${tr.toFixed(1)}, normalized score ${tscore.toFixed(3)}`);
      }
    }
  }
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `imitate-${envId}${values['transfer-to'] ? `-to-${values['transfer-to']}` : ''}.json`);
  writeFileSync(file, JSON.stringify({ envId, date: new Date().toISOString(), demos, steps, randomReturn, expertReturn, eval: EVAL, rows }, null, 2) + '\n');
  console.log(`imitate: wrote ${file}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
