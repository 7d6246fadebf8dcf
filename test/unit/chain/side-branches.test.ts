import { describe, expect, it } from "vitest";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { BlockError, ChainlabError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import { txId } from "../../../src/core/tx.ts";
import { decodeMeta } from "../../../src/storage/meta.ts";
import { BlockStatus, metaKey, undoKey } from "../../../src/storage/schema.ts";
import {
  cleanupAfterEach,
  craftBlock,
  extend,
  importAll,
  type OpenedChain,
  openChain,
  resealed,
} from "../../helpers/chain.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = easyGenesis([alice, bob]);
const GARBAGE_ROOT = new Uint8Array(32).fill(0x5a);

const hashOf = (b: Block): Uint8Array => headerHash(b.header);

async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return "OK";
  } catch (err) {
    if (!(err instanceof ChainlabError)) throw err;
    return err.code;
  }
}

async function storedStatus(c: OpenedChain, block: Block): Promise<number | undefined> {
  const raw = await c.chain.store.db.get(metaKey(hashOf(block)));
  return raw === undefined ? undefined : decodeMeta(raw).status;
}

describe("a side block on a fork deeper than the side-check depth", () => {
  const defer = cleanupAfterEach();

  /** A at height 2; a side block at height 1 carrying a tx that could never execute (nonce 5). */
  async function withSideBlock() {
    const a = await openChain(genesis, defer, { sideCheckDepth: 0 });
    await extend(a.chain, 2);
    const gh = a.chain.genesisHash;
    const side = craftBlock(a.chain.engine, a.chain.view, a.chain.view.genesis(), {
      txs: [transfer(alice, bob, gh, { nonce: 5 })],
      stateRoot: GARBAGE_ROOT,
      timestamp: genesis.timestamp + 999,
    });
    const rootBefore = toHex(a.chain.stateRoot());
    const result = await a.chain.importBlock(side);
    return { a, side, rootBefore, result };
  }

  it("is accepted as side without executing its transactions", async () => {
    const { result } = await withSideBlock();
    expect(result.status).toBe("side");
  });

  it("is stored with its body and a 'stored' (not executed) status", async () => {
    const { a, side } = await withSideBlock();
    expect([await storedStatus(a, side), (await a.chain.getBlock(hashOf(side)))?.txs.length]).toEqual([
      BlockStatus.stored,
      1,
    ]);
  });

  it("has no undo data and no tx index entries", async () => {
    const { a, side } = await withSideBlock();
    const undo = await a.chain.store.db.get(undoKey(hashOf(side)));
    const loc = await a.chain.store.getTxLocation(txId(side.txs[0]!));
    expect([undo, loc]).toEqual([undefined, undefined]);
  });

  it("leaves the state root of the head unchanged", async () => {
    const { a, rootBefore } = await withSideBlock();
    expect(toHex(a.chain.stateRoot())).toBe(rootBefore);
  });

  it("is a duplicate when imported again", async () => {
    const { a, side } = await withSideBlock();
    expect((await a.chain.importBlock(side)).status).toBe("duplicate");
  });
});

