import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { parseWith } from '../policies/policy-kinds.js';
import { AdamW } from '../optim/adamw.js';
import type { OptimizerState } from '../optim/adamw-options.js';
import type { LearnedReward } from './learned-reward.js';
import type { Transitions } from './transitions.js';

/** Settings of the discriminator and of the learned reward it gives PPO (each documented; `resolveDiscriminatorConfig` fills the defaults). */
export const discriminatorConfigSchema = z
  .object({
    /** Hidden widths of each reward MLP (tanh). */
    hidden: z.array(z.number().int().positive()).default([64, 64]),
    /** GAIL: the discriminator reads (s, a) or (s, a, s'). */
    inputs: z.enum(['sa', 'sas']).default('sa'),
    /** AIRL: g(s) (state-only, the reward that transfers to new dynamics) or g(s, a). */
    stateOnly: z.boolean().default(true),
    /** Adam learning rate of the discriminator. */
    learningRate: z.number().positive().default(1e-3),
    /** Expert and policy transitions per discriminator minibatch (each). */
    batchSize: z.number().int().positive().default(256),
    /** Discriminator minibatch steps after each PPO rollout. */
    updatesPerRollout: z.number().int().min(0).default(4),
    /** Symmetric label smoothing: expert targets 1 - s, policy targets s (Salimans et al. 2016). */
    labelSmoothing: z.number().min(0).max(0.5).default(0),
    /** Weight of the zero-centred gradient penalty on expert inputs, coef * mean ||grad_x logit||^2 (R1, Mescheder et al. 2018). 0: off. */
    gradientPenalty: z.number().min(0).default(0),
    /**
     * Generator replay buffer: the discriminator's policy minibatches are
     * drawn from the policy transitions of the last rollouts that fit in
     * this many transitions (the current rollout always included; AIRL
     * re-reads log pi of older rows under the current generator). 0: the
     * current rollout only (GAIL's and AIRL's usual update; the `imitation`
     * library's `gen_replay_buffer_capacity` defaults to one rollout too).
     * Older rollouts keep the discriminator scoring the states the policy
     * has left behind: without them a late discriminator sees only
     * near-expert states and the reward elsewhere drifts (ArmReach-v0:
     * AIRL's g rising with the distance to the target; docs/benchmarks.md,
     * Imitation).
     */
    replayCapacity: z.number().int().min(0).default(0),
    /** Global gradient-norm clip of the discriminator step. */
    maxGradNorm: z.number().positive().default(10),
    /**
     * The fixed statistics the reward networks standardize observations with
     * (then clip to +-10). `expert`: the demonstrations' alone; a near-constant
     * feature of the expert (CartPole's pole angle: std 0.013 rad) then
     * saturates a step away from the demonstrations, and the reward is flat
     * (no way back) everywhere else. `mixture`: the equal-weight mixture of
     * the expert's and the first rollout's states (the discriminator's
     * balanced batches; the `imitation` library's RunningNorm on its reward
     * net's inputs sees the same mixture), set before the first
     * discriminator step and frozen after.
     */
    inputStats: z.enum(['expert', 'mixture']).default('expert'),
    /** Divide the learned reward by a running std of it (no mean shift: a shift would be a per-step survival bonus or penalty). */
    normalizeReward: z.boolean().default(true),
    /**
     * Treat terminations as entering an absorbing state (Kostrikov et al.
     * 2019): the discriminator also sees absorbing-state samples (one per
     * terminated episode, expert and policy), and PPO is given the reward
     * minus the absorbing state's (so the absorbing state is worth 0 forever
     * after, which PPO's GAE does not need to bootstrap; the same returns up
     * to a constant as adding the discounted tail gamma/(1-gamma)
     * r(absorbing) at terminal steps: `writeLearnedRewards`). Off: the reward
     * of the absorbing state is 0 (the usual bias: log-D-style rewards then
     * favour or punish ending episodes depending on their sign).
     */
    absorbing: z.boolean().default(true),
    /**
     * Weight of each absorbing-state sample in the discriminator loss,
     * relative to a real transition (`absorbing` on). An episode that ends
     * stays in the absorbing state for good, so in the discounted occupancy
     * measure GAIL matches one termination stands for ~1/(1-gamma) visits of
     * it, not one: 0 (default) takes that weight, 1/(1-gamma) with the
     * generator's gamma; a positive number fixes it (1: one sample each).
     * With weight 1 on InvertedPendulum-v5 (the expert never terminates) the
     * absorbing state's logit stayed at the level of every policy state
     * (the encoded absorbing row is the expert's mean state plus an
     * indicator), so ending an episode cost nothing and the generator
     * learned to fall in 2-3 steps (docs/benchmarks.md, Imitation).
     */
    absorbingWeight: z.number().min(0).default(0),
    /**
     * The observation dimensions the reward networks read (indices into the
     * flat observation; default: all). The others are held at 0, so the
     * discriminator cannot tell expert from policy by them. On a
     * goal-conditioned task the goal's absolute position is one such
     * dimension: a few dozen demonstrations cover a few dozen goals, and a
     * discriminator that reads the goal learns which goals the expert had
     * instead of how it moved (ArmReach-v0: `[18, 19, 20]`, target - end
     * effector; docs/benchmarks.md, Imitation).
     */
    observations: z.array(z.number().int().min(0)).min(1).optional(),
    /**
     * AIRL: the weight w of -log pi(a|s) in the generator's reward f - w log pi
     * (the discriminator itself always uses f - log pi). 1 is AIRL's
     * log D - log(1 - D), an entropy bonus of weight 1 in logit units. On a
     * bounded action space (a Box the env clips) a wider Gaussian costs
     * nothing in f once its samples clip, so that bonus widens the policy
     * without end: ArmReach-v0, entropy 8.6 -> 36 nats in 500k steps and
     * returns below random's; Pendulum-v1 likewise (docs/benchmarks.md,
     * Imitation). 0 rewards f alone (PPO's `entCoef` still applies).
     * Default: 1 on discrete actions (log pi is bounded there), 0 on
     * continuous ones.
     */
    logPiWeight: z.number().min(0).max(1).optional(),
  })
  .strict();

