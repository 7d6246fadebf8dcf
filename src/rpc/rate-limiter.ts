/** Token bucket per key: `ratePerSecond` refill, `burst` capacity, driven by the injected clock. */
import type { Clock } from "./types.ts";

/** Options of the rate limiter. */
export interface RateLimitOptions {
  /** Sustained calls per second per key (default 1000). */
  ratePerSecond?: number;
  /** Bucket size (default 2 × rate). */
  burst?: number;
}

/** Per-key token buckets. */
export interface RateLimiter {
  /** Takes `cost` tokens if available; returns false (and takes nothing) otherwise. */
  take(keyId: string, cost?: number, now?: number): boolean;
  /** Milliseconds until `cost` tokens will be available (0 if now). */
  retryAfterMs(keyId: string, cost?: number, now?: number): number;
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** Creates the limiter; buckets are per key id, so memory is bounded by the number of keys. */
export function createRateLimiter(clock: Clock, options: RateLimitOptions = {}): RateLimiter {
  const rate = options.ratePerSecond ?? 1000;
  const burst = options.burst ?? rate * 2;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (keyId: string, now: number) => {
    let b = buckets.get(keyId);
    if (!b) {
      b = { tokens: burst, at: now };
      buckets.set(keyId, b);
    }
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(burst, b.tokens + (elapsed * rate) / 1000);
    b.at = now;
    return b;
  };
  return {
    ratePerSecond: rate,
    burst,
    take(keyId, cost = 1, now = clock.now()) {
      const b = refill(keyId, now);
      if (b.tokens < cost) return false;
      b.tokens -= cost;
      return true;
    },
    retryAfterMs(keyId, cost = 1, now = clock.now()) {
      const b = refill(keyId, now);
      return b.tokens >= cost ? 0 : Math.ceil(((cost - b.tokens) * 1000) / rate);
    },
  };
}
