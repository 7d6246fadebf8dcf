import { describe, expect, it } from "vitest";
import { type Block, encodeBlock, headerHash } from "../../../src/core/block.ts";
import type { ChainlabError } from "../../../src/core/errors.ts";
import type { Hash } from "../../../src/core/hash.ts";
import { signTx, TxKind } from "../../../src/core/tx.ts";
import type { HostilePeer } from "../../../src/experiments/adversary/raw-peer.ts";
import { encodeHashRequest, encodeRangeRequest } from "../../../src/p2p/messages.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { type Actor, actor, easyGenesis } from "../../helpers/fixtures.ts";
import { mineBlock, type TestPeer } from "./harness.ts";
import { bannedBy, hostileTestbed, penalizedBy } from "./hostile-kit.ts";

const alice = actor("alice");
const bob = actor("bob");
const TXS_PER_BLOCK = 500;

/** Mines a block of TXS_PER_BLOCK transfers with full memos (~200 KB). */
async function mineLargeBlock(p: TestPeer, from: Actor, firstNonce: number): Promise<Block> {
  const txs = Array.from({ length: TXS_PER_BLOCK }, (_, i) =>
    signTx(
      {
        kind: TxKind.transfer,
        chainId: 1337,
        from: from.publicKey,
        to: bob.addressBytes,
        amount: 1n,
        fee: 1n,
        nonce: firstNonce + i,
        expiresAt: 0,
        payload: new Uint8Array(256).fill(i & 0xff),
      },
      from.secretKey,
      p.node.chain.genesisHash,
    ),
  );
  return mineBlock(p.node, { txs });
}

/** The OK payloads of a raw request, or the error it failed with. */
async function ask(hostile: HostilePeer, p: TestPeer, protocol: string, payload: Uint8Array) {
  return hostile.request(p.p2p.peerId, protocol, payload).then(
    (chunks) => ({ chunks, bytes: chunks.reduce((n, c) => n + c.length, 0), err: undefined }),
    (err: unknown) => ({ chunks: [], bytes: 0, err: err as ChainlabError }),
  );
}

describe("serving budgets", { timeout: 60_000 }, () => {
  const bed = hostileTestbed();

  it("blocks_by_hash with 64 copies of a large block's hash is refused and penalized, then banned", async () => {
    const server = await bed.h.start("server", easyGenesis([alice]), { banThreshold: 3 });
    const big = await mineLargeBlock(server, alice, 0);
    const size = encodeBlock(big).length;
    expect(size).toBeGreaterThan(150_000);
    const hostile = await bed.hostile(server.p2p.names, localStatus(server.node));
    await hostile.dial(server.p2p.multiaddrs()[0]!);
    const dup = encodeHashRequest(Array.from({ length: 64 }, () => headerHash(big.header)));
    const protocol = server.p2p.names.blocksByHash;

    for (let i = 1; i <= 2; i++) {
      const penalized = penalizedBy(server, hostile.peerId, "P2P_DUPLICATE_HASHES");
      const r = await ask(hostile, server, protocol, dup);
      expect(r.err?.code).toBe("P2P_REMOTE_ERROR");
      expect(r.err?.message).toContain("P2P_DUPLICATE_HASHES");
      expect(r.err?.data).toMatchObject({ remoteCode: 1 });
      expect((await penalized).points).toBeCloseTo(i, 1);
    }
    expect(server.p2p.stats().bytesServed.blocks_by_hash ?? 0).toBe(0);
    // The block itself is still served once, to anyone who asks for it once.
    const once = await ask(hostile, server, protocol, encodeHashRequest([headerHash(big.header)]));
    expect(once.chunks.length).toBe(1);
    expect(once.bytes).toBe(size);

    const banned = bannedBy(server, hostile.peerId);
    await ask(hostile, server, protocol, dup);
    expect(await banned).toBe("TOO_MANY_INVALID_MESSAGES");
    expect(server.p2p.stats().bytesServed.blocks_by_hash).toBe(size);
  });

  it("responses are capped in bytes and each peer's serving has a byte bucket, for both block protocols", async () => {
    const byteBurst = 1_000_000;
    const bytesPerSecond = 20_000;
    const maxResponseBytes = 450_000;
    const server = await bed.h.start("server", easyGenesis([alice]), {
      maxResponseBytes,
      rateLimits: { byteBurst, bytesPerSecond },
    });
    const blocks: Block[] = [];
    for (let i = 0; i < 4; i++) blocks.push(await mineLargeBlock(server, alice, i * TXS_PER_BLOCK));
    const hashes: Hash[] = blocks.map((b) => headerHash(b.header));
    const size = encodeBlock(blocks[0]!).length;
    expect(2 * size).toBeLessThanOrEqual(maxResponseBytes);
    expect(3 * size).toBeGreaterThan(maxResponseBytes);
    const hostile = await bed.hostile(server.p2p.names, localStatus(server.node));
    await hostile.dial(server.p2p.multiaddrs()[0]!);
    const t0 = Date.now();

    // Four blocks asked for, two sent: the response stops at maxResponseBytes, not at a count.
    const byHash = await ask(hostile, server, server.p2p.names.blocksByHash, encodeHashRequest(hashes));
    expect(byHash.err).toBeUndefined();
    expect(byHash.chunks.length).toBe(2);
    const byRange = await ask(
      hostile,
      server,
      server.p2p.names.blocksByRange,
      encodeRangeRequest({ startHeight: 1, count: 4 }),
    );
    expect(byRange.chunks.length).toBe(2);

    // The byte bucket: about byteBurst, then "rate limited" until it refills.
    let served = byHash.bytes + byRange.bytes;
    let limited: ChainlabError | undefined;
    for (let i = 0; i < 20 && limited === undefined; i++) {
      const r = await ask(
        hostile,
        server,
        server.p2p.names.blocksByRange,
        encodeRangeRequest({ startHeight: 1, count: 4 }),
      );
      served += r.bytes;
      limited = r.err;
    }
    expect(limited?.code).toBe("P2P_RATE_LIMITED");
    const elapsed = (Date.now() - t0) / 1000;
    expect(served).toBeLessThanOrEqual(byteBurst + bytesPerSecond * elapsed + size);
    const s = server.p2p.stats();
    expect((s.bytesServed.blocks_by_range ?? 0) + (s.bytesServed.blocks_by_hash ?? 0)).toBe(served);
    expect(s.rateLimited).toBeGreaterThanOrEqual(1);
    // Rate limiting is not an offence of the requester.
    expect(s.rejections).toEqual({});
  });
});
