/**
 * Scale-out throughput (issue 17): the learner's env steps/s when its
 * rollouts come from 1, 2, 4 `lamkit worker` processes through a NATS
 * JetStream broker on loopback, beside the same training in one process,
 * and the broker's share of the learner's wall time (target <= 5% with
 * rollouts of ~300 KB). Also prints the per-rollout costs that
 * docs/scale-out.md's throughput model takes (collect, update, broker).
 *
 *   npm run bench:scale -- [--env Reacher-v5] [--updates 12] [--workers 1,2,4] [--rollouts-per-update workers|<k>] [--max-policy-lag 0] [--config '{...}'] [--json out.json]
 *   npm run bench:scale -- --faults --env CartPole-v1 --total-steps 80000 [--kill-every 30] [--seeds 1,2] [--rollouts-per-update <k>]
 *
 * Throughput runs default to `--rollouts-per-update workers`: with N
 * workers each update is assembled from N rollouts of the same weights
 * (on-policy, `--max-policy-lag 0`), each worker collecting 1/N of the
 * batch; the default config (Reacher-v5's, with 4 envs x 512 steps instead
 * of 1 x 2048: the same 2048-step batch, split evenly by 1, 2 and 4) is
 * the same for the one-process run.
 *
 * `--faults`: the issue's fault target instead: two workers train the task
 * to `--total-steps`, once undisturbed and once with a worker killed
 * (SIGKILL) every `--kill-every` seconds and restarted; prints the final
 * mean return of 20 episodes of each, per seed.
 *
 * Default task: Reacher-v5 with its tuned config (2048-step batches,
 * normalization on): rollouts of ~240 KB with one worker, 1/N of that with N. Each figure is measured over the
 * updates after the first (process start-up and the wait for the first
 * rollout are left out). Writes bench/results/scale.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './ppo-goal-run.js';
import { LocalNatsServer } from '../agents/scale/local-nats-server.js';
import { runTrain, type TrainFlags } from '../src/cli/commands/train.js';

const args = benchArgs(process.argv.slice(2));
const envId = args.get('env') ?? 'Reacher-v5';
const updates = Number(args.get('updates') ?? 12);
const workerCounts = (args.get('workers') ?? '1,2,4').split(',').map(Number);
const faults = args.has('faults');
const config = args.get('config') ?? (faults || envId !== 'Reacher-v5' ? undefined : JSON.stringify({ numEnvs: 4, numSteps: 512 }));
/** `--rollouts-per-update`: a number, or `workers` (K = the run's worker count; the throughput default). */
const perUpdate = args.get('rollouts-per-update') ?? (faults ? '1' : 'workers');
const SHARE_TARGET = 0.05;

interface Measured {
  workers: number;
  /** Rollouts per update (K). */
  rolloutsPerUpdate: number;
  stepsPerSecond: number;
  /** Seconds per update of the learner, all included. */
  secondsPerUpdate: number;
  brokerShare: number | null;
  waitShare: number | null;
  rolloutBytes: number | null;
  meanAge: number | null;
  /** Per update, seconds: the learner's update, its broker work, and a worker's collection of one of its K rollouts (mean). */
  perRollout: { update: number; broker: number; collect: number } | null;
  load: [number, number];
}

type Row = Record<string, number>;

function rowsOf(out: string): Row[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
}

/** Figures over the update rows after the first one. */
function measure(out: string, workers: number, k: number, load0: number): Measured {
  const rows = rowsOf(out);
  const upd = rows.filter((r) => r['losses/policy_loss'] !== undefined);
  const a = upd[1];
  const b = upd.at(-1)!;
  const dWall = b.wall_s - a.wall_s;
  const dUpd = upd.length - 2;
  const m: Measured = { workers, rolloutsPerUpdate: k, stepsPerSecond: (b.global_step - a.global_step) / dWall, secondsPerUpdate: dWall / dUpd, brokerShare: null, waitShare: null, rolloutBytes: null, meanAge: null, perRollout: null, load: [load0, loadavg()[0]] };
  const br = rows.filter((r) => r['broker/broker_s'] !== undefined);
  if (br.length > 2) {
    const x = br[1];
    const y = br.at(-1)!;
    m.brokerShare = (y['broker/broker_s'] - x['broker/broker_s']) / dWall;
    m.waitShare = (y['broker/wait_s'] - x['broker/wait_s']) / dWall;
    m.rolloutBytes = (y['broker/mb_per_s'] * 1e6 * y.wall_s) / Math.max(1, y['broker/rollouts_received']);
    m.meanAge = br.slice(1).reduce((s, r) => s + r['broker/rollout_age'], 0) / (br.length - 1);
    const used = br.length - 2;
    m.perRollout = { update: (y['broker/update_s'] - x['broker/update_s']) / used, broker: (y['broker/broker_s'] - x['broker/broker_s']) / used, collect: (y['broker/collect_s'] - x['broker/collect_s']) / used / k };
  }
  return m;
}

