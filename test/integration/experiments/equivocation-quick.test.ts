/** equivocation --quick on real in-process PoS nodes: exactly the offenders are slashed, every amount equals what the genesis parameters predict, and honest finality goes on. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("equivocation --quick slashes exactly the equivocating node's validators by the genesis formulas while honest finality advances", async () => {
  const { json } = await run("equivocation", 5);
  expect(json.trials).toHaveLength(1);
  const d = json.trials[0].data;
  // Exactly the offenders, on every honest node.
  expect(d.offenders.length).toBeGreaterThan(0);
  for (const s of d.slashedOnHonestNodes) expect(s).toEqual(d.offenders);
  expect(d.onlyOffendersSlashed).toBe(true);
  // Each offender: evidence seen and included after its offence, initial penalty as predicted.
  for (const r of d.perOffender) {
    expect(r.included).toBe(true);
    expect(r.detectionMs).toBeGreaterThanOrEqual(0);
    expect(r.inclusionMs).toBeGreaterThan(0);
    expect(BigInt(r.penaltyExpected)).toBeGreaterThan(0n);
    expect(r.penaltyMeasured).toBe(r.penaltyExpected);
  }
  // The including proposer's beneficiary received whistleblower + proposer rewards (+ fees), as predicted.
  expect(d.rewards.length).toBeGreaterThan(0);
  for (const r of d.rewards) {
    expect(BigInt(r.receivedExpected)).toBeGreaterThan(0n);
    expect(r.receivedMeasured).toBe(r.receivedExpected);
  }
  // The correlation penalty, halfway through the slashing window, as predicted.
  expect(d.correlationReached).toBe(true);
  expect(d.correlation).toHaveLength(d.offenders.length);
  for (const c of d.correlation) {
    expect(BigInt(c.expected)).toBeGreaterThan(0n);
    expect(c.measured).toBe(c.expected);
  }
  // Honest finality went on past the offence.
  expect(d.finalityAdvanced).toBe(true);
  expect(d.finalizedAfter).toBeGreaterThan(d.finalizedBefore);
  expect(json.metrics.trialsPenaltiesExact).toBe(1);
  expect(json.metrics.trialsRewardsExact).toBe(1);
}, 120_000);
