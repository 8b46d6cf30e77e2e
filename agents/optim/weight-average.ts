import * as tf from '@tensorflow/tfjs';
import { FileFormatError, formatError } from '../../src/core/errors.js';

/**
 * An exponential moving average of variables (Polyak averaging, as Diffusion Policy and LeRobot train their
 * policies): after optimizer step `k` (0-based) the average moves to `d x average + (1 - d) x value` with
 * `d = min(decay, (1 + k) / (10 + k))`, so the first values do not dominate it. {@link applied} runs code with the
 * average in the variables and puts their own values back after. Owns its tensors: {@link dispose}.
 */
export class WeightAverage {
  private readonly vars: readonly tf.Variable[];
  private readonly decay: number;
  private average: tf.Tensor[];

  constructor(vars: readonly tf.Variable[], decay: number) {
    this.vars = vars;
    this.decay = decay;
    this.average = vars.map((v) => tf.keep(tf.clone(v)));
  }

  /** Folds the variables' current values in, after optimizer step `step`. */
  update(step: number): void {
    const d = Math.min(this.decay, (1 + step) / (10 + step));
    const next = tf.tidy(() => this.vars.map((v, i) => tf.add(tf.mul(this.average[i], d), tf.mul(v, 1 - d))));
    tf.dispose(this.average);
    this.average = next;
  }

  /**
   * Runs `fn` with the average in the variables; their own values are back afterwards, also when `fn` throws.
   * `changed` is called after each swap (e.g. `ActorCritic.paramsChanged`, so JS caches follow).
   */
  async applied<T>(fn: () => Promise<T>, changed: () => void): Promise<T> {
    const own = this.vars.map((v, i) => {
      const r = tf.clone(v);
      v.assign(this.average[i]);
      return r;
    });
    changed();
    try {
      return await fn();
    } finally {
      this.vars.forEach((v, i) => v.assign(own[i]));
      tf.dispose(own);
      changed();
    }
  }

  /** The average's values (copies), in the variables' order: what {@link load} takes back. */
  values(): Float32Array[] {
    return this.average.map((a) => a.dataSync().slice() as Float32Array);
  }

  /** Replaces the average with `values` (from {@link values}); a count or size that does not match the variables is a typed error naming `where`. */
  load(values: readonly Float32Array[] | null, where: string): void {
    const sizes = this.vars.map((v) => v.size);
    if (!values || values.length !== sizes.length || values.some((a, i) => !(a instanceof Float32Array) || a.length !== sizes[i])) {
      throw new FileFormatError(formatError(where, `${sizes.length} Float32Arrays of sizes [${sizes.join(', ')}]`, values ? `${values.length} arrays of sizes [${values.map((a) => a?.length).join(', ')}]` : 'none', 'Resume with the network and config the state was saved with'));
    }
    const next = this.vars.map((v, i) => tf.keep(tf.tensor(values[i], v.shape)));
    tf.dispose(this.average);
    this.average = next;
  }

  /** Frees the average (idempotent). */
  dispose(): void {
    tf.dispose(this.average);
    this.average = [];
  }
}
