import { formatError, describeValue } from '../core/errors.js';
import { BridgeProtocolError } from './errors.js';
import { MAX_JSON_DEPTH, MAX_VECTOR_LENGTH } from './protocol.js';

/** Longest instruction a `Text` space may announce (`maxLength`, characters). */
export const MAX_TEXT_LENGTH = 1024;
/** Most characters in a `Text` space's charset. */
export const MAX_TEXT_CHARSET = 512;

/** Most subspaces (Dict / Tuple members, all levels together) an announced space may have. */
export const MAX_SPACE_PARTS = 128;

/**
 * Most numbers one `uint8` Box (a camera image, `Box(0, 255, [H, W, 3], 'uint8')`)
 * may have: 27,648, a 96 x 96 RGB image. The hello announcing it must fit in
 * one message (`Box.toJSON` lists every element's bounds: ~170 KB for 96 x 96
 * x 3, under the 256 KiB `maxMessageBytes`). Packed (one byte a pixel), such
 * an image at 100 Hz is 2.8 MB/s, under the default bytes budget of 16 MiB/s;
 * as float32 (an unpacked frame) it is four times that.
 */
export const MAX_IMAGE_BYTES = 96 * 96 * 3;

const WHY = `a space has at most ${MAX_VECTOR_LENGTH} numbers in its flat form`;
const FIX = 'Announce a smaller space (see Limits in docs/bridge-protocol.md)';

/**
 * Checks the sizes in a space's JSON form (as a robot announces it) against
 * the documented limits BEFORE anything is built from it: at most
 * {@link MAX_VECTOR_LENGTH} numbers in the flat form (`flatDim`: Box and
 * MultiBinary elements, Discrete `n` and MultiDiscrete `sum(nvec)` one-hot
 * entries), at most {@link MAX_SPACE_PARTS} subspaces, nested at most
 * {@link MAX_JSON_DEPTH} levels. `Discrete(1e308)` or `MultiBinary([1e9])`
 * would otherwise build (or allocate for) a space no observation could fill.
 * Fields of the wrong type are left to `spaceFromJSON`, which names them.
 *
 * Returns the flat size; throws `BridgeProtocolError('BAD_SPACE')` naming the field.
 */
export function checkSpaceLimits(json: unknown, where: string): number {
  const parts = { n: 0 };
  const size = walk(json, where, 0, parts);
  if (size > MAX_VECTOR_LENGTH) throw bad(where, `at most ${MAX_VECTOR_LENGTH} numbers in the flat form in total`, `${size}`);
  return size;
}

function walk(json: unknown, where: string, depth: number, parts: { n: number }): number {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 0;
  if (depth > MAX_JSON_DEPTH) throw bad(where, `spaces nested at most ${MAX_JSON_DEPTH} levels deep`, 'deeper');
  const j = json as Record<string, unknown>;
  switch (j.type) {
    case 'Box': {
      const n = elements(j.shape, `${where}.shape`);
      if (j.dtype === 'uint8' && n > MAX_IMAGE_BYTES) {
        throw bad(`${where}.shape`, `at most ${MAX_IMAGE_BYTES} numbers in a uint8 Box (the bridge's image size limit: 96 x 96 x 3)`, describeValue(j.shape));
      }
      return n;
    }
    case 'MultiBinary':
      return elements(j.shape, `${where}.shape`);
    case 'Discrete': {
      const n = j.n;
      if (typeof n !== 'number') return 0;
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_VECTOR_LENGTH)) throw bad(`${where}.n`, `an integer in [1, ${MAX_VECTOR_LENGTH}] (${WHY})`, describeValue(n));
      return n;
    }
    case 'MultiDiscrete': {
      if (!Array.isArray(j.nvec)) return 0;
      let sum = j.nvec.length;
      for (const v of j.nvec) if (typeof v === 'number' && v > 1) sum += v - 1;
      if (!(sum <= MAX_VECTOR_LENGTH)) throw bad(`${where}.nvec`, `at most ${MAX_VECTOR_LENGTH} numbers in total (${WHY})`, describeValue(j.nvec));
      return sum;
    }
    case 'Text': {
      const n = j.maxLength;
      if (typeof n === 'number' && !(Number.isInteger(n) && n >= 1 && n <= MAX_TEXT_LENGTH)) {
        throw bad(`${where}.maxLength`, `an integer in [1, ${MAX_TEXT_LENGTH}] (the bridge's instruction length limit)`, describeValue(n));
      }
      if (typeof j.charset === 'string' && [...j.charset].length > MAX_TEXT_CHARSET) throw bad(`${where}.charset`, `at most ${MAX_TEXT_CHARSET} characters`, `${[...j.charset].length}`);
      return typeof n === 'number' ? n : 0;
    }
    case 'Dict':
    case 'Tuple': {
      const members = j.spaces !== null && typeof j.spaces === 'object' ? Object.entries(j.spaces as object) : [];
      parts.n += members.length;
      if (parts.n > MAX_SPACE_PARTS) throw bad(`${where}.spaces`, `at most ${MAX_SPACE_PARTS} subspaces in all`, `${parts.n} or more`);
      let size = 0;
      for (const [k, v] of members) {
        size += walk(v, j.type === 'Tuple' ? `${where}.spaces[${k}]` : `${where}.spaces.${/^[\w$-]{1,60}$/.test(k) ? k : describeValue(k)}`, depth + 1, parts);
        if (size > MAX_VECTOR_LENGTH) throw bad(where, `at most ${MAX_VECTOR_LENGTH} numbers in the flat form in total`, `more (${size} after ${describeValue(k)})`);
      }
      return size;
    }
    default:
      return 0;
  }
}

/** Product of a shape's entries (0 when it is not an array of numbers: spaceFromJSON reports that). */
function elements(shape: unknown, where: string): number {
  if (!Array.isArray(shape)) return 0;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return 0;
    n *= Math.max(0, d);
  }
  if (!(n <= MAX_VECTOR_LENGTH)) throw bad(where, `at most ${MAX_VECTOR_LENGTH} numbers (${WHY})`, describeValue(shape));
  return n;
}

function bad(where: string, expected: string, got: string): BridgeProtocolError {
  return new BridgeProtocolError('BAD_SPACE', formatError(where, expected, got, FIX));
}
