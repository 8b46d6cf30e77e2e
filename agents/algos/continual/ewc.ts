import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../../src/core/rng.js';
import type { ActorCritic } from '../../policies/actor-critic.js';
import { type Demonstrations, labelledBatchFor, sampleStarts } from '../bc/demonstrations.js';

/** A parameter's name without the network's variable prefix (`transformer3/blocks.0.attn.wq` -> `blocks.0.attn.wq`). */
export function paramName(v: tf.Variable): string {
  return v.name.slice(v.name.indexOf('/') + 1);
}

/** Per-parameter arrays by parameter name. */
export type ParamArrays = Map<string, Float32Array>;

/**
 * The variables EWC anchors: those shared by every task (the `trunk` group,
 * and `tok.start`), not a task's own tokenizers and heads.
 */
export function sharedVariables(net: ActorCritic): tf.Variable[] {
  return net.variables().filter((g) => g.group === 'trunk' || paramName(g.variable) === 'tok.start').map((g) => g.variable);
}

/**
 * Diagonal empirical Fisher information of the shared parameters on a
 * task's demonstrations: the mean over `batches` minibatches of the squared
 * gradient of the NLL, `E[(d NLL / d theta)^2]` (Kirkpatrick et al. 2017,
 * arXiv:1612.00796; minibatch gradients, as most implementations, so the
 * scale is that of a batch-mean loss).
 */
export function estimateFisher(net: ActorCritic, d: Demonstrations, o: { batches: number; batchSize: number; seqLen: number }, rng: Rng): ParamArrays {
  const vars = sharedVariables(net);
  const out: ParamArrays = new Map(vars.map((v) => [paramName(v), new Float32Array(v.size)]));
  for (let b = 0; b < o.batches; b++) {
    // The loss behaviour cloning trained on (label context, chunk targets).
    const { batch, weights } = labelledBatchFor(net, d, sampleStarts(d, o.batchSize, rng), o.seqLen);
    const w = tf.tensor1d(weights);
    const { value, grads } = tf.variableGrads(() => {
      const lp = net.evaluate(batch).logProb;
      return tf.div(tf.neg(tf.sum(tf.mul(lp, w))), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
    }, vars);
    for (const v of vars) {
      const g = grads[v.name];
      if (!g) continue;
      const gv = g.dataSync();
      const f = out.get(paramName(v)) as Float32Array;
      for (let i = 0; i < gv.length; i++) f[i] += (gv[i] * gv[i]) / o.batches;
    }
    tf.dispose([value, w, ...Object.values(grads)]);
  }
  return out;
}

/**
 * Elastic weight consolidation, online form (Schwarz et al. 2018,
 * arXiv:1805.06370): after each task the Fisher estimates accumulate
 * (`F <- gamma F + F_task`) and the anchor moves to the weights just
 * learned; the penalty is `lambda / 2 x sum_i F_i (theta_i - anchor_i)^2`
 * over the shared parameters. It is 0 at the anchor and grows with the
 * Fisher-weighted distance from it.
 */
export class EwcPenalty {
  readonly lambda: number;
  readonly gamma: number;
  private fisher: ParamArrays = new Map();
  private anchor: ParamArrays = new Map();

  constructor(lambda: number, gamma = 1) {
    this.lambda = lambda;
    this.gamma = gamma;
  }

  /** Whether a task has been consolidated yet (before that the penalty is absent). */
  get active(): boolean {
    return this.anchor.size > 0;
  }

  /** After a task: adds its Fisher estimate and anchors at `net`'s shared weights now. */
  consolidate(net: ActorCritic, taskFisher: ParamArrays): void {
    for (const [name, f] of taskFisher) {
      const prev = this.fisher.get(name);
      const sum = new Float32Array(f.length);
      for (let i = 0; i < f.length; i++) sum[i] = (prev && prev.length === f.length ? this.gamma * prev[i] : 0) + f[i];
      this.fisher.set(name, sum);
    }
    this.anchor = new Map(sharedVariables(net).map((v) => [paramName(v), v.dataSync().slice() as Float32Array]));
  }

  /** The penalty for `net`'s current weights (a scalar inside the caller's tape; 0 before any consolidation). */
  penalty(net: ActorCritic): tf.Scalar {
    return tf.tidy(() => {
      const terms: tf.Scalar[] = [];
      for (const v of sharedVariables(net)) {
        const name = paramName(v);
        const a = this.anchor.get(name);
        const f = this.fisher.get(name);
        if (!a || !f || a.length !== v.size) continue;
        terms.push(tf.sum(tf.mul(tf.tensor(f, v.shape), tf.square(tf.sub(v, tf.tensor(a, v.shape))))) as tf.Scalar);
      }
      if (terms.length === 0) return tf.scalar(0);
      return tf.mul(tf.addN(terms), this.lambda / 2) as tf.Scalar;
    });
  }

  /** Sum of the Fisher estimate (diagnostics). */
  fisherMass(): number {
    let s = 0;
    for (const f of this.fisher.values()) for (const x of f) s += x;
    return s;
  }
}
