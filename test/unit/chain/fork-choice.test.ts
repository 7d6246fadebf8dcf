import { describe, expect, it } from "vitest";
import type { Chain } from "../../../src/chain/chain.ts";
import { decodePowFields } from "../../../src/consensus/pow/layout.ts";
import { defaultPowParams, powParamsToJson } from "../../../src/consensus/pow/params.ts";
import { decodeWork } from "../../../src/consensus/pow/work.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import type { Genesis } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { cleanupAfterEach, importAll, mineOn, openChain } from "../../helpers/chain.ts";

/** Easy targets, 3 s blocks and the shortest half-life: a block 3 s early is 8 times harder. */
function steepGenesis(): Genesis {
  const params = { ...defaultPowParams(3000), halfLifeMs: 1000, maxFutureDriftMs: 60_000 };
  params.initialBits = 0x207fffff;
  params.powLimitBits = 0x207fffff;
  return {
    chainId: 1337,
    timestamp: 1_700_000_000_000,
    minFee: 1n,
    consensus: { type: "pow", params: powParamsToJson(params) },
    alloc: {},
  };
}

const genesis = steepGenesis();

/** Mines and imports one block per timestamp offset (from genesis) on the chain's head. */
async function mineAt(chain: Chain, offsets: number[]): Promise<Block[]> {
  const out: Block[] = [];
  for (const offset of offsets) {
    const block = mineOn(chain, { timestamp: genesis.timestamp + offset });
    await chain.importBlock(block);
    out.push(block);
  }
  return out;
}

describe("fork choice by cumulative work", () => {
  const defer = cleanupAfterEach();

  /** A long branch of three on-schedule blocks, and a short branch of two blocks mined 1 ms apart. */
  async function twoBranches() {
    const long = await openChain(genesis, defer);
    const short = await openChain(genesis, defer);
    const longBlocks = await mineAt(long.chain, [3000, 6000, 9000]);
    const shortBlocks = await mineAt(short.chain, [1, 2]);
    return { long, short, longBlocks, shortBlocks };
  }

  it("makes the early second block of the short branch harder than an on-schedule block", async () => {
    const { longBlocks, shortBlocks } = await twoBranches();
    const bits = (b: Block): number => decodePowFields(b.header.engine).bits;
    expect(bits(shortBlocks[1]!)).toBeLessThan(bits(longBlocks[1]!));
  });

  it("gives the two-block branch more cumulative work than the three-block branch", async () => {
    const { long, short } = await twoBranches();
    expect(decodeWork(short.chain.head().engineMeta) > decodeWork(long.chain.head().engineMeta)).toBe(true);
  });

  it("reorgs a node on the longer branch to the shorter, heavier one", async () => {
    const { long, short, shortBlocks } = await twoBranches();
    await importAll(long.chain, shortBlocks);
    expect(toHex(long.chain.head().hash)).toBe(toHex(short.chain.head().hash));
  });

  it("drops the stored canonical entries above the shorter new head", async () => {
    const { long, shortBlocks } = await twoBranches();
    await importAll(long.chain, shortBlocks);
    const heights: number[] = [];
    for await (const { height } of long.chain.store.canonical()) heights.push(height);
    expect(heights).toEqual([0, 1, 2]);
  });

  it("keeps a node on the heavier branch when the longer, lighter branch arrives", async () => {
    const { short, longBlocks } = await twoBranches();
    expect(await importAll(short.chain, longBlocks)).toEqual(["side", "side", "side"]);
  });

  it("ends both nodes on the same head whatever the arrival order", async () => {
    const { long, short, longBlocks, shortBlocks } = await twoBranches();
    await importAll(long.chain, shortBlocks);
    await importAll(short.chain, longBlocks);
    const tip = toHex(headerHash(shortBlocks[1]!.header));
    expect([toHex(long.chain.head().hash), toHex(short.chain.head().hash)]).toEqual([tip, tip]);
  });
});
