import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { txId } from "../../../src/core/tx.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";
import { Harness, link, mineBlock, mineBlocks, type TestPeer, waitFor, waitForHeads } from "./harness.ts";

const alice = actor("alice");
const bob = actor("bob");

/** Partitions every node of `side` from every node of `other`, and waits until no link crosses. */
async function split(side: TestPeer[], other: TestPeer[]): Promise<void> {
  for (const p of side) p.p2p.partition(other.map((o) => o.p2p.peerId));
  for (const p of other) p.p2p.partition(side.map((o) => o.p2p.peerId));
  const all = [...side, ...other];
  const crossing = (): boolean =>
    side.some((p) => p.p2p.peers().some((x) => other.some((o) => o.p2p.peerId === x.id)));
  await waitFor(
    "partition",
    () => !crossing(),
    (wake) => all.map((p) => p.p2p.on("peer:disconnected", wake)),
  );
}

describe("partition and heal", { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("two mining halves converge on the heavier side; the losing side's txs are mined again", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const [a1, a2, b1, b2] = [
      await h.start("a1", g),
      await h.start("a2", g),
      await h.start("b1", g),
      await h.start("b2", g),
    ];
    await link(a1, a2);
    await link(b1, b2);
    await link(a1, b1);
    await link(a2, b2);
    await mineBlocks(a1.node, 3);
    await waitForHeads([a1, a2, b1, b2], 3);

    await split([a1, a2], [b1, b2]);
    // Side B: a tx submitted at b2 travels to b1 and is mined there, on the shorter branch.
    const tx = transfer(alice, bob, a1.node.chain.genesisHash, { nonce: 0, amount: 77n });
    const id = txId(tx);
    const atB1 = waitFor(
      "tx at b1",
      () => b1.node.mempool.has(id),
      (wake) => b1.node.mempool.onAdded(wake),
    );
    b2.node.submitTx(tx);
    await atB1;
    expect(a1.node.mempool.has(id)).toBe(false);
    const bBlock = await mineBlock(b1.node);
    expect(bBlock.txs.length).toBe(1);
    await mineBlocks(b1.node, 2);
    await waitForHeads([b2], 6);
    // Side A mines a longer (heavier) branch.
    await mineBlocks(a1.node, 8);
    await waitForHeads([a2], 11);
    expect(a1.node.chain.head().header.height).toBe(11);
    expect(b1.node.chain.head().header.height).toBe(6);

    for (const p of [a1, a2, b1, b2]) p.p2p.heal();
    const winner = toHex(a1.node.chain.head().hash);
    await waitForHeads([a1, a2, b1, b2], winner, 30_000);
    // The reorg put the tx back into side B's pools; the next block mined there includes it.
    expect(b1.node.mempool.has(id)).toBe(true);
    expect(await b1.node.chain.getTxLocation(id)).toBeUndefined();
    const again = await mineBlock(b1.node);
    expect(again.txs.map((t) => toHex(txId(t)))).toContain(toHex(id));
    await waitForHeads([a1, a2, b1, b2], 12, 10_000);
    for (const p of [a1, a2, b1, b2]) {
      expect((await p.node.chain.getTxLocation(id))?.height).toBe(12);
      expect(p.node.chain.getAccount(bob.addressBytes).balance).toBe(77n);
    }
  });
});
