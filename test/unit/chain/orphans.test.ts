import { describe, expect, it } from "vitest";
import { OrphanPool } from "../../../src/chain/orphans.ts";
import { type Block, type Header, headerHash } from "../../../src/core/block.ts";
import { sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { cleanupAfterEach, extend, importAll, openChain } from "../../helpers/chain.ts";
import { easyGenesis } from "../../helpers/fixtures.ts";

const genesis = easyGenesis([]);
const hashHex = (b: Block): string => toHex(headerHash(b.header));

describe("orphans on import", () => {
  const defer = cleanupAfterEach();

  /** A fresh chain, and five blocks built by another node on the same genesis. */
  async function withRemoteBlocks(orphanLimit?: number) {
    const remote = await openChain(genesis, defer);
    const blocks = await extend(remote.chain, 5);
    const local = await openChain(
      genesis,
      defer,
      orphanLimit === undefined ? {} : { orphanLimits: { maxCount: orphanLimit } },
    );
    return { local, remote, blocks };
  }

  it("holds a block whose parent is unknown as an orphan", async () => {
    const { local, blocks } = await withRemoteBlocks();
    expect((await local.chain.importBlock(blocks[2]!)).status).toBe("orphan");
  });

  it("names the parent to fetch", async () => {
    const { local, blocks } = await withRemoteBlocks();
    const result = await local.chain.importBlock(blocks[2]!);
    expect(result.missingParent && toHex(result.missingParent)).toBe(hashHex(blocks[1]!));
  });

  it("names the earliest missing ancestor of a chain of orphans", async () => {
    const { local, blocks } = await withRemoteBlocks();
    await importAll(local.chain, [blocks[4]!, blocks[3]!, blocks[2]!]);
    const again = await local.chain.importBlock(blocks[4]!);
    expect(again.missingParent && toHex(again.missingParent)).toBe(hashHex(blocks[1]!));
  });

  it("does not change the head while blocks are orphans", async () => {
    const { local, blocks } = await withRemoteBlocks();
    await importAll(local.chain, blocks.slice(1).reverse());
    expect(local.chain.head().header.height).toBe(0);
  });

  it("connects every waiting descendant when the missing parent arrives", async () => {
    const { local, remote, blocks } = await withRemoteBlocks();
    await importAll(local.chain, blocks.slice(1).reverse());
    await local.chain.importBlock(blocks[0]!);
    expect([toHex(local.chain.head().hash), toHex(local.chain.stateRoot())]).toEqual([
      toHex(remote.chain.head().hash),
      toHex(remote.chain.stateRoot()),
    ]);
  });

  it("empties the pool once the orphans are connected", async () => {
    const { local, blocks } = await withRemoteBlocks();
    await importAll(local.chain, blocks.slice(1).reverse());
    await local.chain.importBlock(blocks[0]!);
    expect(local.chain.orphans.size).toBe(0);
  });

  it("knows an orphan it holds (hasBlock)", async () => {
    const { local, blocks } = await withRemoteBlocks();
    await local.chain.importBlock(blocks[3]!);
    expect(local.chain.hasBlock(headerHash(blocks[3]!.header))).toBe(true);
  });

  it("never holds more orphans than its limit", async () => {
    const { local, blocks } = await withRemoteBlocks(2);
    await importAll(local.chain, blocks.slice(1).reverse());
    expect(local.chain.orphans.size).toBe(2);
  });

  it("evicts the oldest orphan first: only the newer ones connect", async () => {
    const { local, blocks } = await withRemoteBlocks(2);
    // Arrival order b5, b4, b3, b2 with room for two: b5 and b4 are evicted.
    await importAll(local.chain, blocks.slice(1).reverse());
    await local.chain.importBlock(blocks[0]!);
    expect(toHex(local.chain.head().hash)).toBe(hashHex(blocks[2]!));
  });
});

/** A bare block whose header is identified by `name` and points at `parent`. */
function fakeBlock(name: string, parent: string): Block {
  const header: Header = {
    version: 1,
    height: 1,
    parentHash: sha256(utf8(parent)),
    txRoot: sha256(utf8(name)),
    stateRoot: new Uint8Array(32),
    beneficiary: new Uint8Array(20),
    timestamp: 0,
    engine: new Uint8Array(0),
  };
  return { header, txs: [], engineBody: new Uint8Array(0) };
}

describe("OrphanPool", () => {
  it("returns the children waiting for a parent and forgets them", () => {
    const pool = new OrphanPool({ maxCount: 10 });
    pool.add(fakeBlock("x", "p"), 100);
    pool.add(fakeBlock("y", "p"), 100);
    pool.add(fakeBlock("z", "q"), 100);
    const taken = pool.takeChildren(sha256(utf8("p"))).map((o) => hashHex(o.block));
    expect([taken.length, pool.size]).toEqual([2, 1]);
  });

  it("returns nothing for a parent no orphan waits for", () => {
    expect(new OrphanPool({ maxCount: 10 }).takeChildren(sha256(utf8("nobody")))).toEqual([]);
  });

  it("counts a block added twice once", () => {
    const pool = new OrphanPool({ maxCount: 10 });
    pool.add(fakeBlock("x", "p"), 100);
    pool.add(fakeBlock("x", "p"), 100);
    expect(pool.size).toBe(1);
  });

  it("evicts in arrival order at its limit", () => {
    const pool = new OrphanPool({ maxCount: 2 });
    const [a, b, c] = ["a", "b", "c"].map((n) => fakeBlock(n, "p")) as [Block, Block, Block];
    for (const blk of [a, b, c]) pool.add(blk, 100);
    expect([a, b, c].map((blk) => pool.has(hashHex(blk)))).toEqual([false, true, true]);
  });

  it("is bounded in bytes: the oldest go first", () => {
    const pool = new OrphanPool({ maxBytes: 250, maxBytesPerPeer: 1000 });
    const [a, b, c] = ["a", "b", "c"].map((n) => fakeBlock(n, "p")) as [Block, Block, Block];
    for (const blk of [a, b, c]) pool.add(blk, 100, "peer-1");
    expect([pool.bytes, ...[a, b, c].map((blk) => pool.has(hashHex(blk)))]).toEqual([200, false, true, true]);
  });

  it("bounds each peer's share: a flooding peer evicts its own orphans, not another peer's", () => {
    const pool = new OrphanPool({ maxBytes: 10_000, maxBytesPerPeer: 300 });
    const honest = fakeBlock("honest", "p");
    pool.add(honest, 100, "honest");
    const flood = Array.from({ length: 50 }, (_, i) => fakeBlock(`flood-${i}`, "q"));
    for (const blk of flood) pool.add(blk, 100, "attacker");
    expect([pool.has(hashHex(honest)), pool.size, pool.bytes]).toEqual([true, 4, 400]);
  });

  it("refuses a block larger than a peer's share", () => {
    const pool = new OrphanPool({ maxBytes: 1000, maxBytesPerPeer: 300 });
    expect(pool.add(fakeBlock("big", "p"), 301, "peer")).toBe(false);
    expect(pool.size).toBe(0);
  });

  it("forgets the parent link of an evicted orphan", () => {
    const pool = new OrphanPool({ maxCount: 1 });
    pool.add(fakeBlock("a", "p"), 100);
    pool.add(fakeBlock("b", "q"), 100);
    expect(pool.takeChildren(sha256(utf8("p")))).toEqual([]);
  });
});
