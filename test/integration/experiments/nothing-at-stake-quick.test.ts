/** nothing-at-stake --quick on real in-process PoS nodes: the same fork-voting strategy is free with slashing off and costs stake with it on. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("nothing-at-stake --quick: voting on both branches costs nothing without slashing and stake with it; forks, votes and lifetimes are measured", async () => {
  const { json, read } = await run("nothing-at-stake", 11);
  const bySlashing = (on: boolean) =>
    json.trials.filter((t: { data: { slashing: boolean } }) => t.data.slashing === on);
  const [off] = bySlashing(false);
  const [on] = bySlashing(true);
  expect(off).toBeDefined();
  expect(on).toBeDefined();
  for (const t of [off, on]) {
    const d = t.data;
    // A real fork: both sides built blocks, and the multi-voters voted on both branches.
    expect(d.forked).toBe(true);
    expect(d.branchBlocks.A).toBeGreaterThan(0);
    expect(d.branchBlocks.B).toBeGreaterThan(0);
    expect(d.votesPerBranch.A.multiVoter).toBeGreaterThan(0);
    expect(d.votesPerBranch.B.multiVoter).toBeGreaterThan(0);
    expect(d.votesPerBranch.A.honest + d.votesPerBranch.B.honest).toBeGreaterThan(0);
    // Only the multi-voters signed on both branches, and the slasher found exactly them.
    expect(d.doubleVotes).toBeGreaterThan(0);
    expect(d.honestDoubleVotes).toBe(0);
    expect(d.doubleVoters).toEqual(d.multiVoters);
    expect(d.slasherFound).toEqual(d.multiVoters);
    expect(typeof d.converged).toBe("boolean");
    if (d.converged) expect(d.convergenceMs).toBeGreaterThanOrEqual(0);
    if (d.agreeAtEnd) expect(d.losingVotesAfterHealMs).toBeGreaterThanOrEqual(0);
    expect(d.votedAfterHealMs.A).toBeGreaterThanOrEqual(0);
    expect(d.votedAfterHealMs.B).toBeGreaterThanOrEqual(0);
    expect(d.headsAtEnd).toBeGreaterThanOrEqual(1);
  }
  // Slashing off: the strategy is free (no slashing, no stake lost).
  expect(off.data.slashedOnNodes.every((s: number[]) => s.length === 0)).toBe(true);
  expect(off.data.multiVoterCost).toBe("0");
  expect(off.success).toBe(false);
  // Slashing on: the multi-voters are slashed and lose at least the predicted initial penalties.
  for (const s of on.data.slashedOnNodes) expect(s).toEqual(on.data.multiVoters);
  expect(BigInt(on.data.expectedInitialPenalties)).toBeGreaterThan(0n);
  const cost = BigInt(on.data.multiVoterCost);
  const predicted = BigInt(on.data.expectedInitialPenalties);
  expect(cost).toBeGreaterThan(0n);
  if (on.data.correlationReached) expect(cost).toBeGreaterThan(predicted);
  else {
    // The initial penalties, less at most one attestation reward per multi-voter and epoch before its slashing.
    const rewards =
      BigInt(on.data.attestationReward) * BigInt(on.data.multiVoters.length * (on.data.epochsAfterHeal + 1));
    expect(cost).toBeLessThanOrEqual(predicted);
    expect(cost).toBeGreaterThanOrEqual(predicted - rewards);
  }
  expect(on.success).toBe(true);
  // One report, two columns.
  expect(json.metrics.slashingOff.multiVoterCost).toBe("0");
  expect(BigInt(json.metrics.slashingOn.multiVoterCost)).toBeGreaterThan(0n);
  const md = await read("report.md");
  expect(md).toContain("| per column (all trials) | slashing off | slashing on |");
}, 150_000);
