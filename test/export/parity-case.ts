import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../envs/index.js';
import { make } from '../../src/registry/index.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { ActionCodec } from '../../agents/policies/action-codec.js';
import { exportPolicy } from '../../agents/export/export-policy.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import type { StatePair } from '../../agents/export/export-source.js';
import { writeRandomCheckpoint } from './random-checkpoint.js';
import { recordSteps, type RecordedSteps } from './parity-episodes.js';

/** The kinds and tasks the parity tests cover (a categorical and a Gaussian head each). */
export const PARITY_KINDS = ['mlp', 'window-mlp', 'transformer'] as const;
export const PARITY_ENVS = ['CartPole-v1', 'Pendulum-v1'] as const;

/** One parity case: an exported random-weight checkpoint and lamkit's own answers on recorded steps. */
export interface ParityCase {
  checkpointDir: string;
  exportDir: string;
  state: StatePair[];
  rec: RecordedSteps;
  actDim: number;
  discrete: Discrete | null;
  /** Width of the encoded action input of a sequence model. */
  actIn: number;
}

/** Writes a random checkpoint of `kind` for `envId` under `root`, exports it (with distribution and value) and records `steps` steps of lamkit's deterministic policy. */
export async function prepareParityCase(root: string, kind: (typeof PARITY_KINDS)[number], envId: string, steps: number): Promise<ParityCase> {
  const env = make(envId, { disableEnvChecker: true });
  try {
    const ckpt = join(root, `${kind}-${envId}`);
    writeRandomCheckpoint(ckpt, { kind, envId, observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 7 });
    const exportDir = join(root, `${kind}-${envId}-onnx`);
    exportPolicy(ckpt, exportDir, { format: 'onnx', distribution: true, value: true });
    const manifest = JSON.parse(readFileSync(join(exportDir, 'export.json'), 'utf8'));
    const policy = await loadPolicy(ckpt);
    try {
      const rec = await recordSteps(env, policy, steps, 3);
      const actDim = new ActionCodec(env.actionSpace).actDim;
      const discrete = env.actionSpace instanceof Discrete ? env.actionSpace : null;
      return { checkpointDir: ckpt, exportDir, state: manifest.files[0].state, rec, actDim, discrete, actIn: discrete ? discrete.n : actDim };
    } finally {
      policy.dispose?.();
    }
  } finally {
    env.close();
  }
}
