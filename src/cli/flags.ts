import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';

/** Parses an integer flag (every lamkit command uses it); errors name the flag, the accepted range and the value. */
export function parseIntFlag(flag: string, text: string | undefined, min: number, example: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgument(formatError(flag, `an integer >= ${min}`, describeValue(text), `Pass e.g. ${flag.split(' ').pop()} ${example}`));
  }
  return v;
}

/** Parses `--config`: inline JSON (`'{"learningRate":1e-3}'`) or the path of a JSON file holding an object. */
export function parseConfigFlag(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const trimmed = text.trim();
  let source = trimmed;
  if (!trimmed.startsWith('{')) {
    if (!existsSync(trimmed)) {
      throw new InvalidArgument(formatError('lamkit train --config', 'inline JSON object or the path of a JSON file', `${describeValue(text)} (no such file)`, `Pass e.g. --config '{"learningRate":0.001}'`));
    }
    source = readFileSync(trimmed, 'utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    throw new InvalidArgument(formatError('lamkit train --config', 'valid JSON', `${describeValue(text)} (${(err as Error).message})`, `Pass e.g. --config '{"learningRate":0.001}'`));
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgument(formatError('lamkit train --config', 'a JSON object of PPO config fields', describeValue(parsed), `Pass e.g. --config '{"learningRate":0.001}'`));
  }
  return parsed as Record<string, unknown>;
}
