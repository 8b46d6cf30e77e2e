import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { CheckpointData } from '../../checkpoint/save-checkpoint.js';
import { initBackend } from '../../backend.js';
import { restorePolicy } from '../../policies/policy-state.js';
import { ActionCodec } from '../../policies/action-codec.js';
import { registerTrainer, type Trainer } from '../trainer.js';
import { Rng } from '../../../src/core/rng.js';
import { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import { PPO, type PpoTrainingState } from './ppo.js';
import { resolvePpoConfig, type ResolvedPpoConfig } from './ppo-config.js';
import { ppoDefaultsFor } from './task-defaults.js';
import { ppoCheckpoint, ppoStateFromCheckpoint, stripDerived } from './ppo-checkpoint.js';

/**
 * PPO as a registered trainer (`lamkit train --algo ppo`): a fresh network
 * of `ctx.policy`, the network of `ctx.from` (fine-tuning; its observation
 * statistics come with it), or the run of `ctx.resume`. Checkpoints go
 * through `ctx.save` at every `checkpointEvery` boundary and at the end;
 * `ctx.afterUpdate` (timed saves, evaluation, `best/`) runs after every update;
 * after a recoverable failure (a robot dropped out) the state after the
 * last update is saved and the error rethrown.
 */
export const ppoTrainer: Trainer<ResolvedPpoConfig> = {
  name: 'ppo',
  family: 'reward',
  description: 'Proximal Policy Optimization (CleanRL-style, clipped objective, GAE)',
  defaults: (envId, discrete) => ppoDefaultsFor(envId, discrete),
  resolveConfig: (config, where) => resolvePpoConfig(config, where),
  resumeConfig: (data, totalSteps, where) => {
    const st = ppoStateFromCheckpoint(data, where);
    return resolvePpoConfig({ ...stripDerived(st.config as unknown as Record<string, unknown>), ...(totalSteps !== undefined ? { totalSteps } : {}) }, `${where} config`);
  },
  endStep: (c) => c.numUpdates * c.batchSize,
  async run(ctx) {
    const { vec, config } = ctx;
    const options = { metrics: ctx.metrics, onCheckpoint: (s: PpoTrainingState) => ctx.save(ppoCheckpoint(s, ctx.meta)), rolloutSource: ctx.rolloutSource, rewardHook: ctx.rewardHook };
    let ppo: PPO;
    if (ctx.resume) {
      ppo = await PPO.restore(vec, { ...ppoStateFromCheckpoint(ctx.resume, 'lamkit train --resume'), config }, options);
    } else if (ctx.from) {
      await initBackend();
      const head = new ActionCodec(vec.singleActionSpace).head;
      let net = restorePolicy(ctx.from.policy, 'lamkit train --from policy');
      const sameSpaces = net.obsDim === vec.obsDim && JSON.stringify(net.head) === JSON.stringify(head);
      if (!sameSpaces && net instanceof TransformerActorCritic) {
        // A transformer of other spaces (a pretrained base) keeps its trunk and gets fresh tokenizers and heads.
        const adapted = net.adaptedTo({ obsDim: vec.obsDim, head }, new Rng(config.seed).spawn());
        net.dispose();
        net = adapted;
      } else {
        try {
          checkFrom(ctx.from, vec.obsDim, head);
        } catch (err) {
          net.dispose();
          throw err;
        }
      }
      // A new run trains every group unless its config freezes some (paramGroups).
      for (const g of net.paramGroups()) net.setTrainable(g.name, true);
      ppo = await PPO.create(vec, config, { ...options, net, normalization: { obs: sameSpaces ? ctx.from.normalization.obs : null, ret: null } });
    } else {
      ppo = await PPO.create(vec, config, { ...options, policy: ctx.policy });
    }
    // Keep the state after each update: a robot failure mid-rollout saves it and says how to continue.
    let lastUpdate: PpoTrainingState | null = null;
    const sub = ctx.metrics.subscribe({ next: (row) => void (row['charts/learning_rate'] !== undefined && (lastUpdate = ppo.trainingState())), error: () => {} });
    try {
      const afterUpdate = ctx.afterUpdate?.bind(ctx);
      return await ppo.learn({
        stop: () => ctx.stop(),
        afterUpdate: afterUpdate && (() => afterUpdate({ globalStep: ppo.step, wallSeconds: ppo.wallSeconds(), last: ppo.updates >= config.numUpdates, policy: () => ppo.policy(), checkpoint: () => ppoCheckpoint(ppo.trainingState(), ctx.meta) })),
      });
    } catch (err) {
      if (lastUpdate && ctx.recoverable(err)) {
        const state: PpoTrainingState = lastUpdate;
        ctx.save(ppoCheckpoint(state, ctx.meta));
        ctx.log(`saved the state after the last update (step ${state.globalStep})`);
      }
      throw err;
    } finally {
      sub.unsubscribe();
      ppo.dispose();
    }
  },
};

/** `--from` must hold a network for these spaces. */
function checkFrom(from: CheckpointData, obsDim: number, head: unknown): void {
  const spec = from.policy.spec as { obsDim?: unknown; head?: unknown };
  if (spec.obsDim !== obsDim || JSON.stringify(spec.head) !== JSON.stringify(head)) {
    throw new InvalidArgument(
      formatError('lamkit train --from', `a policy for obs ${obsDim} and head ${JSON.stringify(head)}`, `a '${from.policy.kind}' policy for obs ${describeValue(spec.obsDim)} and head ${JSON.stringify(spec.head)} (trained on ${from.meta.envId})`, 'Start from a checkpoint of a task with the same spaces'),
    );
  }
}

registerTrainer(ppoTrainer);