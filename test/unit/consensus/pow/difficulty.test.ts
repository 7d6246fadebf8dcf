import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockTree } from "../../../../src/chain/block-tree.ts";
import type { BlockMeta } from "../../../../src/consensus/engine.ts";
import {
  type AsertInput,
  asertTarget,
  compactToTarget,
  TWO_256,
  targetForHashes,
  targetToCompact,
  workForTarget,
} from "../../../../src/consensus/pow/difficulty.ts";
import { PowEngine } from "../../../../src/consensus/pow/engine.ts";
import { defaultPowParams, powParamsToJson } from "../../../../src/consensus/pow/params.ts";
import type { Header } from "../../../../src/core/block.ts";
import type { Genesis } from "../../../../src/core/genesis.ts";
import { sha256, utf8 } from "../../../../src/core/hash.ts";
import { exponential, mulberry32 } from "../../../helpers/prng.ts";

const hex = (n: bigint): string => n.toString(16).padStart(64, "0");

describe("compact bits", () => {
  it("decode Bitcoin's genesis bits 0x1d00ffff", () => {
    expect(hex(compactToTarget(0x1d00ffff)!)).toBe(
      "00000000ffff0000000000000000000000000000000000000000000000000000",
    );
  });

  it("decode 0x1b0404cb (Bitcoin block 100,000 era)", () => {
    expect(hex(compactToTarget(0x1b0404cb)!)).toBe(
      "00000000000404cb000000000000000000000000000000000000000000000000",
    );
  });

  // Bitcoin Core's arith_uint256 SetCompact/GetCompact vectors (those with a valid positive target).
  it.each(
    [
      [0x1d00ffff, 0x1d00ffff],
      [0x1b0404cb, 0x1b0404cb],
      [0x207fffff, 0x207fffff],
      [0x01123456, 0x01120000],
      [0x02123456, 0x02123400],
      [0x03123456, 0x03123456],
      [0x04123456, 0x04123456],
      [0x05009234, 0x05009234],
      [0x20123456, 0x20123456],
    ].map(([bits, canonical]) => ({ bits: bits!, canonical: canonical!, name: `0x${bits!.toString(16)}` })),
  )("$name decodes and re-encodes to its canonical form", ({ bits, canonical }) => {
    expect(targetToCompact(compactToTarget(bits)!)).toBe(canonical);
  });

  it.each([
    ["sign bit with a non-zero mantissa", 0x04923456],
    ["negative 0x01fedcba", 0x01fedcba],
    ["overflow past 256 bits", 0xff123456],
    ["overflow at exponent 34", 0x22000100],
  ])("reject %s", (_name, bits) => {
    expect(compactToTarget(bits)).toBeNull();
  });

  it("encode 0x80 with a zero byte instead of the sign bit (0x02008000)", () => {
    expect(targetToCompact(0x80n)).toBe(0x02008000);
  });

  it("encode any target with the sign bit clear", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: TWO_256 - 1n }), (t) => {
        expect(targetToCompact(t) & 0x00800000).toBe(0);
      }),
    );
  });

  it("round a target down, losing less than one part in 2^15", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: TWO_256 - 1n }), (t) => {
        const back = compactToTarget(targetToCompact(t))!;
        expect(back <= t && (t - back) * 32768n <= t).toBe(true);
      }),
    );
  });

  it("re-encode every decoded target to the same bits (canonical)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: TWO_256 - 1n }), (t) => {
        const bits = targetToCompact(t);
        expect(targetToCompact(compactToTarget(bits)!)).toBe(bits);
      }),
    );
  });
});

