/**
 * mempool/: the pool of valid transactions waiting for a block. It owns admission (decode, stateless
 * rules, nonce and balance checks against the head state), per-sender nonce queues (pending runs and
 * queued future nonces), same-nonce replacement by fee, caps in count and bytes on the pool and on
 * its queued part with eviction (queued txs first, and never of a pending tx by a queued one), a time
 * to live for queued txs, cheap checks before the signature and a negative cache of rejected txs,
 * fee-ordered block templates, and re-injection of txs from reorged-out blocks. It may import only core/, crypto/ and
 * consensus/engine.ts; the head state reaches it through the synchronous deps given to createMempool.
 */
export { DEFAULT_MAX_POOL_BYTES, DEFAULT_QUEUED_TTL_MS } from "./capacity.ts";
export { MempoolError, type MempoolErrorCode } from "./errors.ts";
export { createMempool } from "./mempool.ts";
export type { RemovalReason } from "./pool-index.ts";
export { DEFAULT_REJECT_CACHE_SIZE } from "./reject-cache.ts";
export { DEFAULT_REPLACE_BUMP_PERCENT, minReplacementFee } from "./rules.ts";
export type { SelectOptions } from "./select.ts";
export type {
  AddResult,
  HeadChange,
  Mempool,
  MempoolAddedEvent,
  MempoolDeps,
  MempoolLogger,
  MempoolOptions,
  MempoolStatus,
} from "./types.ts";
