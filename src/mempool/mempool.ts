/** createMempool: admission in a fixed order of checks, head-change bookkeeping and the public surface. */
import { ChainlabError, TxError } from "../core/errors.ts";
import { type Hash, toHex } from "../core/hash.ts";
import { type Tx, txId, verifyTxNotExpired, verifyTxSignature, verifyTxStatic } from "../core/tx.ts";
import { addressBytesOf } from "../crypto/address.ts";
import {
  DEFAULT_QUEUED_TTL_MS,
  enforceQueuedCaps,
  makeRoom,
  type Need,
  resolveCaps,
  verifyRoomPossible,
} from "./capacity.ts";
import { MempoolError } from "./errors.ts";
import { PoolIndex } from "./pool-index.ts";
import { RejectCache } from "./reject-cache.ts";
import {
  DEFAULT_REPLACE_BUMP_PERCENT,
  decodeInput,
  verifyFunds,
  verifyNonceWindow,
  verifyReplacementFee,
} from "./rules.ts";
import { type SelectOptions, selectFromQueues } from "./select.ts";
import type { PoolEntry } from "./sender-queue.ts";
import type {
  AddResult,
  HeadChange,
  Mempool,
  MempoolAddedEvent,
  MempoolDeps,
  MempoolOptions,
  MempoolStatus,
} from "./types.ts";

