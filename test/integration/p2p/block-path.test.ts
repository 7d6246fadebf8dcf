/**
 * The block path against a scripted attacker on loopback (issue 9, items a-d): a real libp2p peer
 * publishes what an adversary would, and the test checks what the victim stores, relays and blames.
 */
import { describe, expect, it } from "vitest";
import { targetForHashes, targetToCompact } from "../../../src/consensus/pow/difficulty.ts";
import type { PowEngine } from "../../../src/consensus/pow/engine.ts";
import { encodePowFields } from "../../../src/consensus/pow/layout.ts";
import { defaultPowParams, powParamsToJson } from "../../../src/consensus/pow/params.ts";
import { type Block, encodeBlock, headerHash } from "../../../src/core/block.ts";
import type { Genesis } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { signTx, TxKind } from "../../../src/core/tx.ts";
import type { ChainlabNode } from "../../../src/node/node.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { craftBlock } from "../../helpers/chain.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";
import { link, mineBlock, sealBlock, type TestPeer, waitForHeads } from "./harness.ts";
import { bannedBy, hostileTestbed, penalizedBy } from "./hostile-kit.ts";

const alice = actor("alice");
const bob = actor("bob");

/** The victim's view of a peer's penalty points (0 when it has none). */
function pointsOf(victim: TestPeer, peer: string): number {
  return victim.p2p.peers().find((p) => p.id === peer)?.invalid ?? 0;
}

/** A block on `parent` built and sealed by `node` with `timestamp`, not imported. */
function blockAt(node: ChainlabNode, timestamp: number): Block {
  const engine = node.engine as PowEngine;
  const parent = node.chain.head();
  const template = node.chain.buildTemplate({
    beneficiary: alice.addressBytes,
    timestamp,
    engineFields: engine.prepareFields(parent, node.chain.view),
    txs: [],
  });
  return sealBlock(node, template);
}

