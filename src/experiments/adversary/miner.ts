/** Throttled mining on a node through its admin RPC (miner_start {hashrate}, miner_stop). */
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil, readHead } from "./chain-view.ts";

/** Starts (or restarts) the node's miner at `hashrate` hashes/s on its current head. */
export async function startMiner(c: RpcClient, hashrate: number): Promise<void> {
  await c.call("miner_start", { hashrate: Math.max(1, Math.round(hashrate)) });
}

/** Stops the node's miner. */
export async function stopMiner(c: RpcClient): Promise<void> {
  await c.call("miner_stop");
}

/**
 * Mines on the node behind `c` until its head is at least `n` blocks above where it was, then stops
 * the miner (one more block may slip in before the stop lands); returns the new head height.
 */
export async function mineBlocks(
  c: RpcClient,
  n: number,
  hashrate: number,
  timeoutMs = 30_000,
): Promise<number> {
  const target = (await readHead(c)).height + n;
  await startMiner(c, hashrate);
  try {
    await pollUntil(
      `${n} blocks mined`,
      async () => ((await readHead(c)).height >= target ? true : undefined),
      timeoutMs,
      5,
    );
  } finally {
    await stopMiner(c);
  }
  return (await readHead(c)).height;
}
