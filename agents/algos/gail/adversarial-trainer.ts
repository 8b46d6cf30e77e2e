import { Box } from '../../../src/core/spaces/box.js';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { CheckpointData } from '../../checkpoint/save-checkpoint.js';
import type { Trainer } from '../trainer.js';
import { PPO } from '../ppo/ppo.js';
import { resolvePpoConfig, type ResolvedPpoConfig } from '../ppo/ppo-config.js';
import { ppoDefaultsFor } from '../ppo/task-defaults.js';
import { ppoCheckpoint, ppoStateFromCheckpoint, stripDerived } from '../ppo/ppo-checkpoint.js';
import type { PpoTrainingState } from '../ppo/ppo-types.js';
import { ActionCodec } from '../../policies/action-codec.js';
import { Rng } from '../../../src/core/rng.js';
import { resolveDiscriminatorConfig, type DiscriminatorConfig } from '../../rewards/discriminator.js';
import { AdversarialImitation, type AdversarialState, type ReplayState } from './adversarial-imitation.js';
import { imitationInputs, type ImitationContext } from '../imitation-inputs.js';

/** A GAIL / AIRL config: PPO's fields for the generator plus `reward`, the discriminator's. */
export type AdversarialConfig = ResolvedPpoConfig & { reward: DiscriminatorConfig };

/**
 * GAIL or AIRL as a registered 'demonstrations' trainer: PPO (any
 * `ActorCritic`: `--policy-kind`, or `--from` a fine-tuned checkpoint)
 * whose reward hook is an {@link AdversarialImitation}. Checkpoints are
 * PPO's with `algo.name` = the trainer and the learned reward in
 * `algo.state.reward` (a reward for `lamkit eval`-style reuse and for
 * reward transfer) and, in `algo.state.adversarial`, the rest of the
 * discriminator's training state, so `ctx.resume` continues a run: from a
 * `checkpointEvery` boundary bit for bit, from any other checkpoint with
 * the same weights, optimizers, statistics and RNGs and fresh episodes.
 */
export function adversarialTrainer(kind: 'gail' | 'airl'): Trainer<AdversarialConfig> {
  const name = kind;
  const where = kind.toUpperCase();
  return {
    name,
    family: 'demonstrations',
    description: kind === 'gail' ? 'Generative Adversarial Imitation Learning (Ho & Ermon 2016) over PPO' : 'Adversarial Inverse RL (Fu et al. 2018): a disentangled reward g(s) learned with PPO',
    defaults: (envId, discrete) => ({
      ...ppoDefaultsFor(envId, discrete),
      // The learned reward is normalized by the hook; PPO's return scaling would scale it again.
      normalizeReward: false,
      // GAIL on discrete actions: an entropy bonus keeps the generator exploring against the
      // discriminator. CartPole-v1, 4 demos, 30k steps (bench/imitate, docs/benchmarks.md): normalized
      // score 0.760 at 0 (seed 1), 0.912 / 0.931 / 1.000 at 0.01 (seeds 1-3). Not on Gaussian heads:
      // InvertedPendulum-v5 GAIL 1.000 / 1.000 / 0.124 at 0.01, 1.000 x 3 at 0 (100k steps), and PPO on
      // its true reward 764 at 0.01 vs 1000 at 0 (61k steps). AIRL's reward already holds -log pi.
      ...(kind === 'gail' && discrete ? { entCoef: 0.01 } : {}),
    }),
    resolveConfig(config, w) {
      const { reward, ...ppo } = config;
      if (reward !== undefined && (reward === null || typeof reward !== 'object' || Array.isArray(reward))) {
        throw new InvalidArgument(formatError(`${w}.reward`, 'an object of discriminator settings (agents/rewards/discriminator.ts)', describeValue(reward), 'Pass e.g. {"reward": {"gradientPenalty": 1}}'));
      }
      const resolved = resolvePpoConfig(ppo, w);
      return { ...resolved, reward: resolveDiscriminatorConfig((reward ?? {}) as Record<string, unknown>, `${w}.reward`) };
    },
    resumeConfig(data: CheckpointData, totalSteps, w) {
      if (data.algo.name !== name) {
        throw new FileFormatError(formatError(`${w}.algo.name`, `${describeValue(name)} (a ${where} run)`, describeValue(data.algo.name), `Resume with --algo ${data.algo.name}`));
      }
      const saved = { ...stripDerived(data.algo.config), ...(totalSteps !== undefined ? { totalSteps } : {}) };
      try {
        return this.resolveConfig(saved, `${w} config`);
      } catch (err) {
        throw new FileFormatError((err as Error).message, { cause: err });
      }
    },
    endStep: (c) => c.numUpdates * c.batchSize,
    async run(ctx: ImitationContext<AdversarialConfig>) {
      const inputs = imitationInputs(ctx, where);
      const { vec, config } = ctx;
      const { reward: rewardConfig, ...ppoConfig } = config;
      const codec = new ActionCodec(vec.singleActionSpace);
      const box = vec.singleActionSpace instanceof Box ? vec.singleActionSpace : null;
      const resume = ctx.resume ? adversarialStateOf(ctx.resume, where) : null;
      const adv = new AdversarialImitation({
        kind,
        config: rewardConfig,
        expert: inputs.transitions,
        obsDim: vec.obsDim,
        head: codec.head,
        actionBounds: box ? { low: Array.from(box.low), high: Array.from(box.high) } : null,
        gamma: config.gamma,
        rng: new Rng(config.seed).spawn(),
        metrics: ctx.metrics,
        ...(resume ? { resume: resume.adversarial, resumeReplay: resume.replay } : {}),
      });
      let ppo: PPO | null = null;
      try {
        const save = (st: ReturnType<PPO['trainingState']>): CheckpointData => {
          const ck = ppoCheckpoint(st, ctx.meta);
          const { reward, ...adversarial } = adv.getState();
          // The replay buffer (replayCapacity > 0): its rollouts' sizes in the JSON, the transitions in arrays.bin.
          const replay = adv.getReplay();
          const state = { ...ck.algo.state, reward, adversarial: { ...adversarial, ...(replay ? { replayRows: replay.rows } : {}) } };
          return { ...ck, algo: { ...ck.algo, name, config: { ...stripDerived(ck.algo.config), reward: rewardConfig }, state, ...(replay ? { arrays: { ...ck.algo.arrays, ...replay.arrays } } : {}) } };
        };
        const options = {
          metrics: ctx.metrics,
          onCheckpoint: (s: ReturnType<PPO['trainingState']>) => ctx.save(save(s)),
          rewardHook: (b: Parameters<AdversarialImitation['relabel']>[0]) => adv.relabel(b, ppo!.step, ppo!.wallSeconds()),
        };
        const ppoResolved = ppoConfig as ResolvedPpoConfig;
        if (resume) {
          ppo = await PPO.restore(vec, { ...resume.ppo, config: ppoResolved }, options);
        } else if (ctx.from) {
          // A network trained on normalized observations (lamkit finetune saves the statistics) must keep seeing them.
          if (ctx.from.normalization.obs && !ppoResolved.normalizeObs) {
            throw new InvalidArgument(formatError(`${where} --from`, 'a network trained on raw observations, since normalizeObs is false', 'one saved with observation statistics (it expects normalized observations)', 'Add {"normalizeObs": true} to --config'));
          }
          const { restorePolicy } = await import('../../policies/policy-state.js');
          const { initBackend } = await import('../../backend.js');
          await initBackend();
          const net = restorePolicy(ctx.from.policy, `lamkit imitate --from policy`);
          for (const g of net.paramGroups()) net.setTrainable(g.name, true);
          ppo = await PPO.create(vec, ppoResolved, { ...options, net, normalization: { obs: ctx.from.normalization.obs, ret: null } });
        } else {
          ppo = await PPO.create(vec, ppoResolved, { ...options, policy: ctx.policy });
        }
        const gen = ppo;
        adv.attach(gen.net, (raw, rows) => gen.networkObs(raw, rows));
        const p = ppo;
        const afterUpdate = ctx.afterUpdate?.bind(ctx);
        return await p.learn({
          stop: () => ctx.stop(),
          afterUpdate: afterUpdate && (() => afterUpdate({ globalStep: p.step, wallSeconds: p.wallSeconds(), last: p.updates >= config.numUpdates, policy: () => p.policy(), checkpoint: () => save(p.trainingState()) })),
        });
      } finally {
        ppo?.dispose();
        adv.dispose();
      }
    },
  };
}

