import { hostname } from 'node:os';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';
import { parseBrokerFlags, type BrokerFlags, type BrokerOptions } from '../../../agents/scale/broker-options.js';
import type { BrokerRun } from '../../../agents/scale/broker-run.js';
import { MAX_HELD_ROLLOUTS } from '../../../agents/scale/broker-limits.js';
import type { BrokerRolloutSource } from '../../../agents/scale/broker-rollout-source.js';
import type { MetricStream } from '../../streams/metrics.js';

/** The `lamkit train` flags of a learner fed through a broker. */
export interface TrainBrokerFlags extends BrokerFlags {
  maxPolicyLag?: string;
  maxQueued?: string;
  rolloutsPerUpdate?: string;
}

/**
 * Default `--max-policy-lag`: 0, on-policy PPO as in one process (each
 * worker collects one rollout per weights version; one collected while the
 * learner was updating is dropped). InvertedPendulum-v5 with its tuned
 * 10-epoch config, seed 2, 61,440 steps, two workers: final mean return
 * 1000 at lag 0 (one process: 1000), 494 at lag 1, 150 at lag 4
 * (docs/benchmarks.md). Raise it for throughput only where the config
 * tolerates older rollouts (CartPole's reaches 475 at 4).
 */
export const DEFAULT_MAX_POLICY_LAG = 0;
/**
 * Default `--max-queued`: workers wait while this many rollouts are stored
 * and not yet taken by the learner. 1 lets one rollout wait while the
 * learner updates on the one in hand; with `--max-policy-lag` >= 1 that
 * overlaps collection with the update (rollouts 1-2 updates old).
 */
export const DEFAULT_MAX_QUEUED = 1;
/**
 * Default `--rollouts-per-update` (K): 1, an update takes one rollout of
 * the learner's whole `numEnvs x numSteps`. With K workers, K = workers
 * makes them collect one update's rollout in parallel (each `numEnvs / K`
 * sub-envs), the way to on-policy speed-up (docs/scale-out.md).
 */
export const DEFAULT_ROLLOUTS_PER_UPDATE = 1;

/** Parsed learner broker settings. */
export interface BrokerLearnerOptions {
  broker: BrokerOptions;
  maxPolicyLag: number;
  maxQueued: number;
  rolloutsPerUpdate: number;
}

