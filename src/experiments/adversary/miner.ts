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

/**
 * Waits until every node's miner reports a hashrate above zero: a miner starts its worker threads
 * on miner_start, which takes a while on a loaded machine, and a race timed from the RPC call would
 * hand the first-started miners a head start.
 */
export async function waitUntilHashing(clients: readonly RpcClient[], timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    "every miner to hash",
    async () => {
      const st = await Promise.all(clients.map((c) => c.call<{ hashrate?: number }>("consensus_status")));
      return st.every((s) => (s.hashrate ?? 0) > 0) ? true : undefined;
    },
    timeoutMs,
    5,
  );
}
