import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { Rng } from '../../../src/core/rng.js';
import { InvalidArgument, formatError, describeValue } from '../../../src/core/errors.js';
import type { MetricStream } from '../../../src/streams/metrics.js';
import type { HeadSpec } from '../../policies/param-layout.js';
import { parseWith } from '../../policies/policy-kinds.js';
import { TransformerActorCritic } from '../../policies/transformer/transformer-actor-critic.js';
import { BehaviorCloning, type BcConfig, type BcResult } from '../bc/behavior-cloning.js';
import type { Demonstrations } from '../bc/demonstrations.js';
import { DEFAULT_LORA } from '../ppo/lora-only.js';
import { EwcPenalty, estimateFisher } from './ewc.js';
import { RehearsalBuffer, replayNll } from './rehearsal.js';
import { AdapterBank } from './adapter-bank.js';

export const CONTINUAL_STRATEGIES = ['naive', 'rehearsal', 'ewc', 'adapters'] as const;
export type ContinualStrategy = (typeof CONTINUAL_STRATEGIES)[number];

/** Continual-learning settings (each documented; `resolveContinualConfig` fills the defaults). */
export const continualConfigSchema = z
  .object({
    strategy: z.enum(CONTINUAL_STRATEGIES).default('naive'),
    /** rehearsal: steps of earlier tasks' demonstrations kept (split evenly between them). */
    rehearsalSize: z.number().int().positive().default(2000),
    /** rehearsal: weight of the replayed tasks' mean NLL in each step's loss. */
    rehearsalWeight: z.number().positive().default(1),
    /** ewc: lambda of the penalty `lambda / 2 sum F (theta - anchor)^2` (the Fisher is of a batch-mean loss, so small: in bench:continual 1e6 halved naive's forgetting on every seed, 1e5 on two of three, 1e3 on none; docs/benchmarks.md). */
    ewcLambda: z.number().positive().default(1_000_000),
    /** ewc: decay of earlier tasks' Fisher in online EWC (1: plain sum). */
    ewcGamma: z.number().min(0).max(1).default(1),
    /** ewc: minibatches of the Fisher estimate after each task. */
    fisherBatches: z.number().int().positive().default(20),
    /** adapters: LoRA rank and alpha of each task's adapter (targets: query and value). */
    loraRank: z.number().int().positive().default(DEFAULT_LORA.rank),
    loraAlpha: z.number().positive().default(DEFAULT_LORA.alpha),
  })
  .strict();
export type ContinualConfig = z.infer<typeof continualConfigSchema>;

export function resolveContinualConfig(config: Record<string, unknown>, where = 'ContinualConfig'): ContinualConfig {
  return parseWith(continualConfigSchema, config, where, 'agents/algos/continual/continual-learner.ts');
}

/** One task of the sequence: its id, spaces and demonstrations (observations already normalized). */
export interface ContinualTask {
  id: string;
  io: { obsDim: number; head: HeadSpec };
  train: Demonstrations;
  val: Demonstrations;
}

/** What {@link ContinualLearner.learn} returns for a stage. */
export interface StageResult extends BcResult {
  taskId: string;
  trainableParams: number;
  totalParams: number;
}

/**
 * Fine-tunes one transformer over a sequence of tasks (behaviour cloning on
 * each task's demonstrations in turn), with a strategy against forgetting:
 *
 * - `naive`: plain sequential fine-tuning of everything;
 * - `rehearsal`: each step adds the NLL of a replayed minibatch of earlier
 *   tasks ({@link RehearsalBuffer}), scored through their own tokenizers and heads;
 * - `ewc`: each step adds the online EWC penalty ({@link EwcPenalty}) on the shared trunk;
 * - `adapters`: the trunk stays frozen; each task trains its own LoRA
 *   adapter, tokenizers and heads ({@link AdapterBank}), selected by task id.
 *
 * Tasks of different spaces get their own tokenizers and heads in the one
 * model (`TransformerActorCritic.adaptedTo`); the trunk is what they share.
 */
export class ContinualLearner {
  readonly config: ContinualConfig;
  readonly bc: BcConfig;
  private model: TransformerActorCritic;
  private readonly base: TransformerActorCritic | null;
  private readonly rng: Rng;
  private readonly metrics: MetricStream | undefined;
  private readonly tasks = new Map<string, ContinualTask>();
  private readonly ewc: EwcPenalty | null;
  private readonly replay: RehearsalBuffer | null;
  private readonly adapters: AdapterBank | null;
  private disposed = false;