/**
 * The PPO and adversarial states of a GAIL / AIRL checkpoint being resumed:
 * PPO's part is read as a PPO checkpoint, the discriminator's from
 * `algo.state.reward` (its network) and `algo.state.adversarial` (Adam
 * moments, reward scale, RNG).
 */
function adversarialStateOf(data: CheckpointData, where: string): { ppo: PpoTrainingState; adversarial: AdversarialState; replay: ReplayState | null } {
  const w = `${where} --resume`;
  const { reward: _reward, ...ppoConfig } = data.algo.config;
  const ppo = ppoStateFromCheckpoint({ ...data, algo: { ...data.algo, name: 'ppo', config: ppoConfig } }, w);
  const st = data.algo.state as { reward?: unknown; adversarial?: Partial<AdversarialState> & { replayRows?: unknown } };
  const adv = st.adversarial;
  if (!st.reward || !adv || typeof adv !== 'object' || !adv.optimizer || !adv.rewardScale || !adv.rng) {
    throw new FileFormatError(formatError(`${w}.algo.state.adversarial`, 'the discriminator state { optimizer, rewardScale, rng } beside algo.state.reward', describeValue(adv), 'Checkpoints written before resuming existed cannot resume; start a new run with --from this checkpoint'));
  }
  let replay: ReplayState | null = null;
  if (adv.replayRows !== undefined) {
    const rows = adv.replayRows;
    if (!Array.isArray(rows) || !rows.every((n) => Number.isInteger(n) && n > 0)) {
      throw new FileFormatError(formatError(`${w}.algo.state.adversarial.replayRows`, "the replay buffer's rollout sizes (positive integers)", describeValue(rows), 'Resume from a checkpoint written by lamkit imitate, whole'));
    }
    replay = { rows: rows as number[], arrays: data.algo.arrays ?? {} };
  }
  return { ppo, adversarial: { reward: st.reward as AdversarialState['reward'], optimizer: adv.optimizer, rewardScale: adv.rewardScale, rng: adv.rng }, replay };
}

/** Checks that a resolved generator config is PPO's (used by tests). */
export function generatorConfig(c: AdversarialConfig): ResolvedPpoConfig {
  const { reward: _r, ...ppo } = c;
  return resolvePpoConfig(stripDerived(ppo as unknown as Record<string, unknown>), 'generatorConfig');
}
