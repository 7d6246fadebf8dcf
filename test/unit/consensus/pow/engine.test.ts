import { describe, expect, it } from "vitest";
import { BlockTree } from "../../../../src/chain/block-tree.ts";
import { type BlockMeta, ConsensusError, medianTimePast } from "../../../../src/consensus/engine.ts";
import { compactToTarget, workForTarget } from "../../../../src/consensus/pow/difficulty.ts";
import { PowEngine } from "../../../../src/consensus/pow/engine.ts";
import { decodePowFields, encodePowFields } from "../../../../src/consensus/pow/layout.ts";
import {
  blockReward,
  defaultPowParams,
  type PowParams,
  parsePowParams,
  powParamsToJson,
} from "../../../../src/consensus/pow/params.ts";
import { decodeWork, encodeWork } from "../../../../src/consensus/pow/work.ts";
import { accountKey } from "../../../../src/core/account.ts";
import { type Block, HEADER_VERSION, type Header, headerHash } from "../../../../src/core/block.ts";
import { buildGenesis, type Genesis, type Json } from "../../../../src/core/genesis.ts";
import { MemoryState, StateOverlay } from "../../../../src/core/state.ts";
import { isPowSealed, sealPow } from "../../../helpers/chain.ts";
import { actor, easyGenesis } from "../../../helpers/fixtures.ts";

const miner = actor("miner");
const SPACING = 1000;

/** An in-memory block tree on a genesis, with the engine that judges it. */
function memoryChain(genesis: Genesis): { engine: PowEngine; tree: BlockTree; genesisMeta: BlockMeta } {
  const engine = new PowEngine(genesis);
  const { block } = buildGenesis(genesis, engine.genesisFields());
  const genesisMeta = {
    hash: headerHash(block.header),
    header: block.header,
    engineMeta: engine.genesisMeta(),
  };
  return { engine, tree: new BlockTree(genesisMeta), genesisMeta };
}

/** An unsealed child header of `parent` with the engine's expected fields. */
function childHeader(engine: PowEngine, tree: BlockTree, parent: BlockMeta, timestamp?: number): Header {
  const ts = timestamp ?? parent.header.timestamp + SPACING;
  return {
    version: HEADER_VERSION,
    height: parent.header.height + 1,
    parentHash: parent.hash,
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    beneficiary: miner.addressBytes,
    timestamp: ts,
    engine: engine.prepareFields(parent, tree),
  };
}

/** Adds sealed children with the given timestamps on `parent`; returns the last one. */
function grow(engine: PowEngine, tree: BlockTree, parent: BlockMeta, timestamps: number[]): BlockMeta {
  let cur = parent;
  for (const ts of timestamps) {
    const header = sealPow(childHeader(engine, tree, cur, ts));
    const meta = {
      hash: headerHash(header),
      header,
      engineMeta: encodeWork(decodeWork(cur.engineMeta) + engine.blockWork(header)),
    };
    tree.add(meta);
    cur = meta;
  }
  return cur;
}

/** A genesis like easyGenesis but with a hard initial target (Bitcoin's 0x1d00ffff). */
function hardGenesis(): Genesis {
  const g = easyGenesis([]);
  return { ...g, consensus: { type: "pow", params: { ...g.consensus.params, initialBits: "0x1d00ffff" } } };
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return "OK";
  } catch (err) {
    if (!(err instanceof ConsensusError)) throw err;
    return err.code;
  }
}

const withBits = (h: Header, bits: number): Header => ({
  ...h,
  engine: encodePowFields({ ...decodePowFields(h.engine), bits }),
});