describe("work", () => {
  it("of Bitcoin's genesis target is 0x100010001 hashes (its chainwork)", () => {
    expect(workForTarget(compactToTarget(0x1d00ffff)!)).toBe(0x100010001n);
  });

  it("of the regtest limit 0x207fffff is 2 hashes", () => {
    expect(workForTarget(compactToTarget(0x207fffff)!)).toBe(2n);
  });

  it("of the largest target is 1 hash", () => {
    expect(workForTarget(TWO_256 - 1n)).toBe(1n);
  });

  it("doubles when the target halves", () => {
    const t = compactToTarget(0x1d00ffff)!;
    const ratio = Number(workForTarget(t / 2n)) / Number(workForTarget(t));
    expect(ratio).toBeCloseTo(2, 6);
  });

  it("of targetForHashes(n) is n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (n) => {
        expect(workForTarget(targetForHashes(n))).toBe(BigInt(n));
      }),
    );
  });
});

const T = 2000;
const HALF_LIFE = 64_000;
const ANCHOR = compactToTarget(0x1d00ffff)!;
const POW_LIMIT = compactToTarget(0x207fffff)!;

/** ASERT for the block after a parent at `height`, `deviationMs` behind (+) or ahead (-) of schedule. */
function asertAt(height: number, deviationMs: number, over: Partial<AsertInput> = {}): bigint {
  return asertTarget({
    anchorTarget: ANCHOR,
    anchorTimestamp: 1_000_000,
    anchorHeight: 0,
    parentTimestamp: 1_000_000 + height * T + deviationMs,
    parentHeight: height,
    targetBlockTimeMs: T,
    halfLifeMs: HALF_LIFE,
    powLimit: POW_LIMIT,
    ...over,
  });
}

/** target / anchor as a float. */
const ratio = (t: bigint): number => Number((t * 1_000_000_000n) / ANCHOR) / 1e9;

describe("ASERT", () => {
  it("keeps the anchor target when the chain is exactly on schedule", () => {
    expect(asertAt(500, 0)).toBe(ANCHOR);
  });

  it("doubles the target one half-life behind schedule", () => {
    expect(asertAt(500, HALF_LIFE)).toBe(ANCHOR * 2n);
  });

  it("halves the target one half-life ahead of schedule", () => {
    expect(asertAt(500, -HALF_LIFE)).toBe(ANCHOR / 2n);
  });

  it("multiplies the target by 2^k for k whole half-lives", () => {
    expect([asertAt(10, 3 * HALF_LIFE), asertAt(10, -3 * HALF_LIFE)]).toEqual([ANCHOR * 8n, ANCHOR / 8n]);
  });

  it("approximates 2^(deviation/half-life) within 0.013% between whole half-lives", () => {
    fc.assert(
      fc.property(fc.integer({ min: -4 * HALF_LIFE, max: 4 * HALF_LIFE }), (deviation) => {
        const ideal = 2 ** (deviation / HALF_LIFE);
        expect(Math.abs(ratio(asertAt(100, deviation)) / ideal - 1)).toBeLessThan(0.00013 + 1e-6);
      }),
    );
  });

  it("never lowers the target when the parent comes later", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * HALF_LIFE, max: 10 * HALF_LIFE }),
        fc.integer({ min: 1, max: HALF_LIFE }),
        (deviation, later) => {
          expect(asertAt(100, deviation + later) >= asertAt(100, deviation)).toBe(true);
        },
      ),
    );
  });

  it("clamps to powLimit far behind schedule", () => {
    expect(asertAt(10, 1000 * HALF_LIFE)).toBe(POW_LIMIT);
  });

  it("clamps to 1 (never zero) far ahead of schedule", () => {
    expect(asertAt(1_000_000, -T * 999_999)).toBe(1n);
  });

  it("clamps to powLimit for a genesis decades old with a short half-life", () => {
    // 50 years behind with a 1 s half-life: 2^(1.6e9) must not be computed as a BigInt.
    const fiftyYears = 50 * 365 * 86_400_000;
    expect(asertAt(1, fiftyYears, { halfLifeMs: 1000 })).toBe(POW_LIMIT);
  });
});