describe("the block path against a scripted attacker", { timeout: 120_000 }, () => {
  const bed = hostileTestbed();

  it("a relayed copy with its body changed is the relayer's fault: the honest block still imports, honest relayers keep their score", async () => {
    const g = easyGenesis([alice, bob]);
    const miner = await bed.h.start("miner", g);
    const victim = await bed.h.start("victim", g);
    const attacker = await bed.hostile(victim.p2p.names, localStatus(victim.node));
    await attacker.dial(victim.p2p.multiaddrs()[0]!);
    await attacker.subscribed(victim.p2p.peerId, victim.p2p.names.blocksTopic);

    // The miner's chain: b1, then b2 with a transfer. The victim has neither yet.
    const gh = miner.node.chain.genesisHash;
    const b1 = await mineBlock(miner.node);
    miner.node.submitTx(transfer(alice, bob, gh, { nonce: 0 }));
    const b2 = await mineBlock(miner.node);

    // b1 with its tx list changed (a tx added), and b2 with its txs dropped, sent first: b2's copy
    // is an orphan (b1 unknown), so it tests the orphan pool too.
    const badB1: Block = { ...b1, txs: [transfer(alice, bob, gh, { nonce: 0 })] };
    const badB2: Block = { ...b2, txs: [] };
    const padded: Block = { ...b1, engineBody: Uint8Array.of(0) };
    const penalties = penalizedBy(victim, attacker.peerId);
    for (const b of [badB2, badB1, padded])
      await attacker.publish(victim.p2p.names.blocksTopic, encodeBlock(b));
    expect((await penalties).peer).toBe(attacker.peerId);

    // The honest blocks arrive from an honest peer and import; the honest peer is not blamed.
    await link(miner, victim);
    await waitForHeads([victim], toHex(headerHash(b2.header)));
    const stats = victim.p2p.stats();
    expect([
      victim.node.chain.isKnownInvalid(headerHash(b1.header)),
      victim.node.chain.isKnownInvalid(headerHash(b2.header)),
      pointsOf(victim, miner.p2p.peerId),
      stats.rejections.BLOCK_BAD_TX_ROOT ?? 0,
      stats.rejections.BLOCK_BODY_MISMATCH ?? 0,
    ]).toEqual([false, false, 0, 2, 1]);
  });

  it("a block that was not fully validated (an orphan) is never relayed, nor blamed on its sender", async () => {
    const g = easyGenesis([alice]);
    const far = await bed.h.start("far", g);
    const victim = await bed.h.start("victim", g, { statusIntervalMs: 600_000 });
    const watcher = await bed.h.start("watcher", g, { statusIntervalMs: 600_000 });
    await link(victim, watcher);
    const sender = await bed.hostile(victim.p2p.names, localStatus(victim.node));
    await sender.dial(victim.p2p.multiaddrs()[0]!);
    await sender.subscribed(victim.p2p.peerId, victim.p2p.names.blocksTopic);
    await mineBlock(far.node);
    const orphan = await mineBlock(far.node);
    const before = watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0;
    const pooled = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (victim.node.chain.orphans.has(toHex(headerHash(orphan.header)))) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await sender.publish(victim.p2p.names.blocksTopic, encodeBlock(orphan));
    await pooled;
    // A valid block mined on the victim afterwards does reach the watcher: the link works.
    const own = await mineBlock(victim.node);
    await waitForHeads([watcher], toHex(headerHash(own.header)));
    const relayed = (watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0) - before;
    expect([
      relayed,
      pointsOf(victim, sender.peerId),
      victim.node.chain.view.getMeta(headerHash(orphan.header)),
    ]).toEqual([1, 0, undefined]);
  });

  it("1,000 cheap blocks forking near genesis of a 720-block chain cost no storage, no execution and no relay, and the sender is penalized", async () => {
    // A chain whose honest blocks cost about 256 hashes each, mined on schedule in the past; the
    // attacker's fork from block 5 jumps its timestamps to now, so ASERT makes its blocks nearly free.
    const start = Date.now() - 800_000;
    const params = defaultPowParams(1000);
    params.initialBits = targetToCompact(targetForHashes(256));
    params.powLimitBits = 0x207fffff;
    params.maxFutureDriftMs = 60_000;
    const g: Genesis = {
      chainId: 1337,
      timestamp: start,
      minFee: 1n,
      consensus: { type: "pow", params: powParamsToJson(params) },
      alloc: { [alice.address]: 1_000_000n },
    };
    const victim = await bed.h.start("victim", g);
    const watcher = await bed.h.start("watcher", g);
    const forger = await bed.h.start("forger", g, { statusIntervalMs: 600_000 });
    for (let i = 1; i <= 720; i++) {
      const b = blockAt(victim.node, start + i * 1000);
      await victim.node.importBlock(b, { kind: "local" });
      if (i <= 5) await forger.node.importBlock(b, { kind: "local" });
    }
    await link(victim, watcher);
    await waitForHeads([watcher], toHex(victim.node.chain.head().hash), 60_000);
    // The forger's node (connected to no one) validates its own fork, so every attack block is
    // well formed and sealed; only the first costs the honest difficulty.
    const fork: Block[] = [];
    const now = Date.now();
    for (let i = 0; i < 1000; i++) {
      const b = blockAt(forger.node, now + i);
      await forger.node.importBlock(b, { kind: "local" });
      fork.push(b);
    }
    expect(forger.node.chain.head().header.height).toBe(1005);

    const attacker = await bed.hostile(victim.p2p.names, localStatus(victim.node));
    await attacker.dial(victim.p2p.multiaddrs()[0]!);
    await attacker.subscribed(victim.p2p.peerId, victim.p2p.names.blocksTopic);
    const executedBefore = victim.node.chain.counters.executed;
    const watcherBefore = watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0;
    const banned = bannedBy(victim, attacker.peerId, 60_000);
    for (const b of fork) await attacker.publish(victim.p2p.names.blocksTopic, encodeBlock(b));
    expect(await banned).toMatch(/TOO_MANY_INVALID_MESSAGES|GOSSIP_SCORE_GRAYLISTED/);

    let stored = 0;
    for (const b of fork)
      if ((await victim.node.chain.store.getBlock(headerHash(b.header))) !== undefined) stored++;
    const stats = victim.p2p.stats();
    expect([
      stored,
      victim.node.chain.counters.executed - executedBefore,
      (watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0) - watcherBefore,
      victim.node.chain.orphans.size <= 128,
      (stats.ignored.BLOCK_LOW_WORK_FORK ?? 0) >= 1,
      (stats.rejections.BLOCK_IGNORE_FLOOD ?? 0) >= 1,
      victim.node.chain.head().header.height,
    ]).toEqual([0, 0, 0, true, true, true, 720]);
  });

  it("a 20,000-tx block from unfunded senders is refused at its first tx, with no signature checked, and not relayed", async () => {
    const g = easyGenesis([alice]);
    const victim = await bed.h.start("victim", g);
    const watcher = await bed.h.start("watcher", g);
    await link(victim, watcher);
    const attacker = await bed.hostile(victim.p2p.names, localStatus(victim.node));
    await attacker.dial(victim.p2p.multiaddrs()[0]!);
    await attacker.subscribed(victim.p2p.peerId, victim.p2p.names.blocksTopic);
    const mallory = actor("mallory");
    const gh = victim.node.chain.genesisHash;
    const txs = Array.from({ length: 20_000 }, (_, nonce) => transfer(mallory, bob, gh, { nonce }));
    const { chain } = victim.node;
    const block = craftBlock(chain.engine, chain.view, chain.head(), { txs });
    const checksBefore = chain.counters.signatureChecks;
    const watcherBefore = watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0;
    const penalized = penalizedBy(victim, attacker.peerId);
    await attacker.publish(victim.p2p.names.blocksTopic, encodeBlock(block));
    expect((await penalized).reason).toBe("BLOCK_BAD_TX");
    // A block the victim mines afterwards reaches the watcher: only the refused one did not.
    const own = await mineBlock(victim.node);
    await waitForHeads([watcher], toHex(headerHash(own.header)));
    expect([
      chain.counters.signatureChecks - checksBefore,
      (watcher.p2p.stats().messagesIn[watcher.p2p.names.blocksTopic] ?? 0) - watcherBefore,
      chain.isKnownInvalid(headerHash(block.header)),
    ]).toEqual([0, 1, true]);
  });

  it("600 invalid-seal orphans of about 3 MiB are refused before pooling, keep memory bounded and get the sender banned", async () => {
    const g = easyGenesis([alice, bob]);
    const victim = await bed.h.start("victim", g);
    const attacker = await bed.hostile(victim.p2p.names, localStatus(victim.node));
    await attacker.dial(victim.p2p.multiaddrs()[0]!);
    await attacker.subscribed(victim.p2p.peerId, victim.p2p.names.blocksTopic);
    // One signed transfer with a full memo, repeated: about 3 MiB of body.
    const tx = signTx(
      {
        kind: TxKind.transfer,
        chainId: g.chainId,
        from: alice.publicKey,
        to: bob.addressBytes,
        amount: 1n,
        fee: 1n,
        nonce: 0,
        expiresAt: 0,
        payload: new Uint8Array(256).fill(7),
      },
      alice.secretKey,
      victim.node.chain.genesisHash,
    );
    const body = Array.from({ length: 7400 }, () => tx);
    const base: Block = {
      header: {
        ...victim.node.chain.view.genesis().header,
        height: 50,
        parentHash: new Uint8Array(32).fill(9),
      },
      txs: body,
      engineBody: new Uint8Array(0),
    };
    const rssBefore = process.memoryUsage().rss;
    const banned = bannedBy(victim, attacker.peerId, 60_000);
    let bannedYet = false;
    void banned.then(() => {
      bannedYet = true;
    });
    let sent = 0;
    for (let n = 1; n <= 600 && !bannedYet; n++) {
      // A nonce whose hash misses the easy target (about every other one).
      let header = base.header;
      for (let nonce = n * 1000; ; nonce++) {
        header = { ...base.header, engine: encodePowFields({ bits: 0x207fffff, extraNonce: 0n, nonce }) };
        if (headerHash(header)[0]! >= 0x80) break;
      }
      // Paced by the victim's verdicts, so the attacker's own send queue (in this process) stays
      // small and the memory measured is the victim's.
      const judged = Promise.race([penalizedBy(victim, attacker.peerId, undefined, 30_000), banned]);
      await attacker.publish(victim.p2p.names.blocksTopic, encodeBlock({ ...base, header }));
      sent++;
      await judged;
    }
    const reason = await banned;
    const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect([
      reason,
      victim.node.chain.orphans.size,
      victim.node.chain.orphans.bytes,
      (victim.p2p.stats().rejections.BLOCK_BAD_SEAL ?? 0) >= 1,
      sent < 600,
      rssGrowthMiB < 512,
    ]).toEqual([
      expect.stringMatching(/TOO_MANY_INVALID_MESSAGES|GOSSIP_SCORE_GRAYLISTED/),
      0,
      0,
      true,
      true,
      true,
    ]);
  });
});
