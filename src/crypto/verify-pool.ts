/**
 * A bounded pool of worker threads that verify ed25519 signatures in batches (node:crypto in each
 * worker), so block import and tx batches do not block the main thread and use every core.
 *
 * - Bounded: at most `threads` workers; at most `maxQueuedItems` items and `maxQueuedBytes` packed
 *   bytes in flight. A batch that does not fit is verified in the calling thread instead (slower,
 *   never queued without bound, never refused).
 * - Lazy: workers start on the first batch that needs them and exit after `idleMs` without work,
 *   so an idle node holds no verification threads.
 * - Small batches (fewer than `inlineBelow` items) are verified in the calling thread: a worker
 *   round trip costs more than a few verifications.
 * - A worker that dies has its pending chunks verified in the calling thread; the slot restarts
 *   on the next batch. close() terminates every worker; batches still pending complete inline.
 * Results are exactly those of `verify` in ed25519.ts (strict RFC 8032), item by item.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { verify } from "./ed25519-node.ts";
import {
  itemBytes,
  packable,
  packItems,
  type SignatureItem,
  type VerifyJob,
  type VerifyResult,
} from "./verify-protocol.ts";

export type { SignatureItem } from "./verify-protocol.ts";

/** Verifies batches of signatures; the chain and the tx path depend only on this. */
export interface SignatureVerifier {
  /** One byte per item, 1 = valid, in item order. */
  verifyEach(items: readonly SignatureItem[]): Promise<Uint8Array>;
  /** Terminates the workers (batches still pending complete in the calling thread). */
  close(): Promise<void>;
}

/** Options of a pool; every bound has a default. */
export interface VerifyPoolOptions {
  /** Worker threads (default: one per core, at most 8). 0 verifies everything in the calling thread. */
  threads?: number;
  /** Batches with fewer items than this are verified in the calling thread (default 16). */
  inlineBelow?: number;
  /** Most items in flight on the workers (default 65,536). */
  maxQueuedItems?: number;
  /** Most packed bytes in flight on the workers (default 16 MiB). */
  maxQueuedBytes?: number;
  /** Workers exit after this long without work (default 30 s; 0 keeps them). */
  idleMs?: number;
}

/** What a pool did, for tests and metrics. */
export interface VerifyPoolStats {
  threads: number;
  /** Workers running now. */
  running: number;
  /** Workers started since the pool was created (restarts after idling or a crash included). */
  started: number;
  /** Items verified on workers, and in the calling thread. */
  onWorkers: number;
  inline: number;
  /** Workers that died or failed to start (their chunks were verified in the calling thread). */
  failures: number;
}

/** A pool of verification workers. */
export interface VerifyPool extends SignatureVerifier {
  stats(): VerifyPoolStats;
}

interface Pending {
  job: VerifyJob;
  items: readonly SignatureItem[];
  bytes: number;
  resolve(valid: Uint8Array): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  items: number;
}

/**
 * A worker's heap: it holds a chunk and ed25519-node.ts's key cache. A small young generation cuts a
 * worker's RSS from about 15 MB to 5 MB (measured, compiled build); the old-space cap is generous.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 };

/** A placeholder that verify() refuses at once (its slot is filled from a worker's answer). */
const UNCHECKED: SignatureItem = {
  signature: new Uint8Array(0),
  message: new Uint8Array(0),
  publicKey: new Uint8Array(0),
};

/** Verifies `items` in the calling thread. */
function verifyInline(items: readonly SignatureItem[]): Uint8Array {
  const out = new Uint8Array(items.length);
  items.forEach((it, i) => {
    out[i] = verify(it.signature, it.message, it.publicKey) ? 1 : 0;
  });
  return out;
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`verify pool: ${name} must be an integer >= ${min}`);
  return value;
}

