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

describe("a side block is executed before it is stored, whatever the fork depth", () => {
  const defer = cleanupAfterEach();

  /** A chain at `height`, and a side block on genesis carrying a tx that can never execute (nonce 5). */
  async function withDeepSideBlock(height: number) {
    const a = await openChain(genesis, defer);
    await extend(a.chain, height);
    const side = craftBlock(a.chain.engine, a.chain.view, a.chain.view.genesis(), {
      txs: [transfer(alice, bob, a.chain.genesisHash, { nonce: 5 })],
      stateRoot: GARBAGE_ROOT,
      timestamp: genesis.timestamp + 999,
    });
    const rootBefore = toHex(a.chain.stateRoot());
    const code = await codeOf(a.chain.importBlock(side));
    return { a, side, rootBefore, code };
  }

  it("rejects a bad tx on a fork 40 blocks deep with BLOCK_BAD_TX", async () => {
    const { code } = await withDeepSideBlock(40);
    expect(code).toBe("BLOCK_BAD_TX");
  });

  it("never stores it, nor undo data, nor a tx index entry", async () => {
    const { a, side } = await withDeepSideBlock(40);
    const undo = await a.chain.store.db.get(undoKey(hashOf(side)));
    const loc = await a.chain.store.getTxLocation(txId(side.txs[0]!));
    expect([await storedStatus(a, side), await a.chain.getBlock(hashOf(side)), undo, loc]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("leaves the state root of the head unchanged", async () => {
    const { a, rootBefore } = await withDeepSideBlock(40);
    expect(toHex(a.chain.stateRoot())).toBe(rootBefore);
  });

  it("gives the same blame at every head height: REJECT where judged, a blameless IGNORE where too light", async () => {
    const verdicts: [string, boolean][] = [];
    for (const height of [1, 3, 70]) {
      const { a, side } = await withDeepSideBlock(height);
      const err = await a.chain.importBlock(side).catch((e: ChainlabError) => e);
      verdicts.push([(err as ChainlabError).code, (err as ChainlabError).senderAtFault]);
    }
    expect(verdicts).toEqual([
      ["BLOCK_KNOWN_INVALID", true],
      ["BLOCK_KNOWN_INVALID", true],
      ["BLOCK_LOW_WORK_FORK", false],
    ]);
  });

  it("judges the light fork like any other when it was requested (sync)", async () => {
    const a = await openChain(genesis, defer);
    await extend(a.chain, 70);
    const side = craftBlock(a.chain.engine, a.chain.view, a.chain.view.genesis(), {
      txs: [transfer(alice, bob, a.chain.genesisHash, { nonce: 5 })],
      timestamp: genesis.timestamp + 999,
    });
    expect(await codeOf(a.chain.importBlock(side, { requested: true }))).toBe("BLOCK_BAD_TX");
  });

  it("stores a valid side block 70 blocks deep as executed, with its undo data", async () => {
    const a = await openChain(genesis, defer);
    const b = await openChain(genesis, defer);
    await extend(a.chain, 70);
    const [side] = await extend(b.chain, 1, [[transfer(alice, bob, b.chain.genesisHash, { nonce: 0 })]]);
    const requested = await a.chain.importBlock(side!, { requested: true });
    const undo = await a.chain.store.db.get(undoKey(hashOf(side!)));
    expect([requested.status, await storedStatus(a, side!), undo !== undefined]).toEqual([
      "side",
      BlockStatus.valid,
      true,
    ]);
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
    expect(bBranch.slice(0, 2).map((blk) => a.chain.tree.has(hashOf(blk)))).toEqual([true, true]);
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
