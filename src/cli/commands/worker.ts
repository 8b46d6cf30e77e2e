import type { Command } from 'commander';
import { hostname } from 'node:os';
import { InvalidArgument, RegistryError, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';
import { onInterrupt, INTERRUPTED_EXIT_CODE } from '../interrupt.js';
import { parseBrokerFlags, type BrokerFlags } from '../../../agents/scale/broker-options.js';
import { registerBrokerFlags } from './broker-flags.js';

/** Flags of `lamkit worker` as commander hands them over. */
export interface WorkerFlags extends BrokerFlags {
  env?: string;
  numEnvs?: string;
  seed?: string;
  workerId?: string;
  vectorization: string;
}

/** What a worker did (the last line it prints). */
export interface WorkerOutcome {
  workerId: string;
  /** Rollouts the broker stored (acknowledged publishes). */
  published: number;
  envSteps: number;
  /** `finished`: the learner reached its last update; `interrupted`: Ctrl-C. */
  reason: 'finished' | 'interrupted';
}

/**
 * At `--max-policy-lag 0`, a worker that published its rollout for the
 * current weights collects another one for them when, this long (or twice
 * its collection time) later, the learner still waits for rollouts of
 * that version (none queued, fewer than `--rollouts-per-update` held): a
 * worker of the update died or straggles. The learner takes any K rollouts
 * of the version; one arriving after the update is dropped as stale.
 */
const STRAGGLER_MIN_MS = 1000;

/** Seconds between progress lines. */
const PROGRESS_EVERY_S = 5;

/**
 * `lamkit worker --broker nats://host:4222 --env <id>`: a rollout worker of
 * a scale-out run (docs/scale-out.md). It waits for the learner's weights
 * (see agents/scale/broker-run.ts), builds the same PPO the
 * learner runs over its own vector env (the learner's `numSteps` and its
 * `numEnvs / --rollouts-per-update` sub-envs; `--num-envs`, when given,
 * must match), then loops: take the
 * newest weights and statistics, `collect()` one rollout with the code of
 * local training, publish it on the work-queue stream with its policy
 * version, worker id, seed and episode stats. It waits while the learner
 * has `maxQueued` rollouts stored and not yet taken (so workers do not
 * run ahead of the learner with ever older weights), rides out broker
 * restarts, prints a progress line every few seconds and exits 0 when the
 * learner finishes. Ctrl-C stops after the rollout being published.
 */
export async function runWorker(flags: WorkerFlags, log: (line: string) => void = () => {}): Promise<WorkerOutcome> {
  const where = 'lamkit worker';
  const broker = parseBrokerFlags(flags, where);
  if (!broker) throw new InvalidArgument(formatError(`${where} --broker`, "the learner's NATS server URL", 'nothing', 'Pass e.g. --broker nats://learner-host:4222'));
  if (flags.env === undefined) throw new InvalidArgument(formatError(`${where} --env`, 'the task the learner trains', 'nothing', 'Pass e.g. --env CartPole-v1'));
  const numEnvsFlag = parseIntFlag(`${where} --num-envs`, flags.numEnvs, 1, '8');
  if (flags.vectorization !== 'sync' && flags.vectorization !== 'async') {
    throw new InvalidArgument(formatError(`${where} --vectorization`, 'one of sync, async', describeValue(flags.vectorization), 'Pass --vectorization async for MuJoCo tasks on several cores'));
  }
  const workerId = flags.workerId ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(workerId)) throw new InvalidArgument(formatError(`${where} --worker-id`, '1-64 letters, digits, _, . or -', describeValue(workerId), 'Pass e.g. --worker-id gpu-box-3'));
  const seed = parseIntFlag(`${where} --seed`, flags.seed, 0, '1') ?? seedOf(workerId);
  const lib = await import('../../index.js');
  const { connectBroker } = await import('../../../agents/scale/broker-connection.js');
  const { BrokerRun, subjectToken } = await import('../../../agents/scale/broker-run.js');
  const { BrokerError } = await import('../../../agents/scale/broker-error.js');
  const { decodeWeights } = await import('../../../agents/scale/weights-message.js');
  const { encodeRollout } = await import('../../../agents/scale/rollout-message.js');
  const { brokerCall } = await import('../../../agents/scale/retry.js');
  if (!lib.registeredIds().includes(flags.env)) throw new RegistryError(formatError(`${where} --env`, 'a registered task id (see `lamkit envs`)', describeValue(flags.env), 'Pass the task the learner trains'));

  const nc = await connectBroker(broker, `${where} --broker`, `lamkit worker ${workerId}`);
  const run = await BrokerRun.open(nc, broker.run, 'worker', `${where} --broker`, broker.shownServers).catch(async (err: unknown) => {
    await nc.close();
    throw err;
  });
  const interrupt = onInterrupt({ command: `lamkit worker ${workerId}`, stopping: 'stopping after the rollout being published' });
  const instance = Date.now().toString(36);
  const call = <T>(fn: () => Promise<T>): Promise<T> => brokerCall(fn, `lamkit worker ${workerId}`, log, () => interrupt.requested);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  let vec: import('../../core/vector-env.js').VectorEnv | null = null;
  let ppo: import('../../../agents/algos/ppo/ppo.js').PPO | null = null;
  let specKey = '';
  let weightsId: string | null = null;
  /** The weights the last rollout was collected with (at --max-policy-lag 0, one rollout per version). */
  let publishedWith: string | null = null;
  let publishedAt = 0;
  let lastCollectMs = 0;
  let weights: import('../../../agents/scale/weights-message.js').WeightsMessage | null = null;
  let published = 0;
  let envSteps = 0;
  let reason: WorkerOutcome['reason'] = 'interrupted';
  const recent: number[] = [];
  const started = performance.now();
  let lastLine = started;
  try {
    log(`lamkit worker ${workerId}: connected to ${broker.shownServers} (run ${broker.run}); waiting for the learner's weights`);
    while (!interrupt.requested) {
      const id = await call(() => run.weightsId());
      if (id === null) {
        await sleep(200);
        continue;
      }
      if (id !== weightsId) {
        const bytes = await call(() => run.fetchWeights(id));
        if (bytes === null) continue;
        const w = decodeWeights(bytes, `${where}: the learner's weights`);
        weightsId = id;
        if (w.envId !== flags.env) throw new InvalidArgument(formatError(`${where} --env`, `${describeValue(w.envId)} (the task the learner on ${broker.shownServers} trains, run ${broker.run})`, describeValue(flags.env), `Start the worker with --env ${w.envId}, or use another --broker-run`));
        // The learner assembles one update from K rollouts side by side: each has its numEnvs / K sub-envs.
        const parts = w.rolloutsPerUpdate ?? 1;
        const numEnvs = (w.config.numEnvs as number) / parts;
        if (numEnvsFlag !== undefined && numEnvsFlag !== numEnvs) {
          const theirs = parts > 1 ? `the learner's numEnvs ${w.config.numEnvs as number} / --rollouts-per-update ${parts}` : "the learner's numEnvs";
          throw new InvalidArgument(formatError(`${where} --num-envs`, `${numEnvs} (${theirs}: rollouts must fit its batch) or no flag`, String(numEnvsFlag), 'Drop --num-envs, or start the learner with --num-envs to match'));
        }
        if (w.finished) {
          reason = 'finished';
          break;
        }
        const key = JSON.stringify([w.policy.kind, w.policy.spec, w.config, parts]);
        if (ppo === null || key !== specKey) {
          ppo?.dispose();
          ppo = null;
          if (vec === null || vec.numEnvs !== numEnvs) {
            await vec?.close();
            vec = null;
            vec = await lib.makeVec(flags.env, { numEnvs, vectorizationMode: flags.vectorization as 'sync' | 'async' });
          }
          // A worker never updates: one minibatch keeps a share smaller than the learner's minibatch count valid.
          const config = lib.resolvePpoConfig({ ...w.config, numEnvs, numMinibatches: 1, seed, totalSteps: numEnvs * (w.config.numSteps as number) }, `${where}: the learner's config`);
          ppo = await lib.PPO.create(vec, config, { net: lib.restorePolicy(w.policy, `${where}: the learner's policy`), normalization: w.normalizer });
          specKey = key;
        } else {
          ppo.adoptPolicy(w.policy.tensors, w.normalizer);
        }
        weights = w;
      }
      if (ppo === null || weights === null) continue;
      const parts = weights.rolloutsPerUpdate ?? 1;
      // On-policy learner: a second rollout with these weights would be too old by the time it is taken,
      // unless the learner still lacks rollouts of this version for its update long after ours (a worker of
      // the K died or straggles): then another one of ours completes it.
      if (weights.maxPolicyLag === 0 && publishedWith === weightsId) {
        if (performance.now() - publishedAt < Math.max(STRAGGLER_MIN_MS, 2 * lastCollectMs)) {
          await sleep(20);
          continue;
        }
        const { queued, held } = await call(() => run.consumerState());
        if (queued > 0 || held >= parts) {
          await sleep(20);
          continue;
        }
      }
      // Do not run ahead of the learner: wait while it has enough rollouts in hand (an update takes K).
      if ((await call(() => run.queuedRollouts())) >= Math.max(weights.maxQueued, parts)) {
        await sleep(20);
        continue;
      }
      const t0 = performance.now();
      const episodes = await ppo.collect();
      const collectSeconds = (performance.now() - t0) / 1000;
      lastCollectMs = collectSeconds * 1000;
      const w = weights;
      const bytes = encodeRollout(
        { workerId, instance, seq: published, policyVersion: w.version, learnerId: w.learnerId, envId: flags.env, seed, episodes: episodes.map((e) => ({ return: e.return, length: e.length })), collectSeconds },
        ppo.rollout,
        ppo.lastValue,
        ppo.config.normalizeObs,
      );
      if (bytes.length > run.maxPayload) {
        throw new BrokerError(formatError(`${where}: a rollout`, `at most the server's max_payload (${run.maxPayload} bytes)`, `${bytes.length} bytes (${ppo.config.numSteps} steps x ${ppo.config.numEnvs} envs)`, 'Raise max_payload in the nats-server config (up to 64 MB), or train with a smaller numSteps x numEnvs'));
      }
      const msgId = `${workerId}:${instance}:${published}`;
      await call(() => run.publishRollout(bytes, msgId));
      publishedWith = weightsId;
      publishedAt = performance.now();
      published++;
      envSteps += ppo.config.batchSize;
      for (const e of episodes) {
        recent.push(e.return);
        if (recent.length > 20) recent.shift();
      }
      const now = performance.now();
      const sps = envSteps / Math.max(1e-9, (now - started) / 1000);
      const mean = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : NaN;
      run.publishStats(`worker.${subjectToken(workerId)}`, { workerId, rollouts: published, envSteps, stepsPerSecond: sps, version: w.version, meanReturn20: Number.isNaN(mean) ? null : mean, collectSeconds });
      if ((now - lastLine) / 1000 >= PROGRESS_EVERY_S) {
        lastLine = now;
        log(`lamkit worker ${workerId}: ${published} rollouts (${envSteps} steps), ${Math.round(sps)} steps/s, weights v${w.version}, return(20) ${Number.isNaN(mean) ? '-' : mean.toFixed(1)}`);
      }
    }
  } finally {
    interrupt.dispose();
    ppo?.dispose();
    await vec?.close();
    await run.close();
  }
  log(`lamkit worker ${workerId}: published ${published} rollouts (${envSteps} steps); ${reason === 'finished' ? 'the learner finished' : 'stopped by Ctrl-C'}`);
  return { workerId, published, envSteps, reason };
}

/** A seed from a worker id (FNV-1a, 31 bits): distinct workers sample distinct episodes without being told a seed. */
export function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

/** Registers `lamkit worker`. */
export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('Collect rollouts for a learner on another machine through a NATS JetStream broker (lamkit train --broker)')
    .option('--env <id>', 'the task the learner trains, e.g. CartPole-v1')
    .option('--num-envs <n>', "sub-envs per rollout (default: the learner's numEnvs / its --rollouts-per-update; must match it)")
    .option('--seed <n>', 'seed of env resets and action sampling (default: derived from the worker id)')
    .option('--worker-id <id>', 'name in stats and rollouts (default <hostname>-<pid>)')
    .option('--vectorization <mode>', 'sync (one thread) or async (worker threads)', 'sync');
  registerBrokerFlags(cmd, true);
  cmd.action(async (flags: WorkerFlags) => {
    const outcome = await runWorker(flags, (line) => process.stdout.write(line + '\n'));
    if (outcome.reason === 'interrupted') process.exitCode = INTERRUPTED_EXIT_CODE;
  });
}