function checkLimit(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`mempool option ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Creates a mempool over the head state in `deps`. Admission runs the cheap checks first and the
 * ed25519 signature last, so a flood of well-signed txs from unfunded keys costs no signature
 * check: decode, already known, negative cache, stateless rules (chain, fee, ...), expiry, nonce too
 * low, nonce gap, replacement fee, balance over all of the sender's pool txs, per-sender cap, room
 * (queued txs make way for pending ones, never the reverse), then the signature, then eviction.
 */
export function createMempool(options: MempoolOptions, deps: MempoolDeps): Mempool {
  const { rules, maxPerSender, maxFutureGap } = options;
  const caps = resolveCaps(options);
  const bumpPercent = options.replaceBumpPercent ?? DEFAULT_REPLACE_BUMP_PERCENT;
  const queuedTtlMs = options.queuedTtlMs ?? DEFAULT_QUEUED_TTL_MS;
  checkLimit("maxTxs", caps.maxTxs, 1);
  checkLimit("maxBytes", caps.maxBytes, 1);
  checkLimit("maxQueued", caps.maxQueued, 0);
  checkLimit("maxQueuedBytes", caps.maxQueuedBytes, 0);
  checkLimit("queuedTtlMs", queuedTtlMs, 1);
  checkLimit("maxPerSender", maxPerSender, 1);
  checkLimit("maxFutureGap", maxFutureGap, 0);
  checkLimit("replaceBumpPercent", bumpPercent, 0);
  const log = deps.logger?.child?.({ module: "mempool" }) ?? deps.logger;
  const now = deps.now ?? Date.now;
  const index = new PoolIndex();
  const rejected = new RejectCache(options.rejectCacheSize);
  const rejectionCounts: Record<string, number> = {};
  const listeners = new Set<(event: MempoolAddedEvent) => void>();
  let seq = 0;
  let signatureChecks = 0;
  // Queued txs are swept for age at most this often (and on every head change).
  const sweepEveryMs = Math.min(queuedTtlMs, 1000);
  let lastSweep = now();
  // Head height the senders' head-state views were last synced at; see selectForBlock.
  let syncedHeight = deps.headHeight();

  function admit(input: Tx | Uint8Array, reinjected: boolean): AddResult {
    const { tx, bytes } = decodeInput(input);
    const id = txId(tx);
    const key = toHex(id);
    if (index.byId.has(key))
      throw new MempoolError("MEMPOOL_ALREADY_KNOWN", `tx ${key} is already in the pool`);
    rejected.verifyNotRejected(id, tx.signature);
    try {
      return insert(tx, id, key, bytes, reinjected);
    } catch (err) {
      if (err instanceof TxError || err instanceof MempoolError) rejected.add(id, tx.signature, err);
      throw err;
    }
  }

  function insert(tx: Tx, id: Hash, key: string, bytes: number, reinjected: boolean): AddResult {
    sweepQueued(false);
    verifyTxStatic(tx, rules, id, true);
    const nextHeight = deps.headHeight() + 1;
    verifyTxNotExpired(tx, nextHeight);

    const address = addressBytesOf(tx.from);
    const senderKey = toHex(address);
    const account = deps.getAccount(address);
    const known = index.senders.get(senderKey);
    if (known !== undefined && (known.accountNonce !== account.nonce || known.balance !== account.balance)) {
      index.sync(known, account, nextHeight);
      enforceQueuedCaps(index, caps);
    }
    verifyNonceWindow(tx, account.nonce, maxFutureGap);
    const sender = index.senders.get(senderKey);
    const existing = sender?.get(tx.nonce);
    if (existing !== undefined) verifyReplacementFee(tx, existing.tx, bumpPercent);
    const cost = tx.amount + tx.fee;
    verifyFunds(account.balance, (sender?.totalCost ?? 0n) - (existing?.cost ?? 0n) + cost);
    if (existing === undefined && (sender?.size ?? 0) >= maxPerSender) {
      throw new MempoolError("MEMPOOL_SENDER_LIMIT", `sender already has ${maxPerSender} txs in the pool`, {
        max: maxPerSender,
      });
    }
    const need: Need = {
      tx,
      count: existing === undefined ? 1 : 0,
      bytes: bytes - (existing?.bytes ?? 0),
      pending: tx.nonce <= account.nonce + (sender?.pendingCount ?? 0),
      sender,
      existing,
    };
    verifyRoomPossible(index, caps, need);
    signatureChecks++;
    verifyTxSignature(tx, rules.genesisHash, id);
    for (const victim of makeRoom(index, caps, need)) {
      log?.debug({ id: victim.key, fee: victim.tx.fee.toString() }, "evicted tx");
    }
    if (existing !== undefined) index.remove(existing, "replaced");

    const queue = index.senderFor(address, senderKey, account);
    const entry: PoolEntry = {
      tx,
      id,
      key,
      bytes,
      feeKey: Number(tx.fee),
      cost,
      seq: seq++,
      sender: queue,
      removed: false,
      addedAt: now(),
      inPendingHeap: false,
      inQueuedHeap: false,
    };
    index.insert(entry);
    const status = tx.nonce < queue.accountNonce + queue.pendingCount ? "pending" : "queued";
    const result: AddResult = existing === undefined ? { id, status } : { id, status, replaced: existing.id };
    emit({ ...result, tx, reinjected });
    return result;
  }

  /** Drops queued txs older than the TTL (rate-limited unless `force`); returns how many left. */
  function sweepQueued(force: boolean): number {
    const t = now();
    if (!force && t - lastSweep < sweepEveryMs) return 0;
    lastSweep = t;
    const dropped = index.expireQueued(t - queuedTtlMs);
    if (dropped > 0) log?.debug({ dropped }, "expired queued txs");
    return dropped;
  }

  function emit(event: MempoolAddedEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log?.warn({ err }, "mempool onAdded listener threw");
      }
    }
  }

  function add(input: Tx | Uint8Array): AddResult {
    try {
      return admit(input, false);
    } catch (err) {
      if (err instanceof ChainlabError) {
        rejectionCounts[err.code] = (rejectionCounts[err.code] ?? 0) + 1;
        log?.debug({ code: err.code }, "tx rejected");
      }
      throw err;
    }
  }

  function onHeadChanged(change: HeadChange): void {
    rejected.onHeadChanged();
    const included = new Set<string>();
    for (const block of change.connected) {
      for (const tx of block.txs) {
        const key = toHex(txId(tx));
        included.add(key);
        const entry = index.byId.get(key);
        if (entry !== undefined) index.remove(entry, "included");
      }
    }
    const dropped = syncAll() + enforceQueuedCaps(index, caps) + sweepQueued(true);
    let reinjected = 0;
    const back = [...change.disconnected].sort((a, b) => a.header.height - b.header.height);
    for (const block of back) {
      for (const tx of block.txs) {
        if (included.has(toHex(txId(tx)))) continue;
        try {
          admit(tx, true);
          reinjected++;
        } catch (err) {
          if (!(err instanceof ChainlabError)) throw err;
        }
      }
    }
    log?.debug({ included: included.size, dropped, reinjected, size: index.size }, "head changed");
  }

  /** Re-reads every sender's account at the head; returns how many txs became invalid. */
  function syncAll(): number {
    syncedHeight = deps.headHeight();
    let dropped = 0;
    for (const s of [...index.senders.values()]) {
      dropped += index.sync(s, deps.getAccount(s.address), syncedHeight + 1);
    }
    return dropped;
  }

  // Templates use the views synced by onHeadChanged; a head that moved without it forces a resync.
  function selectForBlock(opts: SelectOptions): Tx[] {
    if (deps.headHeight() !== syncedHeight) {
      const dropped = syncAll();
      log?.warn({ height: syncedHeight, dropped }, "head moved without onHeadChanged; resynced the pool");
    }
    return selectFromQueues(index.senders.values(), opts);
  }

  function pendingNonce(address: Uint8Array): number {
    let nonce = deps.getAccount(address).nonce;
    const s = index.senders.get(toHex(address));
    if (s === undefined) return nonce;
    const entries = s.list();
    for (let i = s.indexOf(nonce); i >= 0 && entries[i]?.tx.nonce === nonce; i++) nonce++;
    return nonce;
  }

  return {
    add,
    onHeadChanged,
    pendingNonce,
    selectForBlock,
    get: (id: Hash) => index.byId.get(toHex(id))?.tx,
    has: (id: Hash) => index.byId.has(toHex(id)),
    get size() {
      return index.size;
    },
    status: (): MempoolStatus => ({
      pending: index.pending,
      queued: index.queued,
      bytes: index.bytes,
      queuedBytes: index.queuedBytes,
      senders: index.senders.size,
      signatureChecks,
    }),
    pendingFor: (address: Uint8Array) =>
      index.senders
        .get(toHex(address))
        ?.list()
        .map((e) => e.tx) ?? [],
    onAdded(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    rejections: () => ({ ...rejectionCounts }),
    removals: () => index.removals(),
  };
}
