/**
 * Token bucket: `ratePerSecond` tokens refill continuously up to `burst`;
 * each message takes one. Used per connection so one noisy robot cannot
 * starve the server.
 */
export class RateLimiter {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private tokens: number;
  private lastMs = -1;

  constructor(ratePerSecond: number, burst: number) {
    this.ratePerMs = ratePerSecond / 1000;
    this.burst = burst;
    this.tokens = burst;
  }

  /** Takes one token at time `nowMs` (performance.now()); false when the bucket is empty. */
  take(nowMs: number): boolean {
    if (this.lastMs >= 0) this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastMs) * this.ratePerMs);
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
