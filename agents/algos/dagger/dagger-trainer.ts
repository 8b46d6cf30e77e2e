import { z } from 'zod';
import { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { Policy } from '../../../src/core/policy.js';
import { runEpisodes } from '../../../src/core/run-episodes.js';
import { openDataset } from '../../../src/data/lerobot-dataset.js';
import { recordEpisodes } from '../../../src/data/record-episodes.js';
import { initBackend } from '../../backend.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import { ActionCodec } from '../../policies/action-codec.js';
import { policyKind, resolvePolicyConfig, parseWith } from '../../policies/policy-kinds.js';
import { capturePolicy, restorePolicy } from '../../policies/policy-state.js';
import { NetworkPolicy } from '../../policies/network-policy.js';
import type { CheckpointData } from '../../checkpoint/save-checkpoint.js';
import { registerTrainer, type Trainer } from '../trainer.js';
import { BehaviorCloning, resolveBcConfig } from '../bc/behavior-cloning.js';
import { observationStats, normalizeDemonstrations, type Demonstrations } from '../bc/demonstrations.js';
import { datasetDemonstrations } from '../bc/dataset-demonstrations.js';
import { imitationInputs, type ImitationContext } from '../imitation-inputs.js';
import { MixtureEnv } from './mixture-env.js';

/** DAgger settings (each documented; `resolveDaggerConfig` fills the defaults). */
export const daggerConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    /** Unused by DAgger (it counts rounds); kept so the CLI's --total-steps is accepted. */
    totalSteps: z.number().int().positive().default(1),
    /** Unused by DAgger (one env); kept for the common trainer fields. */
    numEnvs: z.number().int().positive().default(1),
    /** Aggregation rounds after the initial behaviour cloning on the demonstrations. */
    rounds: z.number().int().positive().default(5),
    /** Episodes of the mixture policy labelled by the expert per round. */
    episodesPerRound: z.number().int().positive().default(5),
    /** beta_i for round i = 1..rounds: `exponential` beta_i = betaDecay^i (Ross et al. 2011's p^(i-1) after the expert-only first iteration, which the demonstrations are); `linear` beta_i = max(0, 1 - i / rounds). */
    betaSchedule: z.enum(['exponential', 'linear']).default('exponential'),
    betaDecay: z.number().min(0).max(1).default(0.5),
    /** Episodes of the learner alone (deterministic) evaluated after each round. */
    evalEpisodes: z.number().int().min(0).default(5),
    /** Behaviour-cloning settings of each round (agents/algos/bc/behavior-cloning.ts; its seed is the run's). */
    bc: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** A resolved DAgger config. */
export type DaggerConfig = z.infer<typeof daggerConfigSchema>;

/** Validates a DAgger config (the `bc` object too); errors name the field. */
export function resolveDaggerConfig(config: Record<string, unknown>, where = 'DaggerConfig'): DaggerConfig {
  const c = parseWith(daggerConfigSchema, config, where, 'agents/algos/dagger/dagger-trainer.ts');
  resolveBcConfig({ ...c.bc, seed: c.seed }, `${where}.bc`);
  return c;
}

/** beta of round `i` (1-based). */
export function daggerBeta(c: Pick<DaggerConfig, 'betaSchedule' | 'betaDecay' | 'rounds'>, i: number): number {
  return c.betaSchedule === 'exponential' ? c.betaDecay ** i : Math.max(0, 1 - i / c.rounds);
}

/**
 * DAgger (Ross, Gordon & Bagnell 2011, arXiv:1011.0686) as a registered
 * 'demonstrations' trainer: behaviour cloning on the demonstrations, then
 * `rounds` times: run the mixture beta_i expert + (1 - beta_i) learner
 * ({@link MixtureEnv}) for `episodesPerRound` episodes with the expert
 * labelling every visited state, append those episodes to the aggregated
 * dataset (`ImitationInputs.aggregateDir`, written by `recordEpisodes`
 * with the datasets writer), and re-fit the learner on demonstrations +
 * all labelled states. Observation statistics come from the
 * demonstrations and are saved with the policy. Early stopping reads the
 * aggregated data itself (no held-out split). Metrics per round
 * (`global_step` = round): `dagger/beta`, `dagger/aggregated_steps`,
 * `dagger/learner_fraction`, `losses/bc_nll`, and the learner's own
 * episodes as `charts/episodic_return`.
 */
export const daggerTrainer: Trainer<DaggerConfig> = {
  name: 'dagger',
  family: 'demonstrations',
  description: 'DAgger (Ross et al. 2011): behaviour cloning on states the learner visits, labelled by an expert',
  defaults: () => ({}),
  resolveConfig: (config, where) => resolveDaggerConfig(config, where),
  resumeConfig(data: CheckpointData) {
    throw new InvalidArgument(formatError('lamkit imitate --resume', 'a run of a trainer that resumes', `a ${describeValue(data.algo.name)} run`, 'DAgger runs do not resume; start a new run'));
  },
  endStep: (c) => c.rounds,
  async run(ctx: ImitationContext<DaggerConfig>) {
    const inputs = imitationInputs(ctx, 'DAgger');
    const { config: c } = ctx;
    if (!inputs.expert) throw new InvalidArgument(formatError('DAgger.expert', 'an expert policy to label states (a scripted expert or a checkpoint)', 'none', 'Pass --expert expert or --expert <checkpoint>'));
    if (!inputs.makeEnv || !inputs.aggregateDir) throw new InvalidArgument(formatError('DAgger.makeEnv/aggregateDir', 'an env factory and a directory for the aggregated dataset', 'none', 'Run it through lamkit imitate'));
    await initBackend();
    const t0 = performance.now();
    const rng = new Rng(c.seed);
    const obsSpace = ctx.vec.singleObservationSpace;
    const actSpace = ctx.vec.singleActionSpace;
    const io = { obsDim: ctx.vec.obsDim, head: new ActionCodec(actSpace).head };
    let net: ActorCritic;
    if (ctx.from) net = restorePolicy(ctx.from.policy, 'DAgger --from policy');
    else {
      const p = resolvePolicyConfig(ctx.policy ?? { kind: 'mlp' }, 'DAgger.policy');
      net = policyKind(p.kind).create(p, io, rng.spawn());
    }
    const env = await inputs.makeEnv();
    const expert = inputs.expert(env);
    const demos = inputs.demonstrations;
    const stats = observationStats(demos);
    const normalized = (d: Demonstrations): Demonstrations => {
      const copy = { ...d, obs: d.obs.slice() };
      normalizeDemonstrations(copy, stats, 10);
      return copy;
    };
    const normalization = { obs: stats, ret: null, clipObs: 10 };
    const learner = (): Policy => {
      const state = capturePolicy(net);
      const kind = policyKind(state.kind);
      const parts = { observationSpace: obsSpace, actionSpace: actSpace, obsStats: stats, clipObs: 10, seed: c.seed };
      return kind.jsPolicy ? kind.jsPolicy(state.spec, state.tensors, parts) : new NetworkPolicy(restorePolicy(state, 'DAgger.learner'), parts);
    };
    const checkpoint = (round: number, aggregated: number): CheckpointData => ({
      meta: ctx.meta,
      policy: capturePolicy(net),
      normalization,
      algo: { name: 'dagger', config: c as unknown as Record<string, unknown>, state: { globalStep: round, round, aggregatedSteps: aggregated, aggregateDir: inputs.aggregateDir }, optimizer: null },
    });
    let aggregated = normalized(demos);
    const episodes: Array<{ globalStep: number; wallSeconds: number; return: number; length: number }> = [];
    const wall = (): number => (performance.now() - t0) / 1000;
    const fit = async (round: number): Promise<number> => {
      const bc = resolveBcConfig({ ...c.bc, seed: c.seed + round }, 'DAgger.bc');
      return (await new BehaviorCloning(net, { train: aggregated, val: aggregated }, bc).fit()).bestValLoss;
    };
    let round = 0;
    try {
      let loss = await fit(0);
      ctx.metrics.emit({ global_step: 0, wall_s: wall(), 'losses/bc_nll': loss, 'dagger/aggregated_steps': aggregated.rows });
      for (round = 1; round <= c.rounds; round++) {
        const beta = daggerBeta(c, round);
        const policy = learner();
        const mixture = new MixtureEnv(env, policy, beta, rng.spawn());
        let rec;
        try {
          rec = await recordEpisodes(expert, mixture, { out: inputs.aggregateDir, episodes: c.episodesPerRound, seed: c.seed * 1000 + round * c.episodesPerRound, envId: inputs.envId, deterministic: true });
        } finally {
          policy.dispose?.();
        }
        const ds = await openDataset(inputs.aggregateDir);
        const fresh = Array.from({ length: rec.episodes.length }, (_, k) => rec.firstIndex + k);
        const labelled = normalized(await datasetDemonstrations(ds, fresh, obsSpace, actSpace, `DAgger aggregated dataset ${inputs.aggregateDir}`));
        aggregated = concatDemonstrations(aggregated, labelled);
        loss = await fit(round);
        const row = { global_step: round, wall_s: wall(), 'losses/bc_nll': loss, 'dagger/beta': beta, 'dagger/aggregated_steps': aggregated.rows, 'dagger/learner_fraction': mixture.learnerSteps / Math.max(1, mixture.steps) };
        ctx.metrics.emit(row);
        if (c.evalEpisodes > 0) {
          const p = learner();
          try {
            const ev = await runEpisodes(env, p, { episodes: c.evalEpisodes, seed: c.seed * 1000 + 500_000 + round * c.evalEpisodes, deterministic: true });
            for (const e of ev.episodes) {
              const r = { globalStep: round, wallSeconds: wall(), return: e.return, length: e.length };
              episodes.push(r);
              ctx.metrics.emit({ global_step: round, wall_s: r.wallSeconds, 'charts/episodic_return': e.return, 'charts/episodic_length': e.length });
            }
          } finally {
            p.dispose?.();
          }
        }
        ctx.log(`DAgger round ${round}/${c.rounds}: beta ${beta.toFixed(3)}, ${rec.totalFrames} labelled steps in ${inputs.aggregateDir}, NLL ${loss.toFixed(4)}`);
        await ctx.afterUpdate?.({ globalStep: round, wallSeconds: wall(), last: round === c.rounds, policy: learner, checkpoint: () => checkpoint(round, aggregated.rows) });
        if (ctx.stop()) break;
      }
      ctx.save(checkpoint(Math.min(round, c.rounds), aggregated.rows));
      return { globalStep: Math.min(round, c.rounds), updates: Math.min(round, c.rounds), wallSeconds: wall(), episodes };
    } finally {
      expert.dispose?.();
      await env.close();
      net.dispose();
    }
  },
};

/** `a` then `b` (episodes back to back). */
export function concatDemonstrations(a: Demonstrations, b: Demonstrations): Demonstrations {
  const obs = new Float32Array(a.obs.length + b.obs.length);
  obs.set(a.obs);
  obs.set(b.obs, a.obs.length);
  const actions = new Float32Array(a.actions.length + b.actions.length);
  actions.set(a.actions);
  actions.set(b.actions, a.actions.length);
  const episodeStart = new Uint8Array(a.rows + b.rows);
  episodeStart.set(a.episodeStart);
  episodeStart.set(b.episodeStart, a.rows);
  return { obsDim: a.obsDim, actDim: a.actDim, rows: a.rows + b.rows, obs, actions, episodeStart };
}

registerTrainer(daggerTrainer);
