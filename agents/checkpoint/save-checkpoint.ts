import { mkdirSync, writeFileSync, renameSync, rmSync, existsSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import type { Space } from '../../src/core/spaces/space.js';
import type { PpoTrainingState } from '../ppo/ppo.js';
import { paramLayout } from '../policies/param-layout.js';

/** Format tag in `model.json`; bump `CHECKPOINT_VERSION` on incompatible changes. */
export const CHECKPOINT_FORMAT = 'lamkit-ppo-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** The files of a checkpoint directory. */
export const CHECKPOINT_FILES = ['model.json', 'weights.bin', 'optimizer.bin', 'state.json'] as const;

/** What a checkpoint records about the task besides the training state. */
export interface CheckpointMeta {
  envId: string;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  /** The tfjs backend that trained it (resume is bit-exact on the same backend). */
  backend: string;
}

/**
 * Writes a PPO checkpoint to directory `dir` atomically: the four files go
 * to a sibling temp directory (each fsynced), which then replaces `dir` by
 * renames (`dir` -> `dir.prev`, temp -> `dir`, remove `dir.prev`). A reader
 * never sees a half-written checkpoint; after a crash between the two
 * renames, `dir.prev` holds the previous one (the loader falls back to it).
 *
 * - `model.json`: format, env id, spaces, architecture, weight manifest
 *   (name, shape, offset in float32 elements);
 * - `weights.bin`: flat parameters, float32 little-endian;
 * - `optimizer.bin`: Adam's first then second moments, float32;
 * - `state.json`: resolved config, Adam step, normalization statistics,
 *   RNG state, step/update/episode counters, wall-clock seconds.
 */
export function saveCheckpoint(dir: string, state: PpoTrainingState, meta: CheckpointMeta): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const model = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    envId: meta.envId,
    observationSpace: meta.observationSpace.toJSON(),
    actionSpace: meta.actionSpace.toJSON(),
    spec: state.spec,
    numParams: state.theta.length,
    weights: paramLayout(state.spec).map((e) => ({ name: e.name, shape: e.shape, offset: e.offset })),
  };
  const opt = new Float32Array(2 * state.theta.length);
  opt.set(state.adam.m, 0);
  opt.set(state.adam.v, state.theta.length);
  const trainState = {
    config: state.config,
    adamStep: state.adam.step,
    normalizer: state.normalizer,
    rng: state.rng,
    globalStep: state.globalStep,
    update: state.update,
    episodes: state.episodes,
    wallSeconds: state.wallSeconds,
    backend: meta.backend,
  };
  writeSynced(join(tmp, 'model.json'), JSON.stringify(model, null, 2));
  writeSynced(join(tmp, 'weights.bin'), littleEndianBytes(state.theta));
  writeSynced(join(tmp, 'optimizer.bin'), littleEndianBytes(opt));
  writeSynced(join(tmp, 'state.json'), JSON.stringify(trainState, null, 2));
  const prev = `${dir}.prev`;
  rmSync(prev, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, prev);
  renameSync(tmp, dir);
  rmSync(prev, { recursive: true, force: true });
}

function writeSynced(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function littleEndianBytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  return out;
}