describe("PowEngine.verifyHeader", () => {
  const genesis = easyGenesis([miner]);
  const { engine, tree, genesisMeta } = memoryChain(genesis);
  const drift = engine.params.maxFutureDriftMs;
  // Eleven blocks 1 s apart: the median-time-past of the tip is the 6th block's timestamp.
  const tip = grow(
    engine,
    tree,
    genesisMeta,
    Array.from({ length: 11 }, (_, i) => genesis.timestamp + (i + 1) * SPACING),
  );
  const mtp = medianTimePast(tip, tree);
  const now = tip.header.timestamp + 10 * SPACING;
  const sibling = grow(engine, tree, genesisMeta, [genesis.timestamp + 500]);

  const cases: { name: string; header: () => Header; parent?: BlockMeta; code: string }[] = [
    {
      name: "a sealed child with the expected bits",
      header: () => sealPow(childHeader(engine, tree, tip)),
      code: "OK",
    },
    {
      name: "bits of an easier target than expected",
      header: () => sealPow(withBits(childHeader(engine, tree, tip), 0x2100ffff)),
      code: "BLOCK_BAD_DIFFICULTY",
    },
    {
      name: "bits of a harder target than expected",
      header: () => sealPow(withBits(childHeader(engine, tree, tip), 0x207ffffe)),
      code: "BLOCK_BAD_DIFFICULTY",
    },
    {
      name: "a timestamp equal to the median-time-past",
      header: () => sealPow(childHeader(engine, tree, tip, mtp)),
      code: "BLOCK_TIMESTAMP_TOO_OLD",
    },
    {
      name: "a timestamp one below the median-time-past",
      header: () => sealPow(childHeader(engine, tree, tip, mtp - 1)),
      code: "BLOCK_TIMESTAMP_TOO_OLD",
    },
    {
      name: "a timestamp one above the median-time-past (older than its parent)",
      header: () => sealPow(childHeader(engine, tree, tip, mtp + 1)),
      code: "OK",
    },
    {
      name: "a timestamp exactly at the future drift limit",
      header: () => sealPow(childHeader(engine, tree, tip, now + drift)),
      code: "OK",
    },
    {
      name: "a timestamp one past the future drift limit",
      header: () => sealPow(childHeader(engine, tree, tip, now + drift + 1)),
      code: "BLOCK_TIMESTAMP_IN_FUTURE",
    },
    {
      name: "empty engine fields",
      header: () => ({ ...childHeader(engine, tree, tip), engine: new Uint8Array(0) }),
      code: "BLOCK_BAD_ENGINE_FIELDS",
    },
    {
      name: "engine fields one byte short",
      header: () => ({ ...childHeader(engine, tree, tip), engine: new Uint8Array(15) }),
      code: "BLOCK_BAD_ENGINE_FIELDS",
    },
    {
      name: "engine fields with a trailing byte",
      header: () => ({ ...childHeader(engine, tree, tip), engine: new Uint8Array(17).fill(0xab) }),
      code: "BLOCK_BAD_ENGINE_FIELDS",
    },
    {
      name: "a header one height too far",
      header: () => sealPow({ ...childHeader(engine, tree, tip), height: tip.header.height + 2 }),
      code: "BLOCK_BAD_PARENT",
    },
    {
      name: "a header that names another parent",
      header: () => sealPow({ ...childHeader(engine, tree, tip), parentHash: sibling.hash }),
      code: "BLOCK_BAD_PARENT",
    },
    {
      name: "a child of genesis checked against a sibling at the same height",
      header: () => sealPow(childHeader(engine, tree, genesisMeta, genesis.timestamp + 700)),
      parent: sibling,
      code: "BLOCK_BAD_PARENT",
    },
  ];

  it.each(cases)("$name -> $code", (c) => {
    expect(codeOf(() => engine.verifyHeader(c.header(), c.parent ?? tip, tree, now))).toBe(c.code);
  });

  it("rejects a hash above a hard target with BLOCK_BAD_SEAL", () => {
    const hard = memoryChain(hardGenesis());
    let header = childHeader(hard.engine, hard.tree, hard.genesisMeta);
    for (let nonce = 1; isPowSealed(header); nonce++) {
      header = { ...header, engine: encodePowFields({ ...decodePowFields(header.engine), nonce }) };
    }
    expect(codeOf(() => hard.engine.verifyHeader(header, hard.genesisMeta, hard.tree, now))).toBe(
      "BLOCK_BAD_SEAL",
    );
  });

  it("expects the genesis bits for the first block of a chain anchored at genesis", () => {
    const hard = memoryChain(hardGenesis());
    expect(decodePowFields(hard.engine.prepareFields(hard.genesisMeta, hard.tree)).bits).toBe(0x1d00ffff);
  });
});

