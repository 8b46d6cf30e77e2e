import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/rng.js';
import type { MlpActorCritic } from '../policies/mlp-actor-critic.js';
import type { RolloutBuffer } from '../buffers/rollout-buffer.js';
import { FlatAdam, type AdamState } from '../optim/flat-adam.js';
import { JsAdam } from '../optim/js-adam.js';
import { ExplicitPpoGrad } from './explicit-ppo-grad.js';
import { ppoLoss, PPO_STAT_NAMES } from './ppo-loss.js';
import type { ResolvedPpoConfig } from './ppo-config.js';
import { MinibatchAssembler } from './minibatch-assembler.js';

/** How PPO computes its gradient steps (see {@link PpoUpdater}). */
export type GradientPath = 'explicit' | 'autodiff';

interface ExplicitState {
  grad: ExplicitPpoGrad;
  adam: JsAdam;
  /** JS copy of the parameters (the tfjs network gets them after each update). */
  theta: Float32Array;
  g: Float32Array;
}

/**
 * The optimization half of {@link PPO}: `updateEpochs` epochs of shuffled
 * minibatch steps over a rollout, with the optimizer state. Two paths:
 *
 * - 'explicit' (default): {@link ExplicitPpoGrad} (hand-derived gradient,
 *   36 tfjs kernels a step for a 2-layer MLP) and {@link JsAdam} over a JS
 *   copy of the parameters, written back to the network after each update;
 * - 'autodiff': `ppoLoss` under `tf.variableGrads` with {@link FlatAdam}
 *   (~300 kernels a step; 2x slower at minibatch 256, bench/ppo-grad-step.ts).
 *
 * Same objective, statistics and Adam state format; runs differ by float
 * rounding only.
 */
export class PpoUpdater {
  readonly path: GradientPath;
  private readonly net: MlpActorCritic;
  private readonly buffer: RolloutBuffer;
  private readonly config: ResolvedPpoConfig;
  private readonly assembler: MinibatchAssembler;
  /** Tensor Adam of the autodiff path (null on the explicit path). */
  private readonly adam: FlatAdam | null;
  private readonly explicit: ExplicitState | null;

  constructor(net: MlpActorCritic, buffer: RolloutBuffer, config: ResolvedPpoConfig, path: GradientPath = 'explicit') {
    this.path = path;
    this.net = net;
    this.buffer = buffer;
    this.config = config;
    this.assembler = new MinibatchAssembler(buffer, net.dist, Math.ceil(config.batchSize / config.numMinibatches));
    const adamOptions = { beta1: 0.9, beta2: 0.999, eps: config.adamEps };
    this.adam = path === 'autodiff' ? new FlatAdam(net.numParams, adamOptions) : null;
    this.explicit =
      path === 'explicit'
        ? { grad: new ExplicitPpoGrad(net.spec), adam: new JsAdam(net.numParams, adamOptions), theta: net.readParams(), g: new Float32Array(net.numParams) }
        : null;
  }

  /** The current parameters (a copy on the autodiff path; the live JS copy on the explicit path: read only). */
  params(): Float32Array {
    return this.explicit ? this.explicit.theta : this.net.readParams();
  }

  /** A copy of the Adam state for checkpoints. */
  getAdamState(): AdamState {
    return this.explicit ? this.explicit.adam.getState() : (this.adam as FlatAdam).getState();
  }

  /** Restores the Adam state of a checkpoint. */
  setAdamState(state: AdamState): void {
    if (this.explicit) this.explicit.adam.setState(state);
    else this.adam?.setState(state);
  }

  /** Frees the tensor Adam's variables. Idempotent. */
  dispose(): void {
    this.adam?.dispose();
    this.explicit?.grad.dispose();
  }

  /** `updateEpochs` epochs of minibatch gradient steps over the buffer's rollout (shuffled with `rng`); returns the mean of each stat in PPO_STAT_NAMES. */
  update(rng: Rng, lr: number, clipCoef: number): number[] {
    return this.explicit ? this.updateExplicit(rng, lr, clipCoef, this.explicit) : this.updateAutodiff(rng, lr, clipCoef);
  }

  /** {@link update} on the explicit path: the same loop with JS parameters, gradient and Adam. */
  private updateExplicit(rng: Rng, lr: number, clipCoef: number, ex: ExplicitState): number[] {
    const c = this.config;
    const indices = this.buffer.validIndices();
    const n = indices.length;
    const mbSize = Math.ceil(n / c.numMinibatches);
    const coefs = { clipCoef, clipVloss: c.clipVloss, entCoef: c.entCoef, vfCoef: c.vfCoef };
    // float32 sums in step order, as the tensor path accumulates its stats.
    const sums = new Float32Array(PPO_STAT_NAMES.length);
    let count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      rng.shuffle(indices);
      let lastKl = 0;
      for (let start = 0; start < n; start += mbSize) {
        const mb = this.assembler.arrays(indices, start, Math.min(n, start + mbSize), c.normAdv);
        const stats = ex.grad.compute(ex.theta, mb, coefs, ex.g);
        ex.adam.apply(ex.theta, ex.g, lr, c.maxGradNorm);
        stats.forEach((v, i) => (sums[i] += v));
        lastKl = stats[3];
        count += 1;
      }
      if (c.targetKl !== null && Math.fround(lastKl) > c.targetKl) break;
    }
    this.net.writeParams(ex.theta);
    return Array.from(sums, (s) => s / Math.max(1, count));
  }

  /** {@link update} on the autodiff path (`ppoLoss` under `tf.variableGrads`, tensor Adam). */
  private updateAutodiff(rng: Rng, lr: number, clipCoef: number): number[] {
    const c = this.config;
    const indices = this.buffer.validIndices();
    const n = indices.length;
    const mbSize = Math.ceil(n / c.numMinibatches);
    const coefs = { clipCoef, clipVloss: c.clipVloss, entCoef: c.entCoef, vfCoef: c.vfCoef };
    let statSum = tf.zeros([PPO_STAT_NAMES.length]) as tf.Tensor1D;
    let count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      rng.shuffle(indices);
      let lastStats: tf.Tensor1D | null = null;
      for (let start = 0; start < n; start += mbSize) {
        const mb = this.assembler.tensors(indices, start, Math.min(n, start + mbSize), c.normAdv);
        let stats: tf.Tensor1D | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const out = ppoLoss(this.net, mb, coefs);
          stats = tf.keep(out.stats);
          return out.loss;
        }, [this.net.theta]);
        const norm = (this.adam as FlatAdam).apply(this.net.theta, grads[this.net.theta.name] as tf.Tensor1D, lr, c.maxGradNorm);
        tf.dispose([value, norm, grads[this.net.theta.name], mb.obs, mb.actionInput, mb.oldLogProb, mb.advantages, mb.returns, mb.oldValues]);
        const s = stats as unknown as tf.Tensor1D;
        const next = tf.add(statSum, s) as tf.Tensor1D;
        statSum.dispose();
        statSum = next;
        lastStats?.dispose();
        lastStats = s;
        count += 1;
      }
      const stopEarly = c.targetKl !== null && lastStats !== null && (lastStats.dataSync()[3] as number) > c.targetKl;
      lastStats?.dispose();
      if (stopEarly) break;
    }
    const sums = Array.from(statSum.dataSync());
    statSum.dispose();
    return sums.map((s) => s / Math.max(1, count));
  }
}
