/**
 * Bounded memory of nonces already used, per key. An entry lives until its `keepUntil` (the
 * caller sets it past the end of the acceptance window, with a margin), so a replay is caught
 * while its timestamp would still pass. Entries are pruned by expiry, in buckets of
 * `granularityMs`, never early and at most one bucket late, so an entry with a far expiry never
 * holds back the pruning of the others. When full it refuses new nonces (fails closed) instead of
 * forgetting live ones, which would reopen replay; a reserve of the capacity is kept for
 * privileged (admin) callers, and each key has its own quota, so no set of ordinary keys can
 * lock out the others or the admin.
 */
import type { Clock } from "./types.ts";

/** Options of the nonce store. */
export interface NonceStoreOptions {
  /** Total live entries over all keys (default 200 000). */
  maxEntries?: number;
  /** Live entries for one key (default 100 000; the server sizes it from the rate limit). */
  maxPerKey?: number;
  /** Entries only privileged callers may use (default a tenth of maxEntries). */
  reserved?: number;
  /** Width of the expiry buckets in ms (default 1000). */
  granularityMs?: number;
}

/** Outcome of NonceStore.add. */
export type NonceAddResult = "added" | "replayed" | "key_quota_full" | "store_full";

/** Options of one add. */
export interface NonceAddOptions {
  /** The caller's clock reading, so one request uses one instant for every check. */
  now?: number;
  /** Privileged callers (admin keys) may use the reserve. */
  privileged?: boolean;
}

/** Replay memory used by the server and by webhook receivers. */
export interface NonceStore {
  /** True if this key already used this nonce and the entry has not expired. */
  has(keyId: string, nonce: string, now?: number): boolean;
  /** Remembers a nonce until `keepUntil` (unix ms) unless it is known or a quota is reached. */
  add(keyId: string, nonce: string, keepUntil: number, opts?: NonceAddOptions): NonceAddResult;
  readonly size: number;
}

interface Entry {
  keyId: string;
  privileged: boolean;
}

/** Creates an in-memory nonce store pruned by time. */
export function createNonceStore(clock: Clock, options: NonceStoreOptions = {}): NonceStore {
  const maxEntries = options.maxEntries ?? 200_000;
  const reserved = Math.min(options.reserved ?? Math.ceil(maxEntries / 10), maxEntries);
  const ordinaryCap = maxEntries - reserved;
  const maxPerKey = Math.min(options.maxPerKey ?? 100_000, maxEntries);
  const granularity = options.granularityMs ?? 1000;
  const entries = new Map<string, Entry>();
  const buckets = new Map<number, string[]>();
  const perKey = new Map<string, number>();
  let ordinaryCount = 0;
  let nextDue = Number.POSITIVE_INFINITY;

  const forget = (k: string): void => {
    const e = entries.get(k);
    if (!e) return;
    entries.delete(k);
    if (!e.privileged) ordinaryCount--;
    const left = (perKey.get(e.keyId) ?? 1) - 1;
    if (left <= 0) perKey.delete(e.keyId);
    else perKey.set(e.keyId, left);
  };

  // Every entry of bucket b has keepUntil < (b + 1) * granularity, so once `now` reaches that
  // bound all of them have expired.
  const prune = (now: number): void => {
    if (now < nextDue) return;
    nextDue = Number.POSITIVE_INFINITY;
    for (const [b, keys] of buckets) {
      const end = (b + 1) * granularity;
      if (end <= now) {
        for (const k of keys) forget(k);
        buckets.delete(b);
      } else if (end < nextDue) nextDue = end;
    }
  };

  return {
    get size() {
      return entries.size;
    },
    has(keyId, nonce, now = clock.now()) {
      prune(now);
      return entries.has(`${keyId}:${nonce}`);
    },
    add(keyId, nonce, keepUntil, opts = {}) {
      prune(opts.now ?? clock.now());
      const k = `${keyId}:${nonce}`;
      if (entries.has(k)) return "replayed";
      const privileged = opts.privileged === true;
      const count = perKey.get(keyId) ?? 0;
      if (count >= maxPerKey) return "key_quota_full";
      if (entries.size >= maxEntries || (!privileged && ordinaryCount >= ordinaryCap)) return "store_full";
      entries.set(k, { keyId, privileged });
      if (!privileged) ordinaryCount++;
      perKey.set(keyId, count + 1);
      const b = Math.floor(keepUntil / granularity);
      const list = buckets.get(b);
      if (list) list.push(k);
      else buckets.set(b, [k]);
      nextDue = Math.min(nextDue, (b + 1) * granularity);
      return "added";
    },
  };
}

/**
 * A per-key quota that an honest key can never reach: the most nonces its rate limit lets it
 * spend within one nonce lifetime (`lifeMs`), plus its burst.
 */
export function nonceQuotaFor(rate: { ratePerSecond: number; burst: number }, lifeMs: number): number {
  return Math.ceil(rate.burst + (rate.ratePerSecond * lifeMs) / 1000);
}

/**
 * How long past the end of a request's window its nonce is kept: a wall clock stepped back by up
 * to this much still cannot make a spent request acceptable again.
 */
export const NONCE_MARGIN_MS = 5_000;

/** The keep-until of a nonce whose request carries `timestamp`, for a ±`windowMs` window. */
export function nonceKeepUntil(timestamp: number, windowMs: number): number {
  return timestamp + windowMs + NONCE_MARGIN_MS;
}
