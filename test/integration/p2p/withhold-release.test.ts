/**
 * The outbound publisher as the experiments' hook: a node withholds the blocks it mines, a rival
 * mines a shorter public branch, and when the three withheld blocks are released at once the other
 * nodes reorganize to them (the selfish miner's release, on real libp2p nodes).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { HeadChange } from "../../../src/chain/chain.ts";
import { headerHash } from "../../../src/core/block.ts";
import { toHex } from "../../../src/core/hash.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { Harness, link, mineBlock, waitForHeads } from "./harness.ts";

describe("withholding and releasing blocks through the outbound publisher", { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it("keeps 3 mined blocks private, then releases them at once and the others reorg to them", async () => {
    h = new Harness();
    const g = easyGenesis([actor("alice")]);
    // Statuses are exchanged only at connect, so the private chain is not found by a status poll.
    const opts = { statusIntervalMs: 600_000 };
    const attacker = await h.start("attacker", g, opts);
    const rival = await h.start("rival", g, opts);
    const follower = await h.start("follower", g, opts);
    await link(attacker, rival);
    await link(attacker, follower);
    await link(rival, follower);

    attacker.node.outbound.setRules([{ topic: "blocks", origin: "local", action: "withhold" }]);
    const privateBlocks = [];
    for (let i = 0; i < 3; i++) privateBlocks.push(await mineBlock(attacker.node));
    expect(attacker.node.outbound.withheld().length).toBe(3);

    // The rival's public branch of two reaches everyone; the attacker stores it as side blocks.
    for (let i = 0; i < 2; i++) await mineBlock(rival.node);
    const publicTip = toHex(rival.node.chain.head().hash);
    await waitForHeads([rival, follower], publicTip);
    expect(follower.p2p.stats().messagesIn[follower.p2p.names.blocksTopic] ?? 0).toBeGreaterThanOrEqual(2);
    expect(toHex(attacker.node.chain.head().hash)).toBe(toHex(headerHash(privateBlocks[2]!.header)));

    const reorgs: HeadChange[] = [];
    follower.node.chain.onHeadChange((c) => {
      if (c.disconnected.length > 0) reorgs.push(c);
    });
    const released = await attacker.node.outbound.release();
    const privateTip = toHex(headerHash(privateBlocks[2]!.header));
    await waitForHeads([rival, follower], privateTip);
    expect([released, attacker.node.outbound.withheld().length]).toEqual([3, 0]);
    expect(reorgs.map((c) => [c.disconnected.length, c.connected.length])).toEqual([[2, 3]]);
  });

  it("drops the relays it is told to drop: a block mined elsewhere does not pass through", async () => {
    h = new Harness();
    const g = easyGenesis([actor("alice")]);
    const opts = { statusIntervalMs: 600_000 };
    const miner = await h.start("miner", g, opts);
    const middle = await h.start("middle", g, opts);
    const edge = await h.start("edge", g, opts);
    await link(miner, middle);
    await link(middle, edge);
    middle.node.outbound.setRules([{ topic: "blocks", origin: "relay", action: "drop" }]);
    const dropped = new Promise<string>((resolve) =>
      middle.node.outbound.onDecision((m, action) => {
        if (m.origin === "relay") resolve(action);
      }),
    );
    const block = await mineBlock(miner.node);
    await waitForHeads([middle], toHex(headerHash(block.header)));
    expect(await dropped).toBe("drop");
    // The middle node imported it but did not forward it; the edge only hears of it on request.
    expect([edge.node.chain.head().header.height, middle.node.outbound.stats().dropped.blocks]).toEqual([
      0, 1,
    ]);
  });
});
