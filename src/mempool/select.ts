/** Block templates: the highest-fee executable txs, in each sender's nonce order, within budget. */
import type { Tx } from "../core/tx.ts";
import { Heap } from "./heap.ts";
import { isExpiredAt } from "./rules.ts";
import { compareFees, type PoolEntry, type SenderQueue } from "./sender-queue.ts";

/** Limits of one block template. */
export interface SelectOptions {
  /** At most this many txs. */
  maxTxs: number;
  /** Height of the block being built: txs expired at it are left out. */
  height: number;
  /** Optional cap on the summed encoded size (each tx counted with its 2-byte length prefix in a block). */
  maxBytes?: number;
}

/** A sender's position in the template: its next tx to offer and the balance left for it. */
interface Cursor {
  entries: readonly PoolEntry[];
  index: number;
  entry: PoolEntry;
  remaining: bigint;
}

const BLOCK_TX_PREFIX = 2;

function selectsBefore(a: Cursor, b: Cursor): boolean {
  const c = compareFees(a.entry, b.entry);
  return c > 0 || (c === 0 && a.entry.seq < b.entry.seq);
}

/** Whether the entry at `cursor.index` may follow: it carries `nonce`, is unexpired and affordable. */
function canOffer(cursor: Cursor, nonce: number, height: number): boolean {
  const entry = cursor.entries[cursor.index];
  if (entry === undefined || entry.tx.nonce !== nonce) return false;
  if (isExpiredAt(entry.tx, height) || entry.cost > cursor.remaining) return false;
  cursor.entry = entry;
  return true;
}

/**
 * Greedy fee-ordered selection over the senders' queues, O(n log s): a heap holds one cursor per
 * sender at its next executable tx (starting at the account nonce of the queue's head-state view,
 * which the pool keeps in sync, so no state reads happen here); taking the best tx advances
 * that cursor to the sender's next nonce. A sender stops at a gap, an expired tx, a tx its balance
 * can't cover, or a tx that does not fit in `maxBytes`.
 */
export function selectFromQueues(senders: Iterable<SenderQueue>, options: SelectOptions): Tx[] {
  const { maxTxs, height } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const out: Tx[] = [];
  if (maxTxs <= 0) return out;
  const cursors: Cursor[] = [];
  for (const s of senders) {
    if (s.pendingCount === 0) continue;
    const entries = s.list();
    const cursor: Cursor = { entries, index: 0, entry: entries[0] as PoolEntry, remaining: s.balance };
    if (canOffer(cursor, s.accountNonce, height)) cursors.push(cursor);
  }
  const heap = new Heap(selectsBefore, cursors);
  let bytes = 0;
  while (out.length < maxTxs) {
    const cursor = heap.peek();
    if (cursor === undefined) break;
    const { entry } = cursor;
    const size = entry.bytes + BLOCK_TX_PREFIX;
    if (bytes + size > maxBytes) {
      heap.pop();
      continue;
    }
    out.push(entry.tx);
    bytes += size;
    cursor.remaining -= entry.cost;
    cursor.index++;
    if (canOffer(cursor, entry.tx.nonce + 1, height)) heap.updateTop();
    else heap.pop();
  }
  return out;
}
