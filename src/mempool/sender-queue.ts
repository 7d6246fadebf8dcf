/** One sender's pool transactions, kept sorted by nonce, with the totals admission checks need. */
import type { Hash } from "../core/hash.ts";
import type { Tx } from "../core/tx.ts";

/** A transaction held by the pool, with what the pool derives from it once. */
export interface PoolEntry {
  tx: Tx;
  id: Hash;
  /** Hex of the id: the key of the pool's id index. */
  key: string;
  /** Size of the canonical encoding. */
  bytes: number;
  /** The fee as a double: orders exactly below 2^53 and monotonically above, so heaps compare numbers. */
  feeKey: number;
  /** amount + fee: what the tx takes from the sender's balance. */
  cost: bigint;
  /** Arrival order; breaks fee ties so earlier txs win. */
  seq: number;
  sender: SenderQueue;
  removed: boolean;
  /** When the pool admitted it (ms, the pool's clock): queued txs expire by this. */
  addedAt: number;
  /** Whether the pending eviction heap currently holds this entry. */
  inPendingHeap: boolean;
  /** Whether the queued eviction heap currently holds this entry. */
  inQueuedHeap: boolean;
}

/** Sign of fee(a) - fee(b); compares the doubles first and the exact bigints only on a tie. */
export function compareFees(a: PoolEntry, b: PoolEntry): number {
  if (a.feeKey !== b.feeKey) return a.feeKey - b.feeKey;
  return a.tx.fee === b.tx.fee ? 0 : a.tx.fee > b.tx.fee ? 1 : -1;
}

/** A sender's txs sorted by nonce, and the head-state view (nonce, balance) they were checked against. */
export class SenderQueue {
  readonly address: Uint8Array;
  readonly key: string;
  accountNonce: number;
  balance: bigint;
  totalCost = 0n;
  totalBytes = 0;
  /** How many txs run contiguously from `accountNonce`: these are pending, the rest queued. */
  pendingCount = 0;
  /** Summed encoded size of the pending run. */
  pendingBytes = 0;
  private readonly entries: PoolEntry[] = [];

  constructor(address: Uint8Array, key: string, accountNonce: number, balance: bigint) {
    this.address = address;
    this.key = key;
    this.accountNonce = accountNonce;
    this.balance = balance;
  }

  /** Number of txs held for this sender. */
  get size(): number {
    return this.entries.length;
  }

  /** The txs in nonce order (read-only view). */
  list(): readonly PoolEntry[] {
    return this.entries;
  }

  /** The highest-nonce tx: the only one that can leave without opening a gap. */
  tail(): PoolEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** The last tx of the pending run: the only pending tx that can leave without stranding another. */
  pendingTail(): PoolEntry | undefined {
    return this.pendingCount > 0 ? this.entries[this.pendingCount - 1] : undefined;
  }

  /** The tail when it is queued (beyond a nonce gap): the queued tx to evict first. */
  queuedTail(): PoolEntry | undefined {
    return this.entries.length > this.pendingCount ? this.tail() : undefined;
  }

  /** The queued txs (after the pending run) in nonce order. */
  queued(): readonly PoolEntry[] {
    return this.entries.slice(this.pendingCount);
  }

  /** Index of the tx with `nonce`, or where it would be inserted (binary search). */
  private search(nonce: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as PoolEntry).tx.nonce < nonce) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the tx with exactly `nonce`, or -1. */
  indexOf(nonce: number): number {
    const i = this.search(nonce);
    return this.entries[i]?.tx.nonce === nonce ? i : -1;
  }

  /** The tx with `nonce`, if held. */
  get(nonce: number): PoolEntry | undefined {
    const i = this.indexOf(nonce);
    return i < 0 ? undefined : this.entries[i];
  }

  /** Inserts a tx whose nonce is not held yet (replacement removes the old one first). */
  insert(entry: PoolEntry): void {
    const i = this.search(entry.tx.nonce);
    if (this.entries[i]?.tx.nonce === entry.tx.nonce) throw new Error("sender queue: nonce already held");
    this.entries.splice(i, 0, entry);
    this.totalCost += entry.cost;
    this.totalBytes += entry.bytes;
  }

  /** Removes a held tx. */
  remove(entry: PoolEntry): void {
    const i = this.indexOf(entry.tx.nonce);
    if (i < 0 || this.entries[i] !== entry) throw new Error("sender queue: entry not held");
    this.entries.splice(i, 1);
    this.totalCost -= entry.cost;
    this.totalBytes -= entry.bytes;
  }

  /** Recomputes `pendingCount` and `pendingBytes`, assuming no held nonce is below `accountNonce`. */
  recountPending(): void {
    let n = 0;
    let bytes = 0;
    for (; n < this.entries.length; n++) {
      const e = this.entries[n] as PoolEntry;
      if (e.tx.nonce !== this.accountNonce + n) break;
      bytes += e.bytes;
    }
    this.pendingCount = n;
    this.pendingBytes = bytes;
  }
}
