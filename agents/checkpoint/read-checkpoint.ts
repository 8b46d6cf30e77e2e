import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { GroupAdamState } from '../optim/adamw-options.js';
import { CHECKPOINT_FILES, type CheckpointData } from './save-checkpoint.js';
import { checkCheckpointJson, parsePolicyPart } from './parse-checkpoint.js';
import { readV1Checkpoint, V1_FILES } from './read-v1-checkpoint.js';
import { readJson, readFloat32 } from './checkpoint-io.js';

/** A checkpoint read back from disk. */
export interface LoadedCheckpoint {
  /** The directory actually read (after resolving a run directory). */
  dir: string;
  /** 2, or 1 for a checkpoint written by lamkit 0.1 (converted in memory; the next save writes v2). */
  version: 1 | 2;
  data: CheckpointData;
}

/** The name that stands for the pretrained checkpoint shipped inside the package (`--from lamkit-base`). */
export const BASE_MODEL = 'lamkit-base';

/**
 * The directory of the shipped `lamkit-base` checkpoint: `assets/lamkit-base`
 * at the package root (found upward from this module, so it works from the
 * sources and from dist/). Null when the package has none.
 */
export function baseModelDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const c = join(dir, 'assets', BASE_MODEL);
    if (existsSync(join(c, 'checkpoint.json'))) return c;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * Finds the checkpoint directory for `path`: `lamkit-base` (when no such
 * local directory exists) is the pretrained checkpoint shipped with the
 * package ({@link baseModelDir}); else `path` itself when it holds
 * `checkpoint.json` (or a v1 `model.json`), else `path/checkpoint` (a
 * `lamkit train --out` directory), else the `.prev` copy a crash mid-save
 * may leave.
 */
export function resolveCheckpointDir(path: string): string {
  if (path === BASE_MODEL && !existsSync(path)) {
    const base = baseModelDir();
    if (base) return base;
    throw new FileFormatError(formatError('loadCheckpoint.dir', `the ${BASE_MODEL} checkpoint shipped in the package (assets/${BASE_MODEL}/checkpoint.json)`, 'no such file in this installation', 'Reinstall lamkit, or rebuild it with npm run pretrain:base'));
  }
  const candidates = [path, join(path, 'checkpoint'), `${path}.prev`, join(path, 'checkpoint.prev')];
  for (const c of candidates) if (existsSync(join(c, 'checkpoint.json')) || existsSync(join(c, 'model.json'))) return resolve(c);
  const what = existsSync(path) ? `'${path}' without checkpoint.json (nor checkpoint/checkpoint.json)` : `no such directory '${path}'`;
  throw new FileFormatError(formatError('loadCheckpoint.dir', `a checkpoint directory holding ${CHECKPOINT_FILES.join(', ')}`, what, 'Pass the --out directory of `lamkit train` or its checkpoint/ subdirectory'));
}

/**
 * Reads and validates a checkpoint written by `saveCheckpoint` (format v2),
 * or by lamkit 0.1 (format v1: `model.json`, `weights.bin`, `optimizer.bin`,
 * `state.json`, converted to v2 in memory). A missing file, a wrong format,
 * or tensors whose shapes or sizes disagree with the manifest throw a
 * `FileFormatError` naming the file and entry. Whether the spec fits its
 * kind is checked when the network is built (`restorePolicy`, `loadPolicy`).
 */
export function readCheckpoint(path: string): LoadedCheckpoint {
  const dir = resolveCheckpointDir(path);
  if (!existsSync(join(dir, 'checkpoint.json')) && existsSync(join(dir, V1_FILES[0]))) return { dir, version: 1, data: readV1Checkpoint(dir) };
  const where = (file: string): string => `loadCheckpoint(${dir}).${file}`;
  for (const f of CHECKPOINT_FILES) {
    if (!existsSync(join(dir, f))) {
      throw new FileFormatError(formatError(where(f), 'the file to exist', 'a missing file', `A checkpoint holds ${CHECKPOINT_FILES.join(', ')}; re-save it or pick another checkpoint`));
    }
  }
  const w = where('checkpoint.json');
  const ck = readJson(join(dir, 'checkpoint.json'), w) as Record<string, any>;
  const numParams = checkCheckpointJson(ck, w);
  const weights = readFloat32(join(dir, 'policy.bin'), numParams, where('policy.bin'), `${numParams} float32 parameters of the '${ck.policy.kind}' policy`);
  const part = parsePolicyPart(ck, weights, w);
  const algo = ck.algo ?? {};
  if (typeof algo.name !== 'string' || typeof algo.config !== 'object' || typeof algo.state !== 'object') {
    throw new FileFormatError(formatError(`${w}.algo`, '{ name, config, state, optimizer }', describeValue(algo), 'Re-save the checkpoint'));
  }
  let optimizer = null;
  if (algo.optimizer) {
    const entries = Object.entries((algo.optimizer.groups ?? {}) as Record<string, { step: number; offset: number; size: number }>);
    const total = entries.reduce((a, [, g]) => a + 2 * (g?.size ?? 0), 0);
    const moments = readFloat32(join(dir, 'optimizer.bin'), total, where('optimizer.bin'), `${total} float32 Adam moments (${entries.map(([n, g]) => `${n}: 2 x ${g?.size}`).join(', ')})`);
    const groups: Record<string, GroupAdamState> = {};
    for (const [name, g] of entries) {
      if (!(Number.isInteger(g.offset) && g.offset >= 0 && g.offset + 2 * g.size <= total && Number.isInteger(g.step) && g.step >= 0)) {
        throw new FileFormatError(formatError(`${w}.algo.optimizer.groups.${name}`, `{ step, offset, size } inside optimizer.bin (${total} floats)`, describeValue(g), 'Re-save the checkpoint'));
      }
      groups[name] = { step: g.step, m: moments.slice(g.offset, g.offset + g.size), v: moments.slice(g.offset + g.size, g.offset + 2 * g.size) };
    }
    optimizer = { groups };
  }
  let arrays: Record<string, Float32Array> | undefined;
  if (algo.arrays !== undefined) {
    const entries = Object.entries((algo.arrays ?? {}) as Record<string, { offset: number; length: number }>);
    const total = entries.reduce((a, [, e]) => a + (e?.length ?? 0), 0);
    if (!existsSync(join(dir, 'arrays.bin'))) throw new FileFormatError(formatError(where('arrays.bin'), 'the file to exist (checkpoint.json lists arrays in it)', 'a missing file', 'Re-save the checkpoint or pick another one'));
    const all = readFloat32(join(dir, 'arrays.bin'), total, where('arrays.bin'), `${total} float32 values (${entries.map(([n, e]) => `${n}: ${e?.length}`).join(', ')})`);
    arrays = {};
    for (const [name, e] of entries) {
      if (!(e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.offset >= 0 && e.length >= 0 && e.offset + e.length <= total)) {
        throw new FileFormatError(formatError(`${w}.algo.arrays.${name}`, `{ offset, length } inside arrays.bin (${total} floats)`, describeValue(e), 'Re-save the checkpoint'));
      }
      arrays[name] = all.slice(e.offset, e.offset + e.length);
    }
  }
  return {
    dir,
    version: 2,
    data: { ...part, algo: { name: algo.name, config: algo.config, state: algo.state, optimizer, ...(arrays ? { arrays } : {}) } },
  };
}
