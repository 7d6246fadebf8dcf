/** Throttled mining on a node through its admin RPC (miner_start {hashrate}, miner_stop). */
import type { RpcClient } from "../../rpc/index.ts";

/** Starts (or restarts) the node's miner at `hashrate` hashes/s on its current head. */
export async function startMiner(c: RpcClient, hashrate: number): Promise<void> {
  await c.call("miner_start", { hashrate: Math.max(1, Math.round(hashrate)) });
}

/** Stops the node's miner. */
export async function stopMiner(c: RpcClient): Promise<void> {
  await c.call("miner_stop");
}
