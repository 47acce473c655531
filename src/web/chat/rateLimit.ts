/**
 * A per-address token bucket for the public web chat, which needs no account: enough for anyone
 * typing or tapping (a burst of `burst`, then `perMinute`), not for a script filling the database.
 * In memory: a restart forgets it, which is harmless.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string, nowMs: number): boolean {
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, nowMs - b.at) * rate);
    b.at = nowMs;
    if (this.buckets.size >= this.maxKeys && !this.buckets.has(key)) this.forgetFull(nowMs);
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops buckets that have refilled completely: they behave exactly like new ones. */
  private forgetFull(nowMs: number): void {
    const rate = this.perMinute / 60_000;
    for (const [k, b] of this.buckets) if (b.tokens + (nowMs - b.at) * rate >= this.burst) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
