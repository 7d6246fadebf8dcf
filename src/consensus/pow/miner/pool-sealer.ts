/** The producer's Sealer (see ../sealer.ts): the worker-thread pool, or the kernel inline for slow miners. */
import type { Sealer } from "../sealer.ts";
import { createInlineSealer, INLINE_MAX_HASHRATE } from "./inline-sealer.ts";
import { createMinerPool, type MinerPoolOptions } from "./pool.ts";

/** A Sealer that mines on worker threads; a new `seal` preempts the previous one (it resolves null). */
export function createPoolSealer(options: MinerPoolOptions = {}): Sealer {
  const pool = createMinerPool(options);
  return {
    async seal(header, target, signal) {
      const result = await pool.mine({ header, target }, signal);
      return result ? result.header : null;
    },
    hashrate: () => pool.hashrate(),
    hashes: () => pool.hashes(),
    close: () => pool.stop(),
  };
}

/**
 * Whether a miner with these options hashes on the node's own thread: throttled to at most
 * INLINE_MAX_HASHRATE and asking for at most one thread. A worker thread would cost 17-18 MB for
 * a few percent of a core.
 */
export function minesInline(options: MinerPoolOptions): boolean {
  return (
    options.hashrate !== undefined &&
    options.hashrate > 0 &&
    options.hashrate <= INLINE_MAX_HASHRATE &&
    (options.threads === undefined || options.threads === 1)
  );
}

/** The sealer for a node's miner options: inline when `minesInline`, else the worker pool. */
export function createMinerSealer(options: MinerPoolOptions = {}): Sealer {
  if (minesInline(options)) {
    return createInlineSealer({
      hashrate: options.hashrate!,
      ...(options.simd !== undefined ? { simd: options.simd } : {}),
      ...(options.nonceSpan !== undefined ? { nonceSpan: options.nonceSpan } : {}),
    });
  }
  return createPoolSealer(options);
}
