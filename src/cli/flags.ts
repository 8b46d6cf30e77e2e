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

/** Parses a number flag such as `--checkpoint-minutes 2.5`; errors name the flag, the accepted range and the value. */
export function parseNumberFlag(flag: string, text: string | undefined, min: number, example: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min) {
    throw new InvalidArgument(formatError(flag, `a number >= ${min}`, describeValue(text), `Pass e.g. ${flag.split(' ').pop()} ${example}`));
  }
  return v;
}

/**
 * Turns a server's failure to listen into a typed error: a port in use
 * (EADDRINUSE) or a privileged one (EACCES) says which port and what to
 * pass instead; anything else is rethrown unchanged.
 * @param where the flag, e.g. `lamkit serve --port`.
 */
export function listenError(err: unknown, where: string, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new InvalidArgument(formatError(where, 'a free port', `${port} (already in use on ${host})`, `Stop the program using it, or pass another ${where.split(' ').pop()} (0 picks any free port)`));
  if (code === 'EACCES') return new InvalidArgument(formatError(where, 'a port this user may open', `${port} (permission denied on ${host})`, `Pass a port above 1023`));
  if (code === 'EADDRNOTAVAIL') return new InvalidArgument(formatError(where.replace(/--port$/, '--host'), 'an address of this machine', `${describeValue(host)} (not available)`, 'Pass 127.0.0.1, or 0.0.0.0 for every interface'));
  return err;
}

/** A task-options flag such as `lamkit train --env-kwargs <json>` (inline or a file): `make(id, { kwargs })`'s kwargs, or undefined without the flag. */
export function parseEnvKwargsFlag(text: string | undefined, flag: string): Record<string, unknown> | undefined {
  return text === undefined ? undefined : parseConfigFlag(text, flag, `${flag.split(' ').pop()} '{"rewardSuccessWeight":1}'`);
}

/** Parses `--config`: inline JSON (`'{"learningRate":1e-3}'`) or the path of a JSON file holding an object. */
export function parseConfigFlag(text: string | undefined, flag = 'lamkit train --config', example = `--config '{"learningRate":0.001}'`): Record<string, unknown> {
  if (text === undefined) return {};
  const trimmed = text.trim();
  let source = trimmed;
  if (!trimmed.startsWith('{')) {
    if (!existsSync(trimmed)) {
      throw new InvalidArgument(formatError(flag, 'inline JSON object or the path of a JSON file', `${describeValue(text)} (no such file)`, `Pass e.g. ${example}`));
    }
    source = readFileSync(trimmed, 'utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    throw new InvalidArgument(formatError(flag, 'valid JSON', `${describeValue(text)} (${(err as Error).message})`, `Pass e.g. ${example}`));
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgument(formatError(flag, 'a JSON object of config fields', describeValue(parsed), `Pass e.g. ${example}`));
  }
  return parsed as Record<string, unknown>;
}
