/**
 * pos-majority --quick on real in-process PoS nodes (shares 0.2 and 0.7): finality halts only above
 * 1/3, the partitioned attacker finalizes alone only at 2/3 or more, the transfer is kept off the
 * canonical chain only above 1/2, and stake is burned (never negatively) only where the leak ran.
 */
import { expect, it } from "vitest";
import { defaultPosParams, type PosParams } from "../../../src/consensus/pos/params.ts";
import { genesisLeak, theoryOf } from "../../../src/experiments/adversary/pos-majority.ts";
import { quickRunner } from "./quick-run.ts";

const runQuick = quickRunner();

const COIN = 1_0000_0000n;

/** Ten equal validators with the scenario's quick genesis (fast leak, leak after 8 epochs). */
function tenValidators(): PosParams {
  return {
    ...defaultPosParams(300, 4),
    inactivityPenaltyQuotient: 16,
    minEpochsToInactivityPenalty: 8,
    validators: Array.from({ length: 10 }, (_, i) => ({
      publicKey: new Uint8Array(32).fill(i + 1),
      stake: 32n * COIN,
      withdrawal: new Uint8Array(20).fill(i + 1),
    })),
  };
}

it("the leak predicted by iterating epoch.ts is needed exactly above a third, and drains the absent below it", () => {
  const params = tenValidators();
  const normal = genesisLeak(params, 0, 60);
  expect(normal.leakEpochs).toBe(0);
  let previous = normal.restoreEpochs!;
  for (let a = 1; a < 10; a++) {
    const p = genesisLeak(params, a, 60);
    expect(p.restoreEpochs).toBeDefined();
    // The leak runs iff the present stake is short of 2/3; with it, finality comes back later.
    expect(p.leakEpochs > 0).toBe(theoryOf(a / 10).halts);
    expect(p.restoreEpochs!).toBeGreaterThanOrEqual(previous);
    previous = p.restoreEpochs!;
    const last = p.steps[p.steps.length - 1]!;
    if (p.leakEpochs > 0) {
      expect(last.absentStake).toBeLessThan(BigInt(a) * 32n * COIN);
      expect(last.absentMaxScore).toBeGreaterThan(0);
    } else {
      expect(last.absentStake).toBe(BigInt(a) * 32n * COIN);
    }
  }
});

interface Burn {
  attacker: { burned: string; rewarded: string };
  honest: { burned: string; rewarded: string };
}

it("pos-majority --quick: halting, finalizing alone and censoring at the stake thresholds, burn only where the leak ran", async () => {
  const { json, read } = await runQuick("pos-majority", 11);
  expect(json.points.map((p: { coords: { share: number } }) => p.coords.share)).toEqual([0.2, 0.7]);
  expect(json.trials.length).toBe(2);
  for (const t of json.trials) {
    const d = t.data;
    const share = d.share as number;
    // Halting finality by abstaining: only above a third of the stake; the leak is what halting starts.
    expect(d.halted).toBe(3 * share > 1);
    expect(t.success).toBe(d.halted);
    expect(d.leakRan).toBe(d.halted);
    if (d.halted) {
      // The prediction from epoch.ts also says the leak is needed, and it drains the attacker.
      expect(d.predictedLeakEpochs).toBeGreaterThan(0);
      expect(BigInt(d.attackerStakeEnd)).toBeLessThan(BigInt(d.attackerStakeStart));
    } else {
      expect(d.predictedLeakEpochs).toBe(0);
      expect(d.restoreEpochs).not.toBeNull();
      expect(d.attackerInactivityScore).toBe(0);
    }
    // Finalizing alone while partitioned: only with two thirds or more.
    expect(d.finalizedAlone).toBe(3 * share >= 2);
    expect(d.attackerFinalizedInPartition >= d.partitionEpoch).toBe(d.finalizedAlone);
    // Censoring: honest proposers include the transfer on their branch; only a heavier attacker's
    // branch keeps it off the canonical chain after the heal.
    expect(d.txOnHonestBranch).toBe(true);
    expect(d.censored).toBe(2 * share > 1);
    expect(d.keptBranch).toBe(d.censored ? "attacker" : "honest");
    if (!d.censored) expect(d.inclusionDelaySlots).not.toBeNull();
    // Stake burned: reported, non-negative, a loss only where the leak ran.
    for (const [phase, leak] of [
      ["burnedInAbstention", d.leakRan],
      ["burnedInPartition", d.leakInPartition],
    ] as const) {
      const b = d[phase] as Burn;
      for (const side of [b.attacker, b.honest]) {
        expect(BigInt(side.burned)).toBeGreaterThanOrEqual(0n);
        expect(BigInt(side.rewarded)).toBeGreaterThanOrEqual(0n);
        if (!leak) expect(side.burned).toBe("0");
      }
      if (phase === "burnedInAbstention") expect(BigInt(b.attacker.burned) > 0n).toBe(leak);
    }
  }
  expect(json.metrics.byShare.length).toBe(2);
  const md = await read("report.md");
  expect(md).toContain("| s (share) | halts? (theory)");
  const svg = await read("pos-majority.svg");
  expect(svg).toContain("attacker stake share s");
  expect(await read("pos-majority-leak.svg")).toContain("Epochs until honest finality returns");
}, 240_000);
