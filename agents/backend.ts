import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { BackendError, InvalidArgument, formatError, describeValue } from '../src/core/errors.js';

/** The tfjs backends lamkit knows how to start, best first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What {@link initBackend} chose and why. */
export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** How it was chosen: the `LAMKIT_BACKEND` override, or the automatic order. */
  source: 'LAMKIT_BACKEND' | 'auto';
  /** Backends tried before it and why each failed (auto order only). */
  skipped: Array<{ name: BackendName; reason: string }>;
}

export interface InitBackendOptions {
  /** Forces a backend (default: `process.env.LAMKIT_BACKEND`, else automatic). */
  backend?: string;
  /** Where to report the choice, once per process (default: stderr). `null` reports nothing. */
  report?: ((line: string) => void) | null;
}

let current: Promise<BackendInfo> | null = null;
let reported = false;

/**
 * Starts TensorFlow.js on the best available backend, once per process:
 * `tensorflow` (native, when the optional `@tensorflow/tfjs-node-gpu` loads),
 * else `wasm` (SIMD, single-threaded in Node), else `cpu`. The environment
 * variable `LAMKIT_BACKEND` (or `options.backend`) forces one and fails
 * loudly when it cannot start. The choice is reported once.
 *
 * Later calls return the first call's result; asking for a different backend
 * after one started is an `InvalidArgument` error.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? process.env.LAMKIT_BACKEND ?? '';
  if (requested !== '' && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new InvalidArgument(
      formatError('initBackend.backend (LAMKIT_BACKEND)', `one of ${BACKEND_NAMES.join(', ')}`, describeValue(requested), 'Unset LAMKIT_BACKEND for automatic selection'),
    );
  }
  if (current === null) current = start(requested as BackendName | '');
  const info = await current.catch((err: unknown) => {
    current = null;
    throw err;
  });
  if (requested !== '' && requested !== info.name) {
    throw new InvalidArgument(
      formatError('initBackend.backend', `the backend already started (${info.name})`, describeValue(requested), 'Choose the backend once per process, before any training'),
    );
  }
  const report = options.report === undefined ? (line: string) => process.stderr.write(line + '\n') : options.report;
  if (!reported && report) {
    reported = true;
    report(`lamkit: tfjs backend ${info.name} [${info.source}]${describeSkipped(info.skipped)}`);
  }
  return info;
}

/**
 * The report's tail: an optional native package that is simply not
 * installed is the normal case (it needs libtensorflow, downloaded at
 * install time), so it reads as a note, not as a failure.
 */
function describeSkipped(skipped: BackendInfo['skipped']): string {
  const notes = skipped.map((s) => {
    if (s.name === 'tensorflow') {
      return /Cannot find (package|module)/.test(s.reason)
        ? 'the optional native backend (@tensorflow/tfjs-node-gpu) is not installed'
        : `the optional native backend (@tensorflow/tfjs-node-gpu) is installed but did not load: ${s.reason}`;
    }
    return `${s.name} did not start: ${s.reason}`;
  });
  return notes.length > 0 ? `; ${notes.join('; ')}` : '';
}

async function start(requested: BackendName | ''): Promise<BackendInfo> {
  // PROD silences tfjs's console advice ("install tfjs-node") and debug checks.
  tf.env().set('PROD', true);
  const order: readonly BackendName[] = requested === '' ? BACKEND_NAMES : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      await STARTERS[name]();
      if (tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') left backend ${tf.getBackend()}`);
      return { name, source: requested === '' ? 'auto' : 'LAMKIT_BACKEND', skipped };
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (requested !== '') {
        throw new BackendError(
          formatError('initBackend', `backend '${name}' to start (LAMKIT_BACKEND=${name})`, `an error: ${reason}`, 'Unset LAMKIT_BACKEND to fall back automatically'),
          { cause: err },
        );
      }
      skipped.push({ name, reason });
    }
  }
  throw new BackendError(formatError('initBackend', 'one of tensorflow, wasm, cpu to start', `failures: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`, 'Reinstall @tensorflow/tfjs'));
}

const STARTERS: Record<BackendName, () => Promise<void>> = {
  async tensorflow() {
    // Optional native package: absent, or present without its binary when
    // install scripts were skipped offline. Any failure means "not available".
    const pkg = '@tensorflow/tfjs-node-gpu';
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('setBackend returned false');
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep);
    // Emscripten's Node glue installs process handlers that rethrow every
    // uncaught exception / unhandled rejection from inside its minified
    // one-line source, so Node prints that whole line (megabytes) above any
    // later error in the user's program. Node's defaults already crash on
    // both: drop the handlers the module added.
    const before = {
      uncaughtException: new Set(process.listeners('uncaughtException')),
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
    };
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('setBackend returned false');
      await tf.ready();
    } finally {
      for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.has(l)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.has(l)) process.removeListener('unhandledRejection', l);
    }
  },
  async cpu() {
    if (!(await tf.setBackend('cpu'))) throw new Error('setBackend returned false');
  },
};