describe("a side branch on a deep fork with a block whose state root is wrong", () => {
  const defer = cleanupAfterEach();

  /**
   * A: genesis - a1 - a2. Side branch: genesis - s1 (bad state root) - s2 - s3. s1 and s2 are
   * stored unexecuted; s3 would make the branch heaviest, so the chain executes it and s1 fails.
   */
  async function withBadBranch() {
    const a = await openChain(genesis, defer, { sideCheckDepth: 0 });
    await extend(a.chain, 2);
    const { engine, view } = a.chain;
    const s1 = craftBlock(engine, view, view.genesis(), {
      stateRoot: GARBAGE_ROOT,
      timestamp: genesis.timestamp + 999,
    });
    const s2 = craftBlock(engine, view, s1);
    const s3 = craftBlock(engine, view, s2);
    const headBefore = toHex(a.chain.head().hash);
    const rootBefore = toHex(a.chain.stateRoot());
    const sides = await importAll(a.chain, [s1, s2]);
    const code = await codeOf(a.chain.importBlock(s3));
    return { a, s1, s2, s3, headBefore, rootBefore, sides, code };
  }

  it("stores the branch as side blocks while it is not the heaviest", async () => {
    const { sides } = await withBadBranch();
    expect(sides).toEqual(["side", "side"]);
  });

  it("rejects the block that would make it heaviest with BLOCK_BAD_STATE_ROOT", async () => {
    const { code } = await withBadBranch();
    expect(code).toBe("BLOCK_BAD_STATE_ROOT");
  });

  it("keeps the head and its state root", async () => {
    const { a, headBefore, rootBefore } = await withBadBranch();
    expect([toHex(a.chain.head().hash), toHex(a.chain.stateRoot())]).toEqual([headBefore, rootBefore]);
  });

  it("marks the failing block and its descendants invalid in the tree", async () => {
    const { a, s1, s2 } = await withBadBranch();
    expect([a.chain.tree.node(hashOf(s1))?.status, a.chain.tree.node(hashOf(s2))?.status]).toEqual([
      BlockStatus.invalid,
      BlockStatus.invalid,
    ]);
  });

  it("marks them invalid in the database and deletes their bodies", async () => {
    const { a, s1, s2 } = await withBadBranch();
    const status = [await storedStatus(a, s1), await storedStatus(a, s2)];
    const bodies = [await a.chain.getBlock(hashOf(s1)), await a.chain.getBlock(hashOf(s2))];
    expect([status, bodies]).toEqual([
      [BlockStatus.invalid, BlockStatus.invalid],
      [undefined, undefined],
    ]);
  });

  it("never stores the block that triggered the execution", async () => {
    const { a, s3 } = await withBadBranch();
    expect([await storedStatus(a, s3), await a.chain.getBlock(hashOf(s3))]).toEqual([undefined, undefined]);
  });

  it("refuses the triggering block again as BLOCK_KNOWN_INVALID", async () => {
    const { a, s3 } = await withBadBranch();
    expect(await codeOf(a.chain.importBlock(s3))).toBe("BLOCK_KNOWN_INVALID");
  });

  it("refuses a new child of an invalid stored block as BLOCK_INVALID_ANCESTOR", async () => {
    const { a, s2 } = await withBadBranch();
    const child = craftBlock(a.chain.engine, a.chain.view, s2, { timestamp: s2.header.timestamp + 7 });
    expect(await codeOf(a.chain.importBlock(child))).toBe("BLOCK_INVALID_ANCESTOR");
  });

  it("refuses a child of the rejected triggering block instead of holding it as an orphan", async () => {
    const { a, s3 } = await withBadBranch();
    const child = craftBlock(a.chain.engine, a.chain.view, s3);
    expect(await codeOf(a.chain.importBlock(child))).toBe("BLOCK_INVALID_ANCESTOR");
  });

  it("remembers the invalid blocks across a restart", async () => {
    const { a, s2 } = await withBadBranch();
    await a.close();
    const reopened = await openChain(genesis, defer, { path: a.path, sideCheckDepth: 0 });
    const child = craftBlock(reopened.chain.engine, reopened.chain.view, s2);
    expect(await codeOf(reopened.chain.importBlock(child))).toBe("BLOCK_INVALID_ANCESTOR");
  });
});

