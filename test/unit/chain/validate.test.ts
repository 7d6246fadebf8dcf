import { beforeEach, describe, expect, it } from "vitest";
import type { Chain } from "../../../src/chain/chain.ts";
import { ConsensusError } from "../../../src/consensus/engine.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { BlockError, ChainlabError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import { blockKey, metaKey, undoKey } from "../../../src/storage/schema.ts";
import { cleanupAfterEach, craftBlock, extend, mineOn, openChain, resealed } from "../../helpers/chain.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = easyGenesis([alice, bob]);

interface Ctx {
  chain: Chain;
  gh: Uint8Array;
}

type ErrorClass = typeof BlockError | typeof ConsensusError;

interface Case {
  name: string;
  block: (c: Ctx) => Block;
  type: ErrorClass;
  code: string;
  /** The tx-level reason of a BLOCK_BAD_TX. */
  reason?: string;
  /** The body does not match the header: the sender's fault, the hash is not remembered. */
  bodyMismatch?: true;
}

const craft = (c: Ctx, opts: Parameters<typeof craftBlock>[3]): Block =>
  craftBlock(c.chain.engine, c.chain.view, c.chain.head(), opts);
const pay = (c: Ctx, nonce: number, over: Partial<Parameters<typeof transfer>[3]> = {}) =>
  transfer(alice, bob, c.gh, { nonce, ...over });