/** K for a run with `workers` workers. */
function kFor(workers: number): number {
  return perUpdate === 'workers' ? workers : Number(perUpdate);
}

function flags(out: string, broker?: { url: string; k: number }): TrainFlags {
  const lag = args.get('max-policy-lag');
  return { env: envId, algo: 'ppo', out, vectorization: 'sync', progress: false, checkpointMinutes: '0', ...(config ? { config } : {}), ...(broker ? { broker: broker.url, rolloutsPerUpdate: String(broker.k), ...(lag !== undefined ? { maxPolicyLag: lag } : {}) } : {}) } as TrainFlags;
}

const root = mkdtempSync(join(tmpdir(), 'lamkit-bench-scale-'));
const results: Measured[] = [];

function startWorker(url: string, id: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--broker', url, '--env', envId, '--worker-id', id], { stdio: 'ignore' });
}

/**
 * Two workers train to `--total-steps`; with `killEverySeconds`, one of them (in turn) is SIGKILLed and restarted that
 * often, unless the other one has not published a rollout since it (re)started: a tick then kills nobody (counted in
 * `skipped`). On a loaded machine a restarted worker can take longer than the period to start, and killing the only
 * working one would test start-up time, not a crash; one crash at a time is the fault modelled.
 */
async function faultRun(seed: number, killEverySeconds: number | null): Promise<{ finalMean20: number; kills: number; skipped: number; load: [number, number] }> {
  const server = await LocalNatsServer.start();
  const ids = ['f0', 'f1'];
  const workers = [startWorker(server.url, ids[0]), startWorker(server.url, ids[1])];
  const publishedBy = new Set<string>();
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: server.url });
  nc.subscribe('lamkit.lamkit.stats.worker.>', { callback: (_e, m) => void publishedBy.add((m.json() as { workerId: string }).workerId) });
  let kills = 0;
  let skipped = 0;
  const load0 = loadavg()[0];
  const timer = killEverySeconds === null ? null : setInterval(() => {
    const i = (kills + skipped) % 2;
    if (!publishedBy.has(ids[1 - i])) {
      skipped++;
      return;
    }
    workers[i].kill('SIGKILL');
    ids[i] = `f${i}-${++kills}`;
    workers[i] = startWorker(server.url, ids[i]);
  }, killEverySeconds * 1000);
  try {
    const out = join(root, `faults-${seed}-${killEverySeconds ?? 'none'}`);
    const outcome = await runTrain({ ...flags(out, { url: server.url, k: kFor(2) }), seed: String(seed), totalSteps: args.get('total-steps') ?? '80000' });
    return { finalMean20: (outcome.summary as { finalMeanReturn20: number }).finalMeanReturn20, kills, skipped, load: [load0, loadavg()[0]] };
  } finally {
    if (timer) clearInterval(timer);
    await nc.close();
    for (const w of workers) w.kill('SIGKILL');
    await server.close();
  }
}

