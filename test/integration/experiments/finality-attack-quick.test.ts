/**
 * finality-attack --quick on real in-process PoS nodes: below 1/3 of the stake the double voters
 * never get conflicting checkpoints finalized; any conflicting finality comes with at least 1/3 of
 * the stake provably slashable, re-verified from both chains' votes; only double voters are slashable.
 */
import { expect, it } from "vitest";
import {
  attackSplit,
  conflictingFinalityPossible,
} from "../../../src/experiments/scenarios/finality-attack.ts";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("finality-attack --quick: conflicting finality only at >= 1/3, and then >= 1/3 of the stake provably slashable", async () => {
  const { report, json, read } = await run("finality-attack", 31);
  expect(json.trials).toHaveLength(report.points.length * report.trialsPerPoint);
  for (const t of json.trials) {
    const d = t.data;
    expect(d.possible).toBe(conflictingFinalityPossible(d.validators, d.s));
    expect(d.attackers).toBe(attackSplit(d.validators, d.s).k);
    // FFG: below a third no pair of conflicting checkpoints is ever finalized.
    if (d.attackerShare < 1 / 3) expect(d.conflicting).toBe(false);
    // A side without 2/3 voting on it never finalized past the split.
    if (d.shareVotingB < 2 / 3) expect(d.finalizedB.epoch).toBe(d.finalizedAtSplit);
    // Accountable safety, independently re-verified signatures.
    if (d.conflicting) {
      expect(3 * d.provenShare).toBeGreaterThanOrEqual(1);
      expect(d.unproven).toEqual([]);
    }
    expect(d.accountable).toBe(true);
    // Only the keys that signed on both sides are ever slashable; every double voter that voted on both chains is.
    expect(d.honestSlashable).toEqual([]);
    for (const i of d.provenSlashable) expect(i).toBeLessThan(d.attackers);
    expect(d.votesA).toBeGreaterThan(0);
    expect(d.votesB).toBeGreaterThan(0);
  }
  // The quick sweep has a point above the threshold where theory says both sides finalize: it happened.
  const above = json.trials.filter((t: { data: { possible: boolean } }) => t.data.possible);
  expect(above.length).toBeGreaterThan(0);
  for (const t of above) {
    expect(t.data.conflicting).toBe(true);
    expect(t.data.provenSlashable).toHaveLength(t.data.attackers);
  }
  expect(json.metrics.violations).toEqual({ conflictBelowThird: 0, conflictWithoutAccountability: 0 });
  expect((await read("finality-attack.svg")).startsWith("<svg")).toBe(true);
}, 150_000);
