import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import { spaceFromJSON } from '../../src/core/spaces/from-json.js';
import type { SpaceJSON } from '../../src/core/spaces/space.js';
import { resolvePpoConfig } from '../ppo/ppo-config.js';
import type { PpoTrainingState } from '../ppo/ppo.js';
import type { MlpSpec } from '../policies/param-layout.js';
import { paramLayout, layoutSize } from '../policies/param-layout.js';
import { describeSpec } from '../policies/mlp-actor-critic.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_FILES, type CheckpointMeta } from './save-checkpoint.js';

/** A checkpoint read back from disk. */
export interface LoadedCheckpoint {
  /** The directory actually read (after resolving a run directory). */
  dir: string;
  meta: CheckpointMeta;
  state: PpoTrainingState;
}

/**
 * Finds the checkpoint directory for `path`: `path` itself when it holds
 * `model.json`, else `path/checkpoint` (a `lamkit train --out` directory),
 * else the `.prev` copy a crash mid-save may leave.
 */
export function resolveCheckpointDir(path: string): string {
  const candidates = [path, join(path, 'checkpoint'), `${path}.prev`, join(path, 'checkpoint.prev')];
  for (const c of candidates) if (existsSync(join(c, 'model.json'))) return resolve(c);
  const what = existsSync(path) ? `'${path}' without model.json (nor checkpoint/model.json)` : `no such directory '${path}'`;
  throw new FileFormatError(formatError('loadCheckpoint.dir', `a checkpoint directory holding ${CHECKPOINT_FILES.join(', ')}`, what, 'Pass the --out directory of `lamkit train` or its checkpoint/ subdirectory'));
}

/**
 * Reads and validates a checkpoint written by `saveCheckpoint`. A missing
 * file, a wrong format, or weights whose shapes or sizes disagree with the
 * recorded architecture throw a `FileFormatError` naming the file and entry.
 */
export function readCheckpoint(path: string): LoadedCheckpoint {
  const dir = resolveCheckpointDir(path);
  const where = (file: string): string => `loadCheckpoint(${dir}).${file}`;
  for (const f of CHECKPOINT_FILES) {
    if (!existsSync(join(dir, f))) {
      throw new FileFormatError(formatError(where(f), 'the file to exist', 'a missing file', `A checkpoint holds ${CHECKPOINT_FILES.join(', ')}; re-save it or pick another checkpoint`));
    }
  }
  const model = readJson(join(dir, 'model.json'), where('model.json')) as Record<string, unknown>;
  if (model.format !== CHECKPOINT_FORMAT || model.version !== CHECKPOINT_VERSION) {
    throw new FileFormatError(formatError(where('model.json'), `format '${CHECKPOINT_FORMAT}' version ${CHECKPOINT_VERSION}`, `format ${describeValue(model.format)} version ${describeValue(model.version)}`, 'Use a checkpoint written by this lamkit version'));
  }
  const spec = model.spec as MlpSpec;
  let layout;
  try {
    layout = paramLayout(spec);
  } catch (err) {
    throw new FileFormatError(formatError(`${where('model.json')}.spec`, 'a valid MLP spec', describeValue(spec), (err as Error).message), { cause: err });
  }
  const numParams = layoutSize(layout);
  const manifest = model.weights as Array<{ name: string; shape: number[]; offset: number }>;
  if (!Array.isArray(manifest) || manifest.length !== layout.length) {
    throw new FileFormatError(formatError(`${where('model.json')}.weights`, `${layout.length} entries for ${describeSpec(spec)}`, describeValue(manifest), 'The manifest and spec disagree; re-save the checkpoint'));
  }
  layout.forEach((e, i) => {
    const m = manifest[i];
    if (m?.name !== e.name || JSON.stringify(m.shape) !== JSON.stringify(e.shape) || m.offset !== e.offset) {
      throw new FileFormatError(
        formatError(`${where('model.json')}.weights['${e.name}']`, `shape [${e.shape.join(',')}] at offset ${e.offset} (from the spec ${describeSpec(spec)})`, `${describeValue(m?.name)} with shape [${m?.shape?.join(',')}] at offset ${m?.offset}`, 'The weights do not match the architecture'),
      );
    }
  });
  const theta = readFloat32(join(dir, 'weights.bin'), numParams, where('weights.bin'), `${numParams} float32 parameters for ${describeSpec(spec)}`);
  const opt = readFloat32(join(dir, 'optimizer.bin'), 2 * numParams, where('optimizer.bin'), `2 x ${numParams} float32 Adam moments`);
  const st = readJson(join(dir, 'state.json'), where('state.json')) as Record<string, any>;
  let config;
  try {
    // Derived values are recomputed, so a hand-edited totalSteps stays consistent.
    const { batchSize: _b, minibatchSize: _m, numUpdates: _n, ...fields } = (st.config ?? {}) as Record<string, unknown>;
    config = resolvePpoConfig(fields, `${where('state.json')}.config`);
  } catch (err) {
    throw new FileFormatError((err as Error).message, { cause: err });
  }
  for (const k of ['adamStep', 'globalStep', 'update', 'episodes', 'wallSeconds']) {
    if (typeof st[k] !== 'number' || !(st[k] >= 0)) throw new FileFormatError(formatError(`${where('state.json')}.${k}`, 'a non-negative number', describeValue(st[k]), 'Re-save the checkpoint'));
  }
  let observationSpace;
  let actionSpace;
  try {
    observationSpace = spaceFromJSON(model.observationSpace as SpaceJSON);
    actionSpace = spaceFromJSON(model.actionSpace as SpaceJSON);
  } catch (err) {
    throw new FileFormatError(formatError(`${where('model.json')}.observationSpace/actionSpace`, 'valid space JSON', (err as Error).message, 'Re-save the checkpoint'), { cause: err });
  }
  if (observationSpace.flatDim !== spec.obsDim) {
    throw new FileFormatError(formatError(`${where('model.json')}.spec.obsDim`, `the observation space's flatDim (${observationSpace.flatDim})`, String(spec.obsDim), 'The checkpoint is inconsistent; re-save it'));
  }
  return {
    dir,
    meta: { envId: String(model.envId), observationSpace, actionSpace, backend: String(st.backend) },
    state: {
      config,
      spec,
      theta,
      adam: { step: st.adamStep, m: opt.slice(0, numParams), v: opt.slice(numParams) },
      normalizer: st.normalizer ?? { obs: null, ret: null },
      rng: st.rng,
      globalStep: st.globalStep,
      update: st.update,
      episodes: st.episodes,
      wallSeconds: st.wallSeconds,
    },
  };
}

function readJson(path: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FileFormatError(formatError(where, 'valid JSON', (err as Error).message, 'The file is corrupt; re-save the checkpoint'), { cause: err });
  }
}

function readFloat32(path: string, count: number, where: string, expected: string): Float32Array {
  const size = statSync(path).size;
  if (size !== count * 4) {
    throw new FileFormatError(formatError(where, `${count * 4} bytes (${expected})`, `${size} bytes`, 'The weights do not match the architecture in model.json'));
  }
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
