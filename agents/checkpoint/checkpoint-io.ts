import { readFileSync, statSync } from 'node:fs';
import { FileFormatError, formatError } from '../../src/core/errors.js';
import { spaceFromJSON } from '../../src/core/spaces/from-json.js';
import type { Space, SpaceJSON } from '../../src/core/spaces/space.js';

/** Parses the two spaces of a checkpoint; errors name `where`. */
export function readSpaces(obs: unknown, act: unknown, where: string): { observationSpace: Space<unknown>; actionSpace: Space<unknown> } {
  try {
    return { observationSpace: spaceFromJSON(obs as SpaceJSON), actionSpace: spaceFromJSON(act as SpaceJSON) };
  } catch (err) {
    throw new FileFormatError(formatError(`${where}.observationSpace/actionSpace`, 'valid space JSON', (err as Error).message, 'Re-save the checkpoint'), { cause: err });
  }
}

/** Parses a JSON file; errors name `where`. */
export function readJson(path: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FileFormatError(formatError(where, 'valid JSON', (err as Error).message, 'The file is corrupt; re-save the checkpoint'), { cause: err });
  }
}

/** Reads `count` float32 little-endian values; a file of another size is an error naming `expected`. */
export function readFloat32(path: string, count: number, where: string, expected: string): Float32Array {
  const size = statSync(path).size;
  if (!(Number.isInteger(count) && count >= 0) || size !== count * 4) {
    throw new FileFormatError(formatError(where, `${count * 4} bytes (${expected})`, `${size} bytes`, 'The file does not match the manifest in the checkpoint'));
  }
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
