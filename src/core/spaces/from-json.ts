import { InvalidSpace, formatError, describeValue } from '../errors.js';
import { Space, type SpaceJSON, setSpaceDecoder } from './space.js';
import { Box } from './box.js';
import { Discrete } from './discrete.js';
import { MultiDiscrete } from './multi-discrete.js';
import { MultiBinary } from './multi-binary.js';
import { Dict } from './dict.js';
import { Tuple } from './tuple.js';
import { Text } from './text.js';

/**
 * Rebuilds a space from its JSON form (`space.toJSON()`), validating it: the
 * bridge receives spaces from robots, so a malformed description is an
 * `InvalidSpace` error that names the offending field, never a crash.
 */
export function spaceFromJSON(json: unknown, where = 'spaceFromJSON'): Space<unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidSpace(formatError(where, 'a space object with a `type` field', describeValue(json), 'Pass the value of space.toJSON()'));
  }
  const j = json as Record<string, unknown>;
  const need = (field: string, ok: boolean, expected: string): void => {
    if (!ok) throw new InvalidSpace(formatError(`${where}.${field}`, expected, describeValue(j[field]), `Fix the ${j.type} description`));
  };
  const numOrInf = (v: unknown): boolean => typeof v === 'number' || v === 'inf' || v === '-inf';
  switch (j.type) {
    case 'Box':
      need('low', Array.isArray(j.low) && j.low.every(numOrInf), "an array of numbers or 'inf'/'-inf'");
      need('high', Array.isArray(j.high) && j.high.every(numOrInf), "an array of numbers or 'inf'/'-inf'");
      need('shape', Array.isArray(j.shape), 'an integer array');
      return Box.fromJSON(j as Extract<SpaceJSON, { type: 'Box' }>);
    case 'Discrete':
      need('n', typeof j.n === 'number', 'a positive integer');
      return new Discrete(j.n as number, (j.start as number | undefined) ?? 0);
    case 'MultiDiscrete':
      need('nvec', Array.isArray(j.nvec), 'an integer array');
      return new MultiDiscrete(j.nvec as number[], j.start as number[] | undefined);
    case 'MultiBinary':
      need('shape', Array.isArray(j.shape), 'an integer array');
      return new MultiBinary(j.shape as number[]);
    case 'Dict':
      need('spaces', j.spaces !== null && typeof j.spaces === 'object' && !Array.isArray(j.spaces), 'an object of spaces');
      return new Dict(Object.fromEntries(Object.entries(j.spaces as object).map(([k, v]) => [k, spaceFromJSON(v, `${where}.spaces.${k}`)])));
    case 'Tuple':
      need('spaces', Array.isArray(j.spaces), 'an array of spaces');
      return new Tuple((j.spaces as unknown[]).map((v, i) => spaceFromJSON(v, `${where}.spaces[${i}]`)));
    case 'Text':
      need('maxLength', typeof j.maxLength === 'number', 'a positive integer');
      need('minLength', j.minLength === undefined || typeof j.minLength === 'number', 'a non-negative integer');
      need('charset', j.charset === undefined || typeof j.charset === 'string', 'a string of distinct characters');
      return new Text(j.maxLength as number, { minLength: j.minLength as number | undefined, charset: j.charset as string | undefined });
    default:
      throw new InvalidSpace(
        formatError(`${where}.type`, "one of 'Box', 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Dict', 'Tuple', 'Text'", describeValue(j.type), 'Pass the value of space.toJSON()'),
      );
  }
}

setSpaceDecoder((json) => spaceFromJSON(json));
