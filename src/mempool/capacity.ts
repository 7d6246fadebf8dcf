/**
 * Pool capacity: the caps on the whole pool and on its queued part, and who makes way when a new tx
 * needs room. Queued (nonce-gap) txs can never be mined as they stand, so they always go first; a
 * queued newcomer may displace only a cheaper queued tx, never a pending one (geth's txpool keeps
 * the same split between its pending slots and its queue).
 */
import type { Tx } from "../core/tx.ts";
import { MempoolError } from "./errors.ts";
import type { PoolIndex } from "./pool-index.ts";
import type { PoolEntry, SenderQueue } from "./sender-queue.ts";

/** Default cap on the pool's encoded bytes. */
export const DEFAULT_MAX_POOL_BYTES = 64 * 1024 * 1024;
/** Default time a queued tx may wait for its nonce gap to fill (Bitcoin Core's orphans: 20 min). */
export const DEFAULT_QUEUED_TTL_MS = 20 * 60_000;

/** The resolved caps. */
export interface Caps {
  maxTxs: number;
  maxBytes: number;
  maxQueued: number;
  maxQueuedBytes: number;
}

/** What an incoming tx adds to the pool. */
export interface Need {
  tx: Tx;
  /** 1 for a new nonce, 0 for a replacement. */
  count: number;
  /** Added bytes (a replacement adds the difference). */
  bytes: number;
  /** Whether the tx will be pending (executable) once inserted. */
  pending: boolean;
  sender: SenderQueue | undefined;
  /** The same-nonce tx a replacement displaces; never a victim. */
  existing: PoolEntry | undefined;
}

/** Resolves the caps from the options, with queued caps defaulting to a quarter of the pool's. */
export function resolveCaps(o: {
  maxTxs: number;
  maxBytes?: number;
  maxQueued?: number;
  maxQueuedBytes?: number;
}): Caps {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_POOL_BYTES;
  return {
    maxTxs: o.maxTxs,
    maxBytes,
    maxQueued: o.maxQueued ?? Math.max(1, Math.floor(o.maxTxs / 4)),
    maxQueuedBytes: o.maxQueuedBytes ?? Math.max(1, Math.floor(maxBytes / 4)),
  };
}

/** Whether `need` fits without evicting anything. */
export function fits(index: PoolIndex, caps: Caps, need: Need): boolean {
  if (index.size + need.count > caps.maxTxs || index.bytes + need.bytes > caps.maxBytes) return false;
  if (need.pending) return true;
  return index.queued + need.count <= caps.maxQueued && index.queuedBytes + need.bytes <= caps.maxQueuedBytes;
}

/**
 * The next tx to evict for `need`, or undefined when nothing may go: any queued tail for a pending
 * newcomer, a cheaper queued tail for a queued one, and only then (for a pending newcomer) the
 * cheapest pending tail it outbids that is not its own lower nonce (which would strand it).
 */
export function nextVictim(index: PoolIndex, need: Need): PoolEntry | undefined {
  const { tx } = need;
  const q = index.queuedVictim();
  if (q !== undefined && q !== need.existing && (need.pending || q.tx.fee < tx.fee)) return q;
  if (!need.pending) return undefined;
  const p = index.pendingVictim();
  if (p === undefined || p === need.existing || p.tx.fee >= tx.fee) return undefined;
  if (p.sender === need.sender && p.tx.nonce < tx.nonce) return undefined;
  return p;
}

function poolFull(caps: Caps, need: Need): MempoolError {
  const which = need.pending ? "pool" : "queue";
  return new MempoolError("MEMPOOL_POOL_FULL", `${which} is full and fee ${need.tx.fee} outbids no tx`, {
    pending: need.pending,
    maxTxs: caps.maxTxs,
    maxQueued: caps.maxQueued,
    got: need.tx.fee.toString(),
  });
}

/** Throws MEMPOOL_POOL_FULL when `need` neither fits nor has a first victim (no state changes). */
export function verifyRoomPossible(index: PoolIndex, caps: Caps, need: Need): void {
  if (!fits(index, caps, need) && nextVictim(index, need) === undefined) throw poolFull(caps, need);
}

/**
 * Evicts until `need` fits; returns the evicted entries. Throws MEMPOOL_POOL_FULL when no victim is
 * left (a large tx may have evicted some cheaper ones by then: each was a legitimate victim).
 */
export function makeRoom(index: PoolIndex, caps: Caps, need: Need): PoolEntry[] {
  const evicted: PoolEntry[] = [];
  while (!fits(index, caps, need)) {
    const victim = nextVictim(index, need);
    if (victim === undefined) throw poolFull(caps, need);
    index.remove(victim, "evicted");
    evicted.push(victim);
  }
  return evicted;
}

/** Evicts queued txs until the queued caps hold again (after a head change demoted some). */
export function enforceQueuedCaps(index: PoolIndex, caps: Caps): number {
  let n = 0;
  while (index.queued > caps.maxQueued || index.queuedBytes > caps.maxQueuedBytes) {
    const victim = index.queuedVictim();
    if (victim === undefined) break;
    index.remove(victim, "evicted");
    n++;
  }
  return n;
}