try {
  if (faults) {
    const killEvery = Number(args.get('kill-every') ?? 30);
    const runs = [];
    for (const seed of (args.get('seeds') ?? '1,2').split(',').map(Number)) {
      const calm = await faultRun(seed, null);
      const faulty = await faultRun(seed, killEvery);
      runs.push({ seed, calm, faulty });
      console.log(`${envId} seed ${seed}, 2 workers, --rollouts-per-update ${kFor(2)}: final mean return (20 episodes) ${calm.finalMean20.toFixed(1)} undisturbed | ${faulty.finalMean20.toFixed(1)} with a worker killed every ${killEvery} s (${faulty.kills} kills, ${faulty.skipped} ticks skipped: the other worker not yet publishing) | target: the same band | load ${calm.load[0].toFixed(1)}->${faulty.load[1].toFixed(1)} on ${cpus().length} cores`);
    }
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(args.get('json') ?? `bench/results/scale-faults-${envId}.json`, JSON.stringify({ envId, killEvery, rolloutsPerUpdate: kFor(2), runs }, null, 2));
  } else {
    await throughputBench();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

async function throughputBench(): Promise<void> {
  // One process: the same trainer and config, rollouts from its own vector env.
  const lib = await import('../src/index.js');
  const probeEnv = await lib.makeAsync(envId);
  const discrete = !(probeEnv.actionSpace instanceof lib.Box);
  probeEnv.close();
  const resolved = { ...lib.ppoDefaultsFor(envId, discrete), ...(config ? (JSON.parse(config) as Record<string, number>) : {}) };
  const batch = resolved.numEnvs * resolved.numSteps;
  const totalSteps = String(batch * updates);
  let load0 = loadavg()[0];
  await runTrain({ ...flags(join(root, 'local')), totalSteps });
  const local = measure(join(root, 'local'), 0, 1, load0);
  results.push(local);
  console.log(`${envId} one process: ${local.stepsPerSecond.toFixed(0)} env steps/s (${local.secondsPerUpdate.toFixed(3)} s per ${batch}-step update incl. collection) | load ${local.load[0].toFixed(1)}->${local.load[1].toFixed(1)} on ${cpus().length} cores`);
  for (const n of workerCounts) {
    const server = await LocalNatsServer.start();
    const children: ChildProcess[] = [];
    try {
      for (let i = 0; i < n; i++) children.push(startWorker(server.url, `bench-${i}`));
      const out = join(root, `workers-${n}`);
      load0 = loadavg()[0];
      const k = kFor(n);
      await runTrain({ ...flags(out, { url: server.url, k }), totalSteps });
      const m = measure(out, n, k, load0);
      results.push(m);
      console.log(
        `${envId} ${n} worker process(es) via nats on loopback, ${k} rollout(s) per update: ${m.stepsPerSecond.toFixed(0)} env steps/s = ${(m.stepsPerSecond / local.stepsPerSecond).toFixed(2)}x one process | broker share of learner wall ${((m.brokerShare ?? 0) * 100).toFixed(1)}% (target <= ${SHARE_TARGET * 100}%), waiting for rollouts ${((m.waitShare ?? 0) * 100).toFixed(1)}% | rollout ${((m.rolloutBytes ?? 0) / 1024).toFixed(0)} KB, mean age ${m.meanAge?.toFixed(2)} updates | load ${m.load[0].toFixed(1)}->${m.load[1].toFixed(1)} on ${cpus().length} cores`,
      );
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await server.close();
    }
  }
  // The throughput model's inputs (docs/scale-out.md), per update of `batch` steps, from the 1-worker run, and its
  // lag-0 prediction for K = N workers each collecting batch/N steps: SPS = B / (c/N + p + u + b).
  const p = results.find((r) => r.workers === 1)?.perRollout;
  if (p) {
    console.log(`model inputs (${batch}-step batch, 1 worker): collect c = ${p.collect.toFixed(3)} s (worker), update u = ${p.update.toFixed(3)} s, broker b = ${p.broker.toFixed(3)} s (learner); one process would take c + u = ${(p.collect + p.update).toFixed(3)} s per update`);
    for (const m of results.filter((r) => r.workers > 0)) {
      const model = batch / (p.collect / m.rolloutsPerUpdate + p.update + p.broker);
      console.log(`  ${m.workers} worker(s), K = ${m.rolloutsPerUpdate}: model (lag 0, p ~ 0) B / (c/K + u + b) = ${model.toFixed(0)} steps/s, measured ${m.stepsPerSecond.toFixed(0)}; the limit K -> inf is B / (u + b) = ${(batch / (p.update + p.broker)).toFixed(0)} steps/s`);
    }
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(args.get('json') ?? 'bench/results/scale.json', JSON.stringify({ envId, updates, batch, shareTarget: SHARE_TARGET, results }, null, 2));
}
