import * as tf from '@tensorflow/tfjs';
import { InvalidArgument, formatError } from '../../../src/core/errors.js';
import type { ActorCritic, EvalBatch } from '../../policies/actor-critic.js';
import type { HeadSpec } from '../../policies/param-layout.js';

/** What the reference policy outputs on a minibatch (no gradient): its actor output and, for Gaussian heads, its log-std. */
export interface ReferenceOutput {
  /** `[scoredRows x outDim]` logits or means. */
  actorOut: tf.Tensor2D;
  logStd: tf.Tensor1D | null;
}

/**
 * The log-std variable of a Gaussian network, as a tensor of its own
 * (`head.actor.log_std` of the transformer); null for categorical heads.
 * @throws InvalidArgument when a Gaussian network keeps it inside another
 *   variable (the MLP packs it into its flat `actor` group).
 */
export function actorLogStd(net: ActorCritic, where: string): tf.Tensor1D | null {
  if (net.head.kind !== 'gaussian') return null;
  const v = net.variables().find((g) => g.variable.name.endsWith('head.actor.log_std'));
  if (!v) throw new InvalidArgument(formatError(where, `a network whose log-std is its own variable (kind transformer)`, `a '${net.kind}' network`, 'Use the KL penalty with a transformer, or set klRefCoef 0'));
  return v.variable as unknown as tf.Tensor1D;
}

/**
 * Per-row KL(pi || ref) between two action distributions of the same head,
 * `[rows]`, differentiable in `p`:
 * - categorical (each component of `nvec`): `sum_k p_k (log p_k - log q_k)`, summed over components;
 * - diagonal Gaussian: `sum_j log(sq_j / sp_j) + (sp_j^2 + (mp_j - mq_j)^2) / (2 sq_j^2) - 1/2`.
 */
export function klDivergence(head: HeadSpec, p: ReferenceOutput, q: ReferenceOutput): tf.Tensor1D {
  return tf.tidy(() => {
    if (head.kind === 'categorical') {
      const parts: tf.Tensor1D[] = [];
      let offset = 0;
      for (const n of head.nvec) {
        const lp = tf.logSoftmax(tf.slice(p.actorOut, [0, offset], [-1, n]));
        const lq = tf.logSoftmax(tf.slice(q.actorOut, [0, offset], [-1, n]));
        parts.push(tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), 1) as tf.Tensor1D);
        offset += n;
      }
      return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor1D;
    }
    const lsP = p.logStd as tf.Tensor1D;
    const lsQ = q.logStd as tf.Tensor1D;
    const varQ = tf.exp(tf.mul(lsQ, 2));
    const perDim = tf.add(tf.sub(lsQ, lsP), tf.sub(tf.div(tf.add(tf.exp(tf.mul(lsP, 2)), tf.square(tf.sub(p.actorOut, q.actorOut))), tf.mul(varQ, 2)), 0.5));
    return tf.sum(perDim, 1) as tf.Tensor1D;
  });
}

/**
 * The KL penalty towards a frozen reference policy (the fine-tuned network
 * PPO starts from), as in RLHF fine-tuning (Ziegler et al. 2019,
 * arXiv:1909.08593; Ouyang et al. 2022): `loss += coef x mean KL(pi || ref)`
 * over a minibatch's real transitions, analytic per row, so it is 0 and its
 * gradient 0 while pi equals the reference, and its gradient points back to
 * the reference once pi moved.
 *
 * Adaptive coefficient (`target` set): after each update, the PPO paper's
 * rule (Schulman et al. 2017, section 4): halve it when the update's mean KL
 * fell below `target / 1.5`, double it above `target x 1.5`.
 *
 * Owns the reference network (disposed with {@link dispose}).
 */
export class KlReference {
  readonly ref: ActorCritic;
  readonly target: number | null;
  private coef_: number;
  private disposed = false;

  constructor(ref: ActorCritic, coef: number, target: number | null) {
    if (!(coef > 0)) throw new InvalidArgument(formatError('KlReference.coef', 'a positive number', String(coef), 'Pass klRefCoef > 0 (0 turns the penalty off)'));
    actorLogStd(ref, 'PPO.config.klRefCoef');
    for (const g of ref.paramGroups()) ref.setTrainable(g.name, false);
    this.ref = ref;
    this.coef_ = coef;
    this.target = target;
  }

  /** The coefficient now (changes after updates when adaptive). */
  get coef(): number {
    return this.coef_;
  }

  /** Restores the coefficient of a saved run. */
  setCoef(coef: number): void {
    this.coef_ = coef;
  }

  /** The reference's outputs on a minibatch (kept; the caller disposes them). */
  outputs(batch: EvalBatch): ReferenceOutput {
    const actorOut = tf.tidy(() => this.ref.evaluate({ ...batch, withActorOut: true }).actorOut as tf.Tensor2D);
    const logStd = actorLogStd(this.ref, 'KlReference.ref');
    return { actorOut, logStd: logStd ? tf.clone(logStd) : null };
  }

  /** Per-row KL of `net`'s outputs (its `evaluate` with `withActorOut`) to the reference's, `[rows]`. */
  rowKl(net: ActorCritic, actorOut: tf.Tensor2D, refOut: ReferenceOutput): tf.Tensor1D {
    return klDivergence(net.head, { actorOut, logStd: actorLogStd(net, 'PPO.net') }, refOut);
  }

  /** After an update: adapts the coefficient to its mean KL (no-op for a fixed coefficient). */
  adapt(meanKl: number): void {
    if (this.target === null) return;
    if (meanKl < this.target / 1.5) this.coef_ /= 2;
    else if (meanKl > this.target * 1.5) this.coef_ *= 2;
  }

  /** Frees the reference network. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ref.dispose();
  }
}