describe("PowEngine.verifyBody", () => {
  const { engine } = memoryChain(easyGenesis([]));
  const block = (engineBody: Uint8Array): Block => ({
    header: {} as Header,
    txs: [],
    engineBody,
  });

  it("accepts an empty engine body", () => {
    expect(codeOf(() => engine.verifyBodyCommitment(block(new Uint8Array(0))))).toBe("OK");
  });

  it("refuses any engine body byte as BLOCK_BODY_MISMATCH (the header commits to an empty one)", () => {
    expect(codeOf(() => engine.verifyBodyCommitment(block(Uint8Array.of(0))))).toBe("BLOCK_BODY_MISMATCH");
  });
});

describe("PoW rewards", () => {
  const params: PowParams = { ...defaultPowParams(), blockReward: 5000n, halvingInterval: 100 };

  it.each([
    [0, 5000n],
    [99, 5000n],
    [100, 2500n],
    [199, 2500n],
    [200, 1250n],
    [100 * 12, 1n],
    [100 * 13, 0n],
    [100 * 64, 0n],
    [100 * 1000, 0n],
  ])("at height %i the reward is %s", (height, reward) => {
    expect(blockReward(params, height)).toBe(reward);
  });

  it("never halves with halvingInterval 0", () => {
    expect(blockReward({ ...params, halvingInterval: 0 }, 1e12)).toBe(5000n);
  });

  function applied(height: number, fees: bigint, p: Partial<PowParams> = {}): MemoryState {
    const g = easyGenesis([]);
    const genesis = {
      ...g,
      consensus: {
        type: "pow",
        params: { ...powParamsToJson({ ...params, ...p }), initialBits: "0x207fffff" },
      },
    };
    const { engine, tree } = memoryChain(genesis);
    const overlay = new StateOverlay(new MemoryState());
    const block = {
      header: { ...tree.genesis().header, height, beneficiary: miner.addressBytes },
      txs: [],
      engineBody: new Uint8Array(0),
    };
    engine.applyBlock(block, overlay, { view: tree, parent: tree.genesis(), fees });
    const out = new MemoryState();
    out.apply(overlay.changes());
    return out;
  }

  const balanceIn = (s: MemoryState): bigint => new StateOverlay(s).getAccount(miner.addressBytes).balance;

  it("credits the reward plus the block's fees to the beneficiary", () => {
    expect(balanceIn(applied(1, 37n))).toBe(5000n + 37n);
  });

  it("credits the halved reward after a halving", () => {
    expect(balanceIn(applied(150, 0n))).toBe(2500n);
  });

  it("credits only the fees once rewards have run out", () => {
    expect(balanceIn(applied(100 * 64, 9n))).toBe(9n);
  });

  it("creates no beneficiary account when reward and fees are both zero", () => {
    expect(applied(1, 0n, { blockReward: 0n }).get(accountKey(miner.addressBytes))).toBeUndefined();
  });
});

