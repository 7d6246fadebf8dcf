import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { txId } from "../../../src/core/tx.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";
import { buildBlock, Harness, link, mineBlock, type TestPeer, waitFor, waitForHeads } from "./harness.ts";

const alice = actor("alice");
const bob = actor("bob");

/** Five nodes in a ring: 0-1-2-3-4-0. */
async function ring(h: Harness): Promise<TestPeer[]> {
  const g = easyGenesis([alice]);
  const peers: TestPeer[] = [];
  for (let i = 0; i < 5; i++) peers.push(await h.start(`n${i}`, g));
  for (let i = 1; i < 5; i++) await link(peers[i - 1]!, peers[i]!);
  await link(peers[4]!, peers[0]!);
  return peers;
}

describe("gossip across five nodes", { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("a mined block reaches all 5 nodes, and so do the next ones", async () => {
    h = new Harness();
    const peers = await ring(h);
    const miner = peers[2]!;
    for (let i = 0; i < 5; i++) {
      const block = await mineBlock(miner.node);
      await waitForHeads(peers, block.header.height, 10_000);
    }
    const head = toHex(miner.node.chain.head().hash);
    for (const p of peers) expect(toHex(p.node.chain.head().hash)).toBe(head);
    // Everyone received the blocks by gossip (no sync was needed).
    const viaGossip = peers.filter((p) => p !== miner).map((p) => p.p2p.stats().sync.totalImported);
    expect(viaGossip.every((n) => n === 0)).toBe(true);
  });

  it("a tx submitted at one node is mined into a block and seen by all", async () => {
    h = new Harness();
    const peers = await ring(h);
    const [miner, , , submitter] = peers as [TestPeer, TestPeer, TestPeer, TestPeer, TestPeer];
    const tx = transfer(alice, bob, miner.node.chain.genesisHash, { nonce: 0, amount: 250n });
    const id = txId(tx);
    const inPool = waitFor(
      "tx in every mempool",
      () => peers.every((p) => p.node.mempool.has(id)),
      (wake) => peers.map((p) => p.node.mempool.onAdded(wake)),
      10_000,
    );
    submitter.node.submitTx(tx);
    await inPool;
    const block = await mineBlock(miner.node);
    expect(block.txs.length).toBe(1);
    await waitForHeads(peers, block.header.height, 10_000);
    for (const p of peers) {
      const loc = await p.node.chain.getTxLocation(id);
      expect(loc?.height).toBe(block.header.height);
      expect(p.node.chain.getAccount(bob.addressBytes).balance).toBe(250n);
      expect(p.node.mempool.has(id)).toBe(false);
    }
  });

  it("a producer can announce its block before importing it; the relay does not publish it again", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const a = await h.start("a", g);
    const b = await h.start("b", g);
    await link(a, b);
    const block = buildBlock(a.node);
    await a.p2p.announceBlock(block);
    await a.node.importBlock(block, { kind: "local" });
    await waitForHeads([b], 1, 10_000);
    expect(a.p2p.stats().messagesOut[a.p2p.names.blocksTopic]).toBe(1);
  });
});
