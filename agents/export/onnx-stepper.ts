import { InvalidObservation, formatError, describeValue } from '../../src/core/errors.js';
import type { StatePair } from './export-source.js';

/** The part of an ONNX Runtime tensor lamkit reads (onnxruntime-node and onnxruntime-web share it). */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** The part of an ONNX Runtime `InferenceSession` lamkit uses. */
export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
}

/** A session that can run synchronously (`createOrtNodeSyncSession`). */
interface OrtSyncRunner {
  runSync(feeds: Record<string, OrtTensorLike>): Record<string, OrtTensorLike>;
}

/** ONNX Runtime's `Tensor` constructor for float32 data (pass `ort.Tensor`). */
export type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;

/**
 * Runs an exported step model (`policy.onnx`) for `batch` sub-envs at a
 * time, carrying its recurrent state (`export.json`'s `state` pairs: the
 * window-mlp's history, the transformer's key/value cache and previous
 * action) from one call to the next: zeros at the start, and for row i
 * again after `resetEpisode(i)`. Stateless models (the MLP) pass through.
 * Works with onnxruntime-node and onnxruntime-web alike (no Node import).
 */
export class OnnxStepper {
  private readonly state = new Map<string, { pair: StatePair; data: Float32Array; dims: number[] }>();

  constructor(
    private readonly session: OrtSessionLike,
    private readonly Tensor: OrtTensorConstructor,
    pairs: readonly StatePair[],
    readonly obsDim: number,
    readonly batch: number,
  ) {
    for (const pair of pairs) {
      const dims = pair.shape.map((d) => (d === 'batch' ? batch : d));
      this.state.set(pair.input, { pair, data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });
    }
  }

  /**
   * One step: `obs Float32Array [batch x obsDim]` (raw) -> the model's
   * non-state outputs by name (`action`, and `logits` / `mean`, `value`
   * when exported). The state outputs become the next call's inputs.
   */
  async step(obs: Float32Array): Promise<Record<string, OrtTensorLike>> {
    return this.takeState(await this.session.run(this.feeds(obs)));
  }

  /** Whether the session runs synchronously ({@link stepSync}): e.g. `createOrtNodeSyncSession`. */
  get canStepSync(): boolean {
    return typeof (this.session as Partial<OrtSyncRunner>).runSync === 'function';
  }

  /** {@link step} without a promise, for a session with `runSync` (see {@link canStepSync}). */
  stepSync(obs: Float32Array): Record<string, OrtTensorLike> {
    return this.takeState((this.session as unknown as OrtSyncRunner).runSync(this.feeds(obs)));
  }

  private feeds(obs: Float32Array): Record<string, OrtTensorLike> {
    if (!(obs instanceof Float32Array) || obs.length !== this.batch * this.obsDim) {
      throw new InvalidObservation(formatError('OnnxStepper.step.obs', `Float32Array [${this.batch} x ${this.obsDim}]`, describeValue(obs), 'Pass one raw flattened observation per sub-env'));
    }
    const feeds: Record<string, OrtTensorLike> = { obs: new this.Tensor('float32', obs, [this.batch, this.obsDim]) };
    for (const [name, s] of this.state) feeds[name] = new this.Tensor('float32', s.data, s.dims);
    return feeds;
  }

  /** The state outputs become the next call's inputs; returns the rest. */
  private takeState(out: Record<string, OrtTensorLike>): Record<string, OrtTensorLike> {
    if (this.state.size === 0) return out;
    const rest: Record<string, OrtTensorLike> = { ...out };
    for (const s of this.state.values()) {
      s.data = Float32Array.from(out[s.pair.output].data as Float32Array);
      delete rest[s.pair.output];
    }
    return rest;
  }

  /** Row `i` starts a new episode: its slice of every state tensor is zeroed. */
  resetEpisode(i: number): void {
    for (const s of this.state.values()) {
      const axis = s.pair.shape.indexOf('batch');
      const outer = s.dims.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = s.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let o = 0; o < outer; o++) s.data.fill(0, (o * this.batch + i) * inner, (o * this.batch + i + 1) * inner);
    }
  }
}
