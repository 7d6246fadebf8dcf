/** Per-peer token buckets: a burst capacity that refills at a steady rate. */

/** Capacity and refill rate of one bucket. */
export interface BucketConfig {
  /** Tokens a peer may spend at once. */
  burst: number;
  /** Tokens restored per second. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; the least recently used go first (a full bucket loses nothing). */
const MAX_BUCKETS = 4096;

/** Token buckets keyed by peer id (kept across reconnects, so reconnecting does not refill). */
export class PeerRateLimiter {
  private readonly config: BucketConfig;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(config: BucketConfig, now: () => number = Date.now) {
    this.config = config;
    this.now = now;
  }

  /** Spends `cost` tokens of `peer`'s bucket; false (and nothing spent) when it holds too few. */
  take(peer: string, cost = 1): boolean {
    const now = this.now();
    let b = this.buckets.get(peer);
    if (b === undefined) {
      b = { tokens: this.config.burst, at: now };
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      b.tokens = Math.min(this.config.burst, b.tokens + ((now - b.at) / 1000) * this.config.perSecond);
      b.at = now;
      this.buckets.delete(peer);
    }
    this.buckets.set(peer, b);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Number of peers tracked. */
  get size(): number {
    return this.buckets.size;
  }
}
