/**
 * Penalty points keyed by peer id, kept after the peer disconnects so reconnecting does not wipe
 * them (like Lodestar's PeerRpcScoreStore, and Bitcoin Core's discouragement keyed by address
 * rather than by connection). Points halve every `halfLifeMs`; while a peer is banned they do not
 * decay (Lodestar: no decay before the ban ends). Memory is bounded: past `maxPeers` remembered
 * peers, the least penalized (then the longest untouched) is forgotten first, and points that
 * decayed to almost nothing are dropped.
 */

/** How penalties decay and how many peers are remembered. */
export interface PenaltyConfig {
  halfLifeMs: number;
  maxPeers: number;
}

interface Entry {
  points: number;
  /** When `points` was last brought up to date. */
  at: number;
  /** No decay before this time (the end of a ban). */
  holdUntil: number;
  /** When the last offence was recorded. */
  touched: number;
  /** Offences recorded (not decayed). */
  offences: number;
  lastReason: string;
}

/** What the book holds about one peer. */
export interface PenaltyInfo {
  points: number;
  offences: number;
  lastReason: string;
}

/** Points below this are forgotten. */
const NEGLIGIBLE = 0.01;

/** Bounded, decaying penalty points by peer id. */
export class PenaltyBook {
  private readonly config: PenaltyConfig;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(config: PenaltyConfig, now: () => number = Date.now) {
    this.config = config;
    this.now = now;
  }

  private decay(e: Entry, now: number): void {
    const from = Math.max(e.at, e.holdUntil);
    if (now > from) e.points *= 0.5 ** ((now - from) / this.config.halfLifeMs);
    e.at = now;
  }

  /** The peer's decayed points (0 for a peer never penalized or forgotten). */
  points(peer: string): number {
    const e = this.entries.get(peer);
    if (e === undefined) return 0;
    this.decay(e, this.now());
    return e.points;
  }

  /** Everything known about `peer`, decayed to now. */
  info(peer: string): PenaltyInfo | undefined {
    const e = this.entries.get(peer);
    if (e === undefined) return undefined;
    this.decay(e, this.now());
    return { points: e.points, offences: e.offences, lastReason: e.lastReason };
  }

  /** Adds `weight` points for `reason`; returns the peer's points after. */
  add(peer: string, weight: number, reason: string): number {
    const now = this.now();
    let e = this.entries.get(peer);
    if (e === undefined) {
      if (this.entries.size >= this.config.maxPeers) this.evict(now);
      e = { points: 0, at: now, holdUntil: 0, touched: now, offences: 0, lastReason: reason };
      this.entries.set(peer, e);
    }
    this.decay(e, now);
    e.points += weight;
    e.offences++;
    e.touched = now;
    e.lastReason = reason;
    return e.points;
  }

  /** Freezes the peer's points until `until` (its ban end). */
  hold(peer: string, until: number): void {
    const e = this.entries.get(peer);
    if (e === undefined) return;
    this.decay(e, this.now());
    e.holdUntil = Math.max(e.holdUntil, until);
  }

  /** Forgets `peer` (an operator's unban). */
  forget(peer: string): void {
    this.entries.delete(peer);
  }

  /** Peers remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops negligible entries; if that frees nothing, the least penalized, oldest on a tie. */
  private evict(now: number): void {
    let victim: string | undefined;
    let victimEntry: Entry | undefined;
    for (const [id, e] of this.entries) {
      this.decay(e, now);
      if (e.points < NEGLIGIBLE && e.holdUntil <= now) {
        this.entries.delete(id);
        continue;
      }
      const v = victimEntry;
      if (v === undefined || e.points < v.points || (e.points === v.points && e.touched < v.touched)) {
        victim = id;
        victimEntry = e;
      }
    }
    if (victim !== undefined && this.entries.size >= this.config.maxPeers) this.entries.delete(victim);
  }
}