/** A learner connected to its broker (before training starts: bad credentials fail before anything is written). */
export interface BrokerLearnerLink extends BrokerLearnerOptions {
  run: BrokerRun;
  /** This learner instance, in every weights message. */
  learnerId: string;
  /** The flags that reconnect a resumed run (secrets left out). */
  resumeFlags: string;
  /** The rollout source made by {@link source} (null before). */
  readonly made: BrokerRolloutSource | null;
  /** The rollout source PPO trains from. */
  source(opts: { envId: string; metrics: MetricStream; stop: () => boolean; log: (line: string) => void }): Promise<BrokerRolloutSource>;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** Validates `--broker*`, `--max-policy-lag`, `--max-queued`, `--rollouts-per-update`; null without `--broker` (the last three are then refused). */
export function parseTrainBrokerFlags(flags: TrainBrokerFlags): BrokerLearnerOptions | null {
  const broker = parseBrokerFlags(flags, 'lamkit train');
  const maxPolicyLag = parseIntFlag('lamkit train --max-policy-lag', flags.maxPolicyLag, 0, '1');
  const maxQueued = parseIntFlag('lamkit train --max-queued', flags.maxQueued, 1, '1');
  const rolloutsPerUpdate = parseIntFlag('lamkit train --rollouts-per-update', flags.rolloutsPerUpdate, 1, '2');
  if (rolloutsPerUpdate !== undefined && rolloutsPerUpdate > MAX_HELD_ROLLOUTS) {
    throw new InvalidArgument(formatError('lamkit train --rollouts-per-update', `at most ${MAX_HELD_ROLLOUTS} (rollouts the learner holds unacknowledged while it assembles an update)`, describeValue(flags.rolloutsPerUpdate), `Pass at most ${MAX_HELD_ROLLOUTS}; give each worker more sub-envs instead (--num-envs on the learner)`));
  }
  if (!broker) {
    for (const [flag, v] of [['--max-policy-lag', flags.maxPolicyLag], ['--max-queued', flags.maxQueued], ['--rollouts-per-update', flags.rolloutsPerUpdate]] as const) {
      if (v !== undefined) throw new InvalidArgument(formatError(`lamkit train ${flag}`, 'no such flag without --broker', describeValue(v), 'Add --broker nats://host:4222 to train on rollouts from lamkit worker processes, or drop the flag'));
    }
    return null;
  }
  return { broker, maxPolicyLag: maxPolicyLag ?? DEFAULT_MAX_POLICY_LAG, maxQueued: maxQueued ?? DEFAULT_MAX_QUEUED, rolloutsPerUpdate: rolloutsPerUpdate ?? DEFAULT_ROLLOUTS_PER_UPDATE };
}

/**
 * The learner's config and `--rollouts-per-update` K agree: an update is
 * the config's `numEnvs x numSteps` steps, made of K rollouts of
 * `numEnvs / K` sub-envs x `numSteps`, so K must divide `numEnvs`. Checked
 * before anything is written.
 */
export function checkRolloutsPerUpdate(numEnvs: number, numSteps: number, k: number): void {
  if (numEnvs % k === 0) return;
  const steps = numSteps % k === 0 ? numSteps / k : null;
  throw new InvalidArgument(
    formatError(
      'lamkit train --rollouts-per-update',
      `a divisor of the learner's numEnvs (${numEnvs}): each of the ${k} rollouts of an update has numEnvs / ${k} sub-envs x numSteps`,
      String(k),
      steps !== null ? `Keep the batch of ${numEnvs * numSteps} steps with --num-envs ${numEnvs * k} --config '{"numSteps": ${steps}}', or pass a divisor of ${numEnvs}` : `Pass --num-envs ${numEnvs * k} (a batch of ${numEnvs * k * numSteps} steps), or a divisor of ${numEnvs}`,
    ),
  );
}

/** Connects the learner and opens its run on the broker (stream, consumer, weights bucket). */
export async function connectBrokerLearner(opts: BrokerLearnerOptions): Promise<BrokerLearnerLink> {
  const { connectBroker } = await import('../../../agents/scale/broker-connection.js');
  const { BrokerRun } = await import('../../../agents/scale/broker-run.js');
  const where = 'lamkit train --broker';
  const learnerId = `${hostname()}-${process.pid}-${Date.now().toString(36)}`;
  const nc = await connectBroker(opts.broker, where, `lamkit train ${learnerId}`);
  let run: BrokerRun;
  try {
    run = await BrokerRun.open(nc, opts.broker.run, 'learner', where, opts.broker.shownServers);
  } catch (err) {
    await nc.close();
    throw err;
  }
  const b = opts.broker;
  const resumeFlags = [` --broker ${b.shownServers}`, b.run !== 'lamkit' ? ` --broker-run ${b.run}` : '', opts.maxPolicyLag !== DEFAULT_MAX_POLICY_LAG ? ` --max-policy-lag ${opts.maxPolicyLag}` : '', opts.maxQueued !== DEFAULT_MAX_QUEUED ? ` --max-queued ${opts.maxQueued}` : '', opts.rolloutsPerUpdate !== DEFAULT_ROLLOUTS_PER_UPDATE ? ` --rollouts-per-update ${opts.rolloutsPerUpdate}` : ''].join('');
  const link: BrokerLearnerLink = {
    ...opts,
    run,
    learnerId,
    resumeFlags,
    made: null,
    async source(s) {
      const { BrokerRolloutSource } = await import('../../../agents/scale/broker-rollout-source.js');
      const made = new BrokerRolloutSource({ broker: run, envId: s.envId, maxPolicyLag: opts.maxPolicyLag, maxQueued: opts.maxQueued, rolloutsPerUpdate: opts.rolloutsPerUpdate, learnerId, metrics: s.metrics, stop: s.stop, log: s.log });
      (link as { made: BrokerRolloutSource | null }).made = made;
      return made;
    },
    close: () => run.close(),
  };
  return link;
}