/** A resolved discriminator config. */
export type DiscriminatorConfig = z.infer<typeof discriminatorConfigSchema>;

/** Validates a discriminator config and fills the defaults; errors name the field. */
export function resolveDiscriminatorConfig(config: Record<string, unknown>, where = 'DiscriminatorConfig'): DiscriminatorConfig {
  return parseWith(discriminatorConfigSchema, config, where, 'agents/rewards/discriminator.ts');
}

/** What one discriminator step measured. */
export interface DiscriminatorStats {
  loss: number;
  /** Fraction of expert rows with logit > 0. */
  accExpert: number;
  /** Fraction of policy rows with logit < 0. */
  accPolicy: number;
  gradPenalty: number;
}

/**
 * Trains a {@link LearnedReward} as a binary classifier of expert (label 1)
 * versus policy (label 0) transitions on the logit `score - logPi` (GAIL:
 * no policy term; AIRL: `f - log pi(a|s)`, Fu et al. 2018 eq. 3), with
 * binary cross-entropy on logits, optional label smoothing and gradient
 * penalty, Adam with gradient-norm clipping.
 */
export class Discriminator {
  private readonly adam: AdamW;
  private readonly vars: tf.Variable[];

  constructor(readonly reward: LearnedReward, readonly config: DiscriminatorConfig) {
    this.adam = new AdamW(reward.variables(), ['reward'], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    this.vars = this.adam.trainableVariables();
  }

  /**
   * One minibatch step.
   * @param logPiExpert / logPiPolicy `Float32Array [rows]`: log pi(a|s) of each row for AIRL (0 on absorbing rows); null for GAIL.
   * @param absorbingWeight the loss weight of an absorbing-state row (real rows 1); the resolved value, not 0.
   */
  step(expert: Transitions, policy: Transitions, logPiExpert: Float32Array | null, logPiPolicy: Float32Array | null, absorbingWeight = 1): DiscriminatorStats {
    const c = this.config;
    const s = c.labelSmoothing;
    const stats = new Float32Array(4);
    const { value, grads } = tf.variableGrads(() => {
      const gp = c.gradientPenalty > 0;
      const e = gp ? this.reward.scoreWithGradNorm(expert) : { out: this.reward.score(expert), gradSq: null };
      const p = this.reward.score(policy);
      const ze = logPiExpert ? tf.sub(e.out, tf.tensor1d(logPiExpert)) : e.out;
      const zp = logPiPolicy ? tf.sub(p, tf.tensor1d(logPiPolicy)) : p;
      // BCE on logits: softplus(z) - y z, each side a weighted mean (absorbing rows weigh absorbingWeight).
      const mean = (x: tf.Tensor, t: Transitions): tf.Tensor => {
        if (absorbingWeight === 1) return tf.mean(x);
        const w = Float32Array.from(t.absorbing, (v) => (v ? absorbingWeight : 1));
        return tf.div(tf.sum(tf.mul(x, tf.tensor1d(w))), w.reduce((a, b) => a + b, 0));
      };
      const le = mean(tf.sub(tf.softplus(ze), tf.mul(1 - s, ze)), expert);
      const lp = mean(tf.sub(tf.softplus(zp), tf.mul(s, zp)), policy);
      let loss = tf.mul(0.5, tf.add(le, lp));
      let penalty: tf.Tensor = tf.scalar(0);
      if (e.gradSq) {
        penalty = tf.mean(e.gradSq);
        loss = tf.add(loss, tf.mul(c.gradientPenalty, penalty));
      }
      const accE = tf.mean(tf.cast(tf.greater(ze, 0), 'float32'));
      const accP = tf.mean(tf.cast(tf.less(zp, 0), 'float32'));
      stats.set(tf.stack([accE, accP, penalty]).dataSync(), 1);
      return loss as tf.Scalar;
    }, this.vars);
    const norm = this.adam.apply(grads, c.learningRate, c.maxGradNorm);
    stats[0] = value.dataSync()[0];
    tf.dispose([value, norm, ...Object.values(grads)]);
    return { loss: stats[0], accExpert: stats[1], accPolicy: stats[2], gradPenalty: stats[3] };
  }

  /** The Adam moments (a copy), for checkpoints. */
  getOptimizerState(): OptimizerState {
    return this.adam.getState();
  }

  /** Restores {@link getOptimizerState}'s moments (resuming a run). */
  setOptimizerState(state: OptimizerState): void {
    this.adam.setState(state);
  }

  /** Frees the optimizer state (not the reward). Idempotent. */
  dispose(): void {
    this.adam.dispose();
  }
}