/** A PoW genesis whose initial target takes `hashesPerBlock` hashes, anchored at time 0-ish. */
function simulationGenesis(hashesPerBlock: number): Genesis {
  const params = defaultPowParams(T);
  params.initialBits = targetToCompact(targetForHashes(hashesPerBlock));
  return {
    chainId: 1,
    timestamp: 1_700_000_000_000,
    minFee: 0n,
    consensus: { type: "pow", params: powParamsToJson(params) },
    alloc: {},
  };
}

interface SimulatedBlock {
  height: number;
  /** Milliseconds since its parent. */
  interval: number;
  work: bigint;
}

/**
 * Mines a simulated chain through the real engine's expectedBits: each block's time is exponential
 * with mean (work of its target) / hashrate. Hashrate is in hashes per millisecond, per phase.
 */
function simulate(phases: { hashrate: number; blocks: number }[], seed: number): SimulatedBlock[][] {
  const initialHashrate = phases[0]!.hashrate;
  const genesis = simulationGenesis(initialHashrate * T);
  const engine = new PowEngine(genesis);
  const genesisHeader: Header = {
    version: 1,
    height: 0,
    parentHash: new Uint8Array(32),
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    beneficiary: new Uint8Array(20),
    timestamp: genesis.timestamp,
    engine: engine.genesisFields(),
  };
  const view = new BlockTree({
    hash: sha256(utf8("sim genesis")),
    header: genesisHeader,
    engineMeta: new Uint8Array(0),
  });
  const random = mulberry32(seed);
  let parent: BlockMeta = view.genesis();
  const out: SimulatedBlock[][] = [];
  for (const phase of phases) {
    const blocks: SimulatedBlock[] = [];
    for (let i = 0; i < phase.blocks; i++) {
      const bits = engine.expectedBits(parent, view);
      const work = workForTarget(compactToTarget(bits)!);
      const interval = Math.max(1, Math.round(exponential(random, Number(work) / phase.hashrate)));
      const header: Header = {
        ...parent.header,
        height: parent.header.height + 1,
        timestamp: parent.header.timestamp + interval,
      };
      parent = { hash: sha256(utf8(`sim ${header.height}`)), header, engineMeta: new Uint8Array(0) };
      blocks.push({ height: header.height, interval, work });
    }
    out.push(blocks);
  }
  return out;
}

const meanInterval = (blocks: SimulatedBlock[]): number =>
  blocks.reduce((s, b) => s + b.interval, 0) / blocks.length;
const meanWork = (blocks: SimulatedBlock[]): number =>
  blocks.reduce((s, b) => s + Number(b.work), 0) / blocks.length;

describe("ASERT under hashrate steps (simulation, 1 MH/s, x10, then /10)", () => {
  const H = 1000; // hashes per ms
  const BLOCKS = 400;
  const TAIL = 200;
  const [steady, up, down] = simulate(
    [
      { hashrate: H, blocks: BLOCKS },
      { hashrate: 10 * H, blocks: BLOCKS },
      { hashrate: H, blocks: BLOCKS },
    ],
    0x5eed,
  ) as [SimulatedBlock[], SimulatedBlock[], SimulatedBlock[]];

  it("keeps the mean block time within 20% of the target at constant hashrate", () => {
    expect(Math.abs(meanInterval(steady.slice(-TAIL)) / T - 1)).toBeLessThan(0.2);
  });

  it("returns to within 20% of the target block time after hashrate x10", () => {
    expect(Math.abs(meanInterval(up.slice(-TAIL)) / T - 1)).toBeLessThan(0.2);
  });

  it("returns to within 20% of the target block time after hashrate /10", () => {
    expect(Math.abs(meanInterval(down.slice(-TAIL)) / T - 1)).toBeLessThan(0.2);
  });

  it("raises the work per block about tenfold after hashrate x10", () => {
    const factor = meanWork(up.slice(-TAIL)) / meanWork(steady.slice(-TAIL));
    expect(factor).toBeGreaterThan(6.5);
    expect(factor).toBeLessThan(15);
  });

  it("blocks come about ten times too fast right after the x10 step", () => {
    expect(meanInterval(up.slice(0, 10)) / T).toBeLessThan(0.3);
  });
});
