/**
 * PPO throughput with the transformer (issue 13's target: T = 20, d = 128,
 * 2 layers, 4 heads runs at >= 300 env steps/s overall, rollout + update, on
 * ArmPush-v0), beside the MLP (64x64, explicit gradient) on the same config:
 * 8 sub-envs x 64 steps, 4 minibatches, 4 epochs, `--updates` (default 2)
 * rollouts + updates. Prints, per network, env steps/s overall, rollout only,
 * the update's seconds, and CPU-seconds per 1,000 env steps of each phase
 * (the comparable figure on a shared machine), with the 1-minute load.
 *
 *   npm run bench:ppo-transformer -- [--updates 2] [--seq-len 0] [--kl-ref 0] [--repeats 1] [--only transformer]
 *
 * `--seq-len 0` (the default, PPO's own) scores each sub-env's whole rollout
 * in one chunk; 16 was the previous default (38 context rows before every 16
 * scored steps). `--kl-ref c` adds the KL penalty towards the starting
 * network (fine-tuning). Writes bench/results/ppo-transformer.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import '../envs/index.js';
import { makeVec } from '../src/registry/make-vec.js';
import { PPO } from '../agents/algos/ppo/ppo.js';
import { resolvePpoConfig } from '../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../agents/algos/ppo/task-defaults.js';
import { chunkLength } from '../agents/algos/ppo/chunk-assembler.js';
import { initBackend } from '../agents/backend.js';
import { benchArgs } from './ppo-goal-run.js';

const args = benchArgs(process.argv.slice(2));
const updates = Number(args.get('updates') ?? 2);
const seqLen = Number(args.get('seq-len') ?? 0);
const klRefCoef = Number(args.get('kl-ref') ?? 0);
const repeats = Number(args.get('repeats') ?? 1);
const only = args.get('only');
const TARGET = 300;
const load = (): number => +loadavg()[0].toFixed(2);
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const networks = [
  ['mlp 64x64', { kind: 'mlp' }],
  ['transformer T=20 d=128 L=2 H=4', { kind: 'transformer', dModel: 128, layers: 2, heads: 4, window: 20 }],
] as const;

await initBackend({ report: null });
const results: Record<string, unknown>[] = [];
for (let rep = 0; rep < repeats; rep++) {
  for (const [name, policy] of networks) {
    if (only && !name.startsWith(only)) continue;
    const numEnvs = 8;
    const numSteps = 64;
    const config = resolvePpoConfig({ ...ppoDefaultsFor('ArmPush-v0', false), seed: 1, numEnvs, numSteps, seqLen, numMinibatches: 4, updateEpochs: 4, totalSteps: numEnvs * numSteps * updates, klRefCoef: policy.kind === 'transformer' ? klRefCoef : 0 });
    const vec = await makeVec('ArmPush-v0', { numEnvs });
    const ppo = await PPO.create(vec, config, { policy });
    const l0 = load();
    const wall = { collect: 0, update: 0 };
    const cpu = { collect: 0, update: 0 };
    try {
      for (let u = 0; u < updates; u++) {
        const t0 = performance.now();
        const c0 = cpuSeconds();
        await ppo.collect();
        const t1 = performance.now();
        const c1 = cpuSeconds();
        ppo.update();
        wall.collect += (t1 - t0) / 1000;
        wall.update += (performance.now() - t1) / 1000;
        cpu.collect += c1 - c0;
        cpu.update += cpuSeconds() - c1;
      }
    } finally {
      ppo.dispose();
      await vec.close();
    }
    const steps = numEnvs * numSteps * updates;
    const overall = steps / (wall.collect + wall.update);
    const perK = (s: number): number => (1000 * s) / steps;
    const l1 = load();
    const chunk = policy.kind === 'transformer' ? chunkLength(config) : null;
    results.push({ network: name, steps, overallSps: overall, rolloutSps: steps / wall.collect, wallSeconds: wall, cpuSeconds: cpu, cpuSecondsPer1000: { rollout: perK(cpu.collect), update: perK(cpu.update), total: perK(cpu.collect + cpu.update) }, chunkLength: chunk, klRefCoef: config.klRefCoef, load: [l0, l1] });
    console.log(
      `PPO ArmPush-v0 ${name}${chunk ? ` (chunks of ${chunk})` : ''}: ${overall.toFixed(0)} env steps/s overall` +
        `${policy.kind === 'transformer' ? ` (target >= ${TARGET})` : ''}; rollout ${(steps / wall.collect).toFixed(0)}/s; update ${wall.update.toFixed(2)} s for ${steps} steps x 4 epochs;` +
        ` CPU s per 1,000 env steps: rollout ${perK(cpu.collect).toFixed(2)}, update ${perK(cpu.update).toFixed(2)}, total ${perK(cpu.collect + cpu.update).toFixed(2)} (${(1000 / perK(cpu.collect + cpu.update)).toFixed(0)} steps per CPU-second); load ${l0} -> ${l1} on ${cpus().length} cores`,
    );
  }
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ppo-transformer.json', JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, updates, seqLen, klRefCoef, results }, null, 2) + '\n');
console.log('results: bench/results/ppo-transformer.json');
