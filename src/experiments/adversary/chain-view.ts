/** Reading nodes through their RPC: heads, who mined a range of blocks, waiting for a condition. */
import type { RpcClient } from "../../rpc/index.ts";
import { ExperimentError } from "../errors.ts";

/** A node's head. */
export interface Head {
  height: number;
  hash: string;
}

/** The head of the node behind `c`. */
export async function readHead(c: RpcClient): Promise<Head> {
  const h = await c.call<{ height: number; hash: string }>("chain_getHead");
  return { height: h.height, hash: h.hash };
}

/** A node's head block with what a strategy needs to place it: parent, time and miner. */
export interface Tip extends Head {
  parentHash: string;
  timestamp: number;
  beneficiary: string;
}

/** The head block of the node behind `c`. */
export async function readTip(c: RpcClient): Promise<Tip> {
  const h = await c.call<Tip>("chain_getHead");
  return {
    height: h.height,
    hash: h.hash,
    parentHash: h.parentHash,
    timestamp: h.timestamp,
    beneficiary: h.beneficiary,
  };
}

/**
 * Polls `probe` every `pollMs` until it returns a value other than undefined; the RPC has no
 * subscriptions, so polling the node is the only way to see its state change.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      throw new ExperimentError("EXPERIMENT_FAILED", `timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Waits until every client reports the same head hash (agreement means equal hashes). */
export async function waitForSameHead(clients: readonly RpcClient[], timeoutMs: number): Promise<Head> {
  let last: Head[] = [];
  try {
    return await pollUntil(
      "the nodes to agree on one head",
      async () => {
        last = await Promise.all(clients.map(readHead));
        return last.every((h) => h.hash === last[0]!.hash) ? last[0] : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    if (!(err instanceof ExperimentError) || last.length === 0) throw err;
    // Which heads stayed apart says whether it was a tie, a stalled sync or a lost connection.
    const seen = last.map((h, i) => `[${i}] ${h.height} ${h.hash.slice(0, 12)}`).join(", ");
    throw new ExperimentError(err.code, `${err.message} (last seen: ${seen})`);
  }
}

/** Waits until every client has stored block `hash` (as its head, under it or on a side branch). */
export async function waitForBlock(
  clients: readonly RpcClient[],
  hash: string,
  timeoutMs: number,
  pollMs = 2,
): Promise<void> {
  await pollUntil(
    `block ${hash.slice(0, 12)} to reach every node`,
    async () => {
      const got = await Promise.all(clients.map((c) => c.call<unknown>("chain_getBlockByHash", { hash })));
      return got.every((b) => b !== null) ? true : undefined;
    },
    timeoutMs,
    pollMs,
  );
}

/** A canonical block as the RPC shows it (header fields and tx ids). */
export interface BlockView {
  height: number;
  hash: string;
  beneficiary: string;
  txs: string[];
}

/** The canonical blocks in (from, to] on the node behind `c`, in height order. */
export async function canonicalBlocks(c: RpcClient, from: number, to: number): Promise<BlockView[]> {
  if (to <= from) return [];
  const calls = [];
  for (let h = from + 1; h <= to; h++)
    calls.push({ method: "chain_getBlockByHeight", params: { height: h } });
  const blocks = await c.batch(calls);
  return blocks.map((b, i) => {
    if (b instanceof Error || b === null) {
      throw new ExperimentError("EXPERIMENT_FAILED", `block ${from + 1 + i} is missing on the node`);
    }
    return b as BlockView;
  });
}

/** The beneficiary of each canonical block in (from, to] on the node behind `c`. */
export async function blockAuthors(c: RpcClient, from: number, to: number): Promise<string[]> {
  return (await canonicalBlocks(c, from, to)).map((b) => b.beneficiary);
}

/** How many times each of `ids` occurs in the canonical blocks (from, to] (a replay shows as 2). */
export async function inclusionCounts(
  c: RpcClient,
  ids: readonly string[],
  from: number,
  to: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const b of await canonicalBlocks(c, from, to))
    for (const id of b.txs) if (Object.hasOwn(out, id)) out[id]!++;
  return out;
}
