/**
 * The PoW section of a node's configuration (`pow.threads`, `pow.hashrate`), which only this engine
 * reads: generic code hands the section over as an opaque record.
 */
import { ConsensusError } from "../engine.ts";
import type { MinerPoolOptions } from "./miner/pool.ts";

/** Parses the PoW node options; 0 or absent means "the default" (one thread per core, unthrottled). */
export function parsePowNodeOptions(section: Readonly<Record<string, unknown>>): MinerPoolOptions {
  const out: MinerPoolOptions = {};
  const threads = section.threads;
  if (threads !== undefined && threads !== 0) {
    if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new ConsensusError("CONSENSUS_BAD_PARAMS", "pow.threads must be an integer in [1, 256]");
    }
    out.threads = threads;
  }
  const hashrate = section.hashrate;
  if (hashrate !== undefined && hashrate !== 0) {
    if (typeof hashrate !== "number" || !Number.isFinite(hashrate) || hashrate <= 0) {
      throw new ConsensusError("CONSENSUS_BAD_PARAMS", "pow.hashrate must be a positive number of hashes/s");
    }
    out.hashrate = hashrate;
  }
  return out;
}
