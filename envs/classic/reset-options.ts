import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';

/**
 * Validation helpers shared by the classic-control tasks' `reset` options.
 * Not part of the public API.
 */

/** True when `v` is an array or typed array of `n` finite numbers. */
export function isFiniteVector(v: unknown, n: number): v is ArrayLike<number> {
  if (!(Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)))) return false;
  const a = v as ArrayLike<unknown>;
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (typeof a[i] !== 'number' || !Number.isFinite(a[i] as number)) return false;
  return true;
}

/**
 * Gymnasium's `utils.maybe_parse_reset_bounds`: `options.low`/`options.high`
 * or the defaults, validated (finite, `low <= high`).
 */
export function resetBounds(
  where: string,
  options: Record<string, unknown> | undefined,
  defaultLow: number,
  defaultHigh: number,
): [number, number] {
  const low = options?.low ?? defaultLow;
  const high = options?.high ?? defaultHigh;
  if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new InvalidArgument(
      formatError(`${where}.low/high`, 'finite numbers with low <= high', `low=${describeValue(low)}, high=${describeValue(high)}`, 'Pass e.g. { low: -0.05, high: 0.05 }'),
    );
  }
  return [low, high];
}

/** Gymnasium's `utils.verify_number_and_cast` for a named option, defaulting when absent. */
export function numberOption(where: string, options: Record<string, unknown> | undefined, key: string, fallback: number): number {
  if (options === undefined || !(key in options) || options[key] === undefined) return fallback;
  const v = options[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidArgument(formatError(`${where}.${key}`, 'a finite number', describeValue(v), `Pass a number or omit ${key}`));
  }
  return v;
}
