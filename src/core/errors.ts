/**
 * lamkit's error hierarchy. Every error thrown at a boundary (constructor,
 * `step`, CLI flag, file, socket message) is a {@link LamkitError} subclass
 * whose message has the shape
 *
 *   `Where.what: expected X, got Y. How to fix.`
 *
 * Build messages with {@link formatError} only when failing (never eagerly in
 * a hot path).
 */

/** Base class of every error lamkit throws on purpose. */
export class LamkitError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_ACTION`. */
  readonly code: string;
  constructor(message: string, code = 'LAMKIT_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Builds the house message shape: `Where.what: expected X, got Y. How to fix.` */
export function formatError(where: string, expected: string, got: string, fix?: string): string {
  const tail = fix ? ` ${fix.endsWith('.') ? fix : fix + '.'}` : '';
  return `${where}: expected ${expected}, got ${got}.${tail}`;
}

/** Renders any value compactly for an error message (arrays truncated). */
export function describeValue(value: unknown, maxItems = 8): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    return `${value.constructor.name}(${arr.length}) ${listItems(arr, maxItems)}`;
  }
  if (Array.isArray(value)) return listItems(value, maxItems, true);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    const keys = Object.keys(value as object);
    const shown = keys.slice(0, maxItems).join(', ');
    return `${name && name !== 'Object' ? name + ' ' : ''}{${shown}${keys.length > maxItems ? ', ...' : ''}}`;
  }
  return String(value);
}

function listItems(arr: ArrayLike<unknown>, maxItems: number, nested = false): string {
  const parts: string[] = [];
  const n = Math.min(arr.length, maxItems);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    parts.push(nested ? describeValue(v, 3) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : String(v));
  }
  return `[${parts.join(', ')}${arr.length > maxItems ? `, ... (${arr.length} items)` : ''}]`;
}

/** A space was constructed with invalid arguments, or a value does not fit a space. */
export class InvalidSpace extends LamkitError {
  constructor(message: string) {
    super(message, 'INVALID_SPACE');
  }
}

/** `step` was given an action outside the action space. */
export class InvalidAction extends LamkitError {
  constructor(message: string) {
    super(message, 'INVALID_ACTION');
  }
}

/** An environment produced an observation outside its observation space. */
export class InvalidObservation extends LamkitError {
  constructor(message: string) {
    super(message, 'INVALID_OBSERVATION');
  }
}

/** `step` (or `render`) was called before `reset`, or after an episode ended without a reset. */
export class ResetNeeded extends LamkitError {
  constructor(message: string) {
    super(message, 'RESET_NEEDED');
  }
}

/** The env (or another resource) was used after `close()`. */
export class ClosedError extends LamkitError {
  constructor(message: string) {
    super(message, 'CLOSED');
  }
}

/** A configuration value, option or argument is invalid. */
export class InvalidArgument extends LamkitError {
  constructor(message: string) {
    super(message, 'INVALID_ARGUMENT');
  }
}

/** `make`/`register` problems: unknown id, duplicate registration, bad id format. */
export class RegistryError extends LamkitError {
  constructor(message: string) {
    super(message, 'REGISTRY');
  }
}

/** `checkEnv` found an environment that breaks the Env contract. */
export class EnvCheckError extends LamkitError {
  constructor(message: string) {
    super(message, 'ENV_CHECK');
  }
}

/** A checkpoint, dataset or other file is missing, malformed or has the wrong shapes. */
export class FileFormatError extends LamkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'FILE_FORMAT', options);
  }
}

/** A failure inside a dependency (MuJoCo, tfjs, a worker) wrapped with context. */
export class BackendError extends LamkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BACKEND', options);
  }
}
