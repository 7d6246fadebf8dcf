/**
 * Per-peer accounting of IGNOREd txs. An IGNORE costs the sender nothing in gossipsub's score, so a
 * peer can push validly signed txs from unfunded keys forever. We count the txs each peer sent that
 * were turned away for head-state reasons (a decaying count); past a limit the peer is throttled: its
 * next batches are skipped before decoding. Batches it keeps sending while throttled are penalized
 * (every `penalizeEvery`-th one), which the caller turns into a REJECT and the peer manager into a ban.
 * Memory is bounded: at most `maxPeers` peers are tracked, the least recently seen is dropped.
 */

/** Tuning of the throttle. */
export interface IgnoreThrottleOptions {
  /** Decaying count of IGNOREd txs at which a peer is throttled (default 1024: two full batches). */
  limit?: number;
  /** Half-life of that count, ms (default 60 s). */
  halfLifeMs?: number;
  /** How long a throttled peer's batches are skipped, ms (default 60 s). */
  throttleMs?: number;
  /** One penalty per this many batches skipped while throttled (default 4). */
  penalizeEvery?: number;
  /** Most peers tracked (default 1024). */
  maxPeers?: number;
  now?: () => number;
}

/** What to do with a peer's next batch. */
export type ThrottleDecision = "pass" | "skip" | "penalize";

interface PeerIgnores {
  count: number;
  at: number;
  throttledUntil: number;
  skipped: number;
}

/** Decaying per-peer IGNORE counts, throttling and the penalty decision. */
export class IgnoreThrottle {
  private readonly limit: number;
  private readonly halfLifeMs: number;
  private readonly throttleMs: number;
  private readonly penalizeEvery: number;
  private readonly maxPeers: number;
  private readonly now: () => number;
  private readonly peers = new Map<string, PeerIgnores>();

  constructor(opts: IgnoreThrottleOptions = {}) {
    this.limit = opts.limit ?? 1024;
    this.halfLifeMs = opts.halfLifeMs ?? 60_000;
    this.throttleMs = opts.throttleMs ?? 60_000;
    this.penalizeEvery = opts.penalizeEvery ?? 4;
    this.maxPeers = opts.maxPeers ?? 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Decides about `peer`'s next batch before it is decoded. */
  check(peer: string): ThrottleDecision {
    const r = this.peers.get(peer);
    if (r === undefined || this.now() >= r.throttledUntil) return "pass";
    this.peers.delete(peer);
    this.peers.set(peer, r);
    r.skipped++;
    if (r.skipped % this.penalizeEvery !== 0) return "skip";
    return "penalize";
  }

  /** Counts `ignored` txs of a batch from `peer`; true when this throttles the peer. */
  record(peer: string, ignored: number): boolean {
    if (ignored <= 0) return false;
    const now = this.now();
    const r = this.touch(peer, now);
    r.count = r.count * 0.5 ** ((now - r.at) / this.halfLifeMs) + ignored;
    r.at = now;
    if (r.count < this.limit || now < r.throttledUntil) return false;
    r.throttledUntil = now + this.throttleMs;
    r.skipped = 0;
    // The next crossing needs a fresh limit's worth of IGNOREs.
    r.count = 0;
    return true;
  }

  /** Whether `peer` is throttled now. */
  isThrottled(peer: string): boolean {
    const r = this.peers.get(peer);
    return r !== undefined && this.now() < r.throttledUntil;
  }

  /** Peers tracked. */
  get size(): number {
    return this.peers.size;
  }

  private touch(peer: string, now: number): PeerIgnores {
    let r = this.peers.get(peer);
    if (r !== undefined) {
      this.peers.delete(peer);
    } else {
      r = { count: 0, at: now, throttledUntil: 0, skipped: 0 };
      if (this.peers.size >= this.maxPeers) this.peers.delete(this.peers.keys().next().value as string);
    }
    this.peers.set(peer, r);
    return r;
  }
}
