/** The mempool's options, dependencies, results and public interface. */
import type { Account } from "../core/account.ts";
import type { Block } from "../core/block.ts";
import type { Hash } from "../core/hash.ts";
import type { Tx, TxRules } from "../core/tx.ts";
import type { SelectOptions } from "./select.ts";

/**
 * Pool limits and the chain's stateless tx rules. Pending (executable) txs may fill the whole pool
 * (`maxTxs`, `maxBytes`): queued txs always make way for them. Queued (nonce-gap) txs have their own,
 * smaller caps and a time to live, and never evict a pending tx.
 */
export interface MempoolOptions {
  rules: TxRules;
  /** Pool cap in txs (pending and queued); when full, queued txs go first, then the cheapest pending tail. */
  maxTxs: number;
  /** Pool cap in encoded bytes (default DEFAULT_MAX_POOL_BYTES). */
  maxBytes?: number;
  /** Cap on queued txs (default maxTxs / 4). */
  maxQueued?: number;
  /** Cap on queued bytes (default maxBytes / 4). */
  maxQueuedBytes?: number;
  /** How long a queued tx may wait for its gap to fill, in ms (default DEFAULT_QUEUED_TTL_MS). */
  queuedTtlMs?: number;
  /** Entries per class in the negative cache of rejected txs (default DEFAULT_REJECT_CACHE_SIZE). */
  rejectCacheSize?: number;
  /** Most txs one sender may hold in the pool. */
  maxPerSender: number;
  /** How far above the account nonce a queued tx may be. */
  maxFutureGap: number;
  /** Minimum fee increase, in percent, to replace a same-sender same-nonce tx (default 10). */
  replaceBumpPercent?: number;
}

/** The subset of a pino logger the mempool uses. */
export interface MempoolLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): MempoolLogger;
}

/** What the mempool reads from the node: head state and height. */
export interface MempoolDeps {
  /** The account at the current head (synchronous). */
  getAccount(address: Uint8Array): Account;
  /** Height of the current head; new txs are checked for inclusion at headHeight() + 1. */
  headHeight(): number;
  logger?: MempoolLogger;
  /** The clock queued-tx expiry reads (default Date.now). */
  now?: () => number;
}

/** Outcome of an admitted tx. */
export interface AddResult {
  id: Hash;
  /** pending: executable now (contiguous from the account nonce); queued: waits for a nonce gap. */
  status: "pending" | "queued";
  /** Id of the same-nonce tx this one replaced. */
  replaced?: Hash;
}

/** The blocks the head moved through; getAccount already reflects the new head. */
export interface HeadChange {
  connected: Block[];
  disconnected: Block[];
}

/** Counters for status and metrics. */
export interface MempoolStatus {
  pending: number;
  queued: number;
  /** Summed encoded size of all pool txs. */
  bytes: number;
  /** Summed encoded size of the queued txs. */
  queuedBytes: number;
  senders: number;
  /** Signature verifications admission has run (cheap checks and the negative cache run first). */
  signatureChecks: number;
}

/** Emitted for every newly admitted tx, so p2p can gossip it. */
export interface MempoolAddedEvent extends AddResult {
  tx: Tx;
  /** True when the tx came back from a reorged-out block rather than through add(). */
  reinjected: boolean;
}

/** A pool of valid transactions waiting for a block. */
export interface Mempool {
  /** Admits a tx or throws TxError / MempoolError with a stable code. */
  add(input: Tx | Uint8Array): AddResult;
  /** A fee-ordered, nonce-contiguous, affordable block template against the head of the last head change. */
  selectForBlock(options: SelectOptions): Tx[];
  /** Drops included and now-invalid txs, re-injects txs of reorged-out blocks, promotes queued txs. */
  onHeadChanged(change: HeadChange): void;
  /** The pool tx with this id. */
  get(id: Hash): Tx | undefined;
  /** Whether the pool holds this id. */
  has(id: Hash): boolean;
  /** Number of txs in the pool. */
  readonly size: number;
  /** Pending, queued, bytes and sender counts. */
  status(): MempoolStatus;
  /** One sender's pool txs (pending and queued) in nonce order. */
  pendingFor(address: Uint8Array): Tx[];
  /** The nonce a wallet should use next: the account nonce plus the sender's contiguous pool txs. */
  pendingNonce(address: Uint8Array): number;
  /** Subscribes to newly admitted txs; returns the unsubscribe function. */
  onAdded(listener: (event: MempoolAddedEvent) => void): () => void;
  /** Rejections of add() by error code, for metrics. */
  rejections(): Record<string, number>;
  /** Txs that left the pool by reason (included, replaced, evicted, stale_nonce, expired, unaffordable, queued_timeout). */
  removals(): Record<string, number>;
}
