import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { Harness, link, mineBlock, mineBlocks, waitFor, waitForHeads } from "./harness.ts";

const alice = actor("alice");

describe("sync", { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("a node started late syncs 520 blocks, then follows gossip", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const a = await h.start("a", g);
    await mineBlocks(a.node, 520);
    const late = await h.start("late", g, { bootstrap: [a.p2p.multiaddrs()[0]!] });
    await waitForHeads([late], toHex(a.node.chain.head().hash), 60_000);
    await waitFor(
      "sync round reported",
      () => late.p2p.stats().sync.totalImported >= 520,
      (wake) => late.p2p.on("sync:done", wake),
    );
    const s = late.p2p.stats().sync;
    expect(s.rounds).toBeGreaterThanOrEqual(1);
    // Now it follows by gossip, without another sync round.
    const block = await mineBlock(a.node);
    await waitForHeads([late], block.header.height, 10_000);
    expect(late.p2p.stats().messagesIn[late.p2p.names.blocksTopic]).toBeGreaterThanOrEqual(1);
    expect(late.p2p.stats().sync.totalImported).toBe(s.totalImported);
  });

  it("a node restarted from its data dir rejoins and catches up", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const a = await h.start("a", g);
    const b = await h.start("b", g);
    const c = await h.start("c", g);
    await link(a, b);
    await link(b, c);
    await mineBlocks(a.node, 5);
    await waitForHeads([b, c], 5);
    const cId = c.p2p.peerId;
    const cDir = c.dataDir;
    const gone = waitFor(
      "c gone from b",
      () => !b.p2p.peers().some((p) => p.id === cId),
      (wake) => b.p2p.on("peer:disconnected", wake),
    );
    await c.stop();
    await gone;
    await mineBlocks(a.node, 40);
    await waitForHeads([b], 45);
    const c2 = await h.start("c2", g, { dataDir: cDir, bootstrap: [b.p2p.multiaddrs()[0]!] });
    expect(c2.p2p.peerId).toBe(cId);
    expect(c2.node.chain.head().header.height).toBe(5);
    await waitForHeads([c2], toHex(a.node.chain.head().hash), 20_000);
    const block = await mineBlock(a.node);
    await waitForHeads([c2], block.header.height, 10_000);
  });
});
