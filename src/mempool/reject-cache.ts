/**
 * The negative cache: txs turned away recently, keyed by id AND signature (like Bitcoin Core's
 * recentRejects keyed by wtxid), so a forged signature can never blacklist the honest tx with the
 * same id. A hit rethrows the first verdict's code without decoding work or a signature check, so
 * a batch replayed in any order costs one lookup per tx.
 */
import { TxError, type TxErrorCode } from "../core/errors.ts";
import { toHex } from "../core/hash.ts";
import { MempoolError, type MempoolErrorCode } from "./errors.ts";

/** Default entries per class (stateless and head-dependent). */
export const DEFAULT_REJECT_CACHE_SIZE = 8192;

/** Codes that no later head can cure: kept until evicted by age. */
const STATELESS_CODES = new Set<TxErrorCode>([
  "TX_WRONG_CHAIN",
  "TX_UNSUPPORTED_KIND",
  "TX_FEE_TOO_LOW",
  "TX_OVERFLOW",
  "TX_ZERO_AMOUNT",
  "TX_MALFORMED",
  "TX_SELF_TRANSFER",
  "TX_BAD_SIGNATURE",
]);

/** Codes never cached: the tx is held (a later lookup must see it leave) or was never decoded. */
const UNCACHED_CODES = new Set(["MEMPOOL_ALREADY_KNOWN"]);

/** What a hit rethrows; the error itself is not kept (its stack trace would dominate the memory). */
interface Cached {
  mempool: boolean;
  code: string;
  message: string;
  data: Record<string, unknown>;
}

/** A FIFO-bounded map; the oldest key goes when full. */
class BoundedMap {
  private readonly map = new Map<string, Cached>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  get(key: string): Cached | undefined {
    return this.map.get(key);
  }
  set(key: string, value: Cached): void {
    if (this.map.has(key)) return;
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
  }
  clear(): void {
    this.map.clear();
  }
  get size(): number {
    return this.map.size;
  }
}

/** Recently rejected txs: stateless rejections persist, head-dependent ones clear on a head change. */
export class RejectCache {
  private readonly stateless: BoundedMap;
  private readonly headDependent: BoundedMap;

  constructor(limit = DEFAULT_REJECT_CACHE_SIZE) {
    this.stateless = new BoundedMap(limit);
    this.headDependent = new BoundedMap(limit);
  }

  private static key(id: Uint8Array, signature: Uint8Array): string {
    return toHex(id) + toHex(signature);
  }

  /** Throws the cached rejection of this (id, signature), if any. */
  verifyNotRejected(id: Uint8Array, signature: Uint8Array): void {
    const key = RejectCache.key(id, signature);
    const hit = this.stateless.get(key) ?? this.headDependent.get(key);
    if (hit === undefined) return;
    const data = { ...hit.data, cached: true };
    if (hit.mempool) throw new MempoolError(hit.code as MempoolErrorCode, hit.message, data);
    throw new TxError(hit.code as TxErrorCode, hit.message, data);
  }

  /** Remembers why this tx was turned away (ignores codes that must not be cached). */
  add(id: Uint8Array, signature: Uint8Array, err: TxError | MempoolError): void {
    if (UNCACHED_CODES.has(err.code)) return;
    const target = STATELESS_CODES.has(err.code as TxErrorCode) ? this.stateless : this.headDependent;
    const { code, message, data } = err;
    target.set(RejectCache.key(id, signature), { mempool: err instanceof MempoolError, code, message, data });
  }

  /** Forgets the head-dependent rejections (Bitcoin Core resets recentRejects on a new tip). */
  onHeadChanged(): void {
    this.headDependent.clear();
  }

  /** Entries held, for tests and metrics. */
  get size(): number {
    return this.stateless.size + this.headDependent.size;
  }
}
