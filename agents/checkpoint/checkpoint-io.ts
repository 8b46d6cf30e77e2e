import { readFileSync, statSync } from 'node:fs';
import { FileFormatError, formatError } from '../../src/core/errors.js';
import { float32FromBytes, checkFloat32Size } from './parse-checkpoint.js';

export { parseSpaces as readSpaces } from './parse-checkpoint.js';

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
  checkFloat32Size(statSync(path).size, count, where, expected);
  return float32FromBytes(readFileSync(path), count, where, expected);
}
