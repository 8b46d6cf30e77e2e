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

/**
 * Renders any value compactly for an error message: strings, arrays, object
 * keys and nesting are truncated, so a value from the network (a 200 KB
 * field name, arrays nested thousands deep, an object whose `constructor`
 * is not a class) is described in a few dozen characters and never throws.
 */
export function describeValue(value: unknown, maxItems = 8): string {
  return describe(value, maxItems, 2);
}

/** Longest string (or object key) shown, in characters; longer ones end in `...`. */
const MAX_SHOWN_CHARS = 60;

function describe(value: unknown, maxItems: number, depth: number): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > MAX_SHOWN_CHARS ? value.slice(0, MAX_SHOWN_CHARS - 3) + '...' : value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return `function ${typeof value.name === 'string' && value.name ? shortText(value.name) : '(anonymous)'}`;
  if (typeof value !== 'object') return String(value);
  if (value instanceof Error) return `${shortText(value.name)}: ${shortText(value.message, 200)}`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    return `${className(value) ?? 'TypedArray'}(${arr.length}) ${listItems(arr, maxItems, -1)}`;
  }
  if (Array.isArray(value)) return depth < 0 ? `[...] (${value.length} items)` : listItems(value, maxItems, depth);
  // The class comes from the prototype, never from an own `constructor` field (JSON can carry one).
  const name = className(value);
  const keys = Object.keys(value);
  const shown = keys.slice(0, maxItems).map((k) => (/^[\w$]{1,60}$/.test(k) ? k : describe(k, maxItems, 0)));
  const body = depth < 0 && keys.length > 0 ? '...' : `${shown.join(', ')}${keys.length > maxItems ? ', ...' : ''}`;
  return `${name && name !== 'Object' ? name + ' ' : ''}{${body}}`;
}

/** The name of the class an object was built by (from its prototype chain), or null. */
function className(value: object): string | null {
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === null || typeof proto !== 'object') return null;
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
    return typeof ctor === 'function' && typeof ctor.name === 'string' ? shortText(ctor.name) : null;
  } catch {
    return null; // a Proxy may throw from any trap
  }
}

function shortText(s: string, max = MAX_SHOWN_CHARS): string {
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

/** `depth` < 0: numbers only (typed arrays); else nested values are described `depth - 1` levels further. */
function listItems(arr: ArrayLike<unknown>, maxItems: number, depth: number): string {
  const parts: string[] = [];
  const n = Math.min(arr.length, maxItems);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    parts.push(depth >= 0 ? describe(v, 3, depth - 1) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : String(v));
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
