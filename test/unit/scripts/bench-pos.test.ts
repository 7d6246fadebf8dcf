/**
 * Smoke test of `npm run bench:pos` (tiny sizes, no real nodes): the JSON it prints is consistent
 * with the run it describes. Behaviour only, no timing figures are asserted beyond being positive.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../../scripts/bench-pos.ts", import.meta.url));

describe("bench:pos", { timeout: 60_000 }, () => {
  it("prints per-size throughput next to the raw verify rate, and the sim's finality", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      script,
      "--validators",
      "4,8",
      "--epochs",
      "5",
      "--min-attestations",
      "0",
      "--no-nodes",
      "--json",
    ]);
    const out = JSON.parse(stdout) as {
      sizes: {
        validators: number;
        attestations: number;
        inclusionAttestations: number;
        inclusionBlocks: number;
        gossipPerSecond: number;
        rawVerifyPerSecond: number;
        gossipVsRawVerify: number;
        finalitySim: { firstFinalizedSlot?: number; firstFinalizedEpoch?: number; slotsPerEpoch: number };
      }[];
      finalityNodes4?: unknown;
    };
    expect(out.finalityNodes4).toBeUndefined();
    expect(out.sizes.map((s) => s.validators)).toEqual([4, 8]);
    for (const s of out.sizes) {
      // Each validator votes once an epoch; votes of slot 0 and of the last epoch's tail are not cast or included.
      expect(s.attestations).toBeGreaterThan(s.validators * 3);
      expect(s.attestations).toBeLessThanOrEqual(s.validators * 5);
      expect(s.inclusionBlocks).toBe(4);
      expect(s.inclusionAttestations).toBeGreaterThan(0);
      expect(s.inclusionAttestations).toBeLessThanOrEqual(s.attestations);
      expect(s.gossipPerSecond).toBeGreaterThan(0);
      expect(s.gossipVsRawVerify).toBeCloseTo(s.gossipPerSecond / s.rawVerifyPerSecond, 6);
      // Every validator online: the first checkpoint finalizes at an epoch boundary.
      expect(s.finalitySim.firstFinalizedEpoch).toBeGreaterThan(0);
      expect(s.finalitySim.firstFinalizedSlot! % s.finalitySim.slotsPerEpoch).toBe(0);
    }
  });
});
