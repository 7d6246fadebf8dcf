import { afterEach, describe, expect, it } from "vitest";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { Harness, link, mineBlocks, waitFor, waitForHeads } from "./harness.ts";

const alice = actor("alice");

describe("p2p lifecycle and peer management", { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("a listen address in use fails start with a typed error", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const a = await h.start("a", g);
    const busy = a.p2p.multiaddrs()[0]!.replace(/\/p2p\/.*$/, "");
    await expect(h.start("b", g, { listen: [busy] })).rejects.toMatchObject({ code: "P2P_START_FAILED" });
    await expect(a.p2p.connect("not a multiaddr")).rejects.toMatchObject({ code: "P2P_INVALID_MULTIADDR" });
  });

  it("redials a bootstrap peer that went away, with backoff, and catches up with it", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const b = await h.start("b", g);
    const bAddr = b.p2p.multiaddrs()[0]!;
    const a = await h.start("a", g, { bootstrap: [bAddr] });
    await waitFor(
      "a linked to b",
      () => a.p2p.peers().some((p) => p.id === b.p2p.peerId && p.head !== undefined),
      (wake) => a.p2p.on("peer:status", wake),
    );
    const gone = waitFor(
      "b gone",
      () => a.p2p.peers().length === 0,
      (wake) => a.p2p.on("peer:disconnected", wake),
    );
    await b.stop();
    await gone;
    // b comes back on the same address (same data dir, so the same peer id) with more blocks.
    const listen = [bAddr.replace(/\/p2p\/.*$/, "")];
    const b2 = await h.start("b2", g, { dataDir: b.dataDir, listen });
    await mineBlocks(b2.node, 3);
    await waitForHeads([a], 3, 20_000);
    expect(a.p2p.peers().map((p) => p.id)).toContain(b2.p2p.peerId);
  });

  it("refuses connections beyond maxPeers", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const hub = await h.start("hub", g, { maxPeers: 2 });
    const others = [await h.start("x", g), await h.start("y", g), await h.start("z", g)];
    await link(hub, others[0]!);
    await link(hub, others[1]!);
    // At its limit the hub refuses further connections (libp2p's maxConnections).
    await expect(others[2]!.p2p.connect(hub.p2p.multiaddrs()[0]!)).rejects.toMatchObject({
      code: "P2P_DIAL_FAILED",
    });
    expect(others[2]!.p2p.peerCount()).toBe(0);
    expect(hub.p2p.peerCount()).toBe(2);
  });
});
