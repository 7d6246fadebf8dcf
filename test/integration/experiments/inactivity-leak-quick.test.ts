/**
 * inactivity-leak --quick on real in-process PoS nodes: both sides of a long partition finalize
 * again as the leak drains the absent side, each within the epochs the leak formula predicts
 * (iterated from genesis), the drained stake matches it, the two finalized checkpoints conflict
 * without any slashable vote, and after the heal every node keeps proposing on the chain of a
 * finalized checkpoint it holds.
 */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("inactivity-leak --quick: both sides finalize again near the predicted epoch; conflicting, unslashable; nodes go on after the heal", async () => {
  const { json, read } = await run("inactivity-leak", 41);
  expect(json.trials.length).toBeGreaterThan(0);
  for (const t of json.trials) {
    const d = t.data;
    for (const side of ["A", "B"]) {
      const measured = d[`epochsToFinality${side}`];
      const expected = d[`expectedEpochs${side}`];
      // Both are reported. The formula's epoch is the earliest (every vote included at once); the
      // leak ended the stall on each side at most three epochs after it (votes of a side with few
      // proposers land late), and not before the epoch it predicts, give or take one.
      expect(expected).toBeTypeOf("number");
      expect(measured).toBeTypeOf("number");
      expect(measured).toBeGreaterThanOrEqual(expected - 1);
      expect(measured).toBeLessThanOrEqual(expected + 3);
      // The absent side lost stake on this side's chain, close to the formula's amount.
      const lost = BigInt(d[`lostOn${side}`]);
      const want = BigInt(d[`expectedLostOn${side}`]);
      expect(lost).toBeGreaterThan(0n);
      expect(Number(lost) / Number(want)).toBeGreaterThan(0.5);
      expect(Number(lost) / Number(want)).toBeLessThan(2);
    }
    // The leak's known limit: conflicting finality, and nobody signed anything slashable.
    expect(d.conflicting).toBe(true);
    expect(d.slashablePairs).toBe(0);
    expect(d.conflictingWithoutOffence).toBe(true);
    // After the heal each node goes on proposing on its own finalized chain (bug 0: it stopped).
    for (const n of d.afterHeal) {
      expect(n.headSlotAdvanced).toBeGreaterThan(0);
      expect(n.follows).toBe(n.side);
    }
    expect(d.afterHeal.some((n: { proposedSinceHeal: number }) => n.proposedSinceHeal > 0)).toBe(true);
  }
  expect((await read("inactivity-leak.svg")).startsWith("<svg")).toBe(true);
}, 150_000);
