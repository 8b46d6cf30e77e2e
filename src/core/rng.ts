import { InvalidArgument, formatError, describeValue } from './errors.js';

/** Serializable state of an {@link Rng}; restore with {@link Rng.fromState} or `rng.setState`. */
export interface RngState {
  /** Algorithm tag, so a state from another generator is refused. */
  readonly algorithm: 'xoshiro128**';
  /** The four 32-bit words of xoshiro128** state (unsigned). */
  readonly s: readonly [number, number, number, number];
  /** Cached second normal deviate of the Box-Muller pair, or null. */
  readonly spareNormal: number | null;
}

/**
 * Seeded pseudo-random generator: xoshiro128** 1.1 (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", 2021; period 2^128 - 1),
 * seeded through splitmix32 so nearby seeds give unrelated streams.
 *
 * Every random draw in lamkit goes through an `Rng`; library code never uses
 * `Math.random`. Same seed, same sequence, on every platform.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @param seed any safe integer (negative allowed); the same seed gives the same stream. */
  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds in place (as `reset({ seed })` does for an env). */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidArgument(
        formatError('Rng.seed', 'a safe integer', describeValue(seed), 'Pass an integer such as 0, 1, 42'),
      );
    }
    // Split the (up to 53-bit) seed into two 32-bit halves and mix both in.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let x = (lo ^ Math.imul(hi, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s0 = n0 >>> 0;
    this.s1 = n1 >>> 0;
    this.s2 = n2 >>> 0;
    this.s3 = n3 >>> 0;
    return r;
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform float64 in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Standard normal (mean 0, std 1) via the Box-Muller transform; the pair's second value is cached. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /**
   * Uniform integer in [low, high) (high exclusive, like numpy's `integers`).
   * Unbiased (rejection sampling). Range must fit in 2^32.
   */
  integer(low: number, high: number): number {
    const range = high - low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || range <= 0 || range > 4294967296) {
      throw new InvalidArgument(
        formatError(
          'Rng.integer',
          'integers low < high with high - low <= 2^32',
          `low=${describeValue(low)}, high=${describeValue(high)}`,
          'Pass integer bounds; high is exclusive',
        ),
      );
    }
    if (range === 4294967296) return low + this.nextUint32();
    // Lemire-style rejection on the top of the range: reject values in the biased tail.
    const limit = 4294967296 - (4294967296 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % range);
  }

  /** True with probability p. */
  bernoulli(p = 0.5): boolean {
    return this.random() < p;
  }

  /** Fills `out` with uniform [low, high) values and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.random();
    return out;
  }

  /** Fills `out` with normal values and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /**
   * Derives an independent child generator (e.g. one per sub-env or per
   * module) deterministically from this one's stream.
   */
  spawn(): Rng {
    const child = new Rng(0);
    child.s0 = this.nextUint32();
    child.s1 = this.nextUint32();
    child.s2 = this.nextUint32();
    child.s3 = this.nextUint32();
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1;
    return child;
  }

  /** A random seed (non-negative 31-bit integer) drawn from this stream. */
  nextSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Snapshot of the full state (JSON-serializable). */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a snapshot from {@link getState}. */
  setState(state: RngState): void {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      state.algorithm === 'xoshiro128**' &&
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      (state.spareNormal === null || typeof state.spareNormal === 'number');
    if (!ok) {
      throw new InvalidArgument(
        formatError(
          'Rng.setState',
          "{ algorithm: 'xoshiro128**', s: [4 uint32], spareNormal: number | null }",
          describeValue(state),
          'Pass a value returned by rng.getState()',
        ),
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = state.s;
    this.spare = state.spareNormal;
  }

  /** A new generator in the given state. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
