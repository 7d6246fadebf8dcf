/** Throttled mining on a node through its admin RPC (miner_start {hashrate}, miner_stop). */
import type { RpcClient } from "../../rpc/index.ts";
import { type Head, pollUntil, readHead, waitForSameHead } from "./chain-view.ts";

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

/**
 * Brings stopped nodes to one head: miners stopped at the same moment can leave equal-work tips,
 * which stay apart (first seen wins) until a block lands on one of them, so when the heads do not
 * agree within `settleMs` one block is mined on `tieBreaker` and the wait starts again.
 */
export async function convergeStopped(
  clients: readonly RpcClient[],
  tieBreaker: RpcClient,
  hashrate: number,
  settleMs = 3000,
  attempts = 5,
): Promise<Head> {
  for (let i = 0; ; i++) {
    try {
      return await waitForSameHead(clients, settleMs);
    } catch (err) {
      if (i + 1 >= attempts) throw err;
      await mineBlocks(tieBreaker, 1, hashrate);
    }
  }
}

/**
 * Stops every miner and brings the nodes onto one head: when two blocks of one height split them,
 * `resolver` mines one block at a time at `hashrate` until they agree (convergeStopped).
 */
export async function stopAndAgree(
  clients: readonly RpcClient[],
  resolver: RpcClient,
  hashrate: number,
): Promise<Head> {
  await Promise.all(clients.map(stopMiner));
  return convergeStopped(clients, resolver, hashrate, 1000, 30);
}
