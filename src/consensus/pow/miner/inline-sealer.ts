/**
 * The SIMD kernel on the calling thread, for throttled miners. A testnet miner hashing 100k/s
 * needs about 1.5% of a core; a worker thread for it costs 17-18 MB of RSS (a V8 isolate and a
 * Node environment), a fifth of a node. This sealer hashes in slices of at most SLICE_MS (and at
 * most 20 ms of the rate), then sleeps on a timer until the rate's schedule reaches
 * the slice's end, or the hash that met the target: a block is revealed when a miner hashing at
 * exactly the rate would have found it, so block times keep their exponential law (experiments
 * measure races on them). The event loop is never held for longer than one slice, and an idle
 * node holds no extra thread.
 *
 * A new `seal` or an abort wakes the sleeping search at once; the old search resolves null and a
 * stale solution is never returned. Every solution is re-hashed with node:crypto before it is
 * handed back (as the worker pool does), so a kernel bug cannot produce an invalid block.
 */
import { sha256 } from "../../../core/hash.ts";
import { EXTRA_NONCE_OFFSET, NONCE_OFFSET, NONCE_WORD } from "../layout.ts";
import type { Sealer } from "../sealer.ts";
import { checkJob, checkNonceSpan, hashToBigInt } from "./checks.ts";
import { MinerError } from "./errors.ts";
import { createHashrateMeter } from "./hashrate.ts";
import { createPowKernel, targetToWords } from "./kernel.ts";
import { ctlCounter, ctlLength } from "./protocol.ts";
import { splitHeader } from "./sha256.ts";

/** Throttled miners at or below this many hashes/s run on the calling thread (a few % of a core). */
export const INLINE_MAX_HASHRATE = 1_000_000;
/** The longest the kernel holds the event loop in one go. */
const SLICE_MS = 2;
/** The most of the rate's schedule one slice may run ahead of. */
const AHEAD_MS = 20;
/** A search that fell this far behind its schedule restarts it instead of bursting. */
const MAX_BEHIND_MS = 1000;

/** Options of an inline sealer. */
export interface InlineSealerOptions {
  /** hashes/s, in (0, INLINE_MAX_HASHRATE] */
  hashrate: number;
  /** false forces the scalar kernel (tests); default SIMD when the runtime has it */
  simd?: boolean;
  /** nonces per extraNonce, a multiple of 8; default 2^32 (tests shrink it to exercise rolling) */
  nonceSpan?: number;
}

/** A Sealer that mines on the calling thread at a fixed rate; a new `seal` preempts the previous one. */
export function createInlineSealer(options: InlineSealerOptions): Sealer {
  const { hashrate } = options;
  const nonceSpan = options.nonceSpan ?? 2 ** 32;
  if (!(hashrate > 0 && hashrate <= INLINE_MAX_HASHRATE)) {
    throw new MinerError("MINER_BAD_OPTIONS", `inline hashrate must be in (0, ${INLINE_MAX_HASHRATE}]`, {
      got: hashrate,
    });
  }
  checkNonceSpan(nonceSpan);
  const kernel = createPowKernel(options.simd === undefined ? {} : { simd: options.simd });
  const ctl = new Int32Array(ctlLength(1));
  const meter = createHashrateMeter(ctl, 1);
  const extraWord = (EXTRA_NONCE_OFFSET - 128) / 4;
  // Hashes per slice: adapted so one slice takes about SLICE_MS, and never more than AHEAD_MS of
  // the rate: a new template discards the slice's hashes past the schedule, and templates change
  // up to 20 times a second under load (a 250 ms cap wasted 2-5x the nominal rate).
  // Behind schedule (a busy event loop), a slice may take the whole backlog, up to SLICE_MS.
  const maxAhead = Math.max(8, Math.round((hashrate * AHEAD_MS) / 1000 / 8) * 8);
  let cpuSlice = 4096;
  // The rate's schedule: hashes `done` since `t0`. It runs on across templates (a busy node
  // refreshes its template up to 20 times a second, and restarting the schedule on each lost
  // the time its slices waited for the event loop: 100k/s fell to 2-20k/s under load); it
  // restarts when a seal begins on an idle sealer, or after falling MAX_BEHIND_MS behind.
  let t0 = 0;
  let done = 0;
  let sealing = 0;
  let gen = 0;
  let closed = false;
  let wake: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const preempt = (): number => {
    gen++;
    wake?.();
    return gen;
  };

  return {
    async seal(header, target, signal) {
      if (closed) throw new MinerError("MINER_STOPPED", "sealer is closed");
      checkJob(header, target);
      const mine = preempt();
      if (sealing === 0) {
        t0 = performance.now();
        done = 0;
      }
      sealing++;
      const live = (): boolean => gen === mine && !signal.aborted;
      const onAbort = (): void => {
        if (gen === mine) wake?.();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const sealed = header.slice();
        const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
        const { midstate, block } = splitHeader(sealed);
        const targetWords = targetToWords(target);
        for (let extraNonce = view.getBigUint64(EXTRA_NONCE_OFFSET); live(); extraNonce++) {
          block[extraWord] = Number((extraNonce >> 32n) & 0xffffffffn);
          block[extraWord + 1] = Number(extraNonce & 0xffffffffn);
          block[NONCE_WORD] = 0;
          kernel.setTemplate(midstate, block, targetWords);
          for (let nonce = 0; nonce < nonceSpan && live(); ) {
            const c0 = performance.now();
            const backlog = Math.ceil(((c0 - t0) * hashrate) / 1000) - done;
            const count = Math.min(cpuSlice, Math.max(maxAhead, backlog), nonceSpan - nonce);
            const found = kernel.search(nonce, count);
            const c1 = performance.now();
            if (c1 > c0) {
              const fit = Math.round((kernel.lastHashes * SLICE_MS) / (c1 - c0) / 8) * 8;
              cpuSlice = Math.max(8, Math.min(fit, cpuSlice * 2));
            }
            // The slice ran ahead of the rate: reveal what it found (or move on) only when the
            // schedule reaches that hash, so blocks arrive as from a miner hashing at the rate.
            const hashes = found >= 0 ? found - nonce + 1 : count;
            const due = t0 + ((done + hashes) * 1000) / hashrate;
            if (due > c1) await sleep(due - c1);
            else {
              if (c1 - due > MAX_BEHIND_MS) {
                t0 = c1;
                done = 0;
              }
              // Behind schedule: still let the event loop run between slices.
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
            if (!live()) {
              // Preempted while it waited: only the hashes the schedule had reached were "done".
              const reached = Math.floor(((performance.now() - t0) * hashrate) / 1000) - done;
              const counted = Math.max(0, Math.min(hashes, reached));
              Atomics.add(ctl, ctlCounter(0), counted);
              done += counted;
              return null;
            }
            Atomics.add(ctl, ctlCounter(0), hashes);
            done += hashes;
            if (found >= 0) {
              view.setBigUint64(EXTRA_NONCE_OFFSET, extraNonce);
              view.setUint32(NONCE_OFFSET, found);
              if (hashToBigInt(sha256(sealed)) > target) {
                throw new MinerError("MINER_WORKER_FAILED", "kernel returned a hash above the target", {
                  extraNonce: extraNonce.toString(),
                  nonce: found,
                });
              }
              return sealed;
            }
            nonce += count;
          }
        }
        return null;
      } finally {
        sealing--;
        signal.removeEventListener("abort", onAbort);
      }
    },
    hashrate: () => meter.rate(),
    hashes: () => meter.total(),
    async close() {
      closed = true;
      preempt();
      meter.close();
    },
  };
}
