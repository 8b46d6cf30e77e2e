/**
 * Simulator throughput (`npm run bench:sim`): env steps per second of CPU
 * time (`process.cpuUsage()`, user + system) of Reacher-v5,
 * InvertedPendulum-v5 and ArmReach-v0, each beside
 *
 * - a raw loop on the same model: write ctrl, `mj_step` x frameSkip,
 *   `mj_rnePostConstraint` (what one task step must run anyway); the ratio is
 *   the task's overhead (goal: at most 1.10);
 * - the reference measured on this machine kind: raw MuJoCo WASM on
 *   Gymnasium's own models (reacher ~58k, inverted pendulum ~41k env-steps/s
 *   of CPU time; shared/design/FINDINGS.md).
 *
 * Each loop's figure is the best of 2 x REPEATS runs, interleaved, each pass
 * after a warm-up. Task steps are timed without their resets (counted apart);
 * actions come from a pre-drawn pool (seeded Rng), so sampling is not timed.
 * Then the scripted experts' success rates over 100 seeded episodes.
 *
 * Options: `--quick` (short runs, 20 expert episodes), env `BENCH_MS` (CPU
 * time per run, default 1500). Writes bench/results/sim-throughput.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import '../envs/mujoco/register.js';
import { makeAsync } from '../src/registry/registry.js';
import { Rng } from '../src/core/rng.js';
import type { Env } from '../src/core/env.js';
import { reference } from './references.js';
import type { Policy } from '../src/core/policy.js';
import { loadMujoco } from '../sim/load-mujoco.js';
import { Reacher } from '../envs/mujoco/reacher.js';
import { InvertedPendulum } from '../envs/mujoco/inverted-pendulum.js';
import { ArmReach } from '../envs/mujoco/arm-reach.js';
import type { MujocoEnv } from '../envs/mujoco/mujoco-env.js';
import { ArmReachExpert } from '../envs/mujoco/arm-reach-expert.js';
import { ArmPushExpert } from '../envs/mujoco/arm-push-expert.js';

const QUICK = process.argv.includes('--quick');
const RUN_MS = Number(process.env.BENCH_MS ?? (QUICK ? 400 : 1500));
const REPEATS = QUICK ? 1 : 3;
const EXPERT_EPISODES = QUICK ? 20 : 100;
const POOL = 4096;

/** Raw MuJoCo WASM on Gymnasium's models, CPU time (FINDINGS.md). */
const REFERENCE: Record<string, number> = { 'Reacher-v5': reference('mujoco-wasm.reacher.cpu-sps').value as number, 'InvertedPendulum-v5': reference('mujoco-wasm.inverted-pendulum.cpu-sps').value as number };

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const fmt = (x: number): string => (x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

/** Pre-drawn actions uniform in the action space, `Float32Array` each. */
function actionPool(env: MujocoEnv, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: POOL }, () => env.actionSpace.sample(rng) as Float32Array);
}

/** Best of REPEATS runs of ~RUN_MS CPU time: task steps per CPU second, resets excluded. */
function taskStepsPerCpuSecond(env: MujocoEnv, actions: Float32Array[]): { sps: number; resetsPer1kSteps: number } {
  let best = 0;
  let resets = 0;
  let steps = 0;
  env.reset({ seed: 0 });
  for (let run = -1; run < REPEATS; run++) {
    let runSteps = 0;
    let resetMs = 0;
    const t0 = cpuMs();
    let t = t0;
    while (t - t0 < (run < 0 ? RUN_MS / 4 : RUN_MS)) {
      for (let k = 0; k < 256; k++) {
        const r = env.step(actions[(steps + k) & (POOL - 1)]);
        if (r.terminated) {
          const r0 = cpuMs();
          env.reset();
          resetMs += cpuMs() - r0;
          resets++;
        }
      }
      runSteps += 256;
      steps += 256;
      t = cpuMs();
    }
    if (run >= 0) best = Math.max(best, (runSteps / (t - t0 - resetMs)) * 1000);
  }
  return { sps: best, resetsPer1kSteps: (resets / steps) * 1000 };
}

/**
 * The same physics without the task: ctrl, mj_step x frameSkip,
 * mj_rnePostConstraint. The pendulum is restarted (untimed, as in the task
 * loop) when it falls past 0.2 rad, so both loops simulate the same regime.
 */
