/** Block templates: the highest-fee executable txs, in each sender's nonce order, within budget. */
import type { Account } from "../core/account.ts";
import type { Tx } from "../core/tx.ts";
import { Heap } from "./heap.ts";
import { isExpiredAt } from "./rules.ts";
import type { PoolEntry, SenderQueue } from "./sender-queue.ts";

/** Limits of one block template. */
export interface SelectOptions {
  /** At most this many txs. */
  maxTxs: number;
  /** Height of the block being built: txs expired at it are left out. */
  height: number;
  /** Optional cap on the summed encoded size (each tx counted with its 2-byte length prefix in a block). */
  maxBytes?: number;
}

/** A sender's position in the template: the next entry to offer and the balance left. */
interface Cursor {
  entries: readonly PoolEntry[];
  index: number;
  remaining: bigint;
}

interface Candidate {
  entry: PoolEntry;
  cursor: Cursor;
}

const BLOCK_TX_PREFIX = 2;

function selectsBefore(a: Candidate, b: Candidate): boolean {
  const fa = a.entry.tx.fee;
  const fb = b.entry.tx.fee;
  return fa > fb || (fa === fb && a.entry.seq < b.entry.seq);
}

/** The cursor's next entry if it may follow: contiguous nonce, not expired, affordable. */
function nextCandidate(cursor: Cursor, nonce: number, height: number): Candidate | undefined {
  const entry = cursor.entries[cursor.index];
  if (entry === undefined || entry.tx.nonce !== nonce) return undefined;
  if (isExpiredAt(entry.tx, height) || entry.cost > cursor.remaining) return undefined;
  return { entry, cursor };
}

/**
 * Greedy fee-ordered selection over the senders' queues, O(n log s): a heap holds each sender's next
 * executable tx (starting at the fresh account nonce); popping the best appends it and offers that
 * sender's next nonce. A sender stops at a gap, an expired tx, a tx its balance can't cover, or a tx
 * that does not fit in `maxBytes`.
 */
export function selectFromQueues(
  senders: Iterable<SenderQueue>,
  getAccount: (address: Uint8Array) => Account,
  options: SelectOptions,
): Tx[] {
  const { maxTxs, height } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const out: Tx[] = [];
  if (maxTxs <= 0) return out;
  const initial: Candidate[] = [];
  for (const s of senders) {
    const account = getAccount(s.address);
    const index = s.indexOf(account.nonce);
    if (index < 0) continue;
    const cursor: Cursor = { entries: s.list(), index, remaining: account.balance };
    const c = nextCandidate(cursor, account.nonce, height);
    if (c !== undefined) initial.push(c);
  }
  const heap = new Heap(selectsBefore, initial);
  let bytes = 0;
  while (out.length < maxTxs) {
    const best = heap.pop();
    if (best === undefined) break;
    const { entry, cursor } = best;
    const size = entry.bytes + BLOCK_TX_PREFIX;
    if (bytes + size > maxBytes) continue;
    out.push(entry.tx);
    bytes += size;
    cursor.remaining -= entry.cost;
    cursor.index++;
    const next = nextCandidate(cursor, entry.tx.nonce + 1, height);
    if (next !== undefined) heap.push(next);
  }
  return out;
}