describe("a side block on a shallow fork (executed before storage)", () => {
  const defer = cleanupAfterEach();

  it("with a wrong state root is rejected with BLOCK_BAD_STATE_ROOT and never stored", async () => {
    const a = await openChain(genesis, defer);
    await extend(a.chain, 2);
    const side = craftBlock(a.chain.engine, a.chain.view, a.chain.view.genesis(), {
      stateRoot: GARBAGE_ROOT,
      timestamp: genesis.timestamp + 999,
    });
    expect(await codeOf(a.chain.importBlock(side))).toBe("BLOCK_BAD_STATE_ROOT");
    expect([await storedStatus(a, side), await a.chain.getBlock(hashOf(side))]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("with a tx that cannot execute is rejected with BLOCK_BAD_TX and never stored", async () => {
    const a = await openChain(genesis, defer);
    await extend(a.chain, 2);
    const side = craftBlock(a.chain.engine, a.chain.view, a.chain.view.genesis(), {
      txs: [transfer(alice, bob, a.chain.genesisHash, { nonce: 5 })],
      stateRoot: GARBAGE_ROOT,
      timestamp: genesis.timestamp + 999,
    });
    expect(await codeOf(a.chain.importBlock(side))).toBe("BLOCK_BAD_TX");
    expect(await storedStatus(a, side)).toBeUndefined();
  });

  it("that is valid is stored as an executed side block, and a branch of them can later win", async () => {
    const a = await openChain(genesis, defer);
    const b = await openChain(genesis, defer);
    const gh = a.chain.genesisHash;
    await extend(a.chain, 3);
    const bBranch = await extend(b.chain, 4, [
      [transfer(alice, bob, gh, { nonce: 0 })],
      [transfer(alice, bob, gh, { nonce: 1 })],
    ]);
    expect(await importAll(a.chain, bBranch.slice(0, 3))).toEqual(["side", "side", "side"]);
    expect(await storedStatus(a, bBranch[2]!)).toBe(BlockStatus.valid);
    expect((await a.chain.importBlock(bBranch[3]!)).status).toBe("head");
    expect(toHex(a.chain.stateRoot())).toBe(toHex(b.chain.stateRoot()));
  });
});

describe("a heavier branch whose new tip has a wrong state root", () => {
  const defer = cleanupAfterEach();

  /** A at height 2; B builds a valid b1 - b2 - b3; A gets b1, b2 and b3 with a mutated state root. */
  async function withBadTip() {
    const a = await openChain(genesis, defer);
    const b = await openChain(genesis, defer);
    const gh = a.chain.genesisHash;
    await extend(a.chain, 2);
    const bBranch = await extend(b.chain, 3, [[transfer(alice, bob, gh, { nonce: 0 })]]);
    const badTip = resealed(bBranch[2]!, () => ({ stateRoot: GARBAGE_ROOT }));
    await importAll(a.chain, bBranch.slice(0, 2));
    const headBefore = toHex(a.chain.head().hash);
    const code = await codeOf(a.chain.importBlock(badTip));
    return { a, b, bBranch, badTip, headBefore, code };
  }

  it("rejects the tip with BLOCK_BAD_STATE_ROOT and keeps the head", async () => {
    const { a, headBefore, code } = await withBadTip();
    expect([code, toHex(a.chain.head().hash)]).toEqual(["BLOCK_BAD_STATE_ROOT", headBefore]);
  });

  it("leaves the valid blocks of the branch as (executed) side blocks", async () => {
    const { a, bBranch } = await withBadTip();
    expect(bBranch.slice(0, 2).map((blk) => a.chain.tree.node(hashOf(blk))?.status)).toEqual([
      BlockStatus.valid,
      BlockStatus.valid,
    ]);
  });

  it("still reorgs to the branch when the valid tip arrives", async () => {
    const { a, b, bBranch } = await withBadTip();
    await importAll(a.chain, [bBranch[2]!]);
    expect(toHex(a.chain.stateRoot())).toBe(toHex(b.chain.stateRoot()));
  });

  it("throws a BlockError the caller can map to a code", async () => {
    const { a, bBranch } = await withBadTip();
    const other = resealed(bBranch[2]!, () => ({ stateRoot: new Uint8Array(32) }));
    await expect(a.chain.importBlock(other)).rejects.toBeInstanceOf(BlockError);
  });
});
