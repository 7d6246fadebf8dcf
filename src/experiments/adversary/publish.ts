/**
 * Withholding and releasing blocks on the node's own outbound publisher (admin_publishPolicy,
 * admin_release, net_publisher), and racing a release to chosen peers first with the inbound
 * gossip faults of the others (admin_gossipFault): the tie-break γ of a selfish miner.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { waitForBlock } from "./chain-view.ts";

/** What the publisher counted: local blocks it withheld, how many it holds now, releases. */
export interface PublisherCounts {
  withheld: number;
  withholding: number;
  released: number;
}

/** Withholds every block the node would send (its own are held, relays dropped) until released. */
export async function withholdBlocks(c: RpcClient): Promise<void> {
  await c.call("admin_publishPolicy", { action: "withhold", topic: "blocks" });
}

/** Back to sending everything at once. */
export async function sendBlocks(c: RpcClient): Promise<void> {
  await c.call("admin_publishPolicy", { action: "send" });
}

/**
 * Sends the node's withheld blocks, oldest first (with `until`, only those up to and including that
 * block: what it mined later stays withheld); returns how many.
 */
export async function releaseBlocks(c: RpcClient, until?: string): Promise<number> {
  const params = { topic: "blocks", ...(until !== undefined ? { until } : {}) };
  try {
    return (await c.call<{ released: number }>("admin_release", params)).released;
  } catch (err) {
    // Released already (or never held): nothing left to send.
    if ((err as { code?: string }).code === "PUBLISHER_NOT_WITHHELD") return 0;
    throw err;
  }
}

/** The publisher's counters. */
export async function publisherCounts(c: RpcClient): Promise<PublisherCounts> {
  const s = await c.call<PublisherCounts>("net_publisher");
  return { withheld: s.withheld, withholding: s.withholding, released: s.released };
}

/** Who takes part in a race release. */
export interface RaceRelease {
  /** The node whose withheld blocks are released. */
  releaser: RpcClient;
  /** Its peer id (the others' inbound faults name it). */
  releaserPeer: string;
  /** The last block to release (what the releaser mined after it stays withheld). */
  tip: string;
  /** Nodes that must see the release first (they store `tip` before the rest see anything). */
  first: readonly RpcClient[];
  /** Nodes that must not get it from the releaser (they drop its blocks meanwhile). */
  rest: readonly RpcClient[];
  timeoutMs?: number;
}

/**
 * Releases a node's withheld blocks to the `first` nodes only: the `rest` drop blocks gossiped by
 * the releaser until every `first` node has `tip`, then the faults are cleared. Whatever the
 * rest are shown next (a competing block) reaches them before the release does, so with
 * first-seen tie-breaking the fraction of the network that follows `tip` is chosen, not raced.
 * Relays must not carry the release to the rest (withholdBlocks on every node drops relays).
 */
export async function releaseFirstTo(o: RaceRelease): Promise<number> {
  const drop = { topic: "blocks", peer: o.releaserPeer, dropProbability: 100 };
  await Promise.all(o.rest.map((c) => c.call("admin_gossipFault", drop)));
  try {
    const n = await releaseBlocks(o.releaser, o.tip);
    await waitForBlock(o.first, o.tip, o.timeoutMs ?? 10_000);
    return n;
  } finally {
    await Promise.all(o.rest.map((c) => c.call("admin_gossipFault", {})));
  }
}
