import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../src/core/errors.js';
import type { OrtSessionLike, OrtTensorLike } from './onnx-stepper.js';

/** An ONNX Runtime session that can also run synchronously (see {@link createOrtNodeSyncSession}). */
export interface OrtSyncSession extends OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** One inference, returned directly: no promise, no event-loop turn. */
  runSync(feeds: Record<string, OrtTensorLike>): Record<string, OrtTensorLike>;
  /** Frees the native session; idempotent. */
  release(): void;
}

/** Options of {@link createOrtNodeSyncSession}. */
export interface OrtNodeSyncOptions {
  /** Threads inside an operator (default 1: a batch-1 policy gains nothing from more). */
  intraOpNumThreads?: number;
  /** Threads across operators (default 1). */
  interOpNumThreads?: number;
  /** ONNX Runtime's graph optimizations (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Where to resolve `onnxruntime-node` from (default: the working directory, i.e. the user's project). */
  resolveFrom?: string;
}

interface NativeSession {
  loadModel(...args: unknown[]): void;
  run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, null>, options: object): Record<string, OrtTensorLike>;
  dispose(): void;
  outputMetadata: Array<{ name: string }>;
  inputMetadata: Array<{ name: string }>;
}

/**
 * An onnxruntime-node session whose inference runs synchronously, for a
 * control loop where every microsecond counts. onnxruntime-node's public
 * `InferenceSession.run` is asynchronous: it defers the (synchronous)
 * native call to the next event-loop turn (`setImmediate`) and wraps the
 * outputs, which costs more than a small MLP itself (docs/benchmarks.md,
 * "Export": ~17 us of a ~23 us MLP call on a quiet machine; ~10.6 us
 * without). This calls the same native session directly. It reaches into
 * onnxruntime-node's `dist/binding` (tested with 1.30); when that layout is
 * not there, a typed error says to use `ort.InferenceSession.create`, which
 * {@link OnnxPolicy} takes as well.
 *
 * `onnxruntime-node` is the user's dependency (lamkit does not install
 * it); it is resolved from `options.resolveFrom` (default: the working
 * directory).
 */
export function createOrtNodeSyncSession(model: string | Uint8Array, options: OrtNodeSyncOptions = {}): OrtSyncSession {
  const where = 'createOrtNodeSyncSession';
  const req = createRequire(join(options.resolveFrom ?? process.cwd(), 'lamkit-resolve.js'));
  let bindingPath: string;
  try {
    bindingPath = join(req.resolve('onnxruntime-node'), '..', 'binding.js');
  } catch {
    throw new InvalidArgument(formatError(`${where}.onnxruntime-node`, 'onnxruntime-node installed where it is resolved from', describeValue(options.resolveFrom ?? process.cwd()), 'Install it (npm i onnxruntime-node) or pass resolveFrom: a directory whose node_modules has it'));
  }
  let native: { binding?: { InferenceSession?: new () => NativeSession }; initOrt?: () => void };
  try {
    native = req(bindingPath);
  } catch (err) {
    throw new InvalidArgument(formatError(`${where}.onnxruntime-node`, "onnxruntime-node's native binding (dist/binding.js)", (err as Error).message.split('\n')[0], 'Use ort.InferenceSession.create (asynchronous) with OnnxPolicy instead'));
  }
  const Session = native.binding?.InferenceSession;
  if (typeof Session !== 'function' || typeof native.initOrt !== 'function') {
    throw new InvalidArgument(formatError(`${where}.onnxruntime-node`, 'a binding exporting InferenceSession and initOrt (onnxruntime-node 1.30)', 'another layout', 'Use ort.InferenceSession.create (asynchronous) with OnnxPolicy instead'));
  }
  native.initOrt();
  const session = new Session();
  const sessionOptions = { intraOpNumThreads: options.intraOpNumThreads ?? 1, interOpNumThreads: options.interOpNumThreads ?? 1, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' };
  if (typeof model === 'string') session.loadModel(model, sessionOptions);
  else session.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptions);
  const inputNames = session.inputMetadata.map((m) => m.name);
  const outputNames = session.outputMetadata.map((m) => m.name);
  const fetches: Record<string, null> = Object.fromEntries(outputNames.map((n) => [n, null]));
  const runOptions = {};
  let released = false;
  const runSync = (feeds: Record<string, OrtTensorLike>): Record<string, OrtTensorLike> => {
    if (released) throw new InvalidArgument(formatError(`${where}.runSync`, 'a session not released', 'a released one', 'Create a new session'));
    return session.run(feeds, fetches, runOptions);
  };
  return {
    inputNames,
    outputNames,
    runSync,
    run: async (feeds) => runSync(feeds),
    release: () => {
      if (released) return;
      released = true;
      session.dispose();
    },
  };
}
