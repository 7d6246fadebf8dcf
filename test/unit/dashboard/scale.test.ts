/**
 * The dashboard at scale: 32 nodes and 10,000 blocks of history, with a side branch every 50
 * heights that half the nodes follow and then leave (a reorg each). What it keeps and what it
 * sends the page must stay bounded whatever the history's length; the cost is printed, not
 * asserted (the machine is shared).
 */
import { describe, expect, it } from "vitest";
import type { BlockStore } from "../../../src/dashboard/block-store.ts";
import { Poller } from "../../../src/dashboard/poller.ts";
import { buildView } from "../../../src/dashboard/view.ts";

const NODES = 32;
const HEIGHTS = 10_000;
const KEEP = 2_000;
const names = Array.from({ length: NODES }, (_, i) => `node-${i}`);

function block(hash: string, height: number, parentHash: string, by: number) {
  return {
    hash,
    height,
    parentHash,
    timestamp: height * 1000,
    beneficiary: `addr${by}`,
    txCount: height % 7,
  };
}

describe("the dashboard with 32 nodes and 10,000 blocks", () => {
  it("keeps bounded buffers and sends a bounded view", () => {
    const poller = new Poller({ manifest: () => Promise.reject(new Error("synthetic")), keepHeights: KEEP });
    const store: BlockStore = poller.store;
    const t0 = performance.now();
    let at = 0;
    store.add(block("h0", 0, "none", 0));
    for (const n of names) store.observeHead(n, "h0", at, true);
    for (let h = 1; h <= HEIGHTS; h++) {
      at += 1000;
      const hash = `h${h}`;
      store.add(block(hash, h, `h${h - 1}`, h % NODES));
      const side = h % 50 === 0 && h < HEIGHTS;
      if (side) {
        // A side branch of three blocks that nodes 16..31 follow for one poll.
        store.add(block(`s${h}a`, h, `h${h - 1}`, 31));
        store.add(block(`s${h}b`, h + 1, `s${h}a`, 31));
        for (const n of names.slice(16)) store.observeHead(n, `s${h}b`, at);
      }
      for (const [i, n] of names.entries()) if (i < 16 || !side) store.observeHead(n, hash, at + i);
    }
    const fedMs = performance.now() - t0;
    expect(store.size).toBeLessThanOrEqual(KEEP + 64 + (2 * (KEEP + 64)) / 50 + 2);
    expect(store.reorgs.length).toBe(500);
    expect(store.reorgs.at(-1)).toMatchObject({ depth: 2, added: 2 });

    poller.rows = names.map((name, index) => ({
      name,
      index,
      miner: true,
      coinbase: `addr${index}`,
      state: "up",
      height: HEIGHTS,
      head: `h${HEIGHTS}`,
      peers: NODES - 1,
      peerNames: names.filter((p) => p !== name),
      consensus: { type: "pow", hashrate: 50_000, difficulty: "1000", cumulativeWork: "5000" },
    }));
    const t1 = performance.now();
    const view = buildView(poller, { now: at });
    const json = JSON.stringify(view, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    const viewMs = performance.now() - t1;
    expect(view.headline).toMatchObject({ bestHeight: HEIGHTS, nodesUp: NODES, nodes: NODES });
    expect(view.intervals.series.length).toBeLessThanOrEqual(120);
    expect(view.txsPerBlock.length).toBeLessThanOrEqual(121);
    expect(view.propagation.blocks.length).toBeLessThanOrEqual(60);
    expect(Object.keys(view.propagation.blocks.at(-1)!.delays)).toHaveLength(NODES - 1);
    expect(view.forkTree.length).toBeLessThanOrEqual(24 * 3);
    expect(view.reorgs.length).toBe(20);
    expect(view.producers).toHaveLength(NODES);
    expect(view.topology.edges).toHaveLength((NODES * (NODES - 1)) / 2);
    expect(view.topology.components).toHaveLength(1);
    expect(json.length).toBeLessThan(256 * 1024);
    console.log(
      `32 nodes x 10,000 blocks: fed in ${fedMs.toFixed(0)} ms (${((fedMs * 1000) / (HEIGHTS * NODES)).toFixed(1)} µs per head observed), ` +
        `view in ${viewMs.toFixed(1)} ms, ${(json.length / 1024).toFixed(0)} KiB of JSON, ${store.size} blocks kept`,
    );
  });
});
