/**
 * Bounded memory of nonces already used, per key. An entry lives until its request's timestamp
 * leaves the acceptance window, so a replay is caught while its timestamp would still pass, and
 * after that the timestamp check refuses it. When full, it refuses new nonces (fails closed)
 * instead of forgetting live ones, which would reopen replay.
 */
import type { Clock } from "./types.ts";

/** Options of the nonce store. */
export interface NonceStoreOptions {
  /** Total live entries over all keys (default 200 000). */
  maxEntries?: number;
  /** Live entries for one key (default 100 000), so one busy key cannot starve the others. */
  maxPerKey?: number;
}

/** Replay memory used by the server and by webhook receivers. */
export interface NonceStore {
  /** True if this key already used this nonce within its window. */
  has(keyId: string, nonce: string): boolean;
  /** Remembers a nonce until `keepUntil` (unix ms); false when the store (or the key's share) is full. */
  add(keyId: string, nonce: string, keepUntil: number): boolean;
  readonly size: number;
}

/** Creates an in-memory nonce store pruned by time. */
export function createNonceStore(clock: Clock, options: NonceStoreOptions = {}): NonceStore {
  const maxEntries = options.maxEntries ?? 200_000;
  const maxPerKey = options.maxPerKey ?? 100_000;
  // Insertion-ordered; entries arrive roughly in time order, so pruning from the front is cheap.
  // An entry with a later expiry at the front only delays pruning of those behind it: never early.
  const entries = new Map<string, { keyId: string; keepUntil: number }>();
  const perKey = new Map<string, number>();

  const prune = (now: number): void => {
    for (const [k, e] of entries) {
      if (e.keepUntil >= now) break;
      entries.delete(k);
      const left = (perKey.get(e.keyId) ?? 1) - 1;
      if (left <= 0) perKey.delete(e.keyId);
      else perKey.set(e.keyId, left);
    }
  };

  return {
    get size() {
      return entries.size;
    },
    has(keyId, nonce) {
      prune(clock.now());
      return entries.has(`${keyId}:${nonce}`);
    },
    add(keyId, nonce, keepUntil) {
      prune(clock.now());
      const k = `${keyId}:${nonce}`;
      if (entries.has(k)) return true;
      const count = perKey.get(keyId) ?? 0;
      if (entries.size >= maxEntries || count >= maxPerKey) return false;
      entries.set(k, { keyId, keepUntil });
      perKey.set(keyId, count + 1);
      return true;
    },
  };
}