function rawStepsPerCpuSecond(env: MujocoEnv, actions: Float32Array[]): number {
  const mj = env.world.mj;
  const model = env.world.model;
  const data = env.world.data;
  const frameSkip = env.frameSkip;
  const falls = env instanceof InvertedPendulum;
  let best = 0;
  let steps = 0;
  env.reset({ seed: 0 });
  for (let run = -1; run < REPEATS; run++) {
    let runSteps = 0;
    let resetMs = 0;
    const t0 = cpuMs();
    let t = t0;
    while (t - t0 < (run < 0 ? RUN_MS / 4 : RUN_MS)) {
      // Views are re-read per chunk: env.reset() may not grow memory, but be safe.
      const ctrl: Float64Array = data.ctrl;
      const qpos: Float64Array = data.qpos;
      const nu = ctrl.length;
      for (let k = 0; k < 256; k++) {
        const a = actions[(steps + k) & (POOL - 1)];
        for (let i = 0; i < nu; i++) ctrl[i] = a[i];
        for (let s = 0; s < frameSkip; s++) mj.mj_step(model, data);
        mj.mj_rnePostConstraint(model, data);
        if (falls && !(Math.abs(qpos[1]) <= 0.2)) {
          const r0 = cpuMs();
          env.reset();
          resetMs += cpuMs() - r0;
        }
      }
      runSteps += 256;
      steps += 256;
      t = cpuMs();
    }
    if (run >= 0) best = Math.max(best, (runSteps / (t - t0 - resetMs)) * 1000);
  }
  return best;
}

async function expertSuccess(id: string, makeExpert: (env: Env) => Policy): Promise<{ rate: number; meanStepsToFirstSuccess: number }> {
  const env = await makeAsync<Float64Array, Float32Array>(id);
  const expert = makeExpert(env);
  let successes = 0;
  let firstSum = 0;
  for (let seed = 0; seed < EXPERT_EPISODES; seed++) {
    let { obs } = env.reset({ seed });
    let first = -1;
    for (let t = 0; ; t++) {
      const r = env.step((await expert.act(Float32Array.from(obs))) as Float32Array);
      obs = r.obs;
      if (first < 0 && r.info.isSuccess === true) first = t + 1;
      if (r.terminated || r.truncated) {
        if (r.info.isSuccess === true) {
          successes++;
          firstSum += first;
        }
        break;
      }
    }
  }
  expert.dispose?.();
  env.close();
  return { rate: successes / EXPERT_EPISODES, meanStepsToFirstSuccess: firstSum / Math.max(1, successes) };
}

async function main(): Promise<void> {
  await loadMujoco();
  console.log(`# sim-throughput  cpu=${cpus()[0]?.model ?? '?'} x${cpus().length}  load=${loadavg().map((l) => l.toFixed(1)).join(',')}  run=${RUN_MS} ms CPU x${REPEATS}`);
  const tasks: Array<[string, () => MujocoEnv]> = [
    ['Reacher-v5', () => new Reacher()],
    ['InvertedPendulum-v5', () => new InvertedPendulum()],
    ['ArmReach-v0', () => new ArmReach()],
  ];
  const throughput = [];
  for (const [id, create] of tasks) {
    const env = create();
    const actions = actionPool(env, 1);
    // Both loops run REPEATS times, interleaved, after their own warm-up run
    // (V8 tiers WASM up from Liftoff to TurboFan during the first second).
    let raw = 0;
    let task = { sps: 0, resetsPer1kSteps: 0 };
    for (let pass = 0; pass < 2; pass++) {
      raw = Math.max(raw, rawStepsPerCpuSecond(env, actions));
      const t = taskStepsPerCpuSecond(env, actions);
      task = t.sps > task.sps ? t : task;
    }
    const overhead = raw / task.sps;
    const ref = REFERENCE[id];
    const refText = ref ? `; reference raw WASM on Gymnasium's model ${fmt(ref)} -> ${(task.sps / ref).toFixed(2)}x` : '';
    console.log(
      `${id.padEnd(20)} task ${fmt(task.sps).padStart(7)} env-steps/s CPU   raw mj_step loop ${fmt(raw).padStart(7)}   cost ratio ${overhead.toFixed(3)} (goal <= 1.10)${refText}`,
    );
    throughput.push({ id, frameSkip: env.frameSkip, taskStepsPerCpuSecond: task.sps, rawStepsPerCpuSecond: raw, costRatio: overhead, resetsPer1kSteps: task.resetsPer1kSteps, reference: ref ?? null });
    env.close();
  }
  const experts = [];
  for (const [id, makeExpert] of [
    ['ArmReach-v0', (env: Env) => new ArmReachExpert(env)],
    ['ArmPush-v0', (env: Env) => new ArmPushExpert(env)],
  ] as const) {
    const t0 = performance.now();
    const r = await expertSuccess(id, makeExpert);
    console.log(`${id.padEnd(20)} expert success ${(r.rate * 100).toFixed(0)}% of ${EXPERT_EPISODES} seeded episodes (goal >= 95%), first success after ${r.meanStepsToFirstSuccess.toFixed(1)} steps on average, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    experts.push({ id, episodes: EXPERT_EPISODES, successRate: r.rate, meanStepsToFirstSuccess: r.meanStepsToFirstSuccess });
  }
  const out = { bench: 'sim-throughput', date: new Date().toISOString(), quick: QUICK, runMsCpu: RUN_MS, repeats: REPEATS, loadavg: loadavg(), cpus: cpus().length, throughput, experts };
  mkdirSync('bench/results', { recursive: true });
  const path = 'bench/results/sim-throughput.json';
  writeFileSync(`${path}.tmp`, JSON.stringify(out, null, 2));
  renameSync(`${path}.tmp`, path);
  console.log(`# wrote ${path}`);
}

await main();