describe("PoW fork choice", () => {
  const { engine, tree, genesisMeta } = memoryChain(easyGenesis([]));
  const meta = (id: number, height: number, work: bigint): BlockMeta => ({
    hash: new Uint8Array(32).fill(id),
    header: { ...genesisMeta.header, height },
    engineMeta: encodeWork(work),
  });
  const fresh = () => engine.createForkChoice(tree, { head: genesisMeta, blocks: [] });

  it("prefers more cumulative work over more blocks", () => {
    const fc = fresh();
    for (const m of [meta(5, 5, 100n), meta(2, 2, 101n)]) fc.onBlock(m);
    expect(fc.getHead().header.height).toBe(2);
  });

  it("keeps less cumulative work out despite more blocks", () => {
    const fc = fresh();
    for (const m of [meta(2, 2, 101n), meta(5, 5, 100n)]) fc.onBlock(m);
    expect(fc.getHead().header.height).toBe(2);
  });

  it("keeps the first seen of two equal-work tips", () => {
    const fc = fresh();
    for (const m of [meta(3, 3, 100n), meta(4, 4, 100n)]) fc.onBlock(m);
    expect(fc.getHead().header.height).toBe(3);
  });

  it("restores the stored head first, so an equal-work tip does not replace it after a restart", () => {
    const stored = meta(4, 4, 100n);
    const fc = engine.createForkChoice(tree, { head: stored, blocks: [meta(3, 3, 100n), stored] });
    expect(fc.getHead().header.height).toBe(4);
  });

  it("weighs a block by the work of its target", () => {
    const header = sealPow(childHeader(engine, tree, genesisMeta));
    expect(engine.blockWork(header)).toBe(workForTarget(compactToTarget(0x207fffff)!));
  });

  it("weighs a harder block more", () => {
    const easy = withBits(genesisMeta.header, 0x207fffff);
    const hard = withBits(genesisMeta.header, 0x1d00ffff);
    expect(engine.blockWork(hard) > engine.blockWork(easy)).toBe(true);
  });

  it("never finalizes: genesis is the finalized block", () => {
    expect(fresh().finalized().height).toBe(0);
  });

  it("admits a side branch within the work margin and refuses one far behind, blamelessly", () => {
    const fc = fresh();
    const unit = engine.blockWork(withBits(genesisMeta.header, 0x207fffff));
    fc.onBlock(meta(9, 100, unit * 100n));
    const child = withBits(genesisMeta.header, 0x207fffff);
    const near = fc.admits(meta(7, 50, unit * 50n), child);
    const far = fc.admits(meta(8, 10, unit * 10n), child);
    expect([near, far?.code, far?.senderAtFault]).toEqual([undefined, "BLOCK_LOW_WORK_FORK", false]);
  });

  it("says a peer is ahead only with more work, and never for a malformed weight", () => {
    const status = (weight: Uint8Array) => ({
      headHash: new Uint8Array(32),
      headHeight: 1,
      finalized: { height: 0, hash: new Uint8Array(32) },
      weight,
    });
    expect([
      engine.isAhead(status(encodeWork(5n)), status(encodeWork(6n))),
      engine.isAhead(status(encodeWork(6n)), status(encodeWork(6n))),
      engine.isAhead(status(encodeWork(6n)), status(Uint8Array.of(0, 7))),
    ]).toEqual([true, false, false]);
  });
});

describe("PoW params", () => {
  const valid = (): Record<string, Json> => powParamsToJson(defaultPowParams());

  it.each([
    ["an unknown parameter", { ...valid(), retargetWindow: 10 }, "retargetWindow"],
    ["a missing blockReward", { ...valid(), blockReward: undefined as unknown as Json }, "blockReward"],
    ["a numeric blockReward", { ...valid(), blockReward: 50 }, "blockReward"],
    ["a block time below 10 ms", { ...valid(), targetBlockTimeMs: 5 }, "targetBlockTimeMs"],
    ["a half-life below 1 s", { ...valid(), halfLifeMs: 999 }, "halfLifeMs"],
    ["bits that are not hex", { ...valid(), initialBits: "1d00ffff" }, "initialBits"],
    ["non-canonical bits", { ...valid(), initialBits: "0x1d000fff" }, "initialBits"],
    ["negative bits", { ...valid(), powLimitBits: "0x04923456" }, "powLimitBits"],
    ["an initial target easier than the limit", { ...valid(), powLimitBits: "0x1d00ffff" }, "initialBits"],
    ["a negative drift", { ...valid(), maxFutureDriftMs: -1 }, "maxFutureDriftMs"],
  ])("reject %s, naming the field", (_name, raw, field) => {
    const clean = JSON.parse(JSON.stringify(raw)) as Record<string, Json>;
    let error: unknown;
    try {
      parsePowParams(clean);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: "CONSENSUS_BAD_PARAMS", data: { field } });
  });

  it("round-trip through genesis JSON", () => {
    expect(parsePowParams(powParamsToJson(defaultPowParams(1234)))).toEqual(defaultPowParams(1234));
  });
});

describe("PoW status and fields", () => {
  const { engine, tree } = memoryChain(easyGenesis([]));

  it("describes the header fields in readable form", () => {
    expect(engine.describeFields(tree.genesis().header)).toEqual({
      bits: "0x207fffff",
      extraNonce: "0",
      nonce: 0,
      work: "2",
    });
  });

  it("reports type, bits and that it is not mining", () => {
    expect(engine.status(tree)).toMatchObject({
      type: "pow",
      bits: "0x207fffff",
      mining: false,
      headHeight: 0,
    });
  });
});
