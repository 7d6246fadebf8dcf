/** The pool's indexes (by id, by sender) and running totals, kept consistent through every change. */
import type { Account } from "../core/account.ts";
import { Heap } from "./heap.ts";
import { isExpiredAt } from "./rules.ts";
import { compareFees, type PoolEntry, SenderQueue } from "./sender-queue.ts";

/** Why a tx left the pool without being rejected at the door. */
export type RemovalReason =
  | "included"
  | "replaced"
  | "evicted"
  | "stale_nonce"
  | "expired"
  | "unaffordable"
  | "queued_timeout";

/** Eviction order: lowest fee first; among equal fees the newest arrival goes first. */
function evictsBefore(a: PoolEntry, b: PoolEntry): boolean {
  const c = compareFees(a, b);
  return c < 0 || (c === 0 && a.seq > b.seq);
}

// Stale heap items (entries no longer a tail, or gone) are dropped lazily; rebuild past this slack.
const EVICTION_HEAP_SLACK = 1024;

/**
 * Every pool tx indexed by id and by sender, pending/queued totals, and two eviction heaps: one over
 * the senders' pending tails and one over their queued tails, so queued txs can be evicted without
 * ever touching a pending one.
 */
export class PoolIndex {
  readonly byId = new Map<string, PoolEntry>();
  readonly senders = new Map<string, SenderQueue>();
  pending = 0;
  pendingBytes = 0;
  bytes = 0;
  private readonly removalCounts: Record<string, number> = {};
  private pendingHeap = new Heap<PoolEntry>(evictsBefore);
  private queuedHeap = new Heap<PoolEntry>(evictsBefore);

  /** Number of txs in the pool. */
  get size(): number {
    return this.byId.size;
  }

  /** Number of queued (nonce-gap) txs. */
  get queued(): number {
    return this.byId.size - this.pending;
  }

  /** Summed encoded size of the queued txs. */
  get queuedBytes(): number {
    return this.bytes - this.pendingBytes;
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

  /** The cheapest pending tail (lowest fee, newest on a tie): the pending tx to evict first. */
  pendingVictim(): PoolEntry | undefined {
    return this.peekValid(this.pendingHeap, (e) => e.sender.pendingTail() === e, "inPendingHeap");
  }

  /** The cheapest queued tail: the queued tx to evict first. */
  queuedVictim(): PoolEntry | undefined {
    return this.peekValid(this.queuedHeap, (e) => e.sender.queuedTail() === e, "inQueuedHeap");
  }

  /** Removes queued txs admitted before `cutoff` (ms); returns how many left. */
  expireQueued(cutoff: number): number {
    let dropped = 0;
    for (const s of [...this.senders.values()]) {
      if (s.size === s.pendingCount) continue;
      const old = s.queued().filter((e) => e.addedAt < cutoff);
      if (old.length === 0) continue;
      const before = s.pendingCount;
      for (const e of old) this.detach(e, "queued_timeout");
      this.settle(s, before);
      dropped += old.length;
    }
    return dropped;
  }

  /** Removal counts by reason, for metrics. */
  removals(): Record<string, number> {
    return { ...this.removalCounts };
  }

  private peekValid(
    heap: Heap<PoolEntry>,
    valid: (e: PoolEntry) => boolean,
    flag: "inPendingHeap" | "inQueuedHeap",
  ): PoolEntry | undefined {
    for (;;) {
      const e = heap.peek();
      if (e === undefined) return undefined;
      if (!e.removed && valid(e)) return e;
      heap.pop();
      e[flag] = false;
    }
  }

  private detach(entry: PoolEntry, reason: RemovalReason): void {
    entry.sender.remove(entry);
    this.byId.delete(entry.key);
    this.bytes -= entry.bytes;
    entry.removed = true;
    this.removalCounts[reason] = (this.removalCounts[reason] ?? 0) + 1;
  }

  /** Recounts a sender's pending run, keeps its tails in the eviction heaps, drops it when empty. */
  private settle(s: SenderQueue, pendingBefore: number): void {
    const bytesBefore = s.pendingBytes;
    s.recountPending();
    this.pending += s.pendingCount - pendingBefore;
    this.pendingBytes += s.pendingBytes - bytesBefore;
    if (s.size === 0) {
      if (this.senders.get(s.key) === s) this.senders.delete(s.key);
      return;
    }
    const p = s.pendingTail();
    if (p !== undefined && !p.inPendingHeap) {
      p.inPendingHeap = true;
      this.pendingHeap.push(p);
    }
    const q = s.queuedTail();
    if (q !== undefined && !q.inQueuedHeap) {
      q.inQueuedHeap = true;
      this.queuedHeap.push(q);
    }
    const slack = 2 * this.senders.size + EVICTION_HEAP_SLACK;
    if (this.pendingHeap.size > slack || this.queuedHeap.size > slack) this.rebuildHeaps();
  }

  private rebuildHeaps(): void {
    const pending: PoolEntry[] = [];
    const queued: PoolEntry[] = [];
    for (const e of this.byId.values()) {
      e.inPendingHeap = false;
      e.inQueuedHeap = false;
    }
    for (const s of this.senders.values()) {
      const p = s.pendingTail();
      const q = s.queuedTail();
      if (p !== undefined) {
        p.inPendingHeap = true;
        pending.push(p);
      }
      if (q !== undefined) {
        q.inQueuedHeap = true;
        queued.push(q);
      }
    }
    this.pendingHeap = new Heap(evictsBefore, pending);
    this.queuedHeap = new Heap(evictsBefore, queued);
  }
}