  /** Takes ownership of `start` (the `--from` network, or a fresh one). */
  constructor(start: TransformerActorCritic, config: ContinualConfig, bc: BcConfig, metrics?: MetricStream) {
    this.config = config;
    this.bc = bc;
    this.model = start;
    this.rng = new Rng(bc.seed);
    this.metrics = metrics;
    this.ewc = config.strategy === 'ewc' ? new EwcPenalty(config.ewcLambda, config.ewcGamma) : null;
    this.replay = config.strategy === 'rehearsal' ? new RehearsalBuffer(config.rehearsalSize) : null;
    this.adapters = config.strategy === 'adapters' ? new AdapterBank(start.readTensors()) : null;
    this.base = config.strategy === 'adapters' ? start : null;
  }

  /** Task ids learned so far, in order. */
  get taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** The adapter bank (`adapters` strategy), else null. */
  get adapterBank(): AdapterBank | null {
    return this.adapters;
  }

  /** Learns the next task of the sequence (one stage). */
  async learn(task: ContinualTask, options: { stop?: () => boolean; metrics?: MetricStream } = {}): Promise<StageResult> {
    if (this.tasks.has(task.id)) throw new InvalidArgument(formatError('ContinualLearner.learn.task.id', 'a task id not learned yet', describeValue(task.id), 'Give every dataset of the sequence its own task'));
    let net: TransformerActorCritic;
    if (this.adapters && this.base) {
      const adapted = this.base.adaptedTo(task.io, this.rng.spawn());
      net = adapted.withLora({ rank: this.config.loraRank, alpha: this.config.loraAlpha, targets: [...DEFAULT_LORA.targets] }, this.rng.spawn());
      adapted.dispose();
      net.setTrainable('trunk', false);
    } else {
      net = this.model.adaptedTo(task.io, this.rng.spawn());
      for (const g of net.paramGroups()) net.setTrainable(g.name, true);
    }
    const groups = net.paramGroups();
    const trainableParams = groups.filter((g) => g.trainable).reduce((a, g) => a + g.size, 0);
    const totalParams = groups.reduce((a, g) => a + g.size, 0);
    const replayRng = this.rng.spawn();
    const extraLoss = this.ewc?.active
      ? () => this.ewc!.penalty(net)
      : this.replay && this.replay.tasks.length > 0
        ? () => tf.tidy(() => tf.mul(tf.addN(this.replay!.tasks.map((e) => replayNll(net, e, { batchSize: this.bc.batchSize, seqLen: this.bc.seqLen }, replayRng))), this.config.rehearsalWeight / this.replay!.tasks.length) as tf.Scalar)
        : undefined;
    let result: BcResult;
    try {
      result = await new BehaviorCloning(net, { train: task.train, val: task.val }, this.bc, options.metrics ?? this.metrics).fit({ stop: options.stop, ...(extraLoss ? { extraLoss } : {}) });
    } catch (err) {
      net.dispose();
      throw err;
    }
    this.tasks.set(task.id, task);
    if (this.adapters) {
      this.adapters.save(task.id, net);
      net.dispose();
    } else {
      this.model.dispose();
      this.model = net;
      if (this.ewc) this.ewc.consolidate(net, estimateFisher(net, task.train, { batches: this.config.fisherBatches, batchSize: this.bc.batchSize, seqLen: this.bc.seqLen }, this.rng.spawn()));
      this.replay?.add({ taskId: task.id, io: task.io, data: task.train }, this.rng.spawn());
    }
    return { ...result, taskId: task.id, trainableParams, totalParams };
  }

  /** The network for a learned task (its tokenizers, heads and, with adapters, its adapter); the caller disposes it. */
  netFor(taskId: string): TransformerActorCritic {
    const task = this.tasks.get(taskId);
    if (!task) throw new InvalidArgument(formatError('ContinualLearner.netFor', `a learned task id (${this.taskIds.join(', ') || 'none yet'})`, describeValue(taskId), 'Learn the task first'));
    if (this.adapters) return this.adapters.select(taskId);
    return this.model.adaptedTo(task.io, this.rng.spawn(), { allowNew: false });
  }

  /** Mean NLL of `d` (normalized like the task's training data) under the task's network. */
  nll(taskId: string, d: Demonstrations): number {
    const net = this.netFor(taskId);
    try {
      return new BehaviorCloning(net, { train: d, val: d }, this.bc).loss(d);
    } finally {
      net.dispose();
    }
  }

  /** The whole model (not `adapters`: use {@link netFor}). */
  get current(): TransformerActorCritic {
    return this.model;
  }

  /** Frees the networks. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
