/** The producer's Sealer (see ../sealer.ts) backed by a miner pool. */
import type { Sealer } from "../sealer.ts";
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
