/** Throttled mining on a node through its admin RPC (miner_start {hashrate}, miner_stop). */
import type { RpcClient } from "../../rpc/index.ts";
import { type Head, waitForSameHead } from "./chain-view.ts";

/** Starts (or restarts) the node's miner at `hashrate` hashes/s on its current head. */
export async function startMiner(c: RpcClient, hashrate: number): Promise<void> {
  await c.call("miner_start", { hashrate: Math.max(1, Math.round(hashrate)) });
}

/** Stops the node's miner. */
export async function stopMiner(c: RpcClient): Promise<void> {
  await c.call("miner_stop");
}

/**
 * Stops every miner and brings the nodes onto one head: when two blocks of one height split them,
 * `resolver` mines on alone at `hashrate` until they agree.
 */
export async function stopAndAgree(
  clients: readonly RpcClient[],
  resolver: RpcClient,
  hashrate: number,
): Promise<Head> {
  await Promise.all(clients.map(stopMiner));
  try {
    return await waitForSameHead(clients, 1000);
  } catch {
    await startMiner(resolver, hashrate);
    try {
      return await waitForSameHead(clients, 30_000);
    } finally {
      await stopMiner(resolver);
    }
  }
}