const cases: Case[] = [
  {
    name: "a transaction root that does not match the body",
    block: (c) => resealed(mineOn(c.chain, { txs: [pay(c, 1)] }), () => ({ txRoot: new Uint8Array(32) })),
    type: BlockError,
    code: "BLOCK_BAD_TX_ROOT",
    bodyMismatch: true,
  },
  {
    name: "a height that skips one",
    block: (c) => craft(c, { height: c.chain.head().header.height + 2 }),
    type: BlockError,
    code: "BLOCK_BAD_HEIGHT",
  },
  {
    name: "a height equal to the parent's",
    block: (c) => craft(c, { height: c.chain.head().header.height }),
    type: BlockError,
    code: "BLOCK_BAD_HEIGHT",
  },
  {
    name: "the same transaction twice",
    block: (c) => {
      const t = pay(c, 1);
      return craft(c, { txs: [t, t] });
    },
    type: BlockError,
    code: "BLOCK_DUPLICATE_TX",
  },
  {
    name: "a transaction whose amount was changed after signing",
    block: (c) => craft(c, { txs: [{ ...pay(c, 1), amount: 11n }] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_BAD_SIGNATURE",
  },
  {
    name: "a transaction signed for another chain id",
    block: (c) => craft(c, { txs: [pay(c, 1, { chainId: 1 })] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_WRONG_CHAIN",
  },
  {
    name: "a replayed transaction",
    block: (c) => craft(c, { txs: [pay(c, 0)] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_NONCE_TOO_LOW",
  },
  {
    name: "a transaction with a skipped nonce",
    block: (c) => craft(c, { txs: [pay(c, 2)] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_NONCE_TOO_HIGH",
  },
  {
    name: "a transaction that overspends",
    block: (c) => craft(c, { txs: [pay(c, 1, { amount: 2_000_000_000n })] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "an expired transaction",
    block: (c) => craft(c, { txs: [pay(c, 1, { expiresAt: c.chain.head().header.height })] }),
    type: BlockError,
    code: "BLOCK_BAD_TX",
    reason: "TX_EXPIRED",
  },
  {
    name: "a state root that does not match execution",
    block: (c) => resealed(mineOn(c.chain, { txs: [pay(c, 1)] }), () => ({ stateRoot: new Uint8Array(32) })),
    type: BlockError,
    code: "BLOCK_BAD_STATE_ROOT",
  },
  {
    name: "a beneficiary changed after the state root was computed",
    block: (c) => resealed(mineOn(c.chain), () => ({ beneficiary: bob.addressBytes })),
    type: BlockError,
    code: "BLOCK_BAD_STATE_ROOT",
  },
  {
    name: "an engine body item in a PoW block",
    block: (c) => craft(c, { engineBody: Uint8Array.of(1) }),
    type: ConsensusError,
    code: "BLOCK_BODY_MISMATCH",
    bodyMismatch: true,
  },
  {
    name: "a timestamp at the parent's median-time-past",
    block: (c) => craft(c, { timestamp: c.chain.head().header.timestamp }),
    type: ConsensusError,
    code: "BLOCK_TIMESTAMP_TOO_OLD",
  },
];

describe("block validation on import", () => {
  const defer = cleanupAfterEach();
  let ctx: Ctx;
  let headBefore: string;

  /** A chain at height 1 in which alice has used nonce 0. */
  beforeEach(async () => {
    const { chain } = await openChain(genesis, defer);
    ctx = { chain, gh: chain.genesisHash };
    await extend(chain, 1, [[pay(ctx, 0)]]);
    headBefore = toHex(chain.head().hash);
  });

  async function rejection(block: Block): Promise<ChainlabError> {
    try {
      await ctx.chain.importBlock(block);
    } catch (err) {
      if (err instanceof ChainlabError) return err;
      throw err;
    }
    throw new Error("block was accepted");
  }

  it("accepts the honest block all cases are variations of", async () => {
    expect((await ctx.chain.importBlock(mineOn(ctx.chain, { txs: [pay(ctx, 1)] }))).status).toBe("head");
  });

  it.each(cases)("rejects $name with $code", async (c) => {
    const err = await rejection(c.block(ctx));
    expect([err instanceof c.type, err.code, err.data.reason]).toEqual([true, c.code, c.reason]);
  });

  it.each(cases)("writes nothing to storage for $name", async (c) => {
    const block = c.block(ctx);
    await rejection(block);
    const hash = headerHash(block.header);
    const db = ctx.chain.store.db;
    const stored = [await db.get(blockKey(hash)), await db.get(metaKey(hash)), await db.get(undoKey(hash))];
    expect(stored).toEqual([undefined, undefined, undefined]);
  });

  it.each(cases)("keeps the head on $name", async (c) => {
    await rejection(c.block(ctx));
    expect(toHex(ctx.chain.head().hash)).toBe(headBefore);
  });

  it.each(cases.filter((c) => !c.bodyMismatch))("remembers $name as known invalid", async (c) => {
    const block = c.block(ctx);
    await rejection(block);
    expect((await rejection(block)).code).toBe("BLOCK_KNOWN_INVALID");
  });

  it.each(cases.filter((c) => c.bodyMismatch))("blames the sender, not the hash, for $name", async (c) => {
    const block = c.block(ctx);
    const err = await rejection(block);
    expect([
      err.senderAtFault,
      (await rejection(block)).code,
      ctx.chain.isKnownInvalid(headerHash(block.header)),
    ]).toEqual([true, c.code, false]);
  });
});

describe("a valid block whose body a relayer altered", () => {
  const defer = cleanupAfterEach();

  /** An honest block with one tx on a chain at height 1, and its copies with the body changed. */
  async function withMutations() {
    const { chain } = await openChain(genesis, defer);
    const c = { chain, gh: chain.genesisHash };
    await extend(chain, 1, [[pay(c, 0)]]);
    const honest = mineOn(chain, { txs: [pay(c, 1)] });
    const dropped: Block = { ...honest, txs: [] };
    const padded: Block = { ...honest, engineBody: Uint8Array.of(0) };
    return { chain, honest, dropped, padded };
  }

  it("refuses the copy with its txs dropped and the copy with an engine body byte added", async () => {
    const { chain, dropped, padded } = await withMutations();
    const codes = [];
    for (const b of [dropped, padded])
      codes.push(await chain.importBlock(b).catch((e: ChainlabError) => e.code));
    expect(codes).toEqual(["BLOCK_BAD_TX_ROOT", "BLOCK_BODY_MISMATCH"]);
  });

  it("still imports the honest block afterwards, and its child", async () => {
    const { chain, honest, dropped, padded } = await withMutations();
    for (const b of [dropped, padded]) await chain.importBlock(b).catch(() => {});
    expect((await chain.importBlock(honest)).status).toBe("head");
    expect((await chain.importBlock(mineOn(chain))).status).toBe("head");
  });

  it("never pools a mutated copy as an orphan: the honest copy takes its place when the parent comes", async () => {
    const { chain } = await openChain(genesis, defer);
    const other = await openChain(genesis, defer);
    const c = { chain: other.chain, gh: other.chain.genesisHash };
    const [parent] = await extend(other.chain, 1, [[pay(c, 0)]]);
    const child = mineOn(other.chain, { txs: [pay(c, 1)] });
    const mutated: Block = { ...child, txs: [] };
    const first = await chain.importBlock(mutated).catch((e: ChainlabError) => e.code);
    const second = (await chain.importBlock(child)).status;
    await chain.importBlock(parent!);
    expect([first, second, toHex(chain.head().hash)]).toEqual([
      "BLOCK_BAD_TX_ROOT",
      "orphan",
      toHex(headerHash(child.header)),
    ]);
  });
});

describe("a block of 20,000 transfers from unfunded senders", () => {
  const defer = cleanupAfterEach();

  it("fails at its first tx on the state checks, with no signature verified, and is not stored", async () => {
    const { chain } = await openChain(genesis, defer);
    const mallory = actor("mallory");
    const txs = Array.from({ length: 20_000 }, (_, nonce) =>
      transfer(mallory, bob, chain.genesisHash, { nonce }),
    );
    const block = craftBlock(chain.engine, chain.view, chain.head(), { txs });
    const before = { ...chain.counters };
    const err = await chain.importBlock(block).catch((e: ChainlabError) => e);
    expect([
      (err as ChainlabError).code,
      (err as ChainlabError).data,
      chain.counters.signatureChecks - before.signatureChecks,
      await chain.store.getBlock(headerHash(block.header)),
    ]).toEqual(["BLOCK_BAD_TX", { index: 0, reason: "TX_INSUFFICIENT_FUNDS" }, 0, undefined]);
  });
});

describe("errors of our own storage", () => {
  const defer = cleanupAfterEach();

  it("are STORAGE_CORRUPT, blame no sender and do not mark the block invalid", async () => {
    const { chain } = await openChain(genesis, defer);
    const [first] = await extend(chain, 2);
    const other = await openChain(genesis, defer);
    const [side] = await extend(other.chain, 1, [
      [transfer(alice, bob, other.chain.genesisHash, { nonce: 0 })],
    ]);
    // Undo data the side block's execution needs (to revert the head) no longer decodes.
    await chain.store.db.put(undoKey(chain.head().hash), Uint8Array.of(0xff));
    const err = await chain.importBlock(side!).catch((e: ChainlabError) => e);
    expect([
      (err as ChainlabError).code,
      (err as ChainlabError).senderAtFault,
      chain.isKnownInvalid(headerHash(side!.header)),
      toHex(first!.header.parentHash) === toHex(chain.genesisHash),
    ]).toEqual(["STORAGE_CORRUPT", false, false, true]);
  });
});

describe("a block from the future", () => {
  const defer = cleanupAfterEach();

  /** A chain whose clock stands one minute after genesis, and a block two minutes ahead of that. */
  async function withFutureBlock() {
    let clock = genesis.timestamp + 60_000;
    const { chain } = await openChain(genesis, defer, { now: () => clock });
    const drift = 60_000;
    const block = mineOn(chain, { timestamp: clock + drift + 1 });
    const first = await chain.importBlock(block).catch((err: ChainlabError) => err.code);
    return { chain, block, first, advance: (ms: number) => (clock += ms) };
  }

  it("is rejected with BLOCK_TIMESTAMP_IN_FUTURE", async () => {
    const { first } = await withFutureBlock();
    expect(first).toBe("BLOCK_TIMESTAMP_IN_FUTURE");
  });

  it("is not remembered as invalid: it imports once the clock catches up", async () => {
    const { chain, block, advance } = await withFutureBlock();
    advance(1);
    expect((await chain.importBlock(block)).status).toBe("head");
  });
});
