import { Rng } from '../../src/core/rng.js';
import type { Space } from '../../src/core/spaces/space.js';
import { saveCheckpoint } from '../../agents/checkpoint/save-checkpoint.js';
import { paramLayout, type MlpSpec } from '../../agents/policies/param-layout.js';
import { ActionCodec } from '../../agents/policies/action-codec.js';
import { transformerLayout, type TransformerSpec } from '../../agents/policies/transformer/transformer-spec.js';
import type { NamedTensor } from '../../agents/policies/actor-critic.js';

/**
 * Writes a checkpoint (format v2) of `kind` for the given spaces with random
 * weights of unit-scale activations (normal, std 1/sqrt(fan-in); LayerNorm
 * gains near 1) and random observation statistics, without tfjs: a parity
 * test wants outputs far from the near-zero logits of a fresh init.
 */
export function writeRandomCheckpoint(dir: string, args: { kind: 'mlp' | 'window-mlp' | 'transformer'; envId: string; observationSpace: Space<unknown>; actionSpace: Space<unknown>; seed: number; window?: number; chunk?: number; ensembleCoef?: number }): void {
  const rng = new Rng(args.seed);
  const obsDim = args.observationSpace.flatDim;
  const head = new ActionCodec(args.actionSpace).head;
  let spec: Record<string, unknown>;
  let shapes: Array<{ name: string; shape: number[]; group: string }>;
  if (args.kind === 'transformer') {
    const t: TransformerSpec = { obsDim, head, dModel: 32, layers: 2, heads: 4, mlpRatio: 2, window: args.window ?? 4, tasks: 2, taskIndex: 1, ...(args.chunk ? { chunk: args.chunk } : {}), ...(args.ensembleCoef !== undefined ? { ensembleCoef: args.ensembleCoef } : {}) };
    spec = { ...t };
    shapes = transformerLayout(t).map((p) => ({ name: p.name, shape: p.shape, group: p.group }));
  } else {
    const window = args.kind === 'window-mlp' ? (args.window ?? 3) : 1;
    const m: MlpSpec = { obsDim: obsDim * window, hidden: [32, 32], activation: 'tanh', head };
    spec = args.kind === 'window-mlp' ? { obsDim, window, hidden: m.hidden, activation: m.activation, head } : { ...m };
    shapes = paramLayout(m).map((e) => ({ name: e.name, shape: e.shape, group: e.name.startsWith('actor.') ? 'actor' : 'critic' }));
  }
  const tensors: NamedTensor[] = shapes.map(({ name, shape, group }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const leaf = name.split('.').pop() as string;
    const scale = shape.length === 2 ? 1 / Math.sqrt(shape[0]) : 0.1;
    const data = Float32Array.from({ length: size }, () => (leaf === 'gamma' ? 1 : 0) + scale * rng.normal() + (name.endsWith('log_std') ? -0.5 : 0));
    return { name, group, shape: [...shape], data };
  });
  const groups = [...new Set(shapes.map((s) => s.group))].map((name) => ({ name, trainable: true }));
  saveCheckpoint(dir, {
    meta: { envId: args.envId, observationSpace: args.observationSpace, actionSpace: args.actionSpace, backend: 'wasm' },
    policy: { kind: args.kind, spec, groups, tensors },
    normalization: { obs: { mean: Array.from({ length: obsDim }, () => 0.3 * rng.normal()), var: Array.from({ length: obsDim }, () => 0.5 + rng.uniform()), count: 1000 }, ret: null, clipObs: 5 },
    algo: { name: 'ppo', config: {}, state: { globalStep: 0 }, optimizer: null },
  });
}