/** Creates a pool (no worker starts until a batch needs one). */
export function createVerifyPool(options: VerifyPoolOptions = {}): VerifyPool {
  const threads = checkCount("threads", options.threads ?? Math.min(8, availableParallelism()), 0);
  const inlineBelow = checkCount("inlineBelow", options.inlineBelow ?? 16, 0);
  const maxItems = checkCount("maxQueuedItems", options.maxQueuedItems ?? 65_536, 1);
  const maxBytes = checkCount("maxQueuedBytes", options.maxQueuedBytes ?? 16 * 1024 * 1024, 1);
  const idleMs = checkCount("idleMs", options.idleMs ?? 30_000, 0);
  // Compiled builds (dist/) run verify-worker.js; the sources run verify-worker.ts directly.
  const url = new URL(
    import.meta.url.endsWith(".js") ? "./verify-worker.js" : "./verify-worker.ts",
    import.meta.url,
  );
  const slots: (Slot | undefined)[] = Array.from({ length: threads }, () => undefined);
  let nextId = 0;
  let queuedItems = 0;
  let queuedBytes = 0;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const stats = { started: 0, onWorkers: 0, inline: 0, failures: 0 };

  const finish = (slot: Slot, p: Pending, valid: Uint8Array): void => {
    if (!slot.pending.delete(p.job.id)) return;
    slot.items -= p.job.count;
    if (slot.pending.size === 0) slot.worker.unref();
    queuedItems -= p.job.count;
    queuedBytes -= p.bytes;
    p.resolve(valid);
    if (queuedItems === 0) armIdle();
  };

  /** Completes a dead or terminated worker's chunks in the calling thread. */
  const drain = (slot: Slot): void => {
    const index = slots.indexOf(slot);
    if (index >= 0) slots[index] = undefined;
    for (const p of [...slot.pending.values()]) {
      stats.inline += p.job.count;
      stats.onWorkers -= p.job.count;
      finish(slot, p, verifyInline(p.items));
    }
  };

  const spawn = (index: number): Slot => {
    const worker = new Worker(url, { resourceLimits: WORKER_LIMITS });
    const slot: Slot = { worker, pending: new Map(), items: 0 };
    stats.started++;
    worker.on("message", (r: VerifyResult) => {
      const p = slot.pending.get(r.id);
      if (p !== undefined) finish(slot, p, r.valid);
    });
    worker.on("error", () => {
      stats.failures++;
      drain(slot);
    });
    worker.on("exit", () => drain(slot));
    // An idle worker must not keep the process alive; a busy one must (its caller awaits it).
    worker.unref();
    slots[index] = slot;
    return slot;
  };

  const armIdle = (): void => {
    if (idleMs === 0 || closed) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (queuedItems > 0) return;
      for (const s of slots) if (s !== undefined) void s.worker.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  const dispatch = (items: readonly SignatureItem[]): Promise<Uint8Array> => {
    clearTimeout(idleTimer);
    const chunks = Math.min(threads, Math.ceil(items.length / Math.max(1, inlineBelow)));
    const size = Math.ceil(items.length / chunks);
    const parts: Promise<Uint8Array>[] = [];
    for (let start = 0; start < items.length; start += size) {
      const chunk = items.slice(start, start + size);
      let index = 0;
      for (let i = 1; i < threads; i++) if ((slots[i]?.items ?? 0) < (slots[index]?.items ?? 0)) index = i;
      const slot = slots[index] ?? spawn(index);
      const job: VerifyJob = { id: nextId++, count: chunk.length, packed: packItems(chunk) };
      const bytes = job.packed.byteLength;
      queuedItems += chunk.length;
      queuedBytes += bytes;
      slot.items += chunk.length;
      stats.onWorkers += chunk.length;
      if (slot.pending.size === 0) slot.worker.ref();
      parts.push(
        new Promise((resolve) => {
          slot.pending.set(job.id, { job, items: chunk, bytes, resolve });
          slot.worker.postMessage(job, [job.packed]);
        }),
      );
    }
    return Promise.all(parts).then((results) => {
      const out = new Uint8Array(items.length);
      let o = 0;
      for (const r of results) {
        out.set(r, o);
        o += r.length;
      }
      return out;
    });
  };

  return {
    verifyEach(items) {
      // Items that cannot travel packed (wrong sizes: invalid anyway) are checked here.
      const packed: SignatureItem[] = [];
      const at: number[] = [];
      let bytes = 0;
      items.forEach((it, i) => {
        if (!packable(it)) return;
        packed.push(it);
        at.push(i);
        bytes += itemBytes(it);
      });
      const fits = queuedItems + packed.length <= maxItems && queuedBytes + bytes <= maxBytes;
      if (closed || threads === 0 || !fits || packed.length < inlineBelow) {
        stats.inline += items.length;
        return Promise.resolve(verifyInline(items));
      }
      if (packed.length === items.length) return dispatch(packed);
      const out = verifyInline(items.map((it) => (packable(it) ? UNCHECKED : it)));
      stats.inline += items.length - packed.length;
      return dispatch(packed).then((valid) => {
        at.forEach((i, k) => {
          out[i] = valid[k]!;
        });
        return out;
      });
    },
    stats: () => ({
      threads,
      running: slots.filter((s) => s !== undefined).length,
      ...stats,
    }),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(idleTimer);
      await Promise.all(slots.map((s) => s?.worker.terminate()));
    },
  };
}
