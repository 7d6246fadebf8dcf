import { afterEach, describe, expect, it } from "vitest";
import { type Block, encodeBlock, headerHash } from "../../../src/core/block.ts";
import { toHex } from "../../../src/core/hash.ts";
import { encodeTx } from "../../../src/core/tx.ts";
import { type HostilePeer, startHostile } from "../../../src/experiments/adversary/raw-peer.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { encodeTxBatch, MAX_TX_BATCH_BYTES } from "../../../src/p2p/tx-batch.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";
import {
  buildBlock,
  Harness,
  link,
  mineBlock,
  sealBlock,
  type TestPeer,
  waitFor,
  waitForHeads,
} from "./harness.ts";
import { bannedBy } from "./hostile-kit.ts";

const alice = actor("alice");
const bob = actor("bob");

/** A block on `base`'s head whose header hash misses the easy target (about 1 in 2 nonces). */
function badSealBlock(base: TestPeer): Block {
  const good = buildBlock(base.node);
  for (let nonce = 1; ; nonce++) {
    const engine = new Uint8Array(good.header.engine);
    new DataView(engine.buffer).setUint32(12, nonce);
    const header = { ...good.header, engine };
    if (headerHash(header)[0]! >= 0x80) return { ...good, header };
  }
}

describe("hostile and foreign peers", { timeout: 60_000 }, () => {
  let h: Harness;
  let hostile: HostilePeer | undefined;
  afterEach(async () => {
    await hostile?.stop();
    hostile = undefined;
    await h.close();
  });

  it("a peer publishing invalid blocks, garbage and oversized messages is penalized, then banned", async () => {
    h = new Harness();
    const g = easyGenesis([alice]);
    const h1 = await h.start("h1", g);
    // h2 tolerates many invalid messages: its ban must come from the gossip score (graylist).
    const h2 = await h.start("h2", g, { banThreshold: 1000 });
    const h3 = await h.start("h3", g);
    await link(h1, h2);
    await link(h2, h3);
    await link(h3, h1);
    await mineBlock(h3.node);
    await waitForHeads([h1, h2, h3], 1);

    const names = h1.p2p.names;
    hostile = await startHostile(names, localStatus(h1.node));
    const bans = [bannedBy(h1, hostile.peerId), bannedBy(h2, hostile.peerId)];
    await hostile.dial(h1.p2p.multiaddrs()[0]!);
    await hostile.dial(h2.p2p.multiaddrs()[0]!);
    expect(h1.p2p.stats().rejections).toEqual({});
    await hostile.subscribed(h1.p2p.peerId, names.blocksTopic);
    await hostile.subscribed(h2.p2p.peerId, names.blocksTopic);

    const badSeal = badSealBlock(h1);
    const badRoot = buildBlock(h1.node);
    badRoot.header.stateRoot = new Uint8Array(32).fill(7);
    const resealed = sealBlock(h1.node, badRoot);
    const foreignTx = transfer(alice, bob, h1.node.chain.genesisHash, { nonce: 0, chainId: 999 });
    const junk: [string, Uint8Array][] = [
      [names.blocksTopic, Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)],
      // Oversized for its topic. (A block above MAX_BLOCK_SIZE cannot even be framed by gossipsub,
      // whose 4 MiB RPC limit drops it before any validator runs.)
      [names.txsTopic, new Uint8Array(MAX_TX_BATCH_BYTES + 100).fill(1)],
      [names.txsTopic, encodeTxBatch([encodeTx(foreignTx)])],
      [names.blocksTopic, encodeBlock(badSeal)],
      [names.blocksTopic, encodeBlock(resealed)],
    ];
    let round = 0;
    let spamming = true;
    const spam = (async () => {
      while (spamming && round < 50) {
        for (const [topic, data] of junk) {
          const copy = new Uint8Array(data);
          if (topic === names.blocksTopic && copy.length === 300) copy[0] = round; // a fresh message id
          await hostile!.publish(topic, copy).catch(() => 0);
        }
        round++;
        // Honest nodes keep mining through the spam.
        await mineBlock(h3.node);
      }
    })();
    const reasons = await Promise.all(bans);
    spamming = false;
    await spam;
    expect(["TOO_MANY_INVALID_MESSAGES", "GOSSIP_SCORE_GRAYLISTED"]).toContain(reasons[0]);
    expect(reasons[1]).toBe("GOSSIP_SCORE_GRAYLISTED");

    const s1 = h1.p2p.stats();
    const reasonsSeen = Object.keys(s1.rejections);
    expect(reasonsSeen.some((r) => r.startsWith("DECODE_"))).toBe(true);
    expect(reasonsSeen).toContain("MESSAGE_TOO_LARGE");
    expect(s1.bans).toBeGreaterThanOrEqual(1);
    expect(h1.p2p.peers().some((p) => p.id === hostile!.peerId)).toBe(false);
    // The invalid blocks never reached storage.
    expect(await h1.node.chain.getBlockBytes(headerHash(badSeal.header))).toBeUndefined();
    expect(await h1.node.chain.getBlockBytes(headerHash(resealed.header))).toBeUndefined();
    // Banned peers are refused by the gater: a redial never becomes a peer connection.
    let reconnected = 0;
    const off = h1.p2p.on("peer:connected", (e) => {
      if (e.peer === hostile?.peerId) reconnected++;
    });
    await hostile.dial(h1.p2p.multiaddrs()[0]!).catch(() => {});
    const h1Id = h1.p2p.peerId;
    const hostileLibp2p = hostile.libp2p;
    await waitFor(
      "hostile connection refused",
      () => !hostileLibp2p.getConnections().some((c) => c.remotePeer.toString() === h1Id),
      (wake) => {
        hostileLibp2p.addEventListener("connection:close", wake);
        return () => hostileLibp2p.removeEventListener("connection:close", wake);
      },
      5_000,
    );
    off();
    expect(reconnected).toBe(0);
    // Honest nodes keep advancing together.
    const before = h3.node.chain.head().header.height;
    for (let i = 0; i < 5; i++) await mineBlock(h3.node);
    await waitForHeads([h1, h2, h3], toHex(h3.node.chain.head().hash), 10_000);
    expect(h1.node.chain.head().header.height).toBe(before + 5);
  });

  it("a peer with a different genesis is disconnected and banned", async () => {
    h = new Harness();
    const ours = await h.start("ours", easyGenesis([alice]));
    const other = await h.start("other", easyGenesis([alice], { chainId: 4242 }));
    // Whichever side completes identify first refuses the other.
    const banned = Promise.race([bannedBy(ours, other.p2p.peerId), bannedBy(other, ours.p2p.peerId)]);
    await other.p2p.connect(ours.p2p.multiaddrs()[0]!).catch(() => {});
    expect(await banned).toBe("GENESIS_MISMATCH");
    await waitFor(
      "disconnect",
      () => ours.p2p.peers().length === 0 && other.p2p.peers().length === 0,
      (wake) => [ours.p2p.on("peer:disconnected", wake), other.p2p.on("peer:disconnected", wake)],
    );
    const both = [ours.p2p.stats(), other.p2p.stats()];
    expect(both.reduce((n, s) => n + (s.disconnects["GENESIS_MISMATCH"] ?? 0), 0)).toBeGreaterThanOrEqual(1);
    expect(both.reduce((n, s) => n + s.activeBans, 0)).toBeGreaterThanOrEqual(1);
    // The ban holds: the pair never gets a status handshake done, even when dialed again.
    await other.p2p.connect(ours.p2p.multiaddrs()[0]!).catch(() => {});
    await ours.p2p.connect(other.p2p.multiaddrs()[0]!).catch(() => {});
    expect(ours.p2p.peers().every((p) => p.head === undefined)).toBe(true);
    expect(other.p2p.peers().every((p) => p.head === undefined)).toBe(true);
  });
});
