/** The pool's indexes (by id, by sender) and running totals, kept consistent through every change. */
import type { Account } from "../core/account.ts";
import { Heap } from "./heap.ts";
import { isExpiredAt } from "./rules.ts";
import { compareFees, type PoolEntry, SenderQueue } from "./sender-queue.ts";

/** Why a tx left the pool without being rejected at the door. */
export type RemovalReason = "included" | "replaced" | "evicted" | "stale_nonce" | "expired" | "unaffordable";

/** Eviction order: lowest fee first; among equal fees the newest arrival goes first. */
function evictsBefore(a: PoolEntry, b: PoolEntry): boolean {
  const c = compareFees(a, b);
  return c < 0 || (c === 0 && a.seq > b.seq);
}

// Stale heap items (entries no longer a tail, or gone) are dropped lazily; rebuild past this slack.
const EVICTION_HEAP_SLACK = 1024;

/** Every pool tx indexed by id and by sender, plus the eviction heap over sender tails. */
export class PoolIndex {
  readonly byId = new Map<string, PoolEntry>();
  readonly senders = new Map<string, SenderQueue>();
  pending = 0;
  bytes = 0;
  private readonly removalCounts: Record<string, number> = {};
  private eviction = new Heap<PoolEntry>(evictsBefore);

  /** Number of txs in the pool. */
  get size(): number {
    return this.byId.size;
  }

  /** The queue of `key`, created with the given head-state view if absent. */
  senderFor(address: Uint8Array, key: string, account: Account): SenderQueue {
    let s = this.senders.get(key);
    if (s === undefined) {
      s = new SenderQueue(address, key, account.nonce, account.balance);
      this.senders.set(key, s);
    }
    return s;
  }

  /** Adds an entry to its sender's queue (the nonce must not be held). */
  insert(entry: PoolEntry): void {
    const s = entry.sender;
    const before = s.pendingCount;
    s.insert(entry);
    this.byId.set(entry.key, entry);
    this.bytes += entry.bytes;
    this.settle(s, before);
  }

  /** Removes one entry and counts why. */
  remove(entry: PoolEntry, reason: RemovalReason): void {
    const s = entry.sender;
    const before = s.pendingCount;
    this.detach(entry, reason);
    this.settle(s, before);
  }

  /**
   * Re-checks a sender against a new head-state view: drops txs below the account nonce, txs expired
   * at `nextHeight`, and then the highest nonces until the balance covers the rest. Returns how many left.
   */
  sync(s: SenderQueue, account: Account, nextHeight: number): number {
    const before = s.pendingCount;
    const sizeBefore = s.size;
    s.accountNonce = account.nonce;
    s.balance = account.balance;
    for (const entry of [...s.list()]) {
      if (entry.tx.nonce < account.nonce) this.detach(entry, "stale_nonce");
      else if (isExpiredAt(entry.tx, nextHeight)) this.detach(entry, "expired");
    }
    while (s.totalCost > s.balance) {
      const tail = s.tail();
      if (tail === undefined) break;
      this.detach(tail, "unaffordable");
    }
    this.settle(s, before);
    return sizeBefore - s.size;
  }

  /** The tx to evict when full: the cheapest sender tail, so no sender is left with a gap. */
  victim(): PoolEntry | undefined {
    for (;;) {
      const e = this.eviction.peek();
      if (e === undefined) return undefined;
      if (!e.removed && e.sender.tail() === e) return e;
      this.eviction.pop();
      e.inEvictionHeap = false;
    }
  }

  /** Removal counts by reason, for metrics. */
  removals(): Record<string, number> {
    return { ...this.removalCounts };
  }

  private detach(entry: PoolEntry, reason: RemovalReason): void {
    entry.sender.remove(entry);
    this.byId.delete(entry.key);
    this.bytes -= entry.bytes;
    entry.removed = true;
    this.removalCounts[reason] = (this.removalCounts[reason] ?? 0) + 1;
  }

  /** Recounts a sender's pending run, keeps its tail in the eviction heap, drops it when empty. */
  private settle(s: SenderQueue, pendingBefore: number): void {
    s.recountPending();
    this.pending += s.pendingCount - pendingBefore;
    const tail = s.tail();
    if (tail === undefined) {
      if (this.senders.get(s.key) === s) this.senders.delete(s.key);
      return;
    }
    if (!tail.inEvictionHeap) {
      tail.inEvictionHeap = true;
      this.eviction.push(tail);
      if (this.eviction.size > 2 * this.senders.size + EVICTION_HEAP_SLACK) this.rebuildEviction();
    }
  }

  private rebuildEviction(): void {
    for (const e of this.byId.values()) e.inEvictionHeap = false;
    const tails: PoolEntry[] = [];
    for (const s of this.senders.values()) {
      const tail = s.tail();
      if (tail === undefined) continue;
      tail.inEvictionHeap = true;
      tails.push(tail);
    }
    this.eviction = new Heap(evictsBefore, tails);
  }
}
